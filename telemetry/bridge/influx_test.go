package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/telemetry/buffer"
	"github.com/cellforge/cellforge/telemetry/peertest"
)

// TestInfluxWriter writes line protocol to a real InfluxDB, plain and gzipped, and checks what
// it stored, that a line it refuses comes back as invalid, and that /ping answers.
func TestInfluxWriter(t *testing.T) {
	influx := peertest.StartInfluxDB(t)
	influx.CreateDatabase(t, "w")
	for _, level := range []int{0, 1, 9} {
		t.Run(fmt.Sprintf("gzip-%d", level), func(t *testing.T) {
			w, err := newInfluxWriter(Config{InfluxURL: influx.URL() + "/", Bucket: "w/autogen", GzipLevel: level})
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			ctx := context.Background()
			if !w.ping(ctx) {
				t.Fatal("no answer to /ping")
			}
			var lines strings.Builder
			for i := range 1000 {
				fmt.Fprintf(&lines, "m,level=%d v=%d %d\n", level, i, int64(1700000000000000000)+int64(i))
			}
			if err := w.write(ctx, []byte(lines.String())); err != nil {
				t.Fatal(err)
			}
			if n := countPoints(t, influx.URL(), fmt.Sprintf(`SELECT count(v) FROM m WHERE "level" = '%d'`, level)); n != 1000 {
				t.Errorf("InfluxDB holds %d points, want 1000", n)
			}
			err = w.write(ctx, []byte(fmt.Sprintf("m,level=%d v=\"text\" 1700000000000000000\n", level)))
			var se *statusError
			if !errors.As(err, &se) || !se.invalid() {
				t.Errorf("a field of another type: %v, want an invalid write", err)
			}
		})
	}
}

func countPoints(t *testing.T, base, q string) int {
	t.Helper()
	resp, err := http.Get(base + "/query?" + url.Values{"db": {"w"}, "q": {q}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct{ Series []struct{ Values [][]any } }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Results) == 0 {
		t.Fatalf("counting: %v %+v", err, out)
	}
	if len(out.Results[0].Series) == 0 {
		return 0
	}
	n, _ := out.Results[0].Series[0].Values[0][1].(float64)
	return int(n)
}

func TestNewRefusesBadConfig(t *testing.T) {
	q, err := buffer.Open(t.TempDir(), buffer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{InfluxURL: "localhost:8086", Queue: q}, `InfluxDB URL "localhost:8086"`},
		{"no host", Config{InfluxURL: "http://", Queue: q}, `InfluxDB URL "http://"`},
		{"gzip level", Config{InfluxURL: "http://127.0.0.1:8086", GzipLevel: 10, Queue: q}, "gzip level 10"},
		{"no queue", Config{InfluxURL: "http://127.0.0.1:8086"}, "no queue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}
