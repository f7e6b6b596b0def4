package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/cellforge/cellforge/book"
)

// The hub's Idempotency-Keys, kept in its book as a site's book keeps its own (book.Idempotency):
// the first answer to a batch or a repair request made with a key is stored in the transaction
// that stores the batch or the repair, so that no crash can leave one without the other, and a
// retry with the key and the same request gets that answer again, after a restart too; a retry
// with another request is book.ErrIdempotencyMismatch. A key is remembered for
// book.IdempotencyTTL. A request the hub refused leaves no key behind: it may be retried, as
// it is or mended, under the same key.

// remembered returns the record of idem's key when it was made within book.IdempotencyTTL
// before now for the same request; book.ErrIdempotencyMismatch when it was made for another.
func remembered(tx ReadTx, idem *book.Idempotency, now time.Time) (rec book.IdempotencyRecord, found bool, err error) {
	if idem == nil || idem.Key == "" {
		return book.IdempotencyRecord{}, false, nil
	}
	rec, ok, err := tx.Idempotency(idem.Principal, idem.Key)
	switch {
	case err != nil:
		return book.IdempotencyRecord{}, false, fmt.Errorf("looking up idempotency key %q: %w", idem.Key, err)
	case !ok || !rec.CreatedAt.After(now.Add(-book.IdempotencyTTL)):
		return book.IdempotencyRecord{}, false, nil
	case rec.RequestHash != idem.RequestHash:
		return book.IdempotencyRecord{}, false, fmt.Errorf("idempotency key %q: %w", idem.Key, book.ErrIdempotencyMismatch)
	}
	return rec, true, nil
}

// remember stores, under idem's key, the answer the hub's API gives: status and v as JSON.
// Without a key it does nothing.
func remember(tx Tx, idem *book.Idempotency, now time.Time, status int, v any) error {
	if idem == nil || idem.Key == "" {
		return nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the answer of idempotency key %q: %w", idem.Key, err)
	}
	err = tx.PutIdempotency(book.IdempotencyRecord{Principal: idem.Principal, Key: idem.Key,
		RequestHash: idem.RequestHash, Status: status, Response: body, CreatedAt: now})
	if err != nil {
		return fmt.Errorf("remembering idempotency key %q: %w", idem.Key, err)
	}
	return nil
}

// replay decodes the answer remembered in rec into v.
func replay(rec book.IdempotencyRecord, v any) error {
	if err := json.Unmarshal(rec.Response, v); err != nil {
		return fmt.Errorf("decoding the answer remembered of idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

// withHash returns idem, or a copy of it with the request's hash set to hash when it has none,
// so that the request's content stands for it.
func withHash(idem *book.Idempotency, hash string) *book.Idempotency {
	if idem == nil || idem.Key == "" || idem.RequestHash != "" {
		return idem
	}
	c := *idem
	c.RequestHash = hash
	return &c
}

// The statuses the hub's API answers with, remembered with their keys.
const (
	statusCreated = http.StatusCreated // a batch taken, a repair stored
	statusHeld    = http.StatusOK      // a repair request the hub held already
)

// ExpireIdempotency forgets the Idempotency-Keys made more than book.IdempotencyTTL ago.
func (h *Rules) ExpireIdempotency(ctx context.Context) error {
	before := h.now().Add(-book.IdempotencyTTL)
	return h.store.Write(ctx, func(tx Tx) error { return tx.ExpireIdempotency(before) })
}
