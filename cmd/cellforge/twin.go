package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/postgres"
)

// Two daemons, one floor. Daemons whose order book is one PostgreSQL database serve the same
// pages and API; each cell is driven by one of them at a time, under a lease in the database
// (see floor and lease), and what must run once for the site under the site lease (see site).
// Each hears the others' writes (hearOthers), so that its live pages, planner and controllers
// follow them.
//
// What they do not share through the database lives in the data directory (--data). Each
// daemon has a data directory of its own, since its telemetry queues (telemetry/) are its own,
// and two of them must share the rest:
//
//   - the signing key of the units' certificates (keys/, see openKeyRing), so that a label
//     printed under one daemon verifies on the other: one keys directory both see (a link to
//     shared storage), or a key file the factory names (provenance: signing_key), which both
//     read; the first daemon to start makes the key when there is none, so start one first;
//   - the makers' photos (photos/), so that a photo uploaded through one daemon shows through
//     the other: one photos directory both see.
//
// The failover test (failover_test.go) runs two daemons so, B's keys and photos linked to A's.

// daemonTag tells this daemon from the others that share its store, for what must differ between
// them outside the book: their MQTT client ids, since a broker takes two sessions of one client
// id for one client and drops the older each time the other connects. It is 8 hex digits of the
// SHA-256 of holder (its host and data directory: the same across its restarts, so that its
// persistent session at the broker is found again), or "" on a store no other daemon shares
// (SQLite), whose client ids stay the factory file's.
func daemonTag(st daemonStore, holder string) string {
	if _, shared := st.(changeFeed); !shared {
		return ""
	}
	sum := sha256.Sum256([]byte(holder))
	return hex.EncodeToString(sum[:4])
}

// changeFeed is a store that tells of the writes other processes commit to it.
type changeFeed interface {
	Changes(ctx context.Context, fn func())
}

var _ changeFeed = (*postgres.Store)(nil)

// hearOthers refreshes b after the writes other daemons commit to st, until ctx ends: b then
// keeps what it holds in memory (the cells out of service) in step and wakes its readers. A
// burst of writes makes one refresh at a time, the last after the burst. With a store no other
// process writes (SQLite) it only waits for ctx to end.
func hearOthers(ctx context.Context, st daemonStore, b *book.Book, logger *slog.Logger) error {
	feed, ok := st.(changeFeed)
	if !ok {
		<-ctx.Done()
		return nil
	}
	heard := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		feed.Changes(ctx, func() {
			select {
			case heard <- struct{}{}:
			default:
			}
		})
	}()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case <-heard:
			if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("reading another daemon's writes", "err", err)
			}
		}
	}
}

// underSite makes the book part of the telemetry one of the site's duties: its points (the
// book's events, the drops, OEE, repairs) are published once for the site, by the daemon
// holding the site lease, which goes on following the event log from the cursor the last
// holder left in the book when it takes the lease. The floor part (devices, the cells' states)
// runs in every daemon for the cells it drives.
func (t *telemetryStack) underSite(s *site) {
	t.collect = s.duty("telemetry-collector", t.bookPart.Prime, t.bookPart.Run)
}
