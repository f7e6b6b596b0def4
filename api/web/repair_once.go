package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// A repair request's form carries a nonce, so that a double tap on its button, or a request
// sent again while the first is under way, opens one repair: the second waits for the first
// and is sent on to the same page. The book tells a repair's link once, so the link of a
// request sent is kept here, in memory, for requestMemory under the nonce, the unit and the
// client host together; a request refused lets its nonce go, so that the form sent again
// after a correction is taken.

// requestMemory is how long a request sent is remembered by its nonce.
const requestMemory = 10 * time.Minute

// maxRequestsRemembered bounds the requests remembered; the oldest finished are dropped first.
const maxRequestsRemembered = 10000

// newNonce returns a form's nonce: 16 random bytes, base64url.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on the platforms Go supports
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validNonce reports whether s is a nonce newNonce could have made.
func validNonce(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 16
}

// sentRequests remembers the requests sent by their keys.
type sentRequests struct {
	mu sync.Mutex
	m  map[string]*sentRequest
}

type sentRequest struct {
	done chan struct{} // closed when the first request ended
	link string        // the repair's link; empty when the first request was refused
	at   time.Time
}

func newSentRequests() *sentRequests { return &sentRequests{m: map[string]*sentRequest{}} }

// claim returns the request of key: first true when the caller is the first to send it and
// must end it with finish.
func (s *sentRequests) claim(key string, now time.Time) (*sentRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.m[key]; ok && now.Sub(r.at) < requestMemory {
		return r, false
	}
	if len(s.m) >= maxRequestsRemembered {
		s.prune(now)
	}
	r := &sentRequest{done: make(chan struct{}), at: now}
	s.m[key] = r
	return r, true
}

// finish ends the first request of key with the link of the repair it opened, or "" when it
// opened none (then the key is forgotten).
func (s *sentRequests) finish(key string, r *sentRequest, link string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.link = link
	if link == "" && s.m[key] == r {
		delete(s.m, key)
	}
	close(r.done)
}

// wait waits for the first request to end and returns the link of the repair it opened, ""
// when it opened none.
func (r *sentRequest) wait(ctx context.Context) (string, error) {
	select {
	case <-r.done:
		return r.link, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// prune drops the requests remembered longer than requestMemory, and when none is, every one
// that has ended.
func (s *sentRequests) prune(now time.Time) {
	for k, r := range s.m {
		if now.Sub(r.at) >= requestMemory {
			delete(s.m, k)
		}
	}
	if len(s.m) < maxRequestsRemembered {
		return
	}
	for k, r := range s.m {
		select {
		case <-r.done:
			delete(s.m, k)
		default:
		}
	}
}
