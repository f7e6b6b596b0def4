package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// benchPhotos are the photos of book/photos' testdata a bench rug shows: five real ones, as the
// store keeps them.
var benchPhotos = []string{"plain.jpg", "progressive.jpg", "upright.png", "sideways.webp", "cmyk.jpg"}

// benchRugs imports order id of quantity rugs of testdata/unitbench.yaml's RUG20 and makes them
// through its 20 steps: each started by one maker and completed by another (both named in
// public), the temperature and pH of every fifth step summarised as a machine reads them, the
// five photos on the first steps and four public notes and a private one, then extra public
// notes more on the last step, before the last step completes them. It returns the order's operations.
func benchRugs(b *testing.B, s *site, id string, quantity, extra int) []book.Operation {
	b.Helper()
	ctx := context.Background()
	s.importUnplanned(b, fmt.Sprintf("order_id,sku,quantity,customer,notes\n%s,RUG20,%d,Ines Q.,gift wrap\n", id, quantity))
	_, wo, err := s.book.Order(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	makers := []book.Actor{"person:ana", "person:ben", "person:cy"}
	var ops []book.Operation
	for i := range 20 {
		d, err := s.book.WorkOrder(ctx, wo.ID)
		if err != nil {
			b.Fatal(err)
		}
		ops = d.Operations
		op := ops[i].ID
		started, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionStart, Actor: makers[i%3]})
		if err != nil {
			b.Fatalf("start operation %d: %v", op, err)
		}
		if i%5 == 0 {
			if err := s.book.RecordReadings(ctx, op, benchReadings(*started.Operation.StartedAt)); err != nil {
				b.Fatal(err)
			}
		}
		if i < len(benchPhotos) {
			s.photo(b, op, benchPhotos[i], false)
		}
		var notes []book.NoteRequest
		switch i {
		case 0:
			notes = append(notes, book.NoteRequest{Text: "Sorted the fleece twice; the grey lock went to the weft", Actor: "person:ana"},
				book.NoteRequest{Text: "Ines wants it wrapped", Private: true, Actor: "person:ana"})
		case 7:
			notes = append(notes, book.NoteRequest{Text: "Madder root, two baths, the second cooler", Actor: "person:ben"})
		case 13:
			notes = append(notes, book.NoteRequest{Text: "Tension re-set after the first hand's width", Actor: "person:cy"})
		case 19:
			notes = append(notes, book.NoteRequest{Text: "Blocked flat and checked edge to edge", Actor: "person:ana"})
			for n := range extra {
				notes = append(notes, book.NoteRequest{Text: fmt.Sprintf("Looked over again, round %d", n+1), Actor: "person:ben"})
			}
		}
		for _, n := range notes {
			n.Operation = op
			if _, _, err := s.book.AddNote(ctx, n); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op, Action: book.ActionComplete, Actor: makers[(i+1)%3]}); err != nil {
			b.Fatalf("complete operation %d: %v", op, err)
		}
	}
	return ops
}

// benchReadings are a step's temperature and pH, read every minute for an hour from start.
func benchReadings(start time.Time) []book.ReadingSummary {
	temp := book.ReadingSummary{Quantity: "temperature", Unit: "°C", Tolerance: 1}
	ph := book.ReadingSummary{Quantity: "ph", Tolerance: 0.2}
	for m := range 60 {
		at := start.Add(time.Duration(m) * time.Minute)
		temp.Add(at, min(20+float64(m)*3, 85)+float64(m%3)/10)
		ph.Add(at, 4.5+float64(m%4)/20)
	}
	temp.Close()
	ph.Close()
	return []book.ReadingSummary{temp, ph}
}

// benchGet reads url with client, failing unless it answers 200.
func benchGet(b *testing.B, client *http.Client, url, token string) int {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return int(n)
}

