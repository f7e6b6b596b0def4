package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestTabletDiagnosesARepair: the diagnosis job at the repair corner shows its repair (the
// unit, what the customer said, the checklist answers) and offers Diagnose instead of Complete
// once started; the dialog's live estimate prices the services in the order given with the
// planner's dates, and stores nothing.
func TestTabletDiagnosesARepair(t *testing.T) {
	s := newSiteOf(t, "testdata/repair-tablet.yaml", nil)
	s.importCSV(t, "order_id,sku,quantity,customer\nu-1,SCARF,1,Zoë Quist\n")
	s.work(t, "u-1", 0, 2)
	ctx := context.Background()
	f, err := os.Open("../../book/photos/testdata/plain.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ph, err := s.photos.Put(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	rep, link, err := s.book.OpenRepair(ctx, book.RepairIntake{Source: book.SourceCounter, Serial: "u-1-1", Customer: "Zoë Quist",
		Description: "red wine <on> the hem", Checklist: map[string]string{"stains": "yes", "notes": "a gift"},
		Photos: []book.RepairPhoto{{Hash: ph.Hash, MediaType: ph.MediaType}}, Actor: "person:max"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.planner.Replan(ctx, false); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signInPIN("repair-1", "ana", "1234")
	live := b.get("/tablet/repair-1/live")
	for _, want := range []string{`data-repair="` + rep.ID + `"`, `data-serial>u-1-1<`, "Silk scarf &amp; &#34;gauze&#34;",
		"red wine &lt;on&gt; the hem", "Stains: <strong>yes</strong>", "Anything else: <strong>a gift</strong>",
		`data-service="mend">Mend &lt;the hem&gt;<`, `data-action="diagnose" disabled`} {
		if !strings.Contains(live.body, want) {
			t.Errorf("the diagnosis job lacks %s:\n%s", want, live.body)
		}
	}
	// The customer's photo, as its thumbnail linking to the photo, both served to the maker.
	thumb := "/manager/repairs/" + rep.ID + "/photos/" + ph.Hash + ".thumb.jpg"
	full := "/manager/repairs/" + rep.ID + "/photos/" + ph.Hash + ".jpg"
	if !strings.Contains(live.body, `src="`+thumb+`"`) || !strings.Contains(live.body, `href="`+full+`"`) {
		t.Errorf("the diagnosis job lacks the customer's photo %s:\n%s", thumb, live.body)
	}
	for _, path := range []string{thumb, full} {
		if p := b.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	if strings.Contains(live.body, `data-action="complete"`) {
		t.Error("a diagnosis offers Complete: it is completed by its diagnosis")
	}
	// A repair is of no drop: its due line names none, and ends with no separator.
	if due := regexp.MustCompile(`<p class="drop">([^<]*)</p>`).FindStringSubmatch(live.body); due == nil || strings.Contains(due[1], "·") {
		t.Errorf("the repair's due line: %q, want a date alone", due)
	}
	op := attr(t, live.body, `article class="job"`, "data-op")
	if r := b.post("/api/v1/operations/"+op+"/start", "{}", "k-start", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if live := b.get("/tablet/repair-1/live"); !strings.Contains(live.body, `data-action="diagnose">`) {
		t.Errorf("started, the diagnosis does not offer Diagnose:\n%s", live.body)
	}

	tests := []struct {
		name, services string
		want           []string
	}{
		{name: "none yet", services: "", want: []string{`data-ready="false"`, "Pick the services"}},
		{name: "two in the order tapped", services: "mend,clean",
			want: []string{`data-ready="true"`, `<tr data-service="mend"><th scope="row">1. Mend &lt;the hem&gt;`,
				`<tr data-service="clean"><th scope="row">2. Deep clean`, "76.50 EUR", `data-choice="standard"`}},
		{name: "one twice", services: "clean,clean", want: []string{`data-ready="false"`, "services[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get("/tablet/repair-1/estimate?repair=" + rep.ID + "&services=" + tc.services)
			if p.status != http.StatusOK {
				t.Fatalf("%d %s", p.status, p.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("the estimate lacks %s:\n%s", w, p.body)
				}
			}
		})
	}
	if p := b.get("/tablet/repair-1/estimate?repair=R-999999&services=clean"); p.status != http.StatusNotFound {
		t.Errorf("the estimate of no repair: %d", p.status)
	}
	got, err := s.book.Repair(ctx, rep.ID)
	if err != nil || got.State != book.RepairReceived || got.Estimate != nil {
		t.Errorf("after the live estimates the repair is %+v, %v: they store nothing", got, err)
	}

	// Send estimate: the dialog's one key, sent twice, estimates once.
	body, _ := json.Marshal(map[string]any{"operation": json.Number(op), "findings": "a wine stain", "services": []string{"mend", "clean"}})
	for range 2 {
		if r := b.post("/api/v1/repairs/"+rep.ID+"/diagnosis", string(body), "tab-dialog-1", false); r.status != http.StatusCreated {
			t.Fatalf("diagnosis: %d %s", r.status, r.body)
		}
	}
	if got, _ := s.book.Repair(ctx, rep.ID); got.State != book.RepairEstimated || strings.Join(got.Diagnosis.Services, ",") != "mend,clean" {
		t.Errorf("after the diagnosis: %+v", got)
	}

	// Approved, the repair's first step of work (mend) comes to the same cell: the tablet shows
	// which repair and which unit it is, and completes it as any job, with no Diagnose.
	if _, err := s.book.Decide(ctx, link, book.Decision{Approve: true}, s.pages.cfg.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.planner.Replan(ctx, false); err != nil {
		t.Fatal(err)
	}
	live = b.get("/tablet/repair-1/live")
	for _, want := range []string{`data-repair="` + rep.ID + `"`, `data-serial>u-1-1<`, `data-action="complete"`} {
		if !strings.Contains(live.body, want) {
			t.Errorf("the repair's work lacks %s:\n%s", want, live.body)
		}
	}
	if strings.Contains(live.body, `data-action="diagnose"`) {
		t.Errorf("the repair's work offers Diagnose:\n%s", live.body)
	}
}

// TestTabletTakesInRepairsWhereTheyAreDiagnosed: the tablet of a cell that diagnoses repairs
// leads to the counter intake, since the maker there takes items in; another cell's does not.
func TestTabletTakesInRepairsWhereTheyAreDiagnosed(t *testing.T) {
	s := newSiteOf(t, "testdata/repair-tablet.yaml", nil)
	const link = `href="/manager/repairs/new"`
	for _, tc := range []struct {
		cell string
		want bool
	}{{"repair-1", true}, {"dye-1", false}} {
		b := s.browser(t)
		p := b.signInPIN(tc.cell, "ana", "1234")
		if got := strings.Contains(p.body, link); got != tc.want {
			t.Errorf("the tablet of %s links the counter intake: %v, want %v", tc.cell, got, tc.want)
		}
	}
}
