package netstore

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/internal/pgutil"
)

// The Idempotency-Keys of the hub's API (migration 0003), kept as the site's book keeps its
// own.

func scanIdempotency(rows pgx.Rows) (book.IdempotencyRecord, error) {
	var rec book.IdempotencyRecord
	var status, created int64
	err := rows.Scan(&rec.Principal, &rec.Key, &rec.RequestHash, &status, &rec.Response, &created)
	rec.Status, rec.CreatedAt = int(status), pgutil.FromMicros(created)
	if len(rec.Response) == 0 {
		rec.Response = nil // stored as an empty bytea
	}
	return rec, err
}

// Idempotency returns the record of principal's key; ok is false when there is none.
func (t *readTx) Idempotency(principal, key string) (book.IdempotencyRecord, bool, error) {
	recs, err := query(t, scanIdempotency, `SELECT principal, key, request_hash, status, response, created_at
		FROM network.idempotency WHERE principal = $1 AND key = $2`, principal, key)
	if err != nil || len(recs) == 0 {
		return book.IdempotencyRecord{}, false, wrap(err, "reading idempotency key %q of %q", key, principal)
	}
	return recs[0], true, nil
}

// PutIdempotency stores the record of a key, replacing the one its principal had of it.
func (t *writeTx) PutIdempotency(rec book.IdempotencyRecord) error {
	resp := rec.Response
	if resp == nil {
		resp = []byte{}
	}
	_, err := t.exec(`INSERT INTO network.idempotency (principal, key, request_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (principal, key) DO UPDATE SET request_hash = excluded.request_hash,
			status = excluded.status, response = excluded.response, created_at = excluded.created_at`,
		rec.Principal, rec.Key, rec.RequestHash, int64(rec.Status), resp, pgutil.Micros(rec.CreatedAt))
	return wrap(err, "storing idempotency key %q of %q", rec.Key, rec.Principal)
}

// ExpireIdempotency drops the records created before before.
func (t *writeTx) ExpireIdempotency(before time.Time) error {
	_, err := t.exec(`DELETE FROM network.idempotency WHERE created_at < $1`, pgutil.Micros(before))
	return wrap(err, "expiring idempotency keys")
}
