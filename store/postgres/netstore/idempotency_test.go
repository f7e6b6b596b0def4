package netstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// key is the record of a key of principal made at at.
func key(principal, k string, at time.Time) book.IdempotencyRecord {
	return book.IdempotencyRecord{Principal: principal, Key: k, RequestHash: "hash of " + k,
		Status: 201, Response: []byte(`{"drop":"winter","created":3}`), CreatedAt: at}
}

// idemOf reads the record of principal's key k.
func idemOf(t *testing.T, s *Store, principal, k string) (rec book.IdempotencyRecord, ok bool) {
	t.Helper()
	read(t, s, func(tx network.ReadTx) error {
		var err error
		rec, ok, err = tx.Idempotency(principal, k)
		return err
	})
	return rec, ok
}

// TestIdempotency: a key's record is stored and read back whole, is its principal's own, is
// replaced when put again, survives the store's reopening, and is dropped once expired.
func TestIdempotency(t *testing.T) {
	s, url := openTest(t)
	a, b := key("planner", "k-1", t0), key("admin", "k-1", t0.Add(time.Hour))
	b.Status, b.Response = 200, nil
	write(t, s, func(tx network.Tx) error {
		if err := tx.PutIdempotency(a); err != nil {
			return err
		}
		return tx.PutIdempotency(b)
	})
	want := a
	want.CreatedAt = stored(a.CreatedAt)
	got, ok := idemOf(t, s, "planner", "k-1")
	if !ok {
		t.Fatal("planner's k-1 is not held")
	}
	same(t, "planner's k-1", got, want)
	got, ok = idemOf(t, s, "admin", "k-1")
	wantB := b
	wantB.CreatedAt = stored(b.CreatedAt)
	same(t, "admin's k-1 (no body)", got, wantB)
	if _, ok := idemOf(t, s, "manager", "k-1"); ok {
		t.Error("manager's k-1 is held: a key is its principal's own")
	}
	if _, ok := idemOf(t, s, "planner", "k-\x00"); ok {
		t.Error("a key with a NUL byte is held")
	}

	// Put again, the record is replaced.
	a2 := key("planner", "k-1", t0.Add(2*time.Hour))
	a2.RequestHash, a2.Response = "another hash", []byte(`{}`)
	write(t, s, func(tx network.Tx) error { return tx.PutIdempotency(a2) })
	got, _ = idemOf(t, s, "planner", "k-1")
	if got.RequestHash != "another hash" || string(got.Response) != `{}` || !got.CreatedAt.Equal(stored(a2.CreatedAt)) {
		t.Errorf("planner's k-1 put again: %+v", got)
	}

	// Reopened (a restart), the store holds the keys; expired, those made before the time go.
	s.Close()
	s2, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	write(t, s2, func(tx network.Tx) error { return tx.ExpireIdempotency(t0.Add(time.Hour)) })
	if _, ok := idemOf(t, s2, "planner", "k-1"); !ok {
		t.Error("planner's k-1, made at t0+2h, was expired before t0+1h")
	}
	if _, ok := idemOf(t, s2, "admin", "k-1"); !ok {
		t.Error("admin's k-1, made at t0+1h, was expired before t0+1h")
	}
	write(t, s2, func(tx network.Tx) error { return tx.ExpireIdempotency(t0.Add(90 * time.Minute)) })
	if _, ok := idemOf(t, s2, "admin", "k-1"); ok {
		t.Error("admin's k-1, made at t0+1h, is held after expiring those before t0+1h30")
	}
}

// TestIdempotencyWithItsChange: a key put in a Write that fails afterwards is not stored, with
// nothing of the change it answers; put with its change, both are stored.
func TestIdempotencyWithItsChange(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	failed := errors.New("failed after the key")
	err := s.Write(ctx, func(tx network.Tx) error {
		if err := tx.InsertOrders([]network.Order{order("A-1", 1)}); err != nil {
			return err
		}
		if err := tx.PutIdempotency(key("planner", "k-1", t0)); err != nil {
			return err
		}
		return failed
	})
	wantErr(t, "the failed write", err, failed)
	if _, ok := idemOf(t, s, "planner", "k-1"); ok {
		t.Error("the key of a write that failed is held")
	}
	write(t, s, func(tx network.Tx) error {
		if err := tx.InsertOrders([]network.Order{order("A-1", 1)}); err != nil {
			return err
		}
		return tx.PutIdempotency(key("planner", "k-1", t0))
	})
	if _, ok := idemOf(t, s, "planner", "k-1"); !ok {
		t.Error("the key written with its batch is not held")
	}
	read(t, s, func(tx network.ReadTx) error {
		if _, ok, err := tx.Order("A-1"); !ok || err != nil {
			t.Errorf("the batch written with its key: ok %v, %v", ok, err)
		}
		return nil
	})
}
