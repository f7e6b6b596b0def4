package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/provenance"
)

// work takes order id's operations from through to-1 through start and completion as person
// ana, and returns the order's operations.
func (s *site) work(t *testing.T, id string, from, to int) []book.Operation {
	t.Helper()
	ctx := context.Background()
	_, wo, err := s.book.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var ops []book.Operation
	for i := from; i < to; i++ {
		d, err := s.book.WorkOrder(ctx, wo.ID)
		if err != nil {
			t.Fatal(err)
		}
		ops = d.Operations
		for _, a := range []book.Action{book.ActionStart, book.ActionComplete} {
			if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: ops[i].ID, Action: a, Actor: "person:ana"}); err != nil {
				t.Fatalf("%s operation %d: %v", a, ops[i].ID, err)
			}
		}
	}
	return ops
}

// photo stores a real photo and records it on operation op.
func (s *site) photo(t testing.TB, op int64, file string, private bool) string {
	t.Helper()
	f, err := os.Open("../../book/photos/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := s.photos.Put(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.book.AddPhoto(context.Background(), book.PhotoRequest{Operation: op, Hash: p.Hash, MediaType: p.MediaType,
		Width: p.Width, Height: p.Height, Private: private, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	return p.Hash
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestUnitPage follows a unit from its first step to its page, its certificate and its photos,
// as anyone reaches them with no sign-in; and checks what they never show.
func TestUnitPage(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer,notes\nu-1,SCARF,1,Zoë Quist,ring the bell twice\n")
	ops := s.work(t, "u-1", 0, 1)
	ctx := context.Background()
	if _, _, err := s.book.AddNote(ctx, book.NoteRequest{Operation: ops[0].ID, Text: "The silk took the indigo evenly", Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.book.AddNote(ctx, book.NoteRequest{Operation: ops[0].ID, Text: "Zoë wants it by Friday", Private: true, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	public := s.photo(t, ops[0].ID, "plain.jpg", false)
	private := s.photo(t, ops[0].ID, "gps.webp", true)

	// being made: the story so far, no certificate
	res, body := get(t, s.URL+"/u/u-1-1")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "still being made") || !strings.Contains(string(body), "Ana P.") {
		t.Fatalf("the page of a unit being made: %d %s", res.StatusCode, body)
	}
	if res, _ := get(t, s.URL+"/u/u-1-1/certificate.json"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the certificate of a unit being made: %d, want 404", res.StatusCode)
	}

	s.work(t, "u-1", 1, 2)
	res, body = get(t, s.URL+"/u/u-1-1")
	page := string(body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /u/u-1-1: %d %s", res.StatusCode, body)
	}
	for _, want := range []string{"Silk scarf &amp; &#34;gauze&#34;", "u-1-1", "Web Test Studio", "Ana P.", "The silk took the indigo evenly",
		"recipe 7 · temperature 55", `href="/u/u-1-1/certificate.json"`, public + ".thumb.jpg"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, secret := range []string{"Quist", "Zoë", "ring the bell", "Friday", private, "ana", "u-1\""} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %q", secret)
		}
	}
	if cc := res.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Cache-Control = %q", cc)
	}

	res, cert := get(t, s.URL+"/u/u-1-1/certificate.json")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "u-1-1.certificate.json") {
		t.Fatalf("certificate: %d %v", res.StatusCode, res.Header)
	}
	chain, err := provenance.Verify(cert, s.keys.PublicKeys())
	if err != nil {
		t.Fatalf("the downloaded certificate does not verify: %v", err)
	}
	if r := chain.Revisions[0].Revision; r.Serial != "u-1-1" || len(r.Steps) != 2 || len(r.Photos) != 1 || r.Photos[0].SHA256 != public {
		t.Fatalf("certificate revision: %+v", r)
	}
	if i := bytes.Index(cert, []byte("indigo")); i < 0 {
		t.Fatal("the certificate lacks the public note")
	} else {
		cert[i] = 'I'
		if _, err := provenance.Verify(cert, s.keys.PublicKeys()); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Fatalf("a certificate with one byte changed: %v", err)
		}
	}

	for _, tt := range []struct {
		path, contentType string
		status            int
	}{
		{"/u/u-1-1/photos/" + public + ".jpg", "image/jpeg", http.StatusOK},
		{"/u/u-1-1/photos/" + public + ".thumb.jpg", "image/jpeg", http.StatusOK},
		{"/u/u-1-1/photos/" + public + ".png", "", http.StatusNotFound},
		{"/u/u-1-1/photos/" + private + ".webp", "", http.StatusNotFound},
		{"/u/u-1-1/photos/" + private + ".thumb.jpg", "", http.StatusNotFound},
		{"/u/u-1-1/photos/..%2f..%2fweb.db", "", http.StatusNotFound},
		{"/u/u-1-2", "", http.StatusNotFound},
		{"/u/u-1", "", http.StatusNotFound},
		{"/u/%00", "", http.StatusNotFound},
	} {
		res, body := get(t, s.URL+tt.path)
		if res.StatusCode != tt.status || tt.contentType != "" && res.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("GET %s: %d %s, want %d %s", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.contentType)
		}
		if strings.Contains(string(body), "Quist") {
			t.Errorf("GET %s shows the customer", tt.path)
		}
	}
}

