package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleRepair is the n-th repair of a unit, as the book tells one carried out through the
// studio's cells: three services, two makers, three notes and six photos.
func sampleRepair(n int) Repair {
	r := Repair{Kind: RepairKind, Date: day.AddDate(1, 0, n).Format(time.DateOnly), Text: "Deep clean, Fringe repair, Edge binding",
		Services: []string{"Deep clean", "Fringe repair", "Edge binding"}, Makers: []string{"Amira", "Jonas <j&k>"}}
	for i := range 3 {
		r.Notes = append(r.Notes, Note{Text: fmt.Sprintf("Repair %d, note %d: the fringe was \"worn\"\n— é", n, i), Author: "Amira",
			At: day.AddDate(1, 0, n).Add(time.Duration(i) * time.Hour)})
	}
	for i := range 6 {
		r.Photos = append(r.Photos, Photo{SHA256: fmt.Sprintf("%064x", n*10+i+1), MediaType: "image/jpeg"})
	}
	return r
}

// TestFormat1RepairsVerify: a certificate issued before repairs carried services, makers,
// notes and photos (testdata/format1-repairs.certificate.json, signed by testKey(1), whose
// revision 2 holds two repairs of kind, date and text alone) still verifies, and reads back
// as it was.
func TestFormat1RepairsVerify(t *testing.T) {
	data, err := os.ReadFile("testdata/format1-repairs.certificate.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(data, testRing(1).PublicKeys())
	if err != nil {
		t.Fatalf("a certificate with repairs of kind, date and text does not verify: %v", err)
	}
	want := []Repair{{Kind: "reweave", Date: "2027-02-01", Text: "Edge rewoven"}, {Kind: "clean", Date: "2027-03-01"}}
	if got := c.Revisions[1].Revision.Repairs; !reflect.DeepEqual(got, want) {
		t.Fatalf("repairs read back as %+v, want %+v", got, want)
	}
	again, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(again, testRing(1).PublicKeys()); err != nil {
		t.Fatalf("written again, it does not verify: %v", err)
	}
}

// TestRepairRevision: a revision that gains a repair with its services, makers, notes and
// photos verifies, names the one before and reads back whole; AllPhotos names the unit's and
// the repair's photos, each once.
func TestRepairRevision(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "NL-9", 1)
	r := sampleRevision("NL-9", 3, 0)
	rep := sampleRepair(1)
	rep.Photos = append(rep.Photos, r.Photos[0]) // a photo of the unit shown again
	r.Repairs = []Repair{rep}
	if err := c.Issue(r, ring, day.AddDate(1, 0, 2)); err != nil {
		t.Fatal(err)
	}
	data := marshal(t, c)
	got, err := Verify(data, ring.PublicKeys())
	if err != nil {
		t.Fatalf("a repair revision does not verify: %v", err)
	}
	back := got.Revisions[1].Revision
	if !reflect.DeepEqual(back.Repairs, []Repair{rep}) {
		t.Fatalf("the repair read back as %+v, want %+v", back.Repairs, rep)
	}
	if prev, _ := got.Revisions[0].Hash(); back.Previous != prev {
		t.Fatalf("revision 2 names %s, revision 1 hashes to %s", back.Previous, prev)
	}
	photos := back.AllPhotos()
	if len(photos) != 7 || photos[0] != r.Photos[0] || photos[1] != rep.Photos[0] || photos[6] != rep.Photos[5] {
		t.Fatalf("AllPhotos = %+v, want the unit's photo then the repair's six", photos)
	}
	for _, w := range []string{`"services": [`, `"Fringe repair"`, `"makers": [`} {
		if !bytes.Contains(data, []byte(w)) {
			t.Errorf("the certificate lacks %s", w)
		}
	}
}

// TestIssueRefusesRepairs checks what Issue will not sign of a repair.
func TestIssueRefusesRepairs(t *testing.T) {
	ring := testRing(1)
	tests := []struct {
		name string
		edit func(*Repair)
		want string
	}{
		{"photo hash", func(r *Repair) { r.Photos[2].SHA256 = strings.Repeat("AB", 32) },
			`issuing revision 2: repairs[0].photos[2].sha256 "` + strings.Repeat("AB", 32) + `" is not a SHA-256 in lower-case hex`},
		{"photo media type", func(r *Repair) { r.Photos[0].MediaType = "" }, "issuing revision 2: repairs[0].photos[0].media_type is empty"},
		{"date", func(r *Repair) { r.Date = "2027-13-01" }, `issuing revision 2: repairs[0].date "2027-13-01" is not a date YYYY-MM-DD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := issueChain(t, ring, "NL-1", 1)
			r := sampleRevision("NL-1", 1, 0)
			rep := sampleRepair(0)
			tt.edit(&rep)
			r.Repairs = []Repair{rep}
			err := c.Issue(r, ring, day)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Issue = %v, want %s", err, tt.want)
			}
			if len(c.Revisions) != 1 {
				t.Fatalf("a refused revision was appended: %d revisions", len(c.Revisions))
			}
		})
	}
}

// repairChains returns the certificate of a rug of 20 steps and 13 notes that gains a revision
// for each of n repairs (each as sampleRepair makes it; every revision holds every repair
// before it), and, its peer, the same rug's certificate of as many revisions, each a note added.
func repairChains(tb testing.TB, ring *KeyRing, n int) (repaired, plain *Chain) {
	tb.Helper()
	repaired, plain = &Chain{}, &Chain{}
	r := sampleRevision("NL-10", 20, 13)
	if err := repaired.Issue(r, ring, day); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		r.Repairs = append(r.Repairs, sampleRepair(i))
		if err := repaired.Issue(r, ring, day.AddDate(1, 0, i)); err != nil {
			tb.Fatal(err)
		}
	}
	r = sampleRevision("NL-10", 20, 13)
	for i := range n + 1 {
		r.Notes = append(r.Notes, Note{Text: "checked", Author: "Amira", At: day.AddDate(1, 0, i)})
		if err := plain.Issue(r, ring, day.AddDate(1, 0, i)); err != nil {
			tb.Fatal(err)
		}
	}
	return repaired, plain
}

// TestRepairsWithinLimits: a rug whose certificate gains a revision for each of 40 repairs
// stays within what Verify reads: its size, its revisions and its values
// (BenchmarkChainRepairs measures it).
func TestRepairsWithinLimits(t *testing.T) {
	const repairs = 40
	ring := testRing(1)
	c, _ := repairChains(t, ring, repairs)
	data := marshal(t, c)
	got, err := Verify(data, ring.PublicKeys())
	if err != nil {
		t.Fatalf("%d revisions, %d bytes: %v", len(c.Revisions), len(data), err)
	}
	if n := len(got.Revisions); n != repairs+1 || len(got.Revisions[repairs].Revision.Repairs) != repairs {
		t.Fatalf("%d revisions read back, want %d", n, repairs+1)
	}
}

// TestMarshalWithinLimit: a certificate whose indented file would be larger than Verify reads,
// while its revisions are not (a rug with 54 repairs, 4.2 MB indented), is written without
// indentation, and verifies.
func TestMarshalWithinLimit(t *testing.T) {
	ring := testRing(1)
	c, _ := repairChains(t, ring, 54)
	data := marshal(t, c)
	if _, err := Verify(data, ring.PublicKeys()); err != nil {
		t.Fatalf("a certificate of %d revisions, written in %d bytes: %v", len(c.Revisions), len(data), err)
	}
	if bytes.Contains(data, []byte("\n  ")) {
		t.Fatal("the file is indented")
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d revisions: %d bytes indented, %d written", len(c.Revisions), indented.Len(), len(data))
}
