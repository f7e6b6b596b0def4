package uplink

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// withdraw gives up the orders the hub takes back: each that has not started leaves the
// site's book's open work; one that has started is kept. Either way its progress is reported,
// withdrawn or as it stands. The state records the withdrawals before the report leaves. When
// the book cannot be written for now, what was withdrawn so far is recorded and the error
// returned: the link hands the message over again, and withdrawing again changes nothing.
func (u *Uplink) withdraw(ctx context.Context, msg network.WithdrawOrders) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := network.Progresses{Orders: make([]network.Progress, 0, len(msg.Orders))}
	given := make(map[string]held)
	for _, w := range msg.Orders {
		p, gaveUp, err := u.giveUp(ctx, w)
		if err != nil {
			return errors.Join(err, u.record(given))
		}
		if gaveUp {
			given[w.OrderID] = held{Route: p.Route, Withdrawn: true}
		}
		u.log.Info("order taken back by the hub", "order", w.OrderID, "route", w.Route, "reason", w.Reason, "state", p.State)
		out.Orders = append(out.Orders, p)
	}
	if err := u.record(given); err != nil {
		return err
	}
	return u.send(network.KindProgress, out)
}

// giveUp withdraws one order from the book and returns its progress; gaveUp says the state
// must record the withdrawal. An order the site does not hold under the route taken back (it
// declined it, or holds it under a later route) is left as it is. Under mu.
func (u *Uplink) giveUp(ctx context.Context, w network.Withdrawal) (p network.Progress, gaveUp bool, err error) {
	// The version is read before the order: the state reported is at least as new.
	version, err := u.cfg.Book.LastEventID(ctx)
	if err != nil {
		return p, false, fmt.Errorf("reading the book's latest event: %w", err)
	}
	h, holds := u.st.Orders[w.OrderID]
	switch {
	case !holds:
		return network.Progress{OrderID: w.OrderID, Route: w.Route, State: network.Withdrawn, Version: version, At: u.cfg.Now().UTC()}, false, nil
	case h.Withdrawn || h.Route > w.Route:
		p, err = u.progress(ctx, w.OrderID, version)
		return p, false, err
	}
	reason := fmt.Sprintf("taken back by the network's hub (route %d)", w.Route)
	if w.Reason != "" {
		reason += ": " + cut(w.Reason, maxHubReason)
	}
	_, err = u.cfg.Book.Withdraw(ctx, w.OrderID, reason, Actor)
	switch {
	case errors.Is(err, book.ErrStarted):
		u.log.Info("order taken back by the hub has started: kept", "order", w.OrderID, "err", err)
		p, err = u.progress(ctx, w.OrderID, version)
		return p, false, err
	case errors.Is(err, book.ErrInvalid):
		// The book never withdraws it (a repair's order): it stays, as a started one does.
		u.log.Warn("order taken back by the hub cannot be withdrawn: kept", "order", w.OrderID, "err", err)
		p, err = u.progress(ctx, w.OrderID, version)
		return p, false, err
	case errors.Is(err, book.ErrUnknownOrder):
		return network.Progress{OrderID: w.OrderID, Route: h.Route, State: network.Withdrawn, Version: version, At: u.cfg.Now().UTC()}, true, nil
	case err != nil:
		return p, false, fmt.Errorf("withdrawing order %q (route %d): %w", w.OrderID, w.Route, err)
	}
	if version, err = u.cfg.Book.LastEventID(ctx); err != nil {
		return p, false, fmt.Errorf("reading the book's latest event: %w", err)
	}
	return network.Progress{OrderID: w.OrderID, Route: h.Route, State: network.Withdrawn, Version: version, At: u.cfg.Now().UTC()}, true, nil
}

// maxHubReason is how much of the hub's reason goes into the book's, which has a limit.
const maxHubReason = 300

// cut returns s cut to at most n characters, "..." marking a cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}
