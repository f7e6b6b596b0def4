package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/provenance"
)

// repairedUnits tells units as the certificate issuer does, with a repair added to each unit's
// revision: the book cannot record a repair in these tests.
type repairedUnits struct {
	Units
	repair provenance.Repair
}

func (r repairedUnits) Unit(ctx context.Context, serial string) (certify.Unit, error) {
	u, err := r.Units.Unit(ctx, serial)
	if err != nil {
		return u, err
	}
	u.Revision.Repairs = append(slices.Clip(u.Revision.Repairs), r.repair)
	return u, nil
}

// TestUnitPageRepairPhotos: a repair's photos show on the unit's page and are served with
// their thumbnails, as the unit's own are; a stored photo the certificate does not name is
// not.
func TestUnitPageRepairPhotos(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\nu-1,SCARF,1,Zoë Quist\n")
	s.work(t, "u-1", 0, 2)
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
	repaired, other := put("plain.jpg"), put("upright.png")
	cfg := s.pages.cfg
	cfg.Units = repairedUnits{Units: cfg.Units, repair: provenance.Repair{Kind: provenance.RepairKind, Date: "2027-02-01",
		Services: []string{"Hem repair"}, Photos: []provenance.Photo{{SHA256: repaired, MediaType: "image/jpeg"}}}}
	pages, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pages.Handler())
	t.Cleanup(srv.Close)

	res, body := get(t, srv.URL+"/u/u-1-1")
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `src="/u/u-1-1/photos/`+repaired+`.thumb.jpg"`) {
		t.Fatalf("the page of a repaired unit: %d, want the repair's thumbnail: %s", res.StatusCode, body)
	}
	for _, tt := range []struct {
		path, contentType string
		status            int
	}{
		{"/u/u-1-1/photos/" + repaired + ".jpg", "image/jpeg", http.StatusOK},
		{"/u/u-1-1/photos/" + repaired + ".thumb.jpg", "image/jpeg", http.StatusOK},
		{"/u/u-1-1/photos/" + repaired + ".png", "", http.StatusNotFound},
		{"/u/u-1-1/photos/" + other + ".png", "", http.StatusNotFound},
		{"/u/u-1-1/photos/" + other + ".thumb.jpg", "", http.StatusNotFound},
	} {
		res, _ := get(t, srv.URL+tt.path)
		if res.StatusCode != tt.status || tt.contentType != "" && res.Header.Get("Content-Type") != tt.contentType {
			t.Errorf("GET %s: %d %s, want %d %s", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.status, tt.contentType)
		}
	}
}
