package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// newManagerRepairSite is a site of testdata/repairs-manager.yaml (the web test studio with a repair corner
// and an aftercare section) with one finished scarf, u-1-1, of Zoë Quist.
func newManagerRepairSite(t *testing.T) *site {
	t.Helper()
	s := newSiteOf(t, "testdata/repairs-manager.yaml", nil)
	s.importCSV(t, "order_id,sku,quantity,customer\nu-1,SCARF,1,Zoë Quist\n")
	s.work(t, "u-1", 0, 2)
	return s
}

// open opens a repair through the book: at the counter, or requested on the public page.
func (s *site) open(t *testing.T, source book.RepairSource, serial string) (book.Repair, string) {
	t.Helper()
	r, link, err := s.book.OpenRepair(context.Background(), book.RepairIntake{Source: source, Serial: serial,
		Customer: "Zoë Quist", Contact: "zoe@example.com", Description: "a stain", Actor: "person:max"})
	if err != nil {
		t.Fatal(err)
	}
	return r, link
}

var linkRE = regexp.MustCompile(`id="repair-link-url" type="text" readonly value="([^"]+)"`)

// TestRepairPagesShowEachStateAndAct: a repair's page shows what the counter may do in its
// state and does it once; an action its state does not allow is refused with why, and a
// second tap too; a repair of no id is not found.
func TestRepairPagesShowEachStateAndAct(t *testing.T) {
	s := newManagerRepairSite(t)
	b := s.browser(t)
	if p := b.signIn("max", "loom-and-lantern"); p.status != http.StatusOK {
		t.Fatalf("signing in: %d", p.status)
	}
	public, oldLink := s.open(t, book.SourcePublic, "u-1-1")
	counter, _ := s.open(t, book.SourceCounter, "u-1-1")

	t.Run("a requested repair offers to receive it", func(t *testing.T) {
		p := b.get("/manager/repairs/" + public.ID)
		if p.status != http.StatusOK || !strings.Contains(p.body, `data-state="requested"`) || !strings.Contains(p.body, `id="repair-receive"`) ||
			strings.Contains(p.body, `id="repair-return"`) || !strings.Contains(p.body, "zoe@example.com") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
	for _, tc := range []struct {
		name, path, want string
		status           int
	}{
		{"returning a requested repair", "/manager/repairs/" + public.ID + "/return", "it cannot be returned", http.StatusConflict},
		{"receiving a repair received at the counter", "/manager/repairs/" + counter.ID + "/receive", "is received: it cannot be received", http.StatusConflict},
		{"receiving a repair of no id", "/manager/repairs/R-000404/receive", "There is no repair", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.form(tc.path, nil)
			if p.status != tc.status || !strings.Contains(p.body, tc.want) || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%d, want %d saying %q:\n%s", p.status, tc.status, tc.want, p.body)
			}
		})
	}
	t.Run("receiving the parcel, then again", func(t *testing.T) {
		p := b.form("/manager/repairs/"+public.ID+"/receive", nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, `data-state="received"`) || !strings.Contains(p.body, `id="repair-done"`) ||
			!strings.Contains(p.body, "Diagnosis: ") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
		again := b.form("/manager/repairs/"+public.ID+"/receive", nil)
		if again.status != http.StatusConflict || !strings.Contains(again.body, "is received: it cannot be received") {
			t.Fatalf("a second tap: %d\n%s", again.status, again.body)
		}
		r, err := s.book.Repair(context.Background(), public.ID)
		if err != nil || r.DiagnosisWorkOrder == 0 {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("a new customer link, shown once", func(t *testing.T) {
		p := b.form("/manager/repairs/"+public.ID+"/link", nil)
		m := linkRE.FindStringSubmatch(p.body)
		if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, "stops working") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
		u, err := url.Parse(m[1])
		if err != nil || !strings.HasPrefix(u.Path, "/r/") {
			t.Fatalf("the link %q: %v", m[1], err)
		}
		ctx := context.Background()
		if r, err := s.book.RepairByLink(ctx, strings.TrimPrefix(u.Path, "/r/")); err != nil || r.ID != public.ID {
			t.Errorf("the new link finds %+v, %v", r, err)
		}
		if _, err := s.book.RepairByLink(ctx, oldLink); err == nil {
			t.Error("the old link still works")
		}
		if again := b.get("/manager/repairs/" + public.ID); linkRE.MatchString(again.body) {
			t.Error("the link shows again")
		}
	})
	t.Run("a repair of no id", func(t *testing.T) {
		if p := b.get("/manager/repairs/R-000404"); p.status != http.StatusNotFound || !strings.Contains(p.body, "There is no repair") {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
	})
	t.Run("a planner may read but not act", func(t *testing.T) {
		pb := s.browser(t)
		pb.signIn("pia", "weft-and-warp")
		if p := pb.get("/manager/repairs/" + counter.ID); p.status != http.StatusOK || strings.Contains(p.body, `id="repair-actions"`) {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
		if p := pb.form("/manager/repairs/"+counter.ID+"/link", nil); p.status != http.StatusForbidden {
			t.Fatalf("a planner's new link: %d", p.status)
		}
	})
	t.Run("the list counts each state and finds by customer", func(t *testing.T) {
		p := b.get("/manager/repairs?state=all&q=quist")
		if p.status != http.StatusOK || !strings.Contains(p.body, `data-state="received" data-count="2"`) ||
			!strings.Contains(p.body, `data-repair="`+public.ID+`"`) || !strings.Contains(p.body, `data-repair="`+counter.ID+`"`) {
			t.Fatalf("%d\n%s", p.status, p.body)
		}
		if p := b.get("/manager/repairs?q=nobody"); !strings.Contains(p.body, `id="repairs-empty"`) {
			t.Fatalf("a search of no repair:\n%s", p.body)
		}
		if p := b.get("/manager/repairs?state=lost"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "is not a state of a repair") {
			t.Fatalf("a state of none: %d\n%s", p.status, p.body)
		}
	})
}

// TestRepairReturnedFromDeclinedOnce: a declined repair offers the return, and a second
// return is refused with why.
func TestRepairReturnedFromDeclinedOnce(t *testing.T) {
	s := newManagerRepairSite(t)
	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	r, link := s.open(t, book.SourceCounter, "u-1-1")
	ctx := context.Background()
	op := s.diagnosisOp(t, r)
	if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.book.Diagnose(ctx, book.DiagnoseRequest{Repair: r.ID, Operation: op, Standard: s.pages.cfg.Now().Add(72 * time.Hour), Findings: "a wine stain", Services: []string{"clean"}, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/manager/repairs/" + r.ID); !strings.Contains(p.body, `data-state="estimated"`) || !strings.Contains(p.body, `id="repair-estimate"`) ||
		!strings.Contains(p.body, "a wine stain") || strings.Contains(p.body, `id="repair-return"`) {
		t.Fatalf("an estimated repair:\n%s", p.body)
	}
	if _, err := s.book.Decide(ctx, link, book.Decision{}, s.pages.cfg.Now()); err != nil {
		t.Fatal(err)
	}
	p := b.get("/manager/repairs/" + r.ID)
	if !strings.Contains(p.body, `data-state="declined"`) || !strings.Contains(p.body, `id="repair-return"`) || !strings.Contains(p.body, "The customer declined") {
		t.Fatalf("a declined repair:\n%s", p.body)
	}
	if p := b.form("/manager/repairs/"+r.ID+"/return", nil); p.status != http.StatusOK || !strings.Contains(p.body, `data-state="returned"`) {
		t.Fatalf("returning: %d\n%s", p.status, p.body)
	}
	if p := b.form("/manager/repairs/"+r.ID+"/return", nil); p.status != http.StatusConflict || !strings.Contains(p.body, "is returned: it cannot be returned") {
		t.Fatalf("returning again: %d\n%s", p.status, p.body)
	}
}

// diagnosisOp is the operation of a repair's diagnosis work order.
func (s *site) diagnosisOp(t *testing.T, r book.Repair) int64 {
	t.Helper()
	r, err := s.book.Repair(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.book.WorkOrder(context.Background(), r.DiagnosisWorkOrder)
	if err != nil || len(d.Operations) != 1 {
		t.Fatalf("the diagnosis work order: %+v %v", d, err)
	}
	return d.Operations[0].ID
}

// TestCounterIntake: the intake form takes a finished unit in by its serial, or an item not
// made here with its kind; the kind's checklist follows what is typed; bad input shows the
// form again, naming the field, and stores nothing.
func TestCounterIntake(t *testing.T) {
	s := newManagerRepairSite(t)
	b := s.browser(t)
	b.signIn("ada", "shuttle-and-heddle")
	if p := b.get("/manager/repairs/checklist?serial=u-1-1"); !strings.Contains(p.body, `name="checklist.stains"`) {
		t.Fatalf("the checklist of a unit's kind:\n%s", p.body)
	}
	if p := b.get("/manager/repairs/checklist?kind=ring"); !strings.Contains(p.body, `name="checklist.size"`) || strings.Contains(p.body, "checklist.stains") {
		t.Fatalf("the checklist of a kind:\n%s", p.body)
	}
	// fetched again with the answers given, it keeps them
	if p := b.get("/manager/repairs/checklist?serial=u-1-1&checklist.stains=yes"); !strings.Contains(p.body, `name="checklist.stains" type="checkbox" value="yes" checked`) {
		t.Fatalf("the checklist fetched again lost its tick:\n%s", p.body)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"a unit by its serial", url.Values{"serial": {"u-1-1"}, "customer": {"Zoë Quist"}, "checklist.stains": {"yes"}, "checklist.notes": {"red wine"}},
			http.StatusCreated, "Stains: yes"},
		{"an item not made here", url.Values{"item": {"Grandmother's ring"}, "kind": {"ring"}, "customer": {"Bea"}, "checklist.size": {"52"}},
			http.StatusCreated, "Size now: 52"},
		{"no customer", url.Values{"serial": {"u-1-1"}}, http.StatusUnprocessableEntity, `data-field="customer"`},
		{"a serial of no unit", url.Values{"serial": {"u-9-9"}, "customer": {"Bea"}}, http.StatusNotFound, `data-field="serial"`},
		{"an item without a kind", url.Values{"item": {"a vase"}, "customer": {"Bea"}}, http.StatusUnprocessableEntity, `data-field="kind"`},
		{"an unknown checklist item", url.Values{"serial": {"u-1-1"}, "customer": {"Bea"}, "checklist.colour": {"yes"}}, http.StatusUnprocessableEntity, `data-field="checklist.colour"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := s.book.Repairs(context.Background(), book.RepairFilter{})
			p := b.form("/manager/repairs", tc.form)
			if p.status != tc.status || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%d, want %d with %q:\n%s", p.status, tc.status, tc.want, p.body)
			}
			after, _ := s.book.Repairs(context.Background(), book.RepairFilter{})
			if tc.status != http.StatusCreated {
				if len(after) != len(before) {
					t.Errorf("a refused intake stored a repair")
				}
				if !strings.Contains(p.body, `value="`+tc.form.Get("customer")+`"`) {
					t.Errorf("the form lost what was typed:\n%s", p.body)
				}
				return
			}
			if !linkRE.MatchString(p.body) || !strings.Contains(p.body, `data-state="received"`) {
				t.Fatalf("no link shown or not received:\n%s", p.body)
			}
			if loc := p.header.Get("Location"); loc != "/manager/repairs/"+after[len(after)-1].ID {
				t.Errorf("Location %q", loc)
			}
		})
	}
}

// TestFindOpensARepair: the search box opens a repair's page from its id and from the
// address a parcel slip's QR code holds, as a scanner types it.
func TestFindOpensARepair(t *testing.T) {
	s := newManagerRepairSite(t)
	r, _ := s.open(t, book.SourceCounter, "u-1-1")
	b := s.browser(t)
	b.signInPIN("dye-1", "bo", "5678")
	for _, q := range []string{r.ID, "https://studio.example/manager/repairs/" + r.ID, "http://127.0.0.1:8080/manager/repairs/" + r.ID} {
		t.Run(q, func(t *testing.T) {
			p := b.get("/manager/find?q=" + url.QueryEscape(q))
			if p.status != http.StatusOK || p.url != "/manager/repairs/"+r.ID || !strings.Contains(p.body, `id="repair-id">`+r.ID) {
				t.Fatalf("%d at %s\n%s", p.status, p.url, p.body)
			}
		})
	}
	if p := b.get("/manager/find?q=R-000404"); p.status != http.StatusNotFound || !strings.Contains(p.body, "no repair has that id") {
		t.Fatalf("a repair of no id: %d\n%s", p.status, p.body)
	}
}

// TestUnitPageCarePlans: a unit's genealogy lists its repairs and care plans with what each
// still covers, and a manager adds one for the unit or for its customer; a planner may not.
func TestUnitPageCarePlans(t *testing.T) {
	s := newManagerRepairSite(t)
	r, _ := s.open(t, book.SourceCounter, "u-1-1")
	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	p := b.get("/manager/units/u-1-1")
	if !strings.Contains(p.body, `data-repair="`+r.ID+`"`) || !strings.Contains(p.body, "No care plan covers") || !strings.Contains(p.body, `id="care-plan-form"`) {
		t.Fatalf("the unit's page:\n%s", p.body)
	}
	p = b.form("/manager/units/u-1-1/care-plans", url.Values{"plan": {"care"}, "holder": {"unit"}, "start": {"2026-12-01"}})
	if p.status != http.StatusOK || p.url != "/manager/units/u-1-1" || !strings.Contains(p.body, "Year of care for this unit") ||
		!strings.Contains(p.body, "still covers Deep clean 1×") {
		t.Fatalf("adding a plan for the unit: %d %s\n%s", p.status, p.url, p.body)
	}
	p = b.form("/manager/units/u-1-1/care-plans", url.Values{"plan": {"care"}, "holder": {"customer"}})
	if !strings.Contains(p.body, "Year of care for Zoë Quist") {
		t.Fatalf("adding a plan for the customer:\n%s", p.body)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"a plan of none", url.Values{"plan": {"gold"}, "holder": {"unit"}}, "plan: &#34;gold&#34; is not a care plan"},
		{"a bad start", url.Values{"plan": {"care"}, "holder": {"unit"}, "start": {"1 Dec"}}, "start: &#34;1 Dec&#34; is not a date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.form("/manager/units/u-1-1/care-plans", tc.form)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, tc.want) {
				t.Fatalf("%d\n%s", p.status, p.body)
			}
		})
	}
	if hs, _ := s.book.CarePlans(context.Background(), "u-1-1", "Zoë Quist", s.pages.cfg.Now()); len(hs) != 2 {
		t.Errorf("%d holdings, want the 2 added", len(hs))
	}
	pb := s.browser(t)
	pb.signIn("pia", "weft-and-warp")
	if p := pb.form("/manager/units/u-1-1/care-plans", url.Values{"plan": {"care"}, "holder": {"unit"}}); p.status != http.StatusForbidden {
		t.Errorf("a planner adding a plan: %d", p.status)
	}
}

// TestRepairMeasuresAndCSV: the dashboard's repair measures and the CSV of the repairs, one
// row each with its dates, state, total and turnaround.
func TestRepairMeasuresAndCSV(t *testing.T) {
	s := newManagerRepairSite(t)
	r, link := s.open(t, book.SourceCounter, "u-1-1")
	s.open(t, book.SourcePublic, "u-1-1")
	ctx := context.Background()
	op := s.diagnosisOp(t, r)
	s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionStart, Actor: "person:ana"})
	if _, err := s.book.Diagnose(ctx, book.DiagnoseRequest{Repair: r.ID, Operation: op, Standard: s.pages.cfg.Now().Add(72 * time.Hour), Findings: "stain", Services: []string{"mend"}, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	approved, err := s.book.Decide(ctx, link, book.Decision{Approve: true}, s.pages.cfg.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	p := b.get("/manager/repairs/measures?days=30")
	total := approved.Estimate.StandardTotal.String()
	for _, want := range []string{`data-days="30"`, "100.0 % (1 of 1 units finished came back)", "1 of 1 decided", total + " EUR", "Requested 1"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the measures lack %q:\n%s", want, p.body)
		}
	}
	if p := b.get("/manager/repairs/measures?days=9"); p.status != http.StatusBadRequest {
		t.Errorf("days=9: %d", p.status)
	}
	p = b.get("/manager/repairs.csv")
	rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil || p.status != http.StatusOK || len(rows) != 3 {
		t.Fatalf("%d %v\n%s", p.status, err, p.body)
	}
	if strings.Join(rows[0], ",") != strings.Join(repairCSVHeader, ",") {
		t.Errorf("header %v", rows[0])
	}
	got := map[string][]string{}
	for _, row := range rows[1:] {
		got[row[0]] = row
	}
	if row := got[r.ID]; row[6] != "approved" || row[10] != "approved standard" || row[15] != total || row[14] != "EUR" {
		t.Errorf("the approved repair's row: %v", row)
	}
	if p := b.get("/manager/repairs.csv?from=2026-13-01&to=2026-12-31"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "from: ") {
		t.Errorf("a bad from: %d %s", p.status, p.body)
	}
}

// TestRepairListPages: the list shows a page of repairs at a time, newest first, with links
// to the pages around it, and the search and state stay with them.
func TestRepairListPages(t *testing.T) {
	s := newManagerRepairSite(t)
	var ids []string
	for range repairsPerPage + 2 {
		r, _ := s.open(t, book.SourceCounter, "u-1-1")
		ids = append(ids, r.ID)
	}
	b := s.browser(t)
	b.signIn("pia", "weft-and-warp")
	first := b.get("/manager/repairs?q=quist")
	if n := strings.Count(first.body, "<tr data-repair="); n != repairsPerPage || !strings.Contains(first.body, `data-repair="`+ids[len(ids)-1]+`"`) ||
		strings.Contains(first.body, `data-repair="`+ids[0]+`"`) {
		t.Fatalf("the first page shows %d repairs:\n%s", n, first.body)
	}
	m := regexp.MustCompile(`<a rel="next" href="([^"]+)"`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatalf("no next page:\n%s", first.body)
	}
	second := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if n := strings.Count(second.body, "<tr data-repair="); n != 2 || !strings.Contains(second.body, `data-repair="`+ids[0]+`"`) ||
		!strings.Contains(second.body, `rel="prev"`) || strings.Contains(second.body, `rel="next"`) || !strings.Contains(second.body, `value="quist"`) {
		t.Fatalf("the second page shows %d repairs:\n%s", n, second.body)
	}
	if p := b.get("/manager/repairs?page=0"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "page: ") {
		t.Fatalf("page 0: %d", p.status)
	}
}

// TestRepairPhotos: a repair's page shows the customer's photos, served with their
// thumbnails to staff; a photo of the store the repair does not name is not.
func TestRepairPhotos(t *testing.T) {
	s := newManagerRepairSite(t)
	put := func(file string) string {
		f, err := os.Open("../../book/photos/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := s.photos.Put(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		return p.Hash
	}
	own, other := put("plain.jpg"), put("upright.png")
	r, _, err := s.book.OpenRepair(context.Background(), book.RepairIntake{Source: book.SourceCounter, Serial: "u-1-1", Customer: "Zoë Quist",
		Photos: []book.RepairPhoto{{Hash: own, MediaType: "image/jpeg"}}, Actor: "person:max"})
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	base := "/manager/repairs/" + r.ID + "/photos/"
	if p := b.get("/manager/repairs/" + r.ID); !strings.Contains(p.body, `src="`+base+own+`.thumb.jpg"`) {
		t.Fatalf("the page lacks the photo:\n%s", p.body)
	}
	for _, tc := range []struct {
		name, contentType string
		status            int
	}{
		{own + ".jpg", "image/jpeg", http.StatusOK},
		{own + ".thumb.jpg", "image/jpeg", http.StatusOK},
		{own + ".png", "", http.StatusNotFound},
		{other + ".png", "", http.StatusNotFound},
		{other + ".thumb.jpg", "", http.StatusNotFound},
	} {
		p := b.get(base + tc.name)
		if p.status != tc.status || tc.contentType != "" && p.header.Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %s, want %d %s", tc.name, p.status, p.header.Get("Content-Type"), tc.status, tc.contentType)
		}
	}
	if p := s.browser(t).get(base + own + ".jpg"); p.url != "/signin" {
		t.Errorf("without a sign-in: %d at %s", p.status, p.url)
	}
}
