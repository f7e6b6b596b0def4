package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/store/postgres/pgtest"
)

const exportFactory = `site: north-loft
name: North Loft Weavers
cells:
  - id: dye-1
    capabilities: [dye]
  - id: pack-1
    capabilities: [pack]
products:
  - sku: RUG
    name: Kilim rug
    routing:
      - capability: dye
        unit_time: 10m
      - capability: pack
        unit_time: 5m
drops:
  - id: winter
    date: 2027-01-10
    windows: {RUG: 10}
people:
  - id: ana
    name: Ana Lopes
    public_name: Ana
    role: operator
    pin: "1234"
`

// TestProvenanceExport writes the pages of a book's finished units as static files: each
// page, its certificate (verified with the exported keys) and its public photo; nothing of a
// unit being made or scrapped, no customer. Exporting again issues no new revision. It runs on
// both stores: the book in the data directory, and in a PostgreSQL database --store names.
func TestProvenanceExport(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testProvenanceExport(t, storeChoice{}) })
	t.Run("postgres", func(t *testing.T) { testProvenanceExport(t, storeChoice{postgres: pgtest.URL(t)}) })
}

func testProvenanceExport(t *testing.T, store storeChoice) {
	dir := t.TempDir()
	config := filepath.Join(dir, "factory.yaml")
	if err := os.WriteFile(config, []byte(exportFactory), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	photo := fillExportBook(t, config, data, store)
	out := filepath.Join(dir, "site")
	args := []string{"provenance", "export", "--config", config, "--data", data}
	if store.postgres != "" {
		args = append(args, "--store", store.postgres)
	}
	export := func() string {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append(args, out), nil, &stdout, &stderr); code != 0 {
			t.Fatalf("provenance export: exit %d: %s", code, stderr.String())
		}
		return stdout.String()
	}
	if got := export(); !strings.Contains(got, "of 2 units") {
		t.Fatalf("export says %q, want 2 units", got)
	}
	keys, err := os.ReadFile(filepath.Join(out, "provenance", "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := provenance.ParsePublicKeySet(keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, serial := range []string{"A-1", "A-2"} {
		cert, err := os.ReadFile(filepath.Join(out, "u", serial, "certificate.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provenance.Verify(cert, set); err != nil {
			t.Fatalf("%s: the exported certificate does not verify with the exported keys: %v", serial, err)
		}
		page, err := os.ReadFile(filepath.Join(out, "u", serial, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(page, []byte("Kilim rug")) || !bytes.Contains(page, []byte("/u/"+serial+"/certificate.json")) {
			t.Errorf("%s: the page lacks the product or the certificate's link", serial)
		}
		for _, secret := range []string{"Quist", "Lopes"} {
			if bytes.Contains(page, []byte(secret)) || bytes.Contains(cert, []byte(secret)) {
				t.Errorf("%s: the export shows %q", serial, secret)
			}
		}
	}
	for _, name := range []string{photo + ".jpg", photo + ".thumb.jpg"} {
		if _, err := os.Stat(filepath.Join(out, "u", "A-1", "photos", name)); err != nil {
			t.Errorf("photo %s: %v", name, err)
		}
	}
	for _, serial := range []string{"B-1", "A-3"} { // being made; scrapped
		if _, err := os.Stat(filepath.Join(out, "u", serial)); !os.IsNotExist(err) {
			t.Errorf("unit %s was exported: %v", serial, err)
		}
	}
	before, err := os.ReadFile(filepath.Join(out, "u", "A-1", "certificate.json"))
	if err != nil {
		t.Fatal(err)
	}
	export()
	if after, _ := os.ReadFile(filepath.Join(out, "u", "A-1", "certificate.json")); !bytes.Equal(before, after) {
		t.Fatal("exported again with nothing changed, the certificate changed")
	}
}

// fillExportBook makes the book of data: order A of three rugs made (its third scrapped at
// packing) with a public photo of the dye bath, order B dyed only, on the store c chooses. It
// returns the photo's hash.
func fillExportBook(t *testing.T, config, data string, c storeChoice) string {
	t.Helper()
	ctx := context.Background()
	f, err := loadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := openStore(ctx, c, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := book.New(book.Config{Store: st, Factory: f})
	rows, err := intake.NewCSV(strings.NewReader("order_id,sku,quantity,customer\nA,RUG,3,Zoë Quist\nB,RUG,1,Zoë Quist\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Import(ctx, book.ImportRequest{Drop: "winter", Rows: rows, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	act := func(op int64, a book.Action, good *int) {
		t.Helper()
		if _, err := b.Transition(ctx, book.TransitionRequest{Operation: op, Action: a, Actor: "person:ana", Good: good, Reason: "stain"}); err != nil {
			t.Fatalf("%s operation %d: %v", a, op, err)
		}
	}
	ops := func(order string) []book.Operation {
		_, wo, err := b.Order(ctx, order)
		if err != nil {
			t.Fatal(err)
		}
		d, err := b.WorkOrder(ctx, wo.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Operations
	}
	a, bo := ops("A"), ops("B")
	act(a[0].ID, book.ActionStart, nil)
	act(a[0].ID, book.ActionComplete, nil)
	act(bo[0].ID, book.ActionStart, nil)
	act(bo[0].ID, book.ActionComplete, nil)
	two := 2
	act(a[1].ID, book.ActionStart, nil)
	act(a[1].ID, book.ActionComplete, &two)

	pics, err := photos.New(filepath.Join(data, photosDir), photos.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.Open("../../book/photos/testdata/plain.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	p, err := pics.Put(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.AddPhoto(ctx, book.PhotoRequest{Operation: a[0].ID, Hash: p.Hash, MediaType: p.MediaType, Width: p.Width, Height: p.Height,
		Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	return p.Hash
}

func TestProvenanceExportRefuses(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "factory.yaml")
	if err := os.WriteFile(config, []byte(exportFactory), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"provenance"}, 2, "name what to do: export"},
		{"no config", []string{"provenance", "export", dir}, 2, "--config is required"},
		{"no directory", []string{"provenance", "export", "--config", config}, 2, "name one directory"},
		{"two directories", []string{"provenance", "export", "--config", config, dir, dir}, 2, "name one directory"},
		{"no book", []string{"provenance", "export", "--config", config, "--data", filepath.Join(dir, "none"), filepath.Join(dir, "out")}, 1, "no order book in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, nil, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Fatalf("a refused export wrote %v", err)
	}
}

// TestExportRepairPhotos: the export of a repaired unit writes the photos of its repairs and
// their thumbnails beside its own, where its page links them. The book cannot record a repair
// in this test: the unit is given as the certificate issuer tells one.
func TestExportRepairPhotos(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	pics, err := photos.New(filepath.Join(data, photosDir), photos.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string) photos.Photo {
		f, err := os.Open("../../book/photos/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := pics.Put(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	own, repaired := put("plain.jpg"), put("upright.png")
	u := certify.Unit{Finished: true, Certificate: []byte(`{"revisions":[]}`), Revision: provenance.Revision{
		Serial: "A-1", Product: provenance.Product{SKU: "RUG", Name: "Kilim rug"}, Made: provenance.Made{First: "2026-11-02", Last: "2026-11-02"},
		Photos: []provenance.Photo{{SHA256: own.Hash, MediaType: own.MediaType}},
		Repairs: []provenance.Repair{{Kind: provenance.RepairKind, Date: "2027-02-01", Services: []string{"Fringe repair"},
			Photos: []provenance.Photo{{SHA256: repaired.Hash, MediaType: repaired.MediaType}, {SHA256: own.Hash, MediaType: own.MediaType}}}},
	}}
	out := t.TempDir()
	if err := (exporter{out: out, photos: pics}).unit(u); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "u", "A-1", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{own.Hash + ".jpg", own.Hash + ".thumb.jpg", repaired.Hash + ".png", repaired.Hash + ".thumb.jpg"} {
		if _, err := os.Stat(filepath.Join(out, "u", "A-1", "photos", name)); err != nil {
			t.Errorf("photo %s: %v", name, err)
		}
	}
	for _, link := range []string{`href="/u/A-1/photos/` + repaired.Hash + `.png"`, `src="/u/A-1/photos/` + repaired.Hash + `.thumb.jpg"`} {
		if !bytes.Contains(page, []byte(link)) {
			t.Errorf("the page lacks %s", link)
		}
	}
}
