package api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowBodyIsCutOff: a client that sends its body a byte now and then is answered 408 and
// disconnected once the grace period is over and its rate is below the minimum, on sign-in and
// on a batch upload alike, instead of holding the connection for as long as it likes.
func TestSlowBodyIsCutOff(t *testing.T) {
	const grace, rate = 300 * time.Millisecond, 1 << 10
	ts := newTestServerConfig(t, func(c *Config) { c.BodyGrace, c.MinBodyRate = grace, rate })
	tests := []struct {
		name, path, contentType, auth, body string
	}{
		{name: "sign-in", path: "/api/v1/auth/signin", contentType: "application/json",
			body: `{"person":"ana","pin":"1234","password":""}` + strings.Repeat(" ", 60)},
		{name: "batch upload", path: "/api/v1/drops/winter/orders", contentType: "text/csv", auth: plannerToken,
			body: "order_id,sku,quantity\nSLOW-1,SCARF,1\nSLOW-2,SCARF,1\nSLOW-3,SCARF,1\nSLOW-4,SCARF,1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n", tc.path, tc.contentType, len(tc.body))
			if tc.auth != "" {
				fmt.Fprintf(conn, "Authorization: Bearer %s\r\n", tc.auth)
			}
			fmt.Fprint(conn, "\r\n")
			// A byte every 50 ms: the whole body would take seconds, far past the grace period
			// at a rate far below the minimum.
			var sent atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for i := range len(tc.body) {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					if _, err := conn.Write([]byte{tc.body[i]}); err != nil {
						return
					}
					sent.Add(1)
				}
			}()
			defer wg.Wait()
			defer close(stop)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			body := readAll(t, resp)
			if n := sent.Load(); n >= int64(len(tc.body)) {
				t.Fatalf("the server waited for the whole body (%d bytes), then answered %d %s", n, resp.StatusCode, body)
			}
			r := response{status: resp.StatusCode, body: []byte(body)}
			if resp.StatusCode != http.StatusRequestTimeout || r.errorCode(t) != codeSlowBody || !strings.Contains(body, "too slowly") {
				t.Errorf("answer %d %s, want 408 %s saying the body came too slowly", resp.StatusCode, body, codeSlowBody)
			}
			if !resp.Close {
				t.Error("the answer does not close the connection")
			}
		})
	}
	r := ts.do(t, "GET", "/metrics", "", "", "")
	if want := fmt.Sprintf(`cellforge_http_refused_total{reason="slow_body"} %d`, len(tests)); !strings.Contains(string(r.body), want) {
		t.Errorf("metrics do not count the bodies cut off, want %s:\n%s", want, grepLines(string(r.body), "refused"))
	}
}

// TestLargeUploadAtAGoodPace: a batch upload that takes longer than the grace period but comes
// faster than the minimum rate is stored whole: the limit grows with the body.
func TestLargeUploadAtAGoodPace(t *testing.T) {
	const grace, rate = 300 * time.Millisecond, 64 << 10
	ts := newTestServerConfig(t, func(c *Config) { c.BodyGrace, c.MinBodyRate = grace, rate })
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity,notes\n")
	const rows = 500
	notes := strings.Repeat("n", 1900)
	for i := range rows {
		fmt.Fprintf(&csv, "BIG-%04d,SCARF,1,%s\n", i, notes)
	}
	// The planner's link sends 32 KiB every 20 ms (1.6 MB/s): the 1 MB batch takes about
	// 0.6 s, twice the grace period, at 25 times the minimum rate.
	pr, pw := io.Pipe()
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		data := []byte(csv.String())
		for len(data) > 0 {
			<-tick.C
			n := min(len(data), 32<<10)
			if _, err := pw.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
		}
		pw.Close()
	}()
	defer pr.Close()
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/drops/bulk/orders", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+plannerToken)
	req.Header.Set("Content-Type", "text/csv")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, fmt.Sprintf(`"created":%d`, rows)) {
		t.Fatalf("upload of %d bytes: %d %s, want 201 with %d orders created", csv.Len(), resp.StatusCode, body, rows)
	}
	if took := time.Since(start); took < grace {
		t.Fatalf("the upload took %s, less than the grace period: it proves nothing", took)
	}
}

// grepLines returns the lines of s holding sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BenchmarkBodyPace uploads a 7 MB batch-shaped body over loopback to a handler that reads it
// whole, bare and behind the body pace (its deadline moved before every read), to show what
// the pace costs a large upload.
func BenchmarkBodyPace(b *testing.B) {
	var batch bytes.Buffer
	batch.WriteString("order_id,sku,quantity,customer,priority,notes\n")
	for i := range 100_000 {
		fmt.Fprintf(&batch, "B-%07d,RUG-KILIM-S,%d,customer %d,%d,\"bench row %d, quoted\"\n", i, 1+i%3, i, i%3, i)
	}
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
		}
	})
	for _, bm := range []struct {
		name string
		h    http.Handler
	}{
		{name: "bare", h: read},
		{name: "paced", h: &bodyPace{grace: DefaultBodyGrace, rate: DefaultMinBodyRate, next: read, refused: func() {}}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			srv := httptest.NewServer(bm.h)
			defer srv.Close()
			b.SetBytes(int64(batch.Len()))
			for b.Loop() {
				resp, err := http.Post(srv.URL, "text/csv", bytes.NewReader(batch.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("upload: %d", resp.StatusCode)
				}
			}
		})
	}
}

// A body the handler never reads keeps to the pace as well: the server reads and discards it
// as it writes the answer, and a client that declares a body and never sends it must not hold
// that answer, and the connection, for as long as it likes. The answer comes, or the
// connection closes, once the grace period is over.
func TestUnreadBodyKeepsThePace(t *testing.T) {
	const grace = 300 * time.Millisecond
	ts := newTestServerConfig(t, func(c *Config) { c.BodyGrace, c.MinBodyRate = grace, 1<<10 })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// the OpenAPI document is open to anyone, and longer than what the server buffers before
	// it must read the body
	fmt.Fprint(conn, "GET /api/v1/openapi.yaml HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n")
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn) // the answer, then the close
	if err != nil {
		t.Fatalf("a body declared and never sent held the answer: %v", err)
	}
}

// A client that asks "Expect: 100-continue" before sending its body gets a refusal at once, its
// body unsent, as net/http answers it: the pace must not make the server wait for the body.
func TestRefusalBeforeAnExpectedBody(t *testing.T) {
	ts := newTestServerConfig(t, func(c *Config) { c.BodyGrace = time.Hour })
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /api/v1/drops/winter/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"+
		"Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
	if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to an upload without credentials before its body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}
