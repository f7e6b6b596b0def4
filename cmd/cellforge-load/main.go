// Command cellforge-load sends GET requests at a fixed rate (open loop) and reports latency
// percentiles as JSON. Latency is measured from the moment each request was due, not from when it
// was sent, so a slow server cannot hide its queueing by slowing the sender down (the
// coordinated-omission error of closed-loop tools). make bench runs it beside wrk.
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
	res, err := load(ctx, fs.Args(), header, *rate, *warmup, *duration, *maxInFlight)
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

func load(ctx context.Context, urls []string, header http.Header, rate float64, warmup, duration time.Duration, maxInFlight int) (result, error) {
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
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return result{}, ctx.Err()
			case <-time.After(d):
			}
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
			err := get(ctx, client, urls[i%len(urls)], header)
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
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start.Add(warmup))
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

func get(ctx context.Context, client *http.Client, url string, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
