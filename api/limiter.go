package api

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Sign-in attempts are limited three ways. docs/SECURITY.md states the bounds these numbers
// give; TestGuessesPerDayAreBounded checks them.
//
//   - Per person and client address: after addressFailures failed sign-ins of a person from
//     one address, that address is locked out for the person, firstLockout long, doubling with
//     every further failure up to maxLockout. Someone else's wrong PINs at another tablet do not
//     lock the person out at theirs. The address is exact (oneAddress), IPv6 too: the tablets of
//     one IPv6 network share a /64.
//   - Per person, over every address: after personFailures failures in all, the person is
//     locked out at every address (the same durations) but the one they last signed in from, so
//     that guesses from many addresses stay bounded while the person's own tablet keeps working.
//     A host that walks through the addresses of its IPv6 /64 is bounded here.
//   - Per client host, over every person: a bucket of clientBurst attempts, one back every
//     clientInterval, so that one device cannot try many people. The host is an IPv4 address
//     or an IPv6 /64 (oneHost), so that it cannot refill its bucket by changing addresses.
//
// An attempt is counted as failed before its PIN or password is checked, and uncounted when it
// proves right: however many arrive at once, no more are checked than the limits allow.
// Failures are kept in the store, so that a restart forgives none; they are forgotten
// failureMemory after the last failure from the same address. The buckets are kept in memory.
const (
	addressFailures = 5
	personFailures  = 20
	firstLockout    = 30 * time.Second
	maxLockout      = time.Hour
	failureMemory   = 24 * time.Hour
	clientBurst     = 10
	clientInterval  = 6 * time.Second // one attempt back every interval
	maxClients      = 10000
)

// lockouts keeps failed sign-ins by person and client address.
type lockouts interface {
	// SignInFailures calls fn with every address person failed or succeeded to sign in from:
	// the failures since the last success there and the times of the last failure and the
	// last success (zero when there is none).
	SignInFailures(ctx context.Context, person string, fn func(client string, failures int, lastFailure, signedIn time.Time)) error
	// AddSignInFailure counts a failure at a time; failures whose last one was at or before
	// forget are forgotten.
	AddSignInFailure(ctx context.Context, person, client string, at, forget time.Time) error
	// SignedIn clears the failures of an address and records the success.
	SignedIn(ctx context.Context, person, client string, at time.Time) error
}

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	store lockouts
	// mu makes a reservation one step: the failures it reads are those it counts on.
	mu      sync.Mutex
	clients map[string]*bucket
}

func newLimiter(store lockouts) *limiter {
	return &limiter{store: store, clients: map[string]*bucket{}}
}

// lockFor is how long a person is locked out after failures, when limit are free.
func lockFor(failures, limit int) time.Duration {
	n := failures - limit
	if n < 0 {
		return 0
	}
	if n >= 8 {
		return maxLockout
	}
	return min(firstLockout<<n, maxLockout)
}

// standing is what the store holds of a person's failures, as they apply to one address.
type standing struct {
	// here and lastHere are the failures from the address and when the last one was.
	here     int
	lastHere time.Time
	// total and lastAny are the failures from every address and when the last one was.
	total   int
	lastAny time.Time
	// trusted is the address the person last signed in from.
	trusted string
}

func (l *limiter) standing(ctx context.Context, person, client string, now time.Time) (standing, error) {
	var st standing
	var trustedAt time.Time
	forget := now.Add(-failureMemory)
	err := l.store.SignInFailures(ctx, person, func(c string, n int, last, signedIn time.Time) {
		if signedIn.After(trustedAt) {
			st.trusted, trustedAt = c, signedIn
		}
		if n == 0 || !last.After(forget) {
			return
		}
		if c == client {
			st.here, st.lastHere = n, last
		}
		st.total += n
		if last.After(st.lastAny) {
			st.lastAny = last
		}
	})
	if err != nil {
		return st, fmt.Errorf("reading failed sign-ins: %w", err)
	}
	return st, nil
}

// wait is how long the address must wait before it may try the person again; 0 when it may now.
func (st standing) wait(client string, now time.Time) time.Duration {
	var wait time.Duration
	if until := st.lastHere.Add(lockFor(st.here, addressFailures)); st.here >= addressFailures && now.Before(until) {
		wait = until.Sub(now)
	}
	if until := st.lastAny.Add(lockFor(st.total, personFailures)); client != st.trusted && st.total >= personFailures && now.Before(until) {
		wait = max(wait, until.Sub(now))
	}
	return wait
}

// reserve decides whether an attempt to sign a person in from a client address may be checked:
// it returns how long to wait when not. An attempt that may be checked is counted, for a person
// who exists (known), as a failure until succeeded uncounts it. Only people who exist are
// counted, so that the store holds no more names than the staff.
func (l *limiter) reserve(ctx context.Context, person, client string, known bool, now time.Time) (time.Duration, error) {
	addr, host := clientKey(client, oneAddress), clientKey(client, oneHost)
	l.mu.Lock()
	defer l.mu.Unlock()
	var st standing
	if known {
		var err error
		if st, err = l.standing(ctx, person, addr, now); err != nil {
			return 0, err
		}
		if wait := st.wait(addr, now); wait > 0 {
			return wait, nil
		}
	}
	if wait := l.take(host, now); wait > 0 {
		return wait, nil
	}
	if known {
		if err := l.store.AddSignInFailure(ctx, person, addr, now, now.Add(-failureMemory)); err != nil {
			return 0, fmt.Errorf("counting a sign-in attempt: %w", err)
		}
	}
	return 0, nil
}

// succeeded uncounts an attempt reserve counted that proved right, with the other failures from
// the address: the person is who they say.
func (l *limiter) succeeded(ctx context.Context, person, client string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.store.SignedIn(ctx, person, clientKey(client, oneAddress), now); err != nil {
		return fmt.Errorf("clearing failed sign-ins: %w", err)
	}
	return nil
}

// take takes one attempt from the client's bucket; it returns how long to wait when it is
// empty.
func (l *limiter) take(client string, now time.Time) time.Duration {
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
		return time.Duration((1 - b.tokens) * float64(clientInterval))
	}
	b.tokens--
	return 0
}

// prune drops clients whose buckets are full again.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.clients {
		if now.Sub(b.last) > clientBurst*clientInterval {
			delete(l.clients, k)
		}
	}
}
