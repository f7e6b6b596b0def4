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
// key in one transaction, runs fn, and stores the answer in another. While fn runs, and forever
// (until the key expires after a day) if the daemon stops before the answer is stored, the key
// answers ErrIdempotencyInProgress: the effect may or may not have happened, so the client
// must look (at the cell, at the printer) before retrying under a new key, rather than the
// label being printed twice. When fn returns an error the reservation is released, so the
// same key may be retried: fn must return an error only when it had no effect, and report an
// effect that went partly wrong as a status and body.
func (b *Book) Once(ctx context.Context, idem *Idempotency, fn func() (status int, body []byte, err error)) (status int, body []byte, replayed bool, err error) {
	if idem == nil || idem.Key == "" {
		status, body, err = fn()
		return status, body, false, err
	}
	var rec IdempotencyRecord
	var found bool
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.clock()
		r, ok, err := tx.Idempotency(idem.Principal, idem.Key)
		if err != nil {
			return fmt.Errorf("looking up idempotency key: %w", err)
		}
		if ok && r.CreatedAt.After(now.Add(-idempotencyTTL)) {
			rec, found = r, true
			return nil
		}
		return tx.PutIdempotency(IdempotencyRecord{
			Principal: idem.Principal, Key: idem.Key, RequestHash: idem.RequestHash,
			Status: onceInProgress, CreatedAt: now,
		})
	})
	switch {
	case err != nil:
		return 0, nil, false, fmt.Errorf("reserving idempotency key: %w", err)
	case found && rec.RequestHash != idem.RequestHash:
		return 0, nil, false, ErrIdempotencyMismatch
	case found && rec.Status == onceInProgress:
		return 0, nil, false, ErrIdempotencyInProgress
	case found:
		return rec.Status, rec.Response, true, nil
	}

	status, body, err = fn()
	// The answer is stored even when the request's context has ended: fn's effect happened.
	store := context.WithoutCancel(ctx)
	if err != nil {
		// Released as expired, so that a retry with the key runs fn again.
		if rerr := b.putOnce(store, idem, onceInProgress, nil, time.Time{}); rerr != nil {
			b.log.Warn("releasing idempotency key", "key", idem.Key, "err", rerr)
		}
		return 0, nil, false, err
	}
	if err := b.putOnce(store, idem, status, body, b.clock()); err != nil {
		// fn's effect happened: answer it. A retry with the key finds it still in progress.
		b.log.Warn("remembering idempotency key", "key", idem.Key, "err", err)
	}
	return status, body, false, nil
}

// putOnce stores the record of an idempotency key in its own transaction.
func (b *Book) putOnce(ctx context.Context, idem *Idempotency, status int, body []byte, at time.Time) error {
	return b.store.Write(ctx, func(tx Tx) error {
		return tx.PutIdempotency(IdempotencyRecord{
			Principal: idem.Principal, Key: idem.Key, RequestHash: idem.RequestHash,
			Status: status, Response: body, CreatedAt: at,
		})
	})
}
