package api

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/photos"
)

// newPhotoServer is a test server that keeps photos in a directory of the test's, and that
// directory.
func newPhotoServer(t *testing.T, configure func(*Config)) (*testServer, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "photos")
	store, err := photos.New(dir, photos.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return newTestServerConfig(t, func(cfg *Config) {
		cfg.Photos = store
		if configure != nil {
			configure(cfg)
		}
	}), dir
}

// uploadForm is a multipart form of a photo upload: the photo under name, then the fields.
func uploadForm(t testing.TB, name string, photo []byte, fields ...string) (contentType string, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("photo", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(photo)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func testPhoto(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "photos", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedFiles lists the files under the photo directory, relative to it.
func storedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// workOrderOf returns the work order of an operation.
func (ts *testServer) workOrderOf(t *testing.T, op int64) int64 {
	t.Helper()
	o, err := ts.book.Operation(context.Background(), op)
	if err != nil {
		t.Fatal(err)
	}
	return o.WorkOrder
}

func TestAddNote(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "N1")
	path := "/api/v1/operations/" + itoa(op) + "/notes"
	for _, tc := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{name: "public, every unit", body: `{"text":"warp re-tensioned"}`, status: http.StatusCreated},
		{name: "private, unit 2", body: `{"text":"asked for a gift note","unit":2,"private":true}`, status: http.StatusCreated},
		{name: "empty", body: `{"text":"  "}`, status: http.StatusBadRequest, msg: "the note is empty"},
		{name: "a control character", body: `{"text":"bell\u0007"}`, status: http.StatusBadRequest, msg: "control character (U+0007) at character 5"},
		{name: "unit 3 of 2", body: `{"text":"x","unit":3}`, status: http.StatusBadRequest, msg: "makes units 1 to 2"},
		{name: "an unknown field", body: `{"text":"x","colour":"red"}`, status: http.StatusBadRequest, msg: "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", path, operatorToken, "application/json", tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
				t.Fatalf("%d %s; want %d saying %q", r.status, r.body, tc.status, tc.msg)
			}
		})
	}
	if r := ts.do(t, "POST", "/api/v1/operations/999/notes", operatorToken, "application/json", `{"text":"x"}`); r.status != http.StatusNotFound {
		t.Errorf("a note on an unknown operation: %d %s", r.status, r.body)
	}
	// A double tap: the same key adds one note.
	for i, want := range []string{"", "true"} {
		r := ts.do(t, "POST", path, operatorToken, "application/json", `{"text":"tapped twice"}`, "Idempotency-Key", "tap-1")
		if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != want {
			t.Errorf("tap %d: %d %s, replayed %q", i+1, r.status, r.body, r.header.Get("Idempotent-Replayed"))
		}
	}
	notes, err := ts.book.Notes(context.Background(), ts.workOrderOf(t, op))
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 3 || notes[1].Unit != 2 || !notes[1].Private || notes[0].Private || notes[0].Author != "token:operator-bot" {
		t.Errorf("notes: %+v; want the two added and one of the double tap, the second private", notes)
	}
}