// TestUnitPageRequestsAtOnce: 20 phones scan a unit's label at once just after it was finished,
// and again once its certificate was issued. Every one gets its page, with the same revision,
// and one revision is issued.
func TestUnitPageRequestsAtOnce(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\nu-9,SCARF,1,Zoë Quist\n")
	s.work(t, "u-9", 0, 2)
	const phones = 20
	type answer struct {
		status int
		body   string
		err    error
	}
	for _, wave := range []string{"just finished", "issued"} {
		answers := make([]answer, phones)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				<-start
				res, err := http.Get(s.URL + "/u/u-9-1")
				if err != nil {
					answers[i].err = err
					return
				}
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				answers[i] = answer{res.StatusCode, string(body), err}
			})
		}
		close(start)
		wg.Wait()
		for i, a := range answers {
			if a.err != nil || a.status != http.StatusOK {
				t.Errorf("%s: phone %d: %d %v %.300s", wave, i, a.status, a.err, a.body)
			} else if !strings.Contains(a.body, "revision 1,") {
				t.Errorf("%s: phone %d was shown another revision than 1: %.300s", wave, i, a.body)
			}
		}
		revs, err := s.book.CertificateRevisions(context.Background(), "u-9-1")
		if err != nil || len(revs) != 1 {
			t.Fatalf("%s: %d requests at once issued %d revisions (%v), want 1", wave, phones, len(revs), err)
		}
	}
}

// TestUnitPageShowsNoOtherUnit: of an order of two scarves, the first's page and certificate
// hold the notes and photos of every unit and of the first, never those of the second, nor its
// serial or the order's id.
func TestUnitPageShowsNoOtherUnit(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\nu-2,SCARF,2,Zoë Quist\n")
	ops := s.work(t, "u-2", 0, 1)
	ctx := context.Background()
	for _, n := range []book.NoteRequest{
		{Operation: ops[0].ID, Text: "Both scarves share this bath", Actor: "person:ana"},
		{Operation: ops[0].ID, Unit: 1, Text: "The first has a darker selvedge", Actor: "person:ana"},
		{Operation: ops[0].ID, Unit: 2, Text: "The second has a pulled thread", Actor: "person:ana"},
	} {
		if _, _, err := s.book.AddNote(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	s.work(t, "u-2", 1, 2)
	_, page := get(t, s.URL+"/u/u-2-1")
	_, cert := get(t, s.URL+"/u/u-2-1/certificate.json")
	for _, want := range []string{"Both scarves share this bath", "The first has a darker selvedge"} {
		if !strings.Contains(string(page), want) || !strings.Contains(string(cert), want) {
			t.Errorf("the first unit's page or certificate lacks %q", want)
		}
	}
	for _, other := range []string{"pulled thread", "u-2-2", `"u-2"`, ">u-2<"} {
		if strings.Contains(string(page), other) || strings.Contains(string(cert), other) {
			t.Errorf("the first unit's page or certificate shows %q", other)
		}
	}
	if res, body := get(t, s.URL+"/u/u-2-2"); res.StatusCode != http.StatusOK || !strings.Contains(string(body), "pulled thread") {
		t.Errorf("the second unit's page: %d, want its own note", res.StatusCode)
	}
}
