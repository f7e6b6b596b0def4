package api

import (
	"sync"
	"time"
)

// Sign-in attempts are limited twice: per person, so that a PIN cannot be found by trying them
// all (after a few failures the person is locked out for a while, doubling each time), and per
// client address, so that one device cannot try many people.
const (
	freeFailures   = 5
	firstLockout   = 30 * time.Second
	maxLockout     = time.Hour
	clientBurst    = 10
	clientInterval = 6 * time.Second // one attempt back every interval
	maxClients     = 10000
)

type failures struct {
	count       int
	lockedUntil time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	mu      sync.Mutex
	people  map[string]*failures
	clients map[string]*bucket
}

func newLimiter() *limiter {
	return &limiter{people: map[string]*failures{}, clients: map[string]*bucket{}}
}

// allow takes one attempt from the client's bucket and reports whether the attempt may go on,
// and if not how long to wait.
func (l *limiter) allow(person, client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.people[person]; f != nil && now.Before(f.lockedUntil) {
		return f.lockedUntil.Sub(now), false
	}
	b := l.clients[client]
	if b == nil {
		if len(l.clients) >= maxClients {
			l.prune(now)
		}
		b = &bucket{tokens: clientBurst, last: now}
		l.clients[client] = b
	}
	b.tokens += float64(now.Sub(b.last)) / float64(clientInterval)
	if b.tokens > clientBurst {
		b.tokens = clientBurst
	}
	b.last = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(clientInterval)), false
	}
	b.tokens--
	return 0, true
}

// failed counts a failed attempt for a person and locks them out past the free failures. The
// caller passes only people who exist, so the map stays as small as the staff.
func (l *limiter) failed(person string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.people[person]
	if f == nil {
		f = &failures{}
		l.people[person] = f
	}
	f.count++
	if f.count >= freeFailures {
		lock := maxLockout
		if n := f.count - freeFailures; n < 8 {
			lock = min(firstLockout<<n, maxLockout)
		}
		f.lockedUntil = now.Add(lock)
	}
}

// succeeded forgets a person's failures.
func (l *limiter) succeeded(person string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.people, person)
}

// prune drops clients whose buckets are full again.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.clients {
		if now.Sub(b.last) > clientBurst*clientInterval {
			delete(l.clients, k)
		}
	}
}