// BenchmarkUnitPage measures a unit's public page, GET /u/{serial}, through the API's HTTP
// handler with the pages mounted, as the daemon serves it, for a rug of 20 steps with 5
// photos, reading summaries on 4 steps and 13 public notes (and a private one, and the
// customer, which it never shows): once its certificate is issued (read the story, compare it with the newest
// revision, read back the stored revisions, render), the same with its certificate grown to 10
// revisions, and the first request once the rug is finished, which issues the revision. The
// peer, in the same run, is the queue of a cell of 50 queued operations as the tablet's API
// reads it, GET /api/v1/cells/{cell}/queue. One op is one request on a kept-alive connection;
// allocations count the client's too.
func BenchmarkUnitPage(b *testing.B) {
	s := newSiteOf(b, "testdata/unitbench.yaml", nil)
	ctx := context.Background()
	client := &http.Client{Timeout: 10 * time.Second}
	// a rug with its certificate issued, 13 public notes
	benchRugs(b, s, "ONE", 1, 9)
	one := s.URL + "/u/ONE-1"
	res, err := client.Get(one)
	if err != nil {
		b.Fatal(err)
	}
	page, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v", one, res.StatusCode, err)
	}
	// the page tells the whole story, and nothing private
	for want, n := range map[string]int{".thumb.jpg": 5, "Fibre bench": 6, "Big loom": 4, "Looked over again": 9, "Madder root": 1, `class="makers"`: 20, "<th scope=\"row\">temperature": 4} {
		if got := strings.Count(string(page), want); got != n {
			b.Fatalf("the page shows %q %d times, want %d:\n%s", want, got, n, page)
		}
	}
	for _, secret := range []string{"Ines", "wrapped", "gift"} {
		if strings.Contains(string(page), secret) {
			b.Fatalf("the page shows %q", secret)
		}
	}
	// a rug whose certificate has 10 revisions: finished with a note, then 9 notes more, each
	// added after the page was read, so that each makes a revision: 13 public notes as well
	ops := benchRugs(b, s, "TEN", 1, 0)
	ten := s.URL + "/u/TEN-1"
	benchGet(b, client, ten, "")
	for n := range 9 {
		if _, _, err := s.book.AddNote(ctx, book.NoteRequest{Operation: ops[19].ID, Text: fmt.Sprintf("Looked over again, round %d", n+1), Actor: "person:ben"}); err != nil {
			b.Fatal(err)
		}
		benchGet(b, client, ten, "")
	}
	if revs, err := s.book.CertificateRevisions(ctx, "TEN-1"); err != nil || len(revs) != 10 {
		b.Fatalf("TEN-1 has %d revisions (%v), want 10", len(revs), err)
	}
	// the peer's queue: 50 rugs waiting for their first step at prep-1
	var batch strings.Builder
	batch.WriteString("order_id,sku,quantity,customer\n")
	for i := range 50 {
		fmt.Fprintf(&batch, "Q-%02d,RUG20,1,customer %d\n", i, i)
	}
	s.importCSV(b, batch.String())
	queue := s.URL + "/api/v1/cells/prep-1/queue"
	if n := benchGet(b, client, queue, plannerToken); n < 50*100 {
		b.Fatalf("the queue of prep-1 is %d bytes, not 50 operations", n)
	}

	b.Run("page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, one, "")
		}
	})
	certBytes := benchGet(b, client, ten+"/certificate.json", "")
	b.Run("page-10-revisions", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, ten, "")
		}
		b.ReportMetric(float64(certBytes), "cert-bytes")
	})
	round := 0
	b.Run("page-issuing", func(b *testing.B) {
		// b.N rugs of one order, finished together: each request is the first of its rug's page
		round++
		id := fmt.Sprintf("ISSUE%d", round)
		benchRugs(b, s, id, b.N, 9)
		b.ReportAllocs()
		b.ResetTimer()
		for n := range b.N {
			benchGet(b, client, fmt.Sprintf("%s/u/%s-%d", s.URL, id, n+1), "")
		}
		b.StopTimer()
		if revs, err := s.book.CertificateRevisions(ctx, id+"-1"); err != nil || len(revs) != 1 {
			b.Fatalf("%s-1 has %d revisions (%v), want 1", id, len(revs), err)
		}
	})
	b.Run("peer-api-queue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, queue, plannerToken)
		}
	})
}