// TestAddPhoto uploads good photos of each kind and bad ones, and looks at what is stored: a
// refused upload leaves nothing on disk or in the book.
func TestAddPhoto(t *testing.T) {
	ts, dir := newPhotoServer(t, nil)
	op := ts.firstOp(t, "P1")
	path := "/api/v1/operations/" + itoa(op) + "/photos"
	big := append(testPhoto(t, "upright.png"), bytes.Repeat([]byte{0}, photos.DefaultMaxBytes)...)
	for _, tc := range []struct {
		name   string
		file   string
		photo  []byte
		fields []string
		key    string // Idempotency-Key
		status int
		msg    string
		media  string // of a stored photo
	}{
		{name: "JPEG", file: "plain.jpg", fields: []string{"caption", "the selvedge", "unit", "1"}, key: "used", status: http.StatusCreated, media: photos.JPEG},
		{name: "PNG, private", file: "upright.png", fields: []string{"private", "true"}, status: http.StatusCreated, media: photos.PNG},
		{name: "WebP with GPS", file: "gps.webp", status: http.StatusCreated, media: photos.WebP},
		{name: "text named .jpg", file: "text.jpg", status: http.StatusUnprocessableEntity,
			msg: `\"text.jpg\" is not a JPEG, PNG or WebP image; nothing was stored`},
		{name: "a script appended", file: "script.jpg", status: http.StatusUnprocessableEntity,
			msg: `\"script.jpg\" is not a JPEG, PNG or WebP image: 40 bytes after the end of the JPEG image`},
		{name: "too large", photo: big, status: http.StatusRequestEntityTooLarge, msg: "larger than 10 MiB"},
		// Photos not stored before, so that one stored by a refused upload would show.
		{name: "a unit the work order does not make", photo: distinctPNG(t, 1), fields: []string{"unit", "3"}, status: http.StatusBadRequest, msg: "makes units 1 to 2"},
		{name: "a caption with a control character", photo: distinctPNG(t, 2), fields: []string{"caption", "a\x1bb"}, status: http.StatusBadRequest, msg: "the caption holds a control character"},
		{name: "an unknown field", photo: distinctPNG(t, 3), fields: []string{"gps", "48.8"}, status: http.StatusBadRequest, msg: `unknown field \"gps\"`},
		{name: "a key used for another request", photo: distinctPNG(t, 4), key: "used", status: http.StatusUnprocessableEntity, msg: "idempotency_key_reused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.photo
			if data == nil {
				data = testPhoto(t, tc.file)
			}
			before := storedFiles(t, dir)
			ct, body := uploadForm(t, cmpOr(tc.file, "made.png"), data, tc.fields...)
			var header []string
			if tc.key != "" {
				header = []string{"Idempotency-Key", tc.key}
			}
			r := ts.do(t, "POST", path, operatorToken, ct, string(body), header...)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
				t.Fatalf("%d %s; want %d saying %q", r.status, r.body, tc.status, tc.msg)
			}
			if tc.status != http.StatusCreated {
				if after := storedFiles(t, dir); len(after) != len(before) {
					t.Errorf("a refused photo left files: %v, before %v", after, before)
				}
				return
			}
			var p book.Photo
			r.json(t, &p)
			if p.MediaType != tc.media || p.Width != 64 || p.Height != 48 || p.Author != "token:operator-bot" {
				t.Errorf("recorded %+v, want a %s of 64x48 by operator-bot", p, tc.media)
			}
			got := ts.do(t, "GET", "/api/v1/photos/"+p.Hash, operatorToken, "", "")
			if got.status != http.StatusOK || got.header.Get("Content-Type") != tc.media || bytes.Contains(got.body, []byte("48.858")) {
				t.Errorf("GET the photo: %d %s, %d bytes", got.status, got.header.Get("Content-Type"), len(got.body))
			}
			thumb := ts.do(t, "GET", "/api/v1/photos/"+p.Hash+"/thumbnail", plannerToken, "", "")
			if thumb.status != http.StatusOK || thumb.header.Get("Content-Type") != photos.JPEG {
				t.Errorf("GET the thumbnail: %d %s", thumb.status, thumb.header.Get("Content-Type"))
			}
		})
	}
	recs, err := ts.book.Photos(context.Background(), ts.workOrderOf(t, op))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Caption != "the selvedge" || recs[0].Unit != 1 || !recs[1].Private || recs[2].Private {
		t.Errorf("records: %+v; want the three good photos, the PNG private", recs)
	}
	if files := storedFiles(t, dir); len(files) != 6 {
		t.Errorf("files stored: %v; want three photos and their thumbnails", files)
	}
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"not a hash", "/api/v1/photos/..%2f..%2fetc", http.StatusBadRequest},
		{"not stored", "/api/v1/photos/" + strings.Repeat("0", 64), http.StatusNotFound},
		{"no thumbnail of a photo not stored", "/api/v1/photos/" + strings.Repeat("0", 64) + "/thumbnail", http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := ts.do(t, "GET", tc.path, operatorToken, "", ""); r.status != tc.status {
				t.Errorf("%d %s, want %d", r.status, r.body, tc.status)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestAddPhotoRefusesALargeBodyBeforeReadingIt sends a body larger than a photo may be, with
// its length said and without: it is refused with 413 either way, nothing stored.
func TestAddPhotoRefusesALargeBodyBeforeReadingIt(t *testing.T) {
	ts, dir := newPhotoServer(t, nil)
	op := ts.firstOp(t, "P1")
	ct, body := uploadForm(t, "big.jpg", append(testPhoto(t, "plain.jpg"), bytes.Repeat([]byte{'x'}, photos.DefaultMaxBytes+photoFormOverhead)...))
	for _, tc := range []struct {
		name   string
		length bool
	}{{"with Content-Length", true}, {"chunked", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(body)
			if !tc.length {
				r = io.MultiReader(r) // hides the length: the request is sent chunked
			}
			req, err := http.NewRequest("POST", ts.URL+"/api/v1/operations/"+itoa(op)+"/photos", r)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+operatorToken)
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "larger than 10 MiB (10485760 bytes)") {
				t.Errorf("%d %s; want 413 naming the limit", resp.StatusCode, msg)
			}
		})
	}
	if files := storedFiles(t, dir); len(files) != 0 {
		t.Errorf("files stored: %v", files)
	}
}

