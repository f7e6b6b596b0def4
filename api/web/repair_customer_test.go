package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/api/web/unitpage"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/configs"
)

// repairSite is a site of the studio that takes repairs (testdata/repairs.yaml, public intake
// on or off), its pages served on their own with a photo store of the test's, and the now its
// pages read.
type repairSite struct {
	*site
	srv       *httptest.Server
	photosDir string
	store     *photos.Store
	pages     *Pages
}

func newRepairSite(t *testing.T, public bool, now func() time.Time) *repairSite {
	return newRepairSiteWith(t, public, now, photos.Options{})
}

// newRepairSiteWith is newRepairSite with the photo store's limits.
func newRepairSiteWith(t *testing.T, public bool, now func() time.Time, opts photos.Options) *repairSite {
	t.Helper()
	factory := "testdata/repairs.yaml"
	if !public {
		raw, err := os.ReadFile(factory)
		if err != nil {
			t.Fatal(err)
		}
		factory = filepath.Join(t.TempDir(), "private.yaml")
		if err := os.WriteFile(factory, bytes.Replace(raw, []byte("public_intake: true"), []byte("public_intake: false"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs := &repairSite{site: newSiteOf(t, factory, nil), photosDir: t.TempDir()}
	var err error
	if rs.store, err = photos.New(rs.photosDir, opts, nil); err != nil {
		t.Fatal(err)
	}
	cfg := rs.site.pages.cfg
	cfg.Photos = rs.store
	cfg.StaffURL = "http://studio.test:8080"
	if now != nil {
		cfg.Now = now
	}
	if rs.pages, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	rs.srv = httptest.NewServer(rs.pages.Handler())
	t.Cleanup(rs.srv.Close)
	return rs
}

// finished makes unit u-1-1 of order u-1 and finishes it; order u-2's unit u-2-1 is left
// being made.
func (rs *repairSite) finished(t *testing.T) {
	t.Helper()
	rs.importCSV(t, "order_id,sku,quantity,customer\nu-1,SCARF,1,Zoë Quist\nu-2,SCARF,1,Zoë Quist\n")
	rs.work(t, "u-1", 0, 2)
	rs.work(t, "u-2", 0, 1)
}

// counts says what a refused request must not have stored: the repairs and the photo store's
// files.
func (rs *repairSite) counts(t *testing.T) string {
	t.Helper()
	repairs, err := rs.book.Repairs(context.Background(), book.RepairFilter{})
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(rs.photosDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d repairs, %d photo files", len(repairs), files)
}

type photoPart struct{ name, file string }

// testPhoto returns the bytes of a photo of book/photos' test data.
func testPhoto(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../book/photos/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends a repair request as the form does, from the page's own origin.
func (rs *repairSite) post(t *testing.T, serial string, fields url.Values, files []photoPart, header http.Header) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("photos", f.name)
		if err != nil {
			t.Fatal(err)
		}
		data := []byte("not a photo at all\n")
		if f.file != "" {
			data = testPhoto(t, f.file)
		}
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", rs.srv.URL+"/u/"+url.PathEscape(serial)+"/repair", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", rs.srv.URL)
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}

// TestRepairRequestRefused: every refused request answers with what is wrong beside its field,
// the customer's values kept, and stores neither a repair nor a photo.
func TestRepairRequestRefused(t *testing.T) {
	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	good := url.Values{"customer": {"Zoë Quist"}, "contact": {"zoe@example.org"}, "description": {"A moth found it"}, "checklist.stains": {"yes"}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range good {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}
	seven := make([]photoPart, 7)
	for i := range seven {
		seven[i] = photoPart{name: fmt.Sprintf("p%d.jpg", i), file: "plain.jpg"}
	}
	tests := []struct {
		name   string
		serial string
		fields url.Values
		files  []photoPart
		header http.Header
		status int
		want   []string
	}{
		{name: "unknown serial", serial: "u-9-9", fields: good, status: http.StatusNotFound, want: []string{`No piece of Web Test Studio has the serial &#34;u-9-9&#34;`}},
		{name: "unit being made", serial: "u-2-1", fields: good, status: http.StatusConflict, want: []string{"still being made"}},
		{name: "not a photo, after a good one", serial: "u-1-1", fields: good,
			files:  []photoPart{{name: "ok.jpg", file: "plain.jpg"}, {name: "notes.txt"}},
			status: http.StatusUnprocessableEntity, want: []string{`id="problem-photos"`, "&#34;notes.txt&#34;", "A moth found it", "zoe@example.org"}},
		{name: "seventh photo", serial: "u-1-1", fields: good, files: seven, status: http.StatusUnprocessableEntity,
			want: []string{`id="problem-photos"`, "7 photos: send at most 6."}},
		{name: "control character in the name", serial: "u-1-1", fields: with("customer", "Zoë\x07Quist"), files: []photoPart{{name: "ok.jpg", file: "plain.jpg"}},
			status: http.StatusUnprocessableEntity, want: []string{`id="problem-customer"`, `aria-invalid="true" aria-describedby="problem-customer"`, "A moth found it"}},
		{name: "control character in a checklist text", serial: "u-1-1", fields: with("checklist.notes", "tea\x1b[31m"),
			status: http.StatusUnprocessableEntity, want: []string{`id="problem-checklist-notes"`}},
		{name: "no name", serial: "u-1-1", fields: with("customer", "  "), status: http.StatusUnprocessableEntity,
			want: []string{`id="problem-customer"`, "Is required."}},
		{name: "a box answered otherwise", serial: "u-1-1", fields: with("checklist.seams", "maybe"), status: http.StatusUnprocessableEntity,
			want: []string{`id="problem-checklist-seams"`}},
		{name: "an item of no checklist", serial: "u-1-1", fields: with("checklist.bogus", "yes"), status: http.StatusUnprocessableEntity,
			want: []string{`id="problem-other"`, "Checklist.bogus: is not on the checklist"}},
		{name: "another site's form", serial: "u-1-1", fields: good, header: http.Header{"Origin": {"https://evil.example"}},
			status: http.StatusForbidden},
		{name: "a sandboxed page's form", serial: "u-1-1", fields: with("customer", ""), header: http.Header{"Origin": {"null"}, "Sec-Fetch-Site": {"cross-site"}},
			status: http.StatusForbidden},
		{name: "a form of no browser's with Origin null", serial: "u-1-1", fields: with("customer", ""), header: http.Header{"Origin": {"null"}},
			status: http.StatusForbidden},
		// the form's page sends no referrer: its own post comes with Origin null
		{name: "the page's own form, from a page of no referrer", serial: "u-1-1", fields: with("customer", ""),
			header: http.Header{"Origin": {"null"}, "Sec-Fetch-Site": {"same-origin"}}, status: http.StatusUnprocessableEntity,
			want: []string{`id="problem-customer"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rs.counts(t)
			res, body := rs.post(t, tt.serial, tt.fields, tt.files, tt.header)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q: %s", w, body)
				}
			}
			if after := rs.counts(t); after != before {
				t.Errorf("a refused request stored something: %s, before %s", after, before)
			}
		})
	}
}

// TestRepairRequestOff: a studio that takes no requests on its public pages shows no link to
// the form and has no form.
func TestRepairRequestOff(t *testing.T) {
	for _, public := range []bool{true, false} {
		t.Run(fmt.Sprint("public intake ", public), func(t *testing.T) {
			rs := newRepairSite(t, public, nil)
			rs.finished(t)
			_, page := get(t, rs.srv.URL+"/u/u-1-1")
			if got := strings.Contains(string(page), `href="/u/u-1-1/repair"`); got != public {
				t.Errorf("the finished unit's page links the form: %v, want %v", got, public)
			}
			if _, making := get(t, rs.srv.URL+"/u/u-2-1"); strings.Contains(string(making), "/repair") {
				t.Error("the page of a unit being made links the repair form")
			}
			res, _ := get(t, rs.srv.URL+"/u/u-1-1/repair")
			if want := map[bool]int{true: 200, false: 404}[public]; res.StatusCode != want {
				t.Errorf("GET the form: %d, want %d", res.StatusCode, want)
			}
			if !public {
				before := rs.counts(t)
				res, _ := rs.post(t, "u-1-1", url.Values{"customer": {"Zoë"}}, nil, nil)
				if res.StatusCode != http.StatusNotFound || rs.counts(t) != before {
					t.Errorf("POST the form: %d, %s (before %s), want 404 and nothing stored", res.StatusCode, rs.counts(t), before)
				}
			}
		})
	}
	// the static page `cellforge provenance export` writes has no link to the form
	var b strings.Builder
	if err := unitpage.Render(&b, unitpage.Page{Finished: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Request a repair") {
		t.Error("a page with no form's address links one")
	}
}

// requested asks for a repair of u-1-1 with a photo and returns its link.
func (rs *repairSite) requested(t *testing.T) string {
	t.Helper()
	res, body := rs.post(t, "u-1-1", url.Values{"customer": {"Zoë Quist"}, "contact": {"zoe@example.org"},
		"description": {"A moth found it"}, "checklist.stains": {"yes"}, "checklist.notes": {"red wine"}},
		[]photoPart{{name: "IMG_0001.jpg", file: "plain.jpg"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/r/") {
		t.Fatalf("a good request: %d %s, want 303 to /r/...: %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	return strings.TrimPrefix(res.Header.Get("Location"), "/r/")
}

// TestRepairRequested: a good request opens the repair with its photo, and its page shows the
// parcel slip with the repair's QR code, what was asked and the photo, which only its link
// serves.
func TestRepairRequested(t *testing.T) {
	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	link := rs.requested(t)
	r, err := rs.book.RepairByLink(context.Background(), link)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != book.RepairRequested || r.Source != book.SourcePublic || len(r.Photos) != 1 || r.Checklist["notes"] != "red wine" {
		t.Fatalf("the repair: %+v", r)
	}
	res, body := get(t, rs.srv.URL+"/r/"+link)
	page := string(body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET the repair's page: %d %s", res.StatusCode, page)
	}
	for _, want := range []string{`id="slip-id">` + r.ID, "<svg", "Web Test Studio", "write the number", "A moth found it", "red wine",
		"Stains", r.Photos[0].Hash + ".thumb.jpg", `data-state="requested"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the page has a script")
	}
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/r/" + link + "/photos/" + r.Photos[0].Hash + ".jpg", 200},
		{"/r/" + link + "/photos/" + r.Photos[0].Hash + ".thumb.jpg", 200},
		{"/r/" + link + "/photos/" + r.Photos[0].Hash + ".png", 404},
		{"/r/" + strings.Repeat("A", 43) + "/photos/" + r.Photos[0].Hash + ".jpg", 404},
	} {
		if res, _ := get(t, rs.srv.URL+tt.path); res.StatusCode != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, res.StatusCode, tt.status)
		}
	}
}

// TestRepairLinks: a forged, unknown or replaced link finds a page that says nothing of any
// repair, for reading and for deciding.
func TestRepairLinks(t *testing.T) {
	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	link := rs.requested(t)
	r, _ := rs.book.RepairByLink(context.Background(), link)
	if _, err := rs.book.NewRepairLink(context.Background(), r.ID, "person:max"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, link string }{
		{"replaced", link},
		{"forged", strings.Repeat("A", 43)},
		{"too long", strings.Repeat("A", 200)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, rs.srv.URL+"/r/"+tt.link)
			if res.StatusCode != http.StatusNotFound || strings.Contains(string(body), "R-0") || strings.Contains(string(body), "Zoë") {
				t.Errorf("GET: %d %s, want 404 naming no repair", res.StatusCode, body)
			}
			res, body2 := rs.decide(t, tt.link, "standard")
			if res.StatusCode != http.StatusNotFound || strings.Contains(body2, "R-0") {
				t.Errorf("POST a decision: %d %s, want 404 naming no repair", res.StatusCode, body2)
			}
		})
	}
}

func (rs *repairSite) decide(t *testing.T, link, choice string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", rs.srv.URL+"/r/"+link+"/decision", strings.NewReader(url.Values{"choice": {choice}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// as a browser posts the form of a page that sends no referrer
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Error(err)
		return &http.Response{}, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// estimate receives the repair of link and diagnoses it with a cleaning, standard in three
// days and express in one.
func (rs *repairSite) estimate(t *testing.T, link string) book.Repair {
	t.Helper()
	ctx := context.Background()
	r, err := rs.book.RepairByLink(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = rs.book.ReceiveRepair(ctx, r.ID, "person:max"); err != nil {
		t.Fatal(err)
	}
	d, err := rs.book.WorkOrder(ctx, r.DiagnosisWorkOrder)
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations[0]
	if _, err := rs.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r, err = rs.book.Diagnose(ctx, book.DiagnoseRequest{Repair: r.ID, Operation: op.ID, Findings: "Red wine in the weft", Services: []string{"clean"},
		Standard: now.Add(72 * time.Hour), Express: now.Add(24 * time.Hour), Actor: "person:ana"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRepairDecision: the estimate shows with its choices; a decision is taken once however
// many are sent at once, and what is sent after it is answered with what was decided; an
// expired estimate says so.
func TestRepairDecision(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rs := newRepairSite(t, true, clock)
	rs.finished(t)

	t.Run("express, 20 at once", func(t *testing.T) {
		link := rs.requested(t)
		r := rs.estimate(t, link)
		res, body := get(t, rs.srv.URL+"/r/"+link)
		for _, want := range []string{"Red wine in the weft", "Deep clean", "Silk-safe soap", `id="approve-express"`, `id="approve-standard"`,
			`id="decline"`, "EUR " + r.Estimate.ExpressTotal.String(), "EUR " + r.Estimate.StandardTotal.String()} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the estimated page lacks %q", want)
			}
		}
		if res.StatusCode != http.StatusOK || strings.Contains(string(body), `id="slip"`) {
			t.Errorf("the estimated page: %d, with the slip: %v", res.StatusCode, strings.Contains(string(body), `id="slip"`))
		}
		statuses := make(chan int, 20)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, _ := rs.decide(t, link, "express")
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		// The same decision again leads back to the repair's page, as the first did; another
		// decision is refused, and says what was decided.
		if got[http.StatusSeeOther] != 20 {
			t.Errorf("20 decisions at once: %v, want 20 303", got)
		}
		if res, body := rs.decide(t, link, "decline"); res.StatusCode != http.StatusConflict || !strings.Contains(string(body), "already approved express") {
			t.Errorf("a decline after the approval: %d\n%s", res.StatusCode, body)
		}
		r, err := rs.book.Repair(context.Background(), r.ID)
		if err != nil || r.State != book.RepairApproved || !r.Decision.Express || r.WorkOrder == 0 {
			t.Fatalf("the repair: %+v %v", r, err)
		}
		res, body2 := rs.decide(t, link, "decline")
		if res.StatusCode != http.StatusConflict || !strings.Contains(body2, "already approved express") || strings.Contains(body2, `id="decline"`) {
			t.Errorf("declining after: %d %s", res.StatusCode, body2)
		}
		_, body = get(t, rs.srv.URL+"/r/"+link)
		if n := strings.Count(string(body), "You approved the express repair"); n != 1 {
			t.Errorf("the page says the approval %d times: %s", n, body)
		}
	})

	t.Run("standard, then ready", func(t *testing.T) {
		link := rs.requested(t)
		r := rs.estimate(t, link)
		if res, body := rs.decide(t, link, "standard"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("approving: %d %s", res.StatusCode, body)
		}
		_, body := get(t, rs.srv.URL+"/r/"+link)
		if !strings.Contains(string(body), "You approved the standard repair") || !strings.Contains(string(body), "ready by "+r.Estimate.Standard.In(time.UTC).Format("Mon 2 Jan 2006")) ||
			strings.Contains(string(body), `id="approve-standard"`) {
			t.Errorf("the approved page: %s", body)
		}
		rs.work(t, r.ID+"-W", 0, 1)
		_, body = get(t, rs.srv.URL+"/r/"+link)
		if !strings.Contains(string(body), `data-state="ready"`) || !strings.Contains(string(body), `<a href="/u/u-1-1">the piece's page</a>`) {
			t.Errorf("the ready page: %s", body)
		}
	})

	t.Run("declined", func(t *testing.T) {
		link := rs.requested(t)
		rs.estimate(t, link)
		if res, body := rs.decide(t, link, "decline"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("declining: %d %s", res.StatusCode, body)
		}
		res, body := rs.decide(t, link, "standard")
		if res.StatusCode != http.StatusConflict || !strings.Contains(body, "already declined") || !strings.Contains(body, "You declined") {
			t.Errorf("approving after declining: %d %s", res.StatusCode, body)
		}
	})

	t.Run("expired", func(t *testing.T) {
		link := rs.requested(t)
		r := rs.estimate(t, link)
		mu.Lock()
		now = r.Estimate.ExpiresAt.Add(time.Minute)
		mu.Unlock()
		res, body := rs.decide(t, link, "express")
		if res.StatusCode != http.StatusGone || !strings.Contains(body, `id="expired"`) || strings.Contains(body, `id="approve-express"`) {
			t.Errorf("approving an expired estimate: %d %s", res.StatusCode, body)
		}
		if r, err := rs.book.Repair(context.Background(), r.ID); err != nil || r.State != book.RepairExpired || r.WorkOrder != 0 {
			t.Errorf("the expired repair: %+v %v", r, err)
		}
		res, _ = get(t, rs.srv.URL+"/r/"+link)
		if res.StatusCode != http.StatusGone {
			t.Errorf("GET the page of an expired estimate: %d, want 410", res.StatusCode)
		}
	})
}

// TestRepairRequestLimit: one host sends at most repairRequestsPerHour requests an hour,
// counted over an IPv6 /64; another host is not held back.
func TestRepairRequestLimit(t *testing.T) {
	l := newHourlyLimit(repairRequestsPerHour)
	at := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range repairRequestsPerHour {
		if w := l.take(fmt.Sprintf("2001:db8::%x", i+1), at); w != 0 {
			t.Fatalf("request %d held back %s", i+1, w)
		}
	}
	if w := l.take("2001:db8::ffff", at); w <= 0 || w > time.Hour {
		t.Errorf("the %dth request of the /64: wait %s", repairRequestsPerHour+1, w)
	}
	if w := l.take("2001:db8:0:1::1", at); w != 0 {
		t.Errorf("another /64 held back %s", w)
	}
	if w := l.take("2001:db8::1", at.Add(time.Hour/repairRequestsPerHour)); w != 0 {
		t.Errorf("after an interval: wait %s", w)
	}

	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	var last *http.Response
	var body string
	for range repairRequestsPerHour + 1 {
		last, body = rs.post(t, "u-1-1", url.Values{}, nil, nil)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(body, "Try again in") {
		t.Errorf("request %d of the hour: %d %s", repairRequestsPerHour+1, last.StatusCode, body)
	}
}

// TestRepairRequestTooLarge: a request larger than six photos at the photo store's limit and
// the fields is refused with a page that says the bound, and stores nothing.
func TestRepairRequestTooLarge(t *testing.T) {
	rs := newRepairSiteWith(t, true, nil, photos.Options{MaxBytes: 4 << 10})
	rs.finished(t)
	bound := rs.pages.cfg.Photos.(photoStore).MaxBytes()*book.MaxRepairPhotos + (book.MaxRepairPhotos+1)*repairFieldBytes
	before := rs.counts(t)
	res, body := rs.post(t, "u-1-1", url.Values{"customer": {"Zoë"}, "description": {strings.Repeat("a", int(bound))}}, nil, nil)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 472 KiB: send at most 6 photos of at most 4 KiB each") {
		t.Errorf("a request of %d bytes: %d %s", bound, res.StatusCode, body)
	}
	if after := rs.counts(t); after != before {
		t.Errorf("a refused request stored something: %s, before %s", after, before)
	}
}

// TestRepairPageEstimate: the estimate's lines show fee, labour and parts, a line a care plan
// covers says so and charges nothing, and an estimate with no express date offers no express
// choice.
func TestRepairPageEstimate(t *testing.T) {
	at := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)
	r := book.Repair{ID: "R-000007", Serial: "u-1-1", Customer: "Zoë", State: book.RepairEstimated, IntakeAt: at,
		Diagnosis: &book.Diagnosis{Findings: "Worn fringe", Services: []string{"clean", "fringe"}},
		Estimate: &book.Estimate{Currency: "EUR", At: at, ExpiresAt: at.Add(72 * time.Hour), Standard: at.Add(96 * time.Hour),
			Subtotal: 2500, StandardTotal: 2500, Lines: []book.EstimateLine{
				{Service: "clean", Name: "Deep clean", Fee: 2500, Labour: 1500, Parts: []book.EstimatePart{{Name: "Soap", Price: 320}}, Price: 4320,
					CoveredBy: &book.Coverage{Holding: 3, Plan: "care-year"}},
				{Service: "fringe", Name: "Fringe repair", Fee: 1500, Labour: 1000, Price: 2500, Charged: 2500},
			}}}
	v := repairView{Studio: "Web Test Studio", R: r, Link: "/r/x", Decidable: true,
		money: func(m configs.Money) string { return "EUR " + m.String() }, date: func(t time.Time) string { return t.Format("2 Jan 2006") }}
	v.Steps = timeline(r, v.date)
	var b strings.Builder
	if err := customerPages.ExecuteTemplate(&b, "repair", v); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"Covered by your care plan", "<s>EUR 43.20</s> EUR 0.00", "Fee EUR 25.00 · labour EUR 15.00 · Soap EUR 3.20",
		"EUR 25.00</td>", `id="approve-standard"`, "Decide by 4 Feb 2027", "ready by 5 Feb 2027"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="approve-express"`) || strings.Contains(page, `id="express"`) {
		t.Error("an estimate with no express date offers express")
	}
}

// TestRepairPageReadyBy: when standard and express are ready on the same day, the page gives
// both their times, so that the customer sees what express pays for; on different days it
// gives the days alone. The decision repeats the time chosen.
func TestRepairPageReadyBy(t *testing.T) {
	at := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name              string
		standard, express time.Time
		want, wantNot     []string
	}{
		{"same day", at.Add(9 * time.Hour), at.Add(2 * time.Hour),
			[]string{"ready by Mon 1 Feb 2027, 18:00, total", "ready by Mon 1 Feb 2027, 11:00, EUR 7.50 more"}, nil},
		{"other days", at.Add(72 * time.Hour), at.Add(24 * time.Hour),
			[]string{"ready by Thu 4 Feb 2027, total", "ready by Tue 2 Feb 2027, EUR 7.50 more"}, []string{"18:00", "09:00,"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			express := tc.express
			r := book.Repair{ID: "R-000008", Serial: "u-1-1", Customer: "Zoë", State: book.RepairEstimated, IntakeAt: at,
				Diagnosis: &book.Diagnosis{Findings: "Grey from use", Services: []string{"clean"}},
				Estimate: &book.Estimate{Currency: "EUR", At: at, ExpiresAt: at.Add(336 * time.Hour), Standard: tc.standard, Express: &express,
					Subtotal: 2500, StandardTotal: 2500, Premium: 750, ExpressTotal: 3250, Lines: []book.EstimateLine{
						{Service: "clean", Name: "Deep clean", Fee: 2500, Price: 2500, Charged: 2500}}}}
			money := func(m configs.Money) string { return "EUR " + m.String() }
			date, moment := dayFormats(time.UTC)
			v := repairView{Studio: "Web Test Studio", R: r, Link: "/r/x", Decidable: true, money: money, date: date, moment: moment}
			var b strings.Builder
			if err := customerPages.ExecuteTemplate(&b, "repair", v); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, want := range tc.want {
				if !strings.Contains(page, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			for _, not := range tc.wantNot {
				if strings.Contains(page, not) {
					t.Errorf("the page shows %q", not)
				}
			}
			r.State, r.Decision = book.RepairApproved, &book.Decision{Approve: true, Express: true, At: at.Add(time.Hour)}
			v = repairView{Studio: "Web Test Studio", R: r, Link: "/r/x", money: money, date: date, moment: moment}
			b.Reset()
			if err := customerPages.ExecuteTemplate(&b, "repair", v); err != nil {
				t.Fatal(err)
			}
			if want := "ready by " + tc.want[1][len("ready by "):strings.Index(tc.want[1], ", EUR")] + ", EUR 32.50."; !strings.Contains(b.String(), want) {
				t.Errorf("the decision lacks %q", want)
			}
		})
	}
}

// TestRepairRequestNoPhotoStore: pages that keep no photo store offer no photos and refuse a
// request with one, storing nothing, but take one without.
func TestRepairRequestNoPhotoStore(t *testing.T) {
	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	cfg := rs.pages.cfg
	cfg.Photos = nil
	pages, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rs.srv = httptest.NewServer(pages.Handler())
	t.Cleanup(rs.srv.Close)
	if _, body := get(t, rs.srv.URL+"/u/u-1-1/repair"); strings.Contains(string(body), `type="file"`) {
		t.Error("the form offers photos")
	}
	fields := url.Values{"customer": {"Zoë"}}
	before := rs.counts(t)
	res, body := rs.post(t, "u-1-1", fields, []photoPart{{name: "a.jpg", file: "plain.jpg"}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "takes no photos") || rs.counts(t) != before {
		t.Errorf("a request with a photo: %d, %s (before %s): %s", res.StatusCode, rs.counts(t), before, body)
	}
	if res, body := rs.post(t, "u-1-1", fields, nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a request without photos: %d %s", res.StatusCode, body)
	}
}

// TestRepairRequestDoubleTap: the form sent twice at once (a double tap) opens one repair, and
// both answers lead to its page; a form refused and sent again corrected is taken.
func TestRepairRequestDoubleTap(t *testing.T) {
	rs := newRepairSite(t, true, nil)
	rs.finished(t)
	nonceOf := func() string {
		_, body := get(t, rs.srv.URL+"/u/u-1-1/repair")
		m := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("the form has no nonce: %s", body)
		}
		return string(m[1])
	}
	nonce := nonceOf()
	fields := url.Values{"customer": {"Zoë"}, "nonce": {nonce}}
	var wg sync.WaitGroup
	locations := make([]string, 2)
	for i := range locations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := rs.post(t, "u-1-1", fields, []photoPart{{name: "a.jpg", file: "plain.jpg"}}, nil)
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("tap %d: %d %s", i+1, res.StatusCode, body)
			}
			locations[i] = res.Header.Get("Location")
		}()
	}
	wg.Wait()
	if locations[0] == "" || locations[0] != locations[1] {
		t.Errorf("the two taps lead to %q and %q", locations[0], locations[1])
	}
	if got := rs.counts(t); got != "1 repairs, 2 photo files" {
		t.Errorf("after a double tap: %s, want one repair and its photo", got)
	}

	nonce = nonceOf()
	res, body := rs.post(t, "u-1-1", url.Values{"customer": {" "}, "nonce": {nonce}}, nil, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="`+nonce+`"`) {
		t.Fatalf("a request with no name: %d, want 422 with the same nonce: %s", res.StatusCode, body)
	}
	if res, body := rs.post(t, "u-1-1", url.Values{"customer": {"Zoë"}, "nonce": {nonce}}, nil, nil); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") == locations[0] {
		t.Errorf("the corrected request: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	if got := rs.counts(t); got != "2 repairs, 2 photo files" {
		t.Errorf("after the corrected request: %s", got)
	}
}
