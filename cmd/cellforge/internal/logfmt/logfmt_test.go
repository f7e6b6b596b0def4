package logfmt

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestTrickyValuesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, value, written string
	}{
		{"plain", "dye-1", "v=dye-1"},
		{"empty", "", `v=""`},
		{"space", "vat a", `v="vat a"`},
		{"quote", `say "hi"`, `v="say \"hi\""`},
		{"equals", "a=b", `v="a=b"`},
		{"newline", "line one\nline two", `v="line one\nline two"`},
		{"carriage return and tab", "a\r\tb", `v="a\r\tb"`},
		{"backslash", `C:\floor`, `v="C:\\floor"`},
		{"control", "bell\x07", `v="bell\u0007"`},
		{"unicode", "teinture é", `v="teinture é"`},
		{"a whole fake pair", `x msg="forged" level=ERROR`, `v="x msg=\"forged\" level=ERROR"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			slog.New(New(&out, nil)).Info("m", "v", tc.value)
			line := out.String()
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
				t.Fatalf("not one line: %q", line)
			}
			if !strings.HasSuffix(line, " "+tc.written+"\n") {
				t.Fatalf("line %q, want it to end with %q", line, tc.written)
			}
			pairs, err := Parse(strings.TrimSuffix(line, "\n"))
			if err != nil {
				t.Fatal(err)
			}
			last := pairs[len(pairs)-1]
			if len(pairs) != 4 || last.Key != "v" || last.Value != tc.value {
				t.Fatalf("read back %q, want 4 pairs ending v=%q", pairs, tc.value)
			}
		})
	}
}

func TestLineShape(t *testing.T) {
	var out bytes.Buffer
	h := New(&out, &slog.HandlerOptions{Level: slog.LevelDebug})
	when := time.Date(2026, 3, 4, 5, 6, 7, 8000000, time.UTC)
	log := slog.New(h).With("component", "api").WithGroup("req").With("id", "r1")
	r := slog.NewRecord(when, slog.LevelWarn, "request failed", 0)
	r.AddAttrs(slog.Int("status", 500), slog.Duration("took", 1500*time.Millisecond),
		slog.Any("err", errors.New("store: down now")), slog.Group("peer", "addr", "127.0.0.1:9"),
		slog.String("odd key=\"x\"", "y"), slog.Group("empty"))
	if err := log.Handler().Handle(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	want := `time=2026-03-04T05:06:07.008Z level=WARN msg="request failed" component=api req.id=r1 req.status=500 req.took=1.5s ` +
		`req.err="store: down now" req.peer.addr=127.0.0.1:9 req.odd_key__x_=y` + "\n"
	if out.String() != want {
		t.Fatalf("line\n%s\nwant\n%s", out.String(), want)
	}
}

func TestLevel(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(New(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	log.Info("quiet")
	log.Debug("quieter")
	log.Error("loud")
	if got := out.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "msg=loud") {
		t.Fatalf("got %q, want the error line alone", got)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ name, line, want string }{
		{"no equals", "level=INFO orphan", "offset 11: a key without '='"},
		{"open quote", `msg="left open`, `offset 4: key "msg": a quoted value left open`},
		{"bad escape", `msg="\q"`, `offset 4: key "msg"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.line)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want %q", tc.line, err, tc.want)
			}
		})
	}
}
