// Package unitpage renders the public page of one unit: the story its certificate tells,
// behind the QR code on its label. The page is one HTML document with its style inline and no
// script, so that the daemon serves it and an export writes it as a static file alike; it shows
// only what the certificate holds (which holds no customer data), and the links the caller
// gives it.
package unitpage

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book/provenance"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"num":      num,
	"duration": duration,
	"when":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"params":   params,
	"inc":      func(i int) int { return i + 1 },
}).Parse(pageHTML))

// Links are where the page's links lead, relative to the page or absolute.
type Links struct {
	// Certificate is the certificate file to download; empty for a unit whose certificate is
	// not issued yet.
	Certificate string
	// Keys is the studio's public keys, which verify the certificate.
	Keys string
	// Photo and Thumbnail give the address of a photo and of its thumbnail by its hash and
	// media type.
	Photo, Thumbnail func(sha256, mediaType string) string
	// RepairRequest is the form to ask for a repair of the unit; empty for none (a static
	// page, a studio that takes no requests on its public pages, a unit being made).
	RepairRequest string
}

// Page is what a unit's page shows.
type Page struct {
	// Revision is the unit's story: the newest revision of its certificate, or, while it is
	// being made, the story so far.
	Revision provenance.Revision
	// Finished is false while the unit is being made: the page says so and offers no
	// certificate.
	Finished bool
	Links    Links
}

type view struct {
	Page
	Title string
	// File is the name the certificate downloads as, which the command to check it names.
	File    string
	Photos  []photoView
	Makers  []string
	Consume []provenance.Lot
	// Repairs are the unit's repairs by date, the oldest first: its life after it was made
	// reads on from how it was made.
	Repairs []repairView
}

type photoView struct {
	Full, Thumb string
	N           int
}

// repairView is a repair as the page shows it, with the addresses of its photos.
type repairView struct {
	provenance.Repair
	Thumbs []photoView
}

// Render writes the page of p to w.
func Render(w io.Writer, p Page) error {
	v := view{Page: p, Title: p.Revision.Product.Name, File: CertificateFile(p.Revision.Serial)}
	if v.Title == "" {
		v.Title = p.Revision.Product.SKU
	}
	v.Photos = p.Links.photos(p.Revision.Photos)
	for _, r := range p.Revision.Repairs {
		v.Repairs = append(v.Repairs, repairView{Repair: r, Thumbs: p.Links.photos(r.Photos)})
	}
	slices.SortStableFunc(v.Repairs, func(a, b repairView) int { return strings.Compare(a.Date, b.Date) })
	for _, s := range p.Revision.Steps {
		for _, m := range s.Makers {
			if !slices.Contains(v.Makers, m) {
				v.Makers = append(v.Makers, m)
			}
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("rendering the page of unit %s: %w", p.Revision.Serial, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// photos returns the addresses of photos, numbered from 1.
func (l Links) photos(photos []provenance.Photo) []photoView {
	var out []photoView
	for i, ph := range photos {
		pv := photoView{N: i + 1}
		if l.Photo != nil {
			pv.Full = l.Photo(ph.SHA256, ph.MediaType)
		}
		if l.Thumbnail != nil {
			pv.Thumb = l.Thumbnail(ph.SHA256, ph.MediaType)
		}
		out = append(out, pv)
	}
	return out
}

// num writes a reading or a param the way people write it: at most two decimals, none when
// it is whole.
func num(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "–"
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// duration writes seconds as hours and minutes.
func duration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(math.Round(seconds))) + " s"
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// params writes a step's params as "name value" pairs, by name.
func params(p map[string]float64) string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + num(p[n])
	}
	return strings.Join(parts, " · ")
}

// CertificateFile is the name a unit's certificate file downloads as: its serial, with what
// a file name may not hold replaced, and ".certificate.json".
func CertificateFile(serial string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, serial) + ".certificate.json"
}
