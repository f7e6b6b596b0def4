package main

import (
	"context"
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
// What they do not share through the database lives in the data directory, which the daemons
// must therefore share too (one directory on shared storage, or copies kept in step): the
// signing key of the units' certificates (keys/, see openKeyRing), so that a label printed
// under one daemon verifies on the other, and the makers' photos (photos/), so that a photo
// uploaded through one daemon shows through the other. The telemetry queues (telemetry/) are
// each daemon's own and must not be shared: give each daemon its own data directory with the
// keys and photos shared in it, or its own telemetry client id.

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

// underSite makes the telemetry collector one of the site's duties: its points (the book's
// events, the cells, the drops, OEE) are published once for the site, by the daemon holding
// the site lease, which starts following the event log from where it stands when it takes
// the lease.
func (t *telemetryStack) underSite(s *site) {
	t.collect = s.duty("telemetry-collector", t.collector.Prime, t.collector.Run)
}
