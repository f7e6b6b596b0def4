package provenance

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// FormatVersion is the version of the certificate format this package writes and reads.
const FormatVersion = 1

// Revision is one revision of a unit's provenance: the whole story as it stood when the
// revision was issued. It holds public names, never person ids, and nothing of the unit's
// customer. Its JSON form, made canonical, is what the studio's key signs.
type Revision struct {
	// Format is FormatVersion.
	Format  int     `json:"format"`
	Serial  string  `json:"serial"`
	Studio  Studio  `json:"studio"`
	Product Product `json:"product"`
	// Drop is the id of the drop the unit was made for.
	Drop    string   `json:"drop"`
	Made    Made     `json:"made"`
	Steps   []Step   `json:"steps"`
	Lots    Lots     `json:"lots"`
	Notes   []Note   `json:"notes"`
	Photos  []Photo  `json:"photos"`
	Repairs []Repair `json:"repairs"`
	// Number counts the unit's revisions from 1.
	Number int `json:"revision"`
	// Previous is the SHA-256, in hex, of the previous revision's signed form (see Hash);
	// empty for revision 1.
	Previous string    `json:"previous"`
	IssuedAt time.Time `json:"issued_at"`
	// KeyID names the key that signed the revision (see KeyID).
	KeyID string `json:"key_id"`
}

// Studio is the site that made the unit.
type Studio struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Product is what the unit is.
type Product struct {
	SKU  string `json:"sku"`
	Name string `json:"name"`
}

// Made is when the unit was made: the dates, in the studio's time zone, as YYYY-MM-DD, of its
// first step's start and its last step's end.
type Made struct {
	First string `json:"first"`
	Last  string `json:"last"`
}

// Step is one operation that made the unit.
type Step struct {
	// Name is the step's name in the product's routing ("Dye weft yarn"); Capability what it
	// needed of a cell ("dye").
	Name       string `json:"name"`
	Capability string `json:"capability"`
	// Cell is the cell the step ran at, by the name the studio gives it.
	Cell    string `json:"cell"`
	Machine string `json:"machine"`
	// Makers are the public names of the people who worked the step and agreed to be named.
	Makers []string  `json:"makers"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Params are the job params the machine was given.
	Params   map[string]float64 `json:"params"`
	Readings []Reading          `json:"readings"`
	// Checks are the results of the step's quality checklist, item by item, as recorded at
	// its completion. Left out of the JSON when empty, so that a revision written before
	// steps had checks reads back to the bytes that were signed.
	Checks []Check `json:"checks,omitempty"`
}

// Check is the result of one item of a step's quality checklist: a pass-or-fail item, or a
// measurement with its value and unit.
type Check struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value,omitempty"`
	Unit  string   `json:"unit,omitempty"`
	Pass  bool     `json:"pass"`
}

