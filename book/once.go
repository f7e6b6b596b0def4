package book

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrIdempotencyInProgress is returned by Once when the first request made with an
// Idempotency-Key has not answered yet (or never did: the daemon stopped while it ran).
var ErrIdempotencyInProgress = errors.New("a request with this idempotency key is still in progress")

// onceInProgress is the status of a key reserved by Once whose request has not answered yet.
const onceInProgress = 0

// Once runs fn at most once per Idempotency-Key, for a request whose effect is outside the
// book (printing a label, telling a cell controller about a fault), and remembers its answer:
// a retry with the same key and request gets the remembered status and body with replayed
// true, without running fn; a retry with the same key and another request gets
// ErrIdempotencyMismatch. Without a key (idem nil or its Key empty) fn simply runs.
//
// fn's effect cannot share a store transaction, so Once chooses at most once: it reserves the
// key in one transaction, runs fn, and stores the answer in another. A request with the key
// that comes while fn runs (a double tap, a retry after a lost answer) waits for that answer
// and gets it replayed, or runs fn itself if the first run failed; it stops waiting when its
// own ctx ends. A key reserved by a daemon that stopped before the answer was stored answers
// ErrIdempotencyInProgress (until it expires after a day): the effect may or may not have
// happened, so the client must look (at the cell, at the printer) before retrying under a new
// key, rather than the label being printed twice. When fn returns an error the reservation is
// released, so the same key may be retried: fn must return an error only when it had no
// effect, and report an effect that went partly wrong as a status and body. A release or an
// answer that the store cannot take as fn returns (its database away) stands for the key in
// this process until the store takes it, so that a retry after an outage is run again or
// answered, not refused as still in progress.
func (b *Book) Once(ctx context.Context, idem *Idempotency, fn func() (status int, body []byte, err error)) (status int, body []byte, replayed bool, err error) {
	if idem == nil || idem.Key == "" {
		status, body, err = fn()
		return status, body, false, err
	}
	k := onceKey{principal: idem.Principal, key: idem.Key}
	var mine chan struct{}
	for mine == nil {
		rec, found, wait, ours, err := b.reserveOnce(ctx, idem, k)
		switch {
		case err != nil:
			return 0, nil, false, fmt.Errorf("reserving idempotency key: %w", err)
		case found && rec.RequestHash != idem.RequestHash:
			return 0, nil, false, ErrIdempotencyMismatch
		case wait != nil:
			// Answered or released: look again.
			select {
			case <-wait:
			case <-ctx.Done():
				return 0, nil, false, fmt.Errorf("%w: %w", ErrIdempotencyInProgress, ctx.Err())
			}
		case found && rec.Status == onceInProgress:
			return 0, nil, false, ErrIdempotencyInProgress
		case found:
			return rec.Status, rec.Response, true, nil
		}
		mine = ours
	}
	// The key is ours: whoever waits for it is told when its answer is stored or it is freed.
	defer b.endOnce(k, mine)

	status, body, err = fn()
	// The answer is stored even when the request's context has ended: fn's effect happened.
	store := context.WithoutCancel(ctx)
	if err != nil {
		// Released as expired, so that a retry with the key runs fn again.
		b.putOnce(store, k, once(idem, onceInProgress, nil, time.Time{}))
		return 0, nil, false, err
	}
	b.putOnce(store, k, once(idem, status, body, b.clock()))
	return status, body, false, nil
}

// once is the record of a key's run.
func once(idem *Idempotency, status int, body []byte, at time.Time) IdempotencyRecord {
	return IdempotencyRecord{
		Principal: idem.Principal, Key: idem.Key, RequestHash: idem.RequestHash,
		Status: status, Response: body, CreatedAt: at,
	}
}

// onceKey names an idempotency key: keys are their principal's own.
type onceKey struct{ principal, key string }

// reserveOnce looks up an idempotency key in one transaction: found with its record when it
// was used within its time to live, with wait set when its run is under way in this process;
// else it reserves the key for the caller and marks its run as under way with mine, which
// the caller passes to endOnce when the run ends.
func (b *Book) reserveOnce(ctx context.Context, idem *Idempotency, k onceKey) (rec IdempotencyRecord, found bool, wait <-chan struct{}, mine chan struct{}, err error) {
	var stored bool // the record kept of the key was stored
	err = b.store.Write(ctx, func(tx Tx) error {
		stored = false
		// Inside the transaction, so that the record and the runs agree: a run ends (below,
		// in Once) only after the transaction that stores its answer committed.
		b.onceMu.Lock()
		defer b.onceMu.Unlock()
		now := b.clock()
		r, ok, err := tx.Idempotency(idem.Principal, idem.Key)
		if err != nil {
			return fmt.Errorf("looking up idempotency key: %w", err)
		}
		if kept, held := b.onceKept[k]; held && b.running[k] == nil {
			// A run here ended while the store could not take its record: the record kept
			// is the key's, and is stored now.
			if err := tx.PutIdempotency(kept); err != nil {
				return err
			}
			r, ok, stored = kept, true, true
		}
		if ok && r.CreatedAt.After(now.Add(-IdempotencyTTL)) {
			rec, found = r, true
			if r.Status == onceInProgress && r.RequestHash == idem.RequestHash {
				wait = b.running[k]
			}
			return nil
		}
		if err := tx.PutIdempotency(IdempotencyRecord{
			Principal: idem.Principal, Key: idem.Key, RequestHash: idem.RequestHash,
			Status: onceInProgress, CreatedAt: now,
		}); err != nil {
			return err
		}
		mine = make(chan struct{})
		b.running[k] = mine
		return nil
	})
	if err != nil && mine != nil {
		// The reservation did not commit: nobody waits for a run that will not happen.
		b.endOnce(k, mine)
		mine = nil
	}
	if err == nil && stored {
		b.onceMu.Lock()
		delete(b.onceKept, k)
		b.onceMu.Unlock()
	}
	return rec, found, wait, mine, err
}

// endOnce ends the run of key k that reserveOnce marked with mine: its waiters look again. A
// key released by a failed run may be reserved again before endOnce, by a run of its own.
func (b *Book) endOnce(k onceKey, mine chan struct{}) {
	b.onceMu.Lock()
	defer b.onceMu.Unlock()
	close(mine)
	if b.running[k] == mine {
		delete(b.running, k)
	}
}

// putOnce stores the record of key k's run in its own transaction. A record the store cannot
// take (its database away) is kept, so that a retry with the key finds it released or answered
// rather than in progress until it expires, and stored with the key's next reservation.
func (b *Book) putOnce(ctx context.Context, k onceKey, rec IdempotencyRecord) {
	b.onceMu.Lock()
	delete(b.onceKept, k)
	b.onceMu.Unlock()
	err := b.store.Write(ctx, func(tx Tx) error { return tx.PutIdempotency(rec) })
	if err == nil {
		return
	}
	b.log.Warn("storing the record of an idempotency key: kept until the store takes it", "key", k.key, "err", err)
	b.onceMu.Lock()
	b.onceKept[k] = rec
	b.onceMu.Unlock()
}
