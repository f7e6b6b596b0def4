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
)

// influxWriter posts line protocol to InfluxDB's /api/v2/write (InfluxDB 2, and 1.8's
// compatibility endpoint). The lines go as the queue holds them, in one body, with no copy
// into strings; gzip is optional, for a slow link: on loopback or a LAN it costs both sides
// more CPU than it saves. An influxWriter is used by one goroutine.
type influxWriter struct {
	client    *http.Client
	writeURL  string
	pingURL   string
	auth      string // the Authorization header, if any
	gzipLevel int    // 0: none
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
	q := url.Values{"org": {cfg.Org}, "bucket": {cfg.Bucket}, "precision": {"ns"}}
	w := &influxWriter{
		client:    &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second}},
		writeURL:  base.String() + "/api/v2/write?" + q.Encode(),
		pingURL:   base.String() + "/ping",
		gzipLevel: cfg.GzipLevel,
	}
	if cfg.Token != "" {
		w.auth = "Token " + cfg.Token
	}
	return w, nil
}

// write posts lines, whole lines each ending in '\n'. It returns a *statusError when InfluxDB
// answers with anything but 204, other errors when it cannot be reached.
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.writeURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if w.gzipLevel > 0 {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if w.auth != "" {
		req.Header.Set("Authorization", w.auth)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_, _ = io.Copy(io.Discard, resp.Body) // so that the connection is kept
	if resp.StatusCode != http.StatusNoContent {
		return &statusError{code: resp.StatusCode, msg: strings.TrimSpace(string(msg))}
	}
	return nil
}

// ping reports whether InfluxDB answers GET /ping.
func (w *influxWriter) ping(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.pingURL, nil)
	if err != nil {
		return false
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}

// close ends the idle connections.
func (w *influxWriter) close() { w.client.CloseIdleConnections() }
