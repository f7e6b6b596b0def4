package unitpage

import (
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/provenance"
)

func sample() provenance.Revision {
	day := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	return provenance.Revision{
		Serial:  "KL-000042",
		Studio:  provenance.Studio{ID: "loom-lantern", Name: "Loom & Lantern"},
		Product: provenance.Product{SKU: "RUG-KILIM-S", Name: "Kilim rug, small"},
		Drop:    "autumn-26",
		Made:    provenance.Made{First: "2026-11-03", Last: "2026-11-05"},
		Steps: []provenance.Step{
			{Name: "Dye weft yarn", Capability: "dye", Cell: "dye-1", Machine: "vat-a", Makers: []string{"Amira"}, Start: day, End: day.Add(95 * time.Minute),
				Params:   map[string]float64{"temperature": 55, "recipe": 11},
				Readings: []provenance.Reading{{Quantity: "temperature", Unit: "°C", Min: 18.25, Max: 55.4, Held: 55.016, HeldSeconds: 2700}}},
			{Capability: "weave", Cell: "weave-1", Machine: "loom-a", Makers: []string{"<script>alert(1)</script>", "Amira"}, Start: day.Add(2 * time.Hour), End: day.Add(5 * time.Hour)},
		},
		Lots:   provenance.Lots{Made: []provenance.Lot{{Material: "dyed yarn", ID: "dye-20261103-007"}}, Consumed: []provenance.Lot{{Material: "yarn", ID: "Y-17"}}},
		Notes:  []provenance.Note{{Text: "Madder took well", Author: "Amira", At: day}},
		Photos: []provenance.Photo{{SHA256: strings.Repeat("ab", 32), MediaType: "image/jpeg"}},
		Number: 2, IssuedAt: day.Add(48 * time.Hour), KeyID: "ed25519:0123456789abcdef",
	}
}

func links() Links {
	return Links{Certificate: "certificate.json", Keys: "/provenance/keys.json",
		Photo:     func(h, _ string) string { return "photos/" + h + ".jpg" },
		Thumbnail: func(h, _ string) string { return "photos/" + h + ".thumb.jpg" }}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name     string
		finished bool
		want     []string
		not      []string
	}{
		{"finished", true,
			[]string{"Dye weft yarn", `data-capability="weave"`, ">weave<", "Kilim rug, small", "KL-000042", "Loom &amp; Lantern", "dye-20261103-007", "Y-17", "vat-a", "loom-a",
				`temperature <span class="unit">(°C)</span></th><td>18.25</td><td>55.4</td><td>55.02</td><td>45 min</td>`, "recipe 11 · temperature 55", "Madder took well", `href="certificate.json"`,
				`src="photos/` + strings.Repeat("ab", 32) + `.thumb.jpg"`, "revision 2", "ed25519:0123456789abcdef",
				`download="KL-000042.certificate.json"`, "cellforge verify KL-000042.certificate.json --keys keys.json",
				"&lt;script&gt;alert(1)&lt;/script&gt;, Amira"},
			[]string{"<script>alert", "still being made"}},
		{"being made", false,
			[]string{"still being made", "vat-a"},
			[]string{`id="certificate"`, "revision 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Render(&b, Page{Revision: sample(), Finished: tt.finished, Links: links()}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("the page holds %q", n)
				}
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[float64]string{12.4: "12 s", 2700: "45 min", 3600: "1 h", 5430: "1 h 31 min"} {
		if got := duration(in); got != want {
			t.Errorf("duration(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestCertificateFile(t *testing.T) {
	tests := []struct{ name, serial, want string }{
		{"plain", "SP27-0001-1", "SP27-0001-1.certificate.json"},
		{"kept", "spring_27.000042", "spring_27.000042.certificate.json"},
		{"replaced", `a/b\c "d"é`, "a_b_c__d__.certificate.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CertificateFile(tt.serial); got != tt.want {
				t.Errorf("CertificateFile(%q) = %q, want %q", tt.serial, got, tt.want)
			}
		})
	}
}

// TestRenderRepairs: the page tells the unit's repairs by date, the oldest first, each with its
// date, services, makers, notes and photos as thumbnails, escaped; a repair told only by a
// text (as a certificate before services were named has it) shows its text.
func TestRenderRepairs(t *testing.T) {
	day := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	r := sample()
	r.Repairs = []provenance.Repair{
		{Kind: "repair", Date: "2027-02-01", Text: "<b>Fringe</b> repair, Deep clean",
			Services: []string{"<b>Fringe</b> repair", "Deep clean"}, Makers: []string{"Amira", "Cleo & Co"},
			Notes:  []provenance.Note{{Text: "Moth damage on <two> fringes", Author: "Amira", At: day}},
			Photos: []provenance.Photo{{SHA256: strings.Repeat("cd", 32), MediaType: "image/png"}, {SHA256: strings.Repeat("ef", 32), MediaType: "image/jpeg"}}},
		{Kind: "reweave", Date: "2026-12-20", Text: "Edge rewoven"},
	}
	var b strings.Builder
	if err := Render(&b, Page{Revision: r, Finished: true, Links: links()}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	tests := []struct{ name, want string }{
		{"the heading", "<h2>Its life since</h2>"},
		{"the older first", `data-date="2026-12-20"`},
		{"the newer", `data-date="2027-02-01"`},
		{"the date", `<time datetime="2027-02-01">2027-02-01</time>`},
		{"the services, escaped", `<ul class="services"><li>&lt;b&gt;Fringe&lt;/b&gt; repair</li><li>Deep clean</li></ul>`},
		{"the makers, escaped", `By <span class="makers">Amira, Cleo &amp; Co</span>`},
		{"the note, escaped", `<blockquote class="note">Moth damage on &lt;two&gt; fringes<footer class="meta">Amira, 1 Feb 2027 09:00 UTC</footer></blockquote>`},
		{"a photo's thumbnail", `<a href="photos/` + strings.Repeat("cd", 32) + `.jpg"><img src="photos/` + strings.Repeat("cd", 32) + `.thumb.jpg" alt="Photo 1 of the repair of 2027-02-01"`},
		{"another photo", `alt="Photo 2 of the repair of 2027-02-01"`},
		{"an old repair's text", "<div>Edge rewoven</div>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(page, tt.want) {
				t.Errorf("the page lacks %q", tt.want)
			}
		})
	}
	if old, new := strings.Index(page, `data-date="2026-12-20"`), strings.Index(page, `data-date="2027-02-01"`); old > new {
		t.Error("the repair of 2027-02-01 comes before the one of 2026-12-20")
	}
	for _, not := range []string{"<b>", "<script", "<two>", "<div>&lt;b&gt;Fringe"} {
		if strings.Contains(page, not) {
			t.Errorf("the page holds %q", not)
		}
	}
}
