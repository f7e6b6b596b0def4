package certify_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

type fixture struct {
	*booktest.Fixture
	keys   *provenance.KeyRing
	issuer *certify.Issuer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fx := booktest.New(t, "testdata/factory.yaml")
	keys, err := provenance.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Fixture: fx, keys: keys,
		issuer: certify.New(certify.Config{Book: fx.Book, Factory: fx.Factory, Keys: keys, Now: fx.Clock.Now})}
}

// make imports order id (one rug of customer Ines Q.) and works it through its routing, ana
// and ben acting, up to step steps; it returns the work order.
func (fx *fixture) make(t *testing.T, id string, steps int) book.WorkOrder {
	t.Helper()
	ctx := context.Background()
	rr, err := intake.NewCSV(strings.NewReader("order_id,sku,quantity,customer,notes\n" + id + ",RUG,1,Ines Q.,gift wrap please\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.Book.Import(ctx, book.ImportRequest{Drop: "winter", Rows: rr, Actor: "person:planner"}); err != nil {
		t.Fatal(err)
	}
	_, wo, err := fx.Book.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i := range steps {
		d, err := fx.Book.WorkOrder(ctx, wo.ID)
		if err != nil {
			t.Fatal(err)
		}
		op := d.Operations[i]
		for _, a := range []struct {
			action book.Action
			actor  book.Actor
		}{{book.ActionStart, "person:ben"}, {book.ActionPause, "person:ana"}, {book.ActionResume, "person:ana"}, {book.ActionComplete, "cell:x"}} {
			fx.Clock.Advance(10 * time.Minute)
			req := book.TransitionRequest{Operation: op.ID, Action: a.action, Actor: a.actor, Reason: "break"}
			if i == 0 && a.action == book.ActionStart {
				req.Lots = map[string]string{"yarn": "Y-17"}
			}
			if _, err := fx.Book.Transition(ctx, req); err != nil {
				t.Fatalf("%s operation %d: %v", a.action, op.ID, err)
			}
		}
	}
	_, wo, err = fx.Book.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return wo
}

func (fx *fixture) unit(t *testing.T, wo book.WorkOrder) certify.Unit {
	t.Helper()
	u, err := fx.issuer.Unit(context.Background(), wo.OrderID+"-1")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUnfinishedUnitHasNoCertificate(t *testing.T) {
	fx := newFixture(t)
	wo := fx.make(t, "R-1", 2)
	u := fx.unit(t, wo)
	if u.Finished || u.Certificate != nil {
		t.Fatalf("a unit two steps of three into its making: finished %v, certificate %d bytes", u.Finished, len(u.Certificate))
	}
	if got := len(u.Revision.Steps); got != 2 {
		t.Fatalf("its story so far has %d steps, want 2", got)
	}
	if revs, _ := fx.Book.CertificateRevisions(context.Background(), "R-1-1"); len(revs) != 0 {
		t.Fatalf("%d revisions issued for an unfinished unit", len(revs))
	}
}

func TestFinishedUnitIsCertifiedOnce(t *testing.T) {
	fx := newFixture(t)
	wo := fx.make(t, "R-2", 3)
	var wg sync.WaitGroup
	units := make([]certify.Unit, 20)
	for i := range units {
		wg.Go(func() {
			var err error
			if units[i], err = fx.issuer.Unit(context.Background(), "R-2-1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, u := range units {
		if !bytes.Equal(u.Certificate, units[0].Certificate) {
			t.Fatalf("request %d got another certificate than request 0", i)
		}
	}
	revs, err := fx.Book.CertificateRevisions(context.Background(), "R-2-1")
	if err != nil || len(revs) != 1 {
		t.Fatalf("20 requests at once issued %d revisions (%v), want 1", len(revs), err)
	}
	u := units[0]
	chain, err := provenance.Verify(u.Certificate, fx.keys.PublicKeys())
	if err != nil {
		t.Fatalf("the certificate does not verify: %v", err)
	}
	r := chain.Revisions[0].Revision
	if r.Studio.Name != "North Loft Weavers" || r.Product.Name != "Kilim rug" || r.Drop != "winter" || len(r.Steps) != 3 {
		t.Fatalf("revision = %+v", r)
	}
	if len(r.Lots.Made) != 1 || r.Lots.Made[0].Material != "Dye weft yarn" || !strings.HasPrefix(r.Lots.Made[0].ID, "dye-") ||
		len(r.Lots.Consumed) != 1 || r.Lots.Consumed[0] != (provenance.Lot{Material: "yarn", ID: "Y-17"}) {
		t.Fatalf("lots = %+v; want the dye bath's lot made and the yarn's consumed", r.Lots)
	}
	if d := r.Steps[0]; d.Name != "Dye weft yarn" || d.Cell != "Dye kitchen" || d.Machine != "" {
		t.Fatalf("the dye step = %+v, want the cell's name and no machine", d)
	}
	if w := r.Steps[1]; w.Machine != "loom-a" || w.Cell != "weave-1" || w.Params["pattern"] != 101 {
		t.Fatalf("the weave step = %+v", w)
	}
	for _, s := range r.Steps {
		// ben did not opt in to be named, the cell's actor is no person: ana only
		if len(s.Makers) != 1 || s.Makers[0] != "Ana" {
			t.Fatalf("step %s names makers %q, want [Ana]", s.Capability, s.Makers)
		}
	}
	for _, secret := range []string{"Ines", "gift wrap", "Ben", "ben", "Ana Lopes", "person:", "R-2\""} {
		if bytes.Contains(u.Certificate, []byte(secret)) {
			t.Errorf("the certificate holds %q", secret)
		}
	}
	// asked again with nothing changed: the same certificate, no new revision
	if again := fx.unit(t, wo); !bytes.Equal(again.Certificate, u.Certificate) {
		t.Fatal("asked again, the certificate changed")
	}
}

func TestTamperedStoreIsNotServed(t *testing.T) {
	fx := newFixture(t)
	wo := fx.make(t, "R-3", 3)
	fx.unit(t, wo)
	// an issuer with another key reads what this one stored: it does not verify
	other, err := provenance.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	iss := certify.New(certify.Config{Book: fx.Book, Factory: fx.Factory, Keys: other, Now: fx.Clock.Now})
	if _, err := iss.Unit(context.Background(), "R-3-1"); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("a stored certificate signed with an unknown key: %v", err)
	}
}

// TestStoreTamperedAfterReadIsNotServed: a certificate read and verified before, then changed
// in the store, is not served from what was verified: the change is found on the next read.
func TestStoreTamperedAfterReadIsNotServed(t *testing.T) {
	fx := newFixture(t)
	wo := fx.make(t, "R-8", 3)
	first := fx.unit(t, wo) // issued
	for range 2 {           // read back and verified, then read again
		if again := fx.unit(t, wo); !bytes.Equal(again.Certificate, first.Certificate) {
			t.Fatal("read again, the certificate changed")
		}
	}
	// the stored form's product renamed, in each store's dialect
	tamper := `UPDATE certificate_revisions SET form = CAST(replace(CAST(form AS TEXT), 'Kilim', 'Kelim') AS BLOB) WHERE serial = 'R-8-1'`
	if booktest.Kind(t) == booktest.KindPostgres {
		tamper = `UPDATE certificate_revisions SET form = convert_to(replace(convert_from(form, 'UTF8'), 'Kilim', 'Kelim'), 'UTF8') WHERE serial = 'R-8-1'`
	}
	if n := booktest.Exec(t, fx.Path, tamper); n != 1 {
		t.Fatalf("changing the stored revision: %d rows", n)
	}
	if u, err := fx.issuer.Unit(context.Background(), "R-8-1"); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("a stored revision changed after it was read: %v (product %q)", err, u.Revision.Product.Name)
	}
}

// TestChangedStoryIsANewRevision: once the story changes (here the product's name), the next
// request issues revision 2, naming revision 1's hash, and the certificate verifies whole.
func TestChangedStoryIsANewRevision(t *testing.T) {
	fx := newFixture(t)
	wo := fx.make(t, "R-4", 3)
	first := fx.unit(t, wo)
	renamed := *fx.Factory
	renamed.Products = append([]configs.Product(nil), fx.Factory.Products...)
	renamed.Products[0].Name = "Kilim rug, hand-knotted"
	fx.Clock.Advance(24 * time.Hour)
	fx.issuer = certify.New(certify.Config{Book: fx.Book, Factory: &renamed, Keys: fx.keys, Now: fx.Clock.Now})
	u := fx.unit(t, wo)
	chain, err := provenance.Verify(u.Certificate, fx.keys.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	if len(chain.Revisions) != 2 || u.Revision.Number != 2 || u.Revision.Product.Name != "Kilim rug, hand-knotted" {
		t.Fatalf("after the change: %d revisions, newest %d %q", len(chain.Revisions), u.Revision.Number, u.Revision.Product.Name)
	}
	prev, err := chain.Revisions[0].Hash()
	if err != nil {
		t.Fatal(err)
	}
	if u.Revision.Previous != prev {
		t.Fatalf("revision 2 names %s, not revision 1's hash %s", u.Revision.Previous, prev)
	}
	if old, err := provenance.Verify(first.Certificate, fx.keys.PublicKeys()); err != nil || len(old.Revisions) != 1 {
		t.Fatalf("the first certificate no longer verifies alone: %v", err)
	}
}

// TestNotesAndPhotos: the certificate holds the public notes and photos of the unit (on every
// unit of its work order or on it alone), with their author's public name where they opted
// in; never a private one, nor one of another unit. A note added later is a new revision.
func TestNotesAndPhotos(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	wo := fx.make(t, "R-5", 3)
	d, err := fx.Book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	dye, weave := d.Operations[0].ID, d.Operations[1].ID
	notes := []book.NoteRequest{
		{Operation: dye, Text: "Madder took well", Actor: "person:ana"},
		{Operation: weave, Text: "Tension re-set twice", Actor: "person:ben"},
		{Operation: weave, Text: "customer asked for a discount", Private: true, Actor: "person:ana"},
		{Operation: weave, Unit: 2, Text: "unit two has a knot", Actor: "person:ana"},
	}
	for _, n := range notes {
		if n.Unit > wo.Quantity {
			continue // R-5 makes one rug: a note on a second unit is refused
		}
		if _, _, err := fx.Book.AddNote(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	photo := func(b byte, private bool) book.PhotoRequest {
		return book.PhotoRequest{Operation: weave, Hash: strings.Repeat(string("0123456789abcdef"[b]), 64), MediaType: "image/jpeg",
			Width: 640, Height: 480, Private: private, Actor: "person:ana"}
	}
	for _, p := range []book.PhotoRequest{photo(1, false), photo(2, true)} {
		if _, _, err := fx.Book.AddPhoto(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	u := fx.unit(t, wo)
	r := u.Revision
	if len(r.Notes) != 2 || r.Notes[0].Text != "Madder took well" || r.Notes[0].Author != "Ana" ||
		r.Notes[1].Text != "Tension re-set twice" || r.Notes[1].Author != "" {
		t.Fatalf("notes = %+v; want ana's named, ben's unnamed, no private one", r.Notes)
	}
	if len(r.Photos) != 1 || r.Photos[0].SHA256 != strings.Repeat("1", 64) {
		t.Fatalf("photos = %+v; want the public one only", r.Photos)
	}
	for _, secret := range []string{"discount", strings.Repeat("2", 64), "Ben"} {
		if bytes.Contains(u.Certificate, []byte(secret)) {
			t.Errorf("the certificate holds %q", secret)
		}
	}
	fx.Clock.Advance(time.Hour)
	if _, _, err := fx.Book.AddNote(ctx, book.NoteRequest{Operation: weave, Text: "Washed again on request", Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	if again := fx.unit(t, wo); again.Revision.Number != 2 || len(again.Revision.Notes) != 3 {
		t.Fatalf("after a note: revision %d with %d notes, want 2 with 3", again.Revision.Number, len(again.Revision.Notes))
	}
}

// TestReadings: a step's certificate holds its machine's reading summaries, the hold time in
// seconds.
func TestReadings(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	wo := fx.make(t, "R-6", 3)
	d, err := fx.Book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rs book.ReadingSummary
	rs.Quantity, rs.Unit, rs.Tolerance = "temperature", "°C", 1
	at := d.Operations[0].StartedAt.Add(time.Minute)
	for i, v := range []float64{20, 40, 54.6, 55, 55.4, 55.2} {
		rs.Add(at.Add(time.Duration(i)*15*time.Minute), v)
	}
	rs.Close()
	if err := fx.Book.RecordReadings(ctx, d.Operations[0].ID, []book.ReadingSummary{rs}); err != nil {
		t.Fatal(err)
	}
	got := fx.unit(t, wo).Revision.Steps[0].Readings
	want := []provenance.Reading{{Quantity: "temperature", Unit: "°C", Min: 20, Max: 55.4, Held: 55.05, HeldSeconds: 2700}}
	if len(got) != 1 || got[0].Quantity != want[0].Quantity || got[0].Min != 20 || got[0].Max != 55.4 ||
		got[0].HeldSeconds != 2700 || got[0].Held < 55.04 || got[0].Held > 55.06 {
		t.Fatalf("readings = %+v, want %+v", got, want)
	}
}

// TestUnknownAndScrappedUnits have no story to tell.
func TestUnknownAndScrappedUnits(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t)
	wo := fx.make(t, "R-7", 1) // dyed: the unit is counted
	d, err := fx.Book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.issuer.Unit(ctx, "R-7-1"); err != nil {
		t.Fatalf("a unit being made: %v", err)
	}
	weave := d.Operations[1].ID
	fx.Clock.Advance(time.Minute)
	if _, err := fx.Book.Transition(ctx, book.TransitionRequest{Operation: weave, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.Book.Transition(ctx, book.TransitionRequest{Operation: weave, Action: book.ActionScrap, Actor: "person:ana", Reason: "weave-fault"}); err != nil {
		t.Fatal(err)
	}
	for _, serial := range []string{"R-7-1", "R-7-2", "nothing", ""} {
		if _, err := fx.issuer.Unit(ctx, serial); !errors.Is(err, certify.ErrUnknownUnit) {
			t.Errorf("Unit(%q) = %v, want ErrUnknownUnit", serial, err)
		}
	}
}
