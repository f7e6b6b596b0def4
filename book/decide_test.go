package book_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// estimated opens a counter repair of serial and diagnoses it with a cleaning.
func (fx *fixture) estimated(t *testing.T, serial string) (book.Repair, string) {
	t.Helper()
	r, link := fx.counter(t, book.RepairIntake{Serial: serial})
	r, err := fx.diagnose(t, r, "clean")
	if err != nil {
		t.Fatal(err)
	}
	return r, link
}

// repairEvents returns the kinds of a repair's events, in order.
func (fx *fixture) repairEvents(t *testing.T, id string) string {
	t.Helper()
	var kinds []string
	for _, e := range fx.events(t) {
		if e.OrderID == id && strings.HasPrefix(e.Kind, "repair.") {
			kinds = append(kinds, strings.TrimPrefix(e.Kind, "repair."))
		}
	}
	return strings.Join(kinds, " ")
}

// TestDecideOnce: approval makes one work order however often and however many times at once
// it is asked, and whatever is asked after a decision changes nothing and says what was
// decided.
func TestDecideOnce(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		first  book.Decision
		then   []book.Decision
		wantWO int // work orders of the repair's services
		want   string
	}{
		{name: "approve twice", first: book.Decision{Approve: true}, then: []book.Decision{{Approve: true}}, wantWO: 1,
			want: "approved standard"},
		{name: "approve then express", first: book.Decision{Approve: true}, then: []book.Decision{{Approve: true, Express: true}},
			wantWO: 1, want: "approved standard"},
		{name: "approve then decline", first: book.Decision{Approve: true}, then: []book.Decision{{}}, wantWO: 1,
			want: "approved standard"},
		{name: "decline then approve", first: book.Decision{}, then: []book.Decision{{Approve: true}}, wantWO: 0, want: "declined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx, serials := newRepairFixture(t, 1)
			r, link := fx.estimated(t, serials[0])
			if _, err := fx.book.Decide(ctx, link, tt.first, fx.clock.Now()); err != nil {
				t.Fatal(err)
			}
			before := fx.rowCounts(t)
			for _, d := range tt.then {
				_, err := fx.book.Decide(ctx, link, d, fx.clock.Now())
				var de *book.DecidedError
				if !errors.As(err, &de) || !errors.Is(err, book.ErrDecided) || de.Decision.String() != tt.want {
					t.Errorf("deciding %s again: %v, want it %s", d, err, tt.want)
				}
			}
			if after := fx.rowCounts(t); after != before {
				t.Errorf("a second decision changed the book: %s, before %s", after, before)
			}
			n := 0
			for _, wo := range fx.workOrders(t) {
				if wo.OrderID == r.ID+"-W" {
					n++
				}
			}
			if n != tt.wantWO {
				t.Errorf("%d work orders of the repair's services, want %d", n, tt.wantWO)
			}
		})
	}
}

// TestApproveTwentyAtOnce: twenty approvals at once make one work order; the others are told
// it was decided.
func TestApproveTwentyAtOnce(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, link := fx.estimated(t, serials[0])
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = fx.book.Decide(ctx, link, book.Decision{Approve: true, Express: i%2 == 1}, fx.clock.Now())
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, book.ErrDecided):
			t.Errorf("approval: %v", err)
		}
	}
	n := 0
	for _, wo := range fx.workOrders(t) {
		if wo.OrderID == r.ID+"-W" {
			n++
		}
	}
	if ok != 1 || n != 1 {
		t.Errorf("%d approvals took, %d work orders made; want 1 and 1", ok, n)
	}
	if got := fx.repairEvents(t, r.ID); got != "opened received estimated approved" {
		t.Errorf("events %s", got)
	}
}

// TestEstimateExpires: an estimate decided after its time is refused and stored as expired,
// once; the item can then be returned.
func TestEstimateExpires(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, link := fx.estimated(t, serials[0])
	fx.clock.Set(r.Estimate.ExpiresAt)
	if got, err := fx.book.Repair(ctx, r.ID); err != nil || got.State != book.RepairExpired {
		t.Errorf("at its expiry the repair is %s, %v", got.State, err)
	}
	for range 2 {
		_, err := fx.book.Decide(ctx, link, book.Decision{Approve: true}, fx.clock.Now())
		if !errors.Is(err, book.ErrEstimateExpired) {
			t.Errorf("approving an expired estimate: %v", err)
		}
	}
	if got := fx.repairEvents(t, r.ID); got != "opened received estimated expired" {
		t.Errorf("events %s", got)
	}
	if rs, err := fx.book.Repairs(ctx, book.RepairFilter{State: book.RepairExpired}); err != nil || len(rs) != 1 {
		t.Errorf("expired repairs: %v, %v", rs, err)
	}
	if got, err := fx.book.ReturnRepair(ctx, r.ID, "ines"); err != nil || got.State != book.RepairReturned {
		t.Errorf("returning it: %+v, %v", got, err)
	}
	// one second before expiry it could be approved
	fx2, serials2 := newRepairFixture(t, 1)
	r2, link2 := fx2.estimated(t, serials2[0])
	fx2.clock.Set(r2.Estimate.ExpiresAt.Add(-time.Second))
	if _, err := fx2.book.Decide(ctx, link2, book.Decision{Approve: true}, fx2.clock.Now()); err != nil {
		t.Errorf("approving a second before expiry: %v", err)
	}
}

// TestRepairLinks: a forged link finds nothing and decides nothing; a new link replaces the
// old one.
func TestRepairLinks(t *testing.T) {
	ctx := context.Background()
	fx, serials := newRepairFixture(t, 1)
	r, link := fx.estimated(t, serials[0])
	before := fx.rowCounts(t)
	forged := []string{"", "x", strings.Repeat("A", 43), link[:42] + "B", strings.Repeat("é", 100)}
	for _, f := range forged {
		if _, err := fx.book.RepairByLink(ctx, f); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("RepairByLink(%q) = %v, want not found", f, err)
		}
		if _, err := fx.book.Decide(ctx, f, book.Decision{Approve: true}, fx.clock.Now()); !errors.Is(err, book.ErrNotFound) {
			t.Errorf("Decide(%q) = %v, want not found", f, err)
		}
	}
	if after := fx.rowCounts(t); after != before {
		t.Errorf("forged links changed the book: %s, before %s", after, before)
	}
	fresh, err := fx.book.NewRepairLink(ctx, r.ID, "ines")
	if err != nil || fresh == link || len(fresh) != 43 {
		t.Fatalf("NewRepairLink = %q, %v", fresh, err)
	}
	if _, err := fx.book.RepairByLink(ctx, link); !errors.Is(err, book.ErrNotFound) {
		t.Errorf("the old link still works: %v", err)
	}
	if got, err := fx.book.RepairByLink(ctx, fresh); err != nil || got.ID != r.ID {
		t.Errorf("the new link: %s, %v", got.ID, err)
	}
}
