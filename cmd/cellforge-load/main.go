// Command cellforge-load sends requests at a fixed rate and reports latency percentiles as
// JSON. Latency is measured from the moment each request was due, not from when it was sent, so
// a slow server cannot hide its queueing by slowing the sender down (the coordinated-omission
// error of closed-loop tools). By default GETs go out in an open loop, as many at a time as are
// due; with -sequential one request at a time, in turn over the URLs, for requests that must
// follow each other (pause, then resume). An interrupt ends the run early: it reports what it
// measured. make bench runs it beside wrk.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// result is what one run reports.
type result struct {
	URLs      []string `json:"urls"`
	Rate      float64  `json:"rate_per_s"`
	Duration  string   `json:"duration"`
	Requests  int      `json:"requests"`
	Errors    int      `json:"errors"`
	Achieved  float64  `json:"achieved_per_s"`
	P50ms     float64  `json:"p50_ms"`
	P90ms     float64  `json:"p90_ms"`
	P99ms     float64  `json:"p99_ms"`
	P999ms    float64  `json:"p999_ms"`
	MaxMs     float64  `json:"max_ms"`
	FirstFail string   `json:"first_error,omitempty"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cellforge-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rate := fs.Float64("rate", 1000, "requests per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to send")
	warmup := fs.Duration("warmup", 2*time.Second, "requests sent first and not counted")
	maxInFlight := fs.Int("max-in-flight", 512, "requests outstanding at most; past it the run fails")
	method := fs.String("method", http.MethodGet, "the requests' `method`")
	body := fs.String("body", "", "the requests' body, sent as JSON")
	sequential := fs.Bool("sequential", false, "one request at a time, each due at its time or when the one before answers")
	header := http.Header{}
	fs.Func("header", "a `Name: value` header sent with every request (repeatable), e.g. a sign-in cookie", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("want Name: value, got %q", s)
		}
		header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cellforge-load [flags] URL...   (requests go to the URLs in turn)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 || *rate <= 0 || *duration <= 0 {
		fs.Usage()
		return 2
	}
	if *body != "" {
		header.Set("Content-Type", "application/json")
	}
	res, err := load(ctx, request{method: *method, body: *body, header: header}, fs.Args(), *rate, *warmup, *duration, *maxInFlight, *sequential)
	if err != nil {
		fmt.Fprintln(stderr, "cellforge-load:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "cellforge-load:", err)
		return 1
	}
	return 0
}

// request is what each request sends, but for its URL.
type request struct {
	method, body string
	header       http.Header
}

func load(ctx context.Context, req request, urls []string, rate float64, warmup, duration time.Duration, maxInFlight int, sequential bool) (result, error) {
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: maxInFlight, MaxConnsPerHost: maxInFlight},
	}
	interval := time.Duration(float64(time.Second) / rate)
	total := int((warmup + duration) / interval)
	skip := int(warmup / interval)
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, total-skip)
		errCount  int
		firstErr  string
		wg        sync.WaitGroup
		slots     = make(chan struct{}, maxInFlight)
	)
	// requests already sent finish when the run is interrupted
	send := context.WithoutCancel(ctx)
	record := func(i int, due time.Time, err error) {
		lat := time.Since(due)
		if i < skip {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errCount++
			if firstErr == "" {
				firstErr = err.Error()
			}
			return
		}
		latencies = append(latencies, lat)
	}
	start := time.Now()
loop:
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				break loop
			case <-time.After(d):
			}
		} else if ctx.Err() != nil {
			break
		}
		if sequential {
			record(i, due, do(send, client, req, urls[i%len(urls)]))
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			wg.Wait()
			return result{}, fmt.Errorf("more than %d requests outstanding at %.0f/s: the server cannot keep up", maxInFlight, rate)
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer func() { <-slots }()
			record(i, due, do(send, client, req, urls[i%len(urls)]))
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start.Add(warmup))
	if ctx.Err() != nil {
		duration = elapsed.Round(time.Millisecond)
	}
	slices.Sort(latencies)
	ms := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		k := int(p*float64(len(latencies)) + 0.999999)
		k = min(max(k, 1), len(latencies))
		return float64(latencies[k-1].Microseconds()) / 1000
	}
	return result{
		URLs: urls, Rate: rate, Duration: duration.String(),
		Requests: len(latencies) + errCount, Errors: errCount,
		Achieved: float64(len(latencies)+errCount) / elapsed.Seconds(),
		P50ms:    ms(0.50), P90ms: ms(0.90), P99ms: ms(0.99), P999ms: ms(0.999), MaxMs: ms(1),
		FirstFail: firstErr,
	}, nil
}

func do(ctx context.Context, client *http.Client, r request, url string) error {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, url, body)
	if err != nil {
		return err
	}
	req.Header = r.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", r.method, url, resp.Status)
	}
	return nil
}