// distinctPNG is a small real PNG that differs from those of other seeds.
func distinctPNG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(seed%16, seed/16, color.RGBA{A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPhotoUploadsAreBounded sends 20 photos at once to a server that stores 2 at a time and
// holds the first two in their turn: the others wait, then are answered 503 with a
// Retry-After; the two then finish. Nothing of a refused upload is on disk or in the book.
func TestPhotoUploadsAreBounded(t *testing.T) {
	ts, dir := newPhotoServer(t, func(cfg *Config) { cfg.PhotoUploads = 2; cfg.PhotoWait = 50 * time.Millisecond })
	op := ts.firstOp(t, "B1")
	var inTurn, most atomic.Int32
	release := make(chan struct{})
	ts.api.photos.held = func() {
		n := inTurn.Add(1)
		defer inTurn.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
	}
	const uploads = 20
	type answer struct {
		status     int
		retryAfter string
		body       string
	}
	answers := make(chan answer, uploads)
	var wg sync.WaitGroup
	for i := range uploads {
		ct, body := uploadForm(t, fmt.Sprintf("p%d.png", i), distinctPNG(t, i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/operations/"+itoa(op)+"/photos", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+operatorToken)
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers <- answer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			answers <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), string(b)}
		}()
	}
	counts := map[int]int{}
	deadline := time.After(20 * time.Second)
	for range uploads - 2 {
		var a answer
		select {
		case a = <-answers:
		case <-deadline:
			close(release)
			t.Fatalf("answers so far %v: the others were not refused while two uploads held their turn", counts)
		}
		counts[a.status]++
		if a.status != http.StatusServiceUnavailable || a.retryAfter == "" || !strings.Contains(a.body, `"busy"`) {
			t.Errorf("an upload beyond the two in their turn: %d, Retry-After %q, %s", a.status, a.retryAfter, a.body)
		}
	}
	close(release)
	wg.Wait()
	close(answers)
	for a := range answers {
		counts[a.status]++
		if a.status != http.StatusCreated {
			t.Errorf("an upload in its turn: %d %s", a.status, a.body)
		}
	}
	if most.Load() != 2 {
		t.Errorf("%d uploads in their turn at once, want 2", most.Load())
	}
	recs, err := ts.book.Photos(context.Background(), ts.workOrderOf(t, op))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != counts[http.StatusCreated] || len(recs) != 2 {
		t.Errorf("%d records, answers %v", len(recs), counts)
	}
	// Every file stored is a recorded photo or its thumbnail.
	recorded := map[string]bool{}
	for _, p := range recs {
		recorded[p.Hash] = true
	}
	files := storedFiles(t, dir)
	for _, f := range files {
		if !recorded[strings.SplitN(filepath.Base(f), ".", 2)[0]] {
			t.Errorf("file %s is no recorded photo's", f)
		}
	}
	if len(files) != 2*len(recs) {
		t.Errorf("files %v for %d records", files, len(recs))
	}
}

// TestPhotoUploadsAtOnceStoreWholePhotos sends 20 photos at once to a server with its default
// bounds: each is stored and recorded whole, or refused with 503 and not stored at all.
func TestPhotoUploadsAtOnceStoreWholePhotos(t *testing.T) {
	ts, dir := newPhotoServer(t, nil)
	op := ts.firstOp(t, "C1")
	const uploads = 20
	statuses := make([]int, uploads)
	var wg sync.WaitGroup
	for i := range uploads {
		ct, body := uploadForm(t, fmt.Sprintf("p%d.png", i), distinctPNG(t, i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/operations/"+itoa(op)+"/photos", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+operatorToken)
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	created := 0
	for i, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusServiceUnavailable:
		default:
			t.Errorf("upload %d: %d", i, s)
		}
	}
	recs, err := ts.book.Photos(context.Background(), ts.workOrderOf(t, op))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != created || created == 0 {
		t.Errorf("%d records for %d photos created", len(recs), created)
	}
	if files := storedFiles(t, dir); len(files) != 2*created {
		t.Errorf("%d files for %d photos created: %v", len(files), created, files)
	}
}
