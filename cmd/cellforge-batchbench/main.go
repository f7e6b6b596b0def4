// Command cellforge-batchbench sends a running daemon one batch of a given shape, made as it is
// sent, and reports as JSON what the daemon answered and its resident memory: at rest before
// the batch (VmRSS) and at its peak while taking it (VmHWM, reset first through
// /proc/PID/clear_refs). The shapes are the batches that cost a daemon the most memory to
// refuse: millions of tiny bad rows, millions of distinct ids, a batch good but for its last
// row, huge lines, fields, strings and nesting. make bench runs it once per shape, each against
// a fresh daemon, and writes the figures to docs/BENCHMARKS.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// result is what one run reports.
type result struct {
	Shape  string `json:"shape"`
	Via    string `json:"via"` // api, promise or web
	Bytes  int64  `json:"bytes"`
	Rows   int    `json:"rows"` // rows written after the header, bad ones included
	Status int    `json:"status"`
	// AnswerBytes is the size of the answer; Listed the problems it lists; Problems and
	// BadRows what it counts (-1 when it does not say).
	AnswerBytes int64   `json:"answer_bytes"`
	Listed      int     `json:"listed"`
	Problems    int     `json:"problems"`
	BadRows     int     `json:"bad_rows"`
	Message     string  `json:"message,omitempty"`
	IdleRSSMiB  float64 `json:"idle_rss_mib"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
	Seconds     float64 `json:"seconds"`
	Stored      int     `json:"stored,omitempty"` // rows the book held before, whose ids the batch repeats
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cellforge-batchbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "the daemon's `URL` (required)")
	pid := fs.Int("pid", 0, "the daemon's process id, for its memory (required)")
	drop := fs.String("drop", "", "the `drop` the batch is for (required)")
	skus := fs.String("skus", "", "`SKUs` the drop sells, comma-separated, taken in turn; the shortest make the most rows (required)")
	shapeName := fs.String("shape", "", "the batch's shape: "+strings.Join(shapeNames(), ", "))
	size := fs.Int64("bytes", 32<<20, "the batch's size in `bytes`")
	via := fs.String("via", "api", "api (POST /api/v1/drops/DROP/orders), promise (POST /api/v1/drops/DROP/promise) or web (the planner's check page)")
	token := fs.String("token", "", "a planner's API `token`, for -via api and -store")
	person := fs.String("person", "", "a planner's `name`, for -via web")
	password := fs.String("password", "", "the planner's `password`, for -via web")
	maxRows := fs.Int("rows", 0, "at most this many `rows` (0: as many as fit)")
	storeOnly := fs.Int("store", 0, "only import this many good rows, ids from 0 up, and exit (for -stored with another daemon on the same data)")
	stored := fs.Int("stored", 0, "the batch's first `N` ids were stored before (-store N): it repeats them with other content")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: cellforge-batchbench -url URL -pid PID -drop DROP -skus SKU,... -shape SHAPE [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	sh, ok := shapes[*shapeName]
	if *base == "" || *drop == "" || *skus == "" || (*storeOnly == 0 && (*pid <= 0 || !ok || *size <= 0 ||
		(*via != "api" && *via != "promise" && *via != "web"))) {
		fs.Usage()
		return 2
	}
	b := &bench{base: strings.TrimSuffix(*base, "/"), pid: *pid, drop: *drop, skus: strings.Split(*skus, ","), token: *token, client: &http.Client{}}
	if *storeOnly > 0 {
		if err := b.store(ctx, *storeOnly); err != nil {
			fmt.Fprintln(stderr, "cellforge-batchbench:", err)
			return 1
		}
		return 0
	}
	res, err := b.run(ctx, *shapeName, sh, *size, *maxRows, *via, *person, *password, *stored)
	if err != nil {
		fmt.Fprintln(stderr, "cellforge-batchbench:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "cellforge-batchbench:", err)
		return 1
	}
	return 0
}

type bench struct {
	base, drop, token string
	skus              []string
	pid               int
	client            *http.Client
}

func (b *bench) run(ctx context.Context, name string, sh shape, size int64, maxRows int, via, person, password string, stored int) (result, error) {
	res := result{Shape: name, Via: via, Problems: -1, BadRows: -1, Stored: stored}
	var cookie string
	if via == "web" {
		var err error
		if cookie, err = b.signIn(ctx, person, password); err != nil {
			return res, err
		}
	}
	idle, err := memory(b.pid, "VmRSS")
	if err != nil {
		return res, err
	}
	// The peak from now on: the daemon's start is not this batch's.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", b.pid), []byte("5"), 0); err != nil {
		return res, fmt.Errorf("resetting the daemon's peak memory: %w", err)
	}
	p := gen{skus: b.skus, stored: stored, maxRows: maxRows}
	body, ctype := b.body(sh, &p, size, via)
	defer body.Close()
	start := time.Now()
	var req *http.Request
	if via == "api" || via == "promise" {
		path := "/orders"
		if via == "promise" {
			path = "/promise"
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/drops/"+url.PathEscape(b.drop)+path, body)
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+b.token)
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/planner/drops/"+url.PathEscape(b.drop)+"/check", body)
		if err == nil {
			req.Header.Set("Cookie", "cellforge_session="+cookie)
			req.Header.Set("HX-Request", "true")
		}
	}
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := b.client.Do(req)
	if err != nil {
		return res, fmt.Errorf("sending the batch: %w", err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return res, fmt.Errorf("reading the answer: %w", err)
	}
	res.Seconds = time.Since(start).Seconds()
	peak, err := memory(b.pid, "VmHWM")
	if err != nil {
		return res, err
	}
	// The daemon may answer before it has read the whole batch: the rest is not sent, and the
	// writer's figures are read once it has ended.
	body.Close()
	res.Bytes, res.Rows = p.written, p.rows
	res.Status, res.AnswerBytes = resp.StatusCode, int64(len(answer))
	res.IdleRSSMiB, res.PeakRSSMiB = mib(idle), mib(peak)
	if via != "web" {
		readAPIAnswer(answer, &res)
	} else {
		readWebAnswer(answer, &res)
	}
	return res, nil
}

func mib(b int64) float64 { return float64(b*10/(1<<20)) / 10 }

// body returns the request body, made as it is read by a writer of its own, and its content
// type. Closing the body ends the writer and waits for it: p's figures may be read after that.
func (b *bench) body(sh shape, p *gen, size int64, via string) (io.ReadCloser, string) {
	pr, pw := io.Pipe()
	ctype := "text/csv"
	file := "batch.csv"
	if sh.json {
		ctype, file = "application/json", "batch.json"
	}
	var mw *multipart.Writer
	if via == "web" {
		mw = multipart.NewWriter(pw)
		ctype = mw.FormDataContentType()
	}
	body := &batchBody{PipeReader: pr, written: make(chan struct{})}
	go func() {
		defer close(body.written)
		var w io.Writer = pw
		if mw != nil {
			fw, err := mw.CreateFormFile("batch", file)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			w = fw
		}
		bw := bufio.NewWriterSize(w, 1<<16)
		p.w, p.left = bw, size
		err := sh.write(p)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil && mw != nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	return body, ctype
}

// batchBody is a request body made by a writer goroutine.
type batchBody struct {
	*io.PipeReader
	written chan struct{} // closed when the writer has ended
}

// Close ends the writer, if it has not ended (its next write fails), and waits for it.
func (b *batchBody) Close() error {
	err := b.PipeReader.Close()
	<-b.written
	return err
}

// store imports n good rows, ids 0 to n-1 in gen's order, and checks that they were stored.
// A batch of another run with -stored n repeats them.
func (b *bench) store(ctx context.Context, n int) error {
	var sb strings.Builder
	sb.WriteString("order_id,sku,quantity\n")
	var ids idGen
	for i := range n {
		fmt.Fprintf(&sb, "%s,%s,1\n", ids.next(), b.skus[i%len(b.skus)])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/api/v1/drops/"+url.PathEscape(b.drop)+"/orders", strings.NewReader(sb.String()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("storing %d rows first: %w", n, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("storing %d rows first: %s: %s", n, resp.Status, msg)
	}
	return nil
}

// signIn signs a planner in through the sign-in page and returns the session cookie.
func (b *bench) signIn(ctx context.Context, person, password string) (string, error) {
	form := url.Values{"person": {person}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("signing in: %w", err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "cellforge_session" && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("signing in as %s: %s and no session cookie", person, resp.Status)
}

// readAPIAnswer reads what the API's error answer lists and counts.
func readAPIAnswer(answer []byte, res *result) {
	var a struct {
		Error struct {
			Message  string            `json:"message"`
			Rows     []json.RawMessage `json:"rows"`
			Problems *int              `json:"problems"`
			BadRows  *int              `json:"bad_rows"`
		} `json:"error"`
	}
	if json.Unmarshal(answer, &a) != nil {
		res.Message = "an answer that is not JSON"
		return
	}
	res.Listed = len(a.Error.Rows)
	if a.Error.Problems != nil {
		res.Problems = *a.Error.Problems
	}
	if a.Error.BadRows != nil {
		res.BadRows = *a.Error.BadRows
	}
	res.Message = cut(a.Error.Message, 200)
}

var (
	webLine     = regexp.MustCompile(`<td class="line num">`)
	webProblems = regexp.MustCompile(`data-problems="(\d+)"`)
	webBadRows  = regexp.MustCompile(`data-bad-rows="(\d+)"`)
	webSummary  = regexp.MustCompile(`(?s)id="batch-summary"[^>]*>(.*?)</p>`)
	webGood     = regexp.MustCompile(`(?s)id="batch-ok"[^>]*>\s*<p[^>]*>(.*?)</p>\s*(?:<p id="promise"[^>]*>(.*?)</p>)?`)
	webTag      = regexp.MustCompile(`<[^>]*>`)
)

// readWebAnswer reads what the check page lists and counts.
func readWebAnswer(answer []byte, res *result) {
	res.Listed = len(webLine.FindAll(answer, -1))
	if m := webProblems.FindSubmatch(answer); m != nil {
		res.Problems, _ = strconv.Atoi(string(m[1]))
	}
	if m := webBadRows.FindSubmatch(answer); m != nil {
		res.BadRows, _ = strconv.Atoi(string(m[1]))
	}
	if m := webSummary.FindSubmatch(answer); m != nil {
		res.Message = cut(strings.Join(strings.Fields(string(m[1])), " "), 200)
	} else if m := webGood.FindSubmatch(answer); m != nil {
		// A good batch: its figures and what the promise check says.
		text := webTag.ReplaceAllString(string(m[1])+" "+string(m[2]), "")
		res.Message = cut(strings.Join(strings.Fields(text), " "), 200)
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// memory returns a figure of /proc/PID/status (VmRSS, VmHWM) in bytes.
func memory(pid int, key string) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(raw)) {
		rest, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing %s %q: %w", key, rest, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, key)
}

func shapeNames() []string {
	var names []string
	for n := range shapes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
