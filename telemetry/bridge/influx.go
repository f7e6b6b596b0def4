package bridge

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	influxhttp "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// influxWriter posts line protocol to InfluxDB's /api/v2/write (InfluxDB 2, and 1.8's
// compatibility endpoint) through the InfluxDB client library's HTTP service, which sets the
// token and reads InfluxDB's errors. The lines go as the queue holds them, in one body, with no
// copy into strings (the library's write API takes a string a line and joins them); gzip is
// optional, for a slow link: on loopback or a LAN it costs both sides more CPU than it saves.
// An influxWriter is used by one goroutine.
type influxWriter struct {
	client    influxdb2.Client
	service   influxhttp.Service
	writeURL  string
	pingURL   string
	gzipLevel int // 0: none
	zbuf      bytes.Buffer
	zw        *gzip.Writer
}

// statusError is InfluxDB's refusal of a write: its HTTP status and message.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("InfluxDB answered %d: %s", e.code, e.msg)
}

// invalid reports whether InfluxDB refused the lines themselves (a 4xx other than a timeout
// or too many requests): writing them again would fail again.
func (e *statusError) invalid() bool {
	return e.code >= 400 && e.code < 500 && e.code != http.StatusTooManyRequests && e.code != http.StatusRequestTimeout
}

func newInfluxWriter(cfg Config) (*influxWriter, error) {
	base, err := url.Parse(strings.TrimSuffix(cfg.InfluxURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("bridge: InfluxDB URL %q: want http://host:port or https://host:port", cfg.InfluxURL)
	}
	if cfg.GzipLevel < 0 || cfg.GzipLevel > gzip.BestCompression {
		return nil, fmt.Errorf("bridge: gzip level %d: want 0 (none) to 9", cfg.GzipLevel)
	}
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(max(cfg.Timeout/time.Second, 1))).
		SetMaxRetries(0) // the queue retries, with what failed still on disk
	client := influxdb2.NewClientWithOptions(base.String(), cfg.Token, opts)
	q := url.Values{"org": {cfg.Org}, "bucket": {cfg.Bucket}, "precision": {"ns"}}
	return &influxWriter{
		client:    client,
		service:   client.HTTPService(),
		writeURL:  base.String() + "/api/v2/write?" + q.Encode(),
		pingURL:   base.String() + "/ping",
		gzipLevel: cfg.GzipLevel,
	}, nil
}

// write posts lines, whole lines each ending in '\n'. It returns a *statusError when InfluxDB
// answers with anything but a success, other errors when it cannot be reached.
func (w *influxWriter) write(ctx context.Context, lines []byte) error {
	body := lines
	if w.gzipLevel > 0 {
		w.zbuf.Reset()
		if w.zw == nil {
			w.zw, _ = gzip.NewWriterLevel(&w.zbuf, w.gzipLevel) // the level was checked
		} else {
			w.zw.Reset(&w.zbuf)
		}
		if _, err := w.zw.Write(lines); err != nil {
			return err
		}
		if err := w.zw.Close(); err != nil {
			return err
		}
		body = w.zbuf.Bytes()
	}
	headers := func(req *http.Request) {
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		if w.gzipLevel > 0 {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	return answer(w.service.DoPostRequest(ctx, w.writeURL, bytes.NewReader(body), headers, drain))
}

// ping reports whether InfluxDB answers GET /ping.
func (w *influxWriter) ping(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.pingURL, nil)
	if err != nil {
		return false
	}
	return w.service.DoHTTPRequest(req, nil, drain) == nil
}

// close ends the idle connections.
func (w *influxWriter) close() { w.client.Close() }

// drain reads a successful answer's body to its end and closes it, so that the connection is
// kept for the next request.
func drain(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// answer turns the library's error into ours: nil, a *statusError when InfluxDB answered, or the
// error that kept it from answering.
func answer(err *influxhttp.Error) error {
	switch {
	case err == nil:
		return nil
	case err.StatusCode == 0:
		return err
	case err.Message != "":
		return &statusError{code: err.StatusCode, msg: strings.TrimSpace(err.Message)}
	}
	return &statusError{code: err.StatusCode, msg: err.Error()}
}
