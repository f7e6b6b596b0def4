package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Request bodies must keep coming: after a grace period a body must have arrived at a minimum
// average rate, so that a client sending a byte now and then cannot hold a connection (and a
// sign-in) open for as long as it likes. The rule bounds a small body by about the grace period
// and a large one by its size, so a big batch upload over a slow link still gets in.
const (
	// DefaultBodyGrace is how long any request body may take before the rate counts.
	DefaultBodyGrace = 10 * time.Second
	// DefaultMinBodyRate is the slowest average rate, in bytes a second, at which a body may
	// arrive after the grace period: 16 KiB/s, a small fraction of the slowest Wi-Fi, gives the
	// 7 MB 100,000-row batch of make bench over 7 minutes.
	DefaultMinBodyRate = 16 << 10
)

// ErrSlowBody is wrapped by the error a handler's read of a request body returns when the body
// came too slowly: the connection is then closed.
var ErrSlowBody = errors.New("the request body came too slowly")

// bodyPace enforces the minimum rate on every request body.
type bodyPace struct {
	grace   time.Duration
	rate    int64 // bytes a second
	next    http.Handler
	refused func() // counts a body cut off
}

func (p *bodyPace) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		// Nothing to read; a deadline would also end the server's watch for the client going
		// away, which a long-lived stream relies on.
		p.next.ServeHTTP(w, r)
		return
	}
	b := &pacedBody{body: r.Body, rc: http.NewResponseController(w), start: time.Now(), pace: p}
	// Before the handler reads anything: a handler that answers without reading the body has
	// the server read (and discard) it as it writes the answer, and that read keeps to the pace
	// too.
	_ = b.rc.SetReadDeadline(b.deadline())
	// The paced body goes on a copy of the request: the server's own keeps the body it made,
	// whose type tells the server how to treat what the handler left unread (a body too big to
	// drain closes the connection; an unanswered "Expect: 100-continue" is never read).
	r = r.WithContext(r.Context())
	r.Body = b
	p.next.ServeHTTP(w, r)
	if !b.done {
		// The server reads what the handler left of the body before it reads the next request:
		// that too keeps to the pace, instead of waiting for the client as long as it likes.
		_ = b.rc.SetReadDeadline(b.deadline())
	}
}

// pacedBody is a request body that sets the connection's read deadline before each read: the
// grace period plus the time the bytes read so far were allowed at the minimum rate.
type pacedBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	pace  *bodyPace
	n     int64 // bytes read so far
	done  bool  // read to the end (or to an error): the deadline is off
	err   error
}

func (b *pacedBody) deadline() time.Time {
	return b.start.Add(b.pace.grace + time.Duration(float64(b.n)/float64(b.pace.rate)*float64(time.Second)))
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return b.body.Read(p)
	}
	// An error here means the connection cannot take deadlines (a test's recorder): read
	// without.
	_ = b.rc.SetReadDeadline(b.deadline())
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		// The server goes on reading the connection in the background, to notice a client going
		// away while the handler works: no deadline may cut that short.
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.done = true
		b.pace.refused()
		b.err = &slowBodyError{n: b.n, took: time.Since(b.start), pace: b.pace, err: err}
		return n, b.err
	}
	return n, err
}

// slowBodyError is a body cut off for coming too slowly; it wraps ErrSlowBody and the read's
// own error.
type slowBodyError struct {
	n    int64
	took time.Duration
	pace *bodyPace
	err  error
}

func (e *slowBodyError) Error() string {
	return fmt.Sprintf("%v: %d bytes in %s; send at least %d bytes a second after the first %s",
		ErrSlowBody, e.n, e.took.Round(time.Millisecond), e.pace.rate, e.pace.grace)
}

func (e *slowBodyError) Unwrap() []error { return []error{ErrSlowBody, e.err} }

func (b *pacedBody) Close() error { return b.body.Close() }
