package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// importResult and importError mirror the API's answers to a batch import.
type importResult struct {
	Drop      string `json:"drop"`
	Batch     string `json:"batch"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Unchanged int    `json:"unchanged"`
	Queued    int    `json:"queued"`
}

type importError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		// Rows are the first problems by line; Problems and BadRows count them all.
		Rows []struct {
			Line   int    `json:"line"`
			Column string `json:"column"`
			Reason string `json:"reason"`
		} `json:"rows"`
		Problems int `json:"problems"`
		BadRows  int `json:"bad_rows"`
	} `json:"error"`
}

// errBatchRefused is returned once the refused rows have been printed.
var errBatchRefused = errors.New("batch refused, nothing was stored")

const importAttempts = 3

func importBatch(ctx context.Context, args []string, e *env) error {
	fs := newFlagSet("import", "import --drop DROP [--server URL] [--token TOKEN] FILE", e)
	drop := fs.String("drop", "", "the `drop` the orders are for (required)")
	server := fs.String("server", "http://127.0.0.1:8080", "the daemon's `URL`")
	token := fs.String("token", "", "API `token` or session token (default $CELLFORGE_TOKEN)")
	format := fs.String("format", "", "csv or json (default: from the file name)")
	progress := fs.String("progress", "auto", "progress bar: auto (on a terminal), always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *drop == "" || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	if *token == "" {
		*token = os.Getenv("CELLFORGE_TOKEN")
	}
	if *token == "" {
		return errors.New("no token: pass --token or set CELLFORGE_TOKEN (a planner's API token, or sign in for a session token)")
	}
	path := fs.Arg(0)
	contentType, err := batchContentType(path, *format)
	if err != nil {
		return err
	}
	endpoint, err := url.JoinPath(*server, "/api/v1/drops", url.PathEscape(*drop), "orders")
	if err != nil {
		return fmt.Errorf("--server %q: %w", *server, err)
	}
	showBar := *progress == "always" || (*progress == "auto" && isTerminal(e.stderr))

	// One key for every attempt: a retry after a lost answer changes nothing.
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	var (
		resp *http.Response
		last error
	)
	for attempt := 1; attempt <= importAttempts; attempt++ {
		resp, last = sendBatch(ctx, endpoint, path, contentType, *token, hex.EncodeToString(key), showBar, e)
		if last == nil {
			break
		}
		if ctx.Err() != nil || attempt == importAttempts {
			return last
		}
		fmt.Fprintf(e.stderr, "cellforge import: %v; retrying\n", last)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusCreated {
		var r importResult
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("decoding the answer: %w", err)
		}
		fmt.Fprintf(e.stdout, "drop %s: %d rows, %d new orders, %d already imported, %d operations queued (batch %s)\n",
			r.Drop, r.Rows, r.Created, r.Unchanged, r.Queued, orDash(r.Batch))
		return nil
	}
	var ae importError
	if err := json.Unmarshal(body, &ae); err != nil || ae.Error.Code == "" {
		return fmt.Errorf("the daemon answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if len(ae.Error.Rows) == 0 {
		return fmt.Errorf("%s (%s)", ae.Error.Message, ae.Error.Code)
	}
	for _, r := range ae.Error.Rows {
		col := ""
		if r.Column != "" {
			col = r.Column + ": "
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s%s\n", path, r.Line, col, r.Reason)
	}
	listed, problems, rows := len(ae.Error.Rows), ae.Error.Problems, ae.Error.BadRows
	if problems < listed {
		problems = listed // a daemon that does not count them
	}
	if more := problems - listed; more > 0 {
		fmt.Fprintf(e.stderr, "and %d more problem(s): %d problem(s) in %d row(s), the first %d listed\n", more, problems, rows, listed)
	} else if rows > 0 {
		fmt.Fprintf(e.stderr, "%d problem(s) in %d row(s)\n", problems, rows)
	} else {
		fmt.Fprintf(e.stderr, "%d problem(s)\n", problems)
	}
	return errBatchRefused
}

// sendBatch makes one attempt. Only errors worth retrying (the connection, a 5xx) come back as
// errors; any other answer is returned for the caller to read.
func sendBatch(ctx context.Context, endpoint, path, contentType, token, key string, showBar bool, e *env) (*http.Response, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	// The file is the request's body, which the client closes once it has sent it: the
	// daemon may answer before it has read the whole batch, and the upload goes on while the
	// answer is read.
	body := io.ReadCloser(f)
	var bar *progressBar
	if showBar {
		bar = newProgressBar(e.stderr, info.Size())
		body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(f, bar), f}
		stop := bar.run()
		defer stop()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		f.Close()
		return nil, err
	}
	req.ContentLength = info.Size()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sending %s: %w", path, err)
	}
	if resp.StatusCode >= 500 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("the daemon answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

func batchContentType(path, format string) (string, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	switch format {
	case "csv":
		return "text/csv", nil
	case "json":
		return "application/json", nil
	}
	return "", fmt.Errorf("cannot tell the format of %s: name it .csv or .json, or pass --format", path)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws the share of a file sent so far on a terminal.
type progressBar struct {
	w     io.Writer
	total int64
	sent  atomic.Int64
	start time.Time
}

func newProgressBar(w io.Writer, total int64) *progressBar {
	return &progressBar{w: w, total: total, start: time.Now()}
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.sent.Add(int64(len(b)))
	return len(b), nil
}

// run redraws the bar until the returned function is called, which draws it a last time.
func (p *progressBar) run() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				p.draw(true)
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (p *progressBar) draw(last bool) {
	const width = 30
	sent := p.sent.Load()
	frac := 1.0
	if p.total > 0 {
		frac = min(float64(sent)/float64(p.total), 1)
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	rate := float64(sent) / max(time.Since(p.start).Seconds(), 0.001) / (1 << 20)
	fmt.Fprintf(p.w, "\r[%s] %3.0f%% %.1f/%.1f MiB %.1f MiB/s", bar, frac*100, float64(sent)/(1<<20), float64(p.total)/(1<<20), rate)
	if last {
		fmt.Fprintf(p.w, "\n")
		if sent >= p.total {
			fmt.Fprintf(p.w, "sent; waiting for the daemon to check and store the batch...\n")
		}
	}
}
