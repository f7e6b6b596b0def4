package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// summary parses the key=value words of the first line of out.
func summary(t *testing.T, out string) map[string]string {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "pollbench ") {
		t.Fatalf("output does not start with the summary line:\n%s", out)
	}
	kv := map[string]string{}
	for _, w := range strings.Fields(first)[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			t.Fatalf("summary word %q is not key=value", w)
		}
		kv[k] = v
	}
	return kv
}

func number(t *testing.T, kv map[string]string, key string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(kv[key], 64)
	if err != nil {
		t.Fatalf("summary %s=%q: %v", key, kv[key], err)
	}
	return f
}

func TestPollHoldsTheSchedule(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-devices", "3", "-blocks", "2", "-interval", "20ms",
		"-duration", "1s", "-warmup", "200ms"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	kv := summary(t, out.String())
	if kv["mode"] != "poll" || number(t, kv, "target_rps") != 300 {
		t.Errorf("summary %v, want mode poll at 300 reads/s", kv)
	}
	// 3 devices x 2 groups x 50 ticks in the window; under the race
	// detector on a busy machine a few ticks may be dropped, not more.
	if reads := number(t, kv, "reads"); reads < 200 || reads > 300 {
		t.Errorf("reads=%v, want about 300", reads)
	}
	if number(t, kv, "errors") != 0 {
		t.Errorf("errors=%v:\n%s", kv["errors"], out.String())
	}
	p50, p99 := number(t, kv, "rtt_p50_ms"), number(t, kv, "rtt_p99_ms")
	if p50 <= 0 || p99 < p50 {
		t.Errorf("round trip p50 %v p99 %v: want positive and ordered", p50, p99)
	}
	if number(t, kv, "rss_peak_mib") <= 0 || number(t, kv, "cpu_pct") <= 0 {
		t.Errorf("rss or cpu not measured: %v", kv)
	}
	for _, row := range []string{"round trip", "poll", "jitter", "tick to answer"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("table has no %q row", row)
		}
	}
}

// syncBuffer is a buffer one goroutine writes while another reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSingleAgainstServedSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var served syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"-serve", "127.0.0.1:0"}, &served, io.Discard) }()
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if time.Now().After(deadline) {
			t.Fatal("the simulator did not print its address")
		}
		line, err := bufio.NewReader(strings.NewReader(served.String())).ReadString('\n')
		if err == nil {
			addr = strings.TrimPrefix(strings.TrimSpace(line), "listening on ")
		}
		time.Sleep(time.Millisecond)
	}

	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-single", "-addr", addr, "-duration", "300ms"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	kv := summary(t, out.String())
	if kv["mode"] != "single" || kv["addr"] != addr || kv["errors"] != "0" {
		t.Errorf("summary %v, want mode single at %s without errors", kv, addr)
	}
	if n := number(t, kv, "requests"); n < 10 {
		t.Errorf("requests=%v in 300 ms over loopback", n)
	}
	if rate, s := number(t, kv, "rate"), number(t, kv, "seconds"); rate <= 0 || s < 0.3 {
		t.Errorf("rate=%v over %v s", rate, s)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("-serve exited %d", code)
	}
}

func TestSingleInProcess(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-single", "-duration", "100ms", "-registers", "125"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if kv := summary(t, out.String()); number(t, kv, "requests") < 1 || kv["registers"] != "125" {
		t.Errorf("summary %v", kv)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no devices", []string{"-devices", "0"}, "-devices 0"},
		{"too many registers", []string{"-registers", "126"}, "-registers 126"},
		{"too many blocks", []string{"-blocks", "257"}, "-blocks 257"},
		{"serve and single", []string{"-serve", "127.0.0.1:0", "-single"}, "exclude"},
		{"addr without single", []string{"-addr", "127.0.0.1:502"}, "-addr"},
		{"argument", []string{"extra"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(t.Context(), tc.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, errOut.String(), tc.want)
			}
		})
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * 10 * time.Microsecond) // 10 µs .. 10 ms
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}, {0.001, 10 * time.Microsecond}} {
		got := h.quantile(tc.q)
		tol := max(tc.want/64, time.Microsecond)
		if d := got - tc.want; d < -tol || d > tol {
			t.Errorf("quantile(%v) = %v, want %v within %v", tc.q, got, tc.want, tol)
		}
	}
	for us := uint64(0); us < 1<<20; us += 37 {
		if i := bucket(us); bucketFloor(i) > us || bucketFloor(i+1) <= us {
			t.Fatalf("%d µs in bucket %d of [%d, %d)", us, i, bucketFloor(i), bucketFloor(i+1))
		}
	}
}