// Reading summarises what the machine measured of one quantity during a step: the lowest and
// highest values reached, the value held and how long it was held.
type Reading struct {
	Quantity string  `json:"quantity"`
	Unit     string  `json:"unit"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Held     float64 `json:"held"`
	// HeldSeconds is the hold time achieved.
	HeldSeconds float64 `json:"held_seconds"`
}

// Lots are the material lots that went into the unit and those its steps made.
type Lots struct {
	Consumed []Lot `json:"consumed"`
	Made     []Lot `json:"made"`
}

// Lot is one lot of a material.
type Lot struct {
	Material string `json:"material"`
	ID       string `json:"id"`
}

// Note is a maker's public note on the unit.
type Note struct {
	Text string `json:"text"`
	// Author is the public name of the note's author.
	Author string    `json:"author"`
	At     time.Time `json:"at"`
}

// Photo is a photo of the unit, named by its content.
type Photo struct {
	// SHA256 is the hex SHA-256 of the photo's bytes.
	SHA256    string `json:"sha256"`
	MediaType string `json:"media_type"`
}

// RepairKind is the Kind of a repair the studio carried out through its cells.
const RepairKind = "repair"

// Repair is an event in the unit's life after it was made: a repair (Kind RepairKind), an
// alteration. What a repair carried out through the studio's cells adds, its services, makers,
// notes and photos, is left out of the JSON when empty, so that a revision written before they
// were reads back to the bytes that were signed.
type Repair struct {
	Kind string `json:"kind"`
	// Date is when it was done, in the studio's time zone, as YYYY-MM-DD.
	Date string `json:"date"`
	// Text is a short summary of what was done, for a reader that shows one line of it.
	Text string `json:"text"`
	// Services are the names of the services carried out, in the order they were done.
	Services []string `json:"services,omitempty"`
	// Makers are the public names of the people who worked its steps and agreed to be named,
	// in the order of their first act.
	Makers []string `json:"makers,omitempty"`
	// Notes and Photos are the makers' public notes and photos of its work, by time.
	Notes  []Note  `json:"notes,omitempty"`
	Photos []Photo `json:"photos,omitempty"`
}

// AllPhotos returns every photo r names, each once: the unit's, then its repairs' in order. A
// page shows them and a server or an export serves exactly these.
func (r *Revision) AllPhotos() []Photo {
	out := slices.Clone(r.Photos)
	for _, e := range r.Repairs {
		for _, p := range e.Photos {
			if !slices.ContainsFunc(out, func(q Photo) bool { return q.SHA256 == p.SHA256 }) {
				out = append(out, p)
			}
		}
	}
	return out
}

// canonical returns the canonical JSON of r: the bytes its signature covers.
func (r *Revision) canonical() ([]byte, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding revision %d: %w", r.Number, err)
	}
	return Canonicalize(raw)
}

// normalize gives r's lists their empty form rather than null, so that a revision reads the
// same whether a list was never set or set empty. It leaves the caller's steps as they were.
func (r *Revision) normalize() {
	r.Steps = orEmpty(slices.Clone(r.Steps))
	r.Notes = orEmpty(r.Notes)
	r.Photos = orEmpty(r.Photos)
	r.Repairs = orEmpty(r.Repairs)
	r.Lots.Consumed = orEmpty(r.Lots.Consumed)
	r.Lots.Made = orEmpty(r.Lots.Made)
	for i := range r.Steps {
		s := &r.Steps[i]
		s.Makers = orEmpty(s.Makers)
		s.Readings = orEmpty(s.Readings)
		if s.Params == nil {
			s.Params = map[string]float64{}
		}
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// check says what is wrong with the content of r, naming the field.
func (r *Revision) check() error {
	if r.Format != FormatVersion {
		return fmt.Errorf("format %d is not %d, the one this version reads", r.Format, FormatVersion)
	}
	if r.Serial == "" {
		return fmt.Errorf("serial is empty")
	}
	if r.Number < 1 {
		return fmt.Errorf("revision number %d is not 1 or more", r.Number)
	}
	if r.Number == 1 && r.Previous != "" {
		return fmt.Errorf("revision 1 names a previous revision hash %s", r.Previous)
	}
	if r.Number > 1 && !isHexHash(r.Previous) {
		return fmt.Errorf("previous %q is not a SHA-256 in hex", r.Previous)
	}
	for _, d := range []struct{ field, date string }{{"made.first", r.Made.First}, {"made.last", r.Made.Last}} {
		if _, err := time.Parse(time.DateOnly, d.date); err != nil {
			return fmt.Errorf("%s %q is not a date YYYY-MM-DD", d.field, d.date)
		}
	}
	if r.Made.Last < r.Made.First { // dates YYYY-MM-DD order as text
		return fmt.Errorf("made.last %s is before made.first %s", r.Made.Last, r.Made.First)
	}
	for i, s := range r.Steps {
		if s.End.Before(s.Start) {
			return fmt.Errorf("steps[%d].end %s is before its start %s", i, s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
		}
	}
	if err := checkPhotos("photos", r.Photos); err != nil {
		return err
	}
	for i, e := range r.Repairs {
		if _, err := time.Parse(time.DateOnly, e.Date); err != nil {
			return fmt.Errorf("repairs[%d].date %q is not a date YYYY-MM-DD", i, e.Date)
		}
		if err := checkPhotos(fmt.Sprintf("repairs[%d].photos", i), e.Photos); err != nil {
			return err
		}
	}
	return nil
}

// checkPhotos says what is wrong with a list of photos, at is the list's field.
func checkPhotos(at string, photos []Photo) error {
	for i, p := range photos {
		if !isHexHash(p.SHA256) {
			return fmt.Errorf("%s[%d].sha256 %q is not a SHA-256 in lower-case hex", at, i, p.SHA256)
		}
		if p.MediaType == "" {
			return fmt.Errorf("%s[%d].media_type is empty", at, i)
		}
	}
	return nil
}

// isHexHash says whether s is a SHA-256 in lower-case hex.
func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
