package provenance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var day = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

// sampleRevision is a rug's story with steps steps and a note per revision so far.
func sampleRevision(serial string, steps, notes int) Revision {
	r := Revision{
		Serial:  serial,
		Studio:  Studio{ID: "north-loft", Name: "North Loft Weavers"},
		Product: Product{SKU: "RUG-KILIM-S", Name: "Kilim rug, small"},
		Drop:    "autumn-26",
		Made:    Made{First: "2026-11-03", Last: "2026-11-05"},
		Lots: Lots{
			Consumed: []Lot{{Material: "wool warp", ID: "W-2231"}, {Material: "madder dye", ID: "MD-17"}},
			Made:     []Lot{{Material: "dyed weft", ID: "DB-0912"}},
		},
		Photos: []Photo{{SHA256: strings.Repeat("ab", 32), MediaType: "image/jpeg"}},
	}
	for i := range steps {
		r.Steps = append(r.Steps, Step{
			Capability: "dye", Cell: fmt.Sprintf("dye-%d", i%3+1), Machine: "vat-a",
			Makers: []string{"Amira", "Jonas <j&k>"},
			Start:  day.Add(time.Duration(i) * time.Hour), End: day.Add(time.Duration(i)*time.Hour + 50*time.Minute),
			Params: map[string]float64{"temp_c": 92.5, "ph": 4.2, "minutes": 45},
			Readings: []Reading{
				{Quantity: "temperature", Unit: "°C", Min: 18.25, Max: 93.1, Held: 92.5, HeldSeconds: 2700},
				{Quantity: "pH", Unit: "", Min: 4.1, Max: 4.4, Held: 4.2, HeldSeconds: 2650.5},
			},
		})
	}
	for i := range notes {
		r.Notes = append(r.Notes, Note{Text: fmt.Sprintf("Note %d: the madder took \"well\"\n— é", i), Author: "Amira", At: day.Add(time.Duration(i) * time.Minute)})
	}
	return r
}

// issueChain issues n revisions of serial with ring, each with one more note.
func issueChain(t testing.TB, ring *KeyRing, serial string, n int) *Chain {
	t.Helper()
	var c Chain
	for i := range n {
		if err := c.Issue(sampleRevision(serial, 3, i), ring, day.Add(time.Duration(i)*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return &c
}

func marshal(t testing.TB, c *Chain) []byte {
	t.Helper()
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fileRevisions splits a certificate file into its signed revisions, as raw JSON.
func fileRevisions(t testing.TB, data []byte) []json.RawMessage {
	t.Helper()
	var f struct{ Revisions []json.RawMessage }
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Revisions
}

func joinRevisions(t testing.TB, revs ...json.RawMessage) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{"revisions": revs})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestIssueVerify checks that a chain as issued verifies, whatever the layout and key order of
// its file, and reads back as issued.
func TestIssueVerify(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "NL-000042", 3)
	data := marshal(t, c)

	var generic any // key order lost, whitespace gone, "<" and "&" escaped
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	escaped := bytes.ReplaceAll(data, []byte("é"), []byte(`\u00e9`))
	for name, file := range map[string][]byte{"as written": data, "re-encoded": compact, "escaped": escaped} {
		t.Run(name, func(t *testing.T) {
			got, err := Verify(file, ring.PublicKeys())
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Revisions) != 3 {
				t.Fatalf("%d revisions, want 3", len(got.Revisions))
			}
			for i, s := range got.Revisions {
				want := c.Revisions[i]
				if s.Revision.Number != i+1 || s.Revision.KeyID != ring.KeyID() || !bytes.Equal(s.Signature, want.Signature) {
					t.Fatalf("revision %d read back as %+v", i+1, s.Revision)
				}
				wantHash, _ := want.Hash()
				if h, _ := s.Hash(); h != wantHash {
					t.Fatalf("revision %d hashes to %s, issued %s", i+1, h, wantHash)
				}
			}
			if r := got.Revisions[2].Revision; len(r.Notes) != 2 || r.Steps[1].Params["temp_c"] != 92.5 || r.Steps[0].Makers[1] != "Jonas <j&k>" {
				t.Fatalf("revision 3 read back as %+v", r)
			}
		})
	}
	if first := c.Revisions[0].Revision; first.Previous != "" || first.Format != FormatVersion || !first.IssuedAt.Equal(day) {
		t.Fatalf("revision 1 as issued: %+v", first)
	}
	prev, _ := c.Revisions[1].Hash()
	if c.Revisions[2].Revision.Previous != prev {
		t.Fatalf("revision 3 names %s, revision 2 hashes to %s", c.Revisions[2].Revision.Previous, prev)
	}
}

// TestVerifyRotated checks that a chain signed before and after a rotation verifies with the
// studio's keys, and not with the new key alone.
func TestVerifyRotated(t *testing.T) {
	ring, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var c Chain
	if err := c.Issue(sampleRevision("NL-7", 1, 0), ring, day); err != nil {
		t.Fatal(err)
	}
	old := ring.KeyID()
	if err := ring.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := c.Issue(sampleRevision("NL-7", 1, 1), ring, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data := marshal(t, &c)
	if _, err := Verify(data, ring.PublicKeys()); err != nil {
		t.Fatalf("Verify with the studio's keys: %v", err)
	}
	newOnly := PublicKeySet{Keys: ring.PublicKeys().Keys[:1]}
	_, err = Verify(data, newOnly)
	want := "revision 1: signed with key " + old + ", which is not among the studio's public keys (" + ring.KeyID() + ")"
	if err == nil || err.Error() != want {
		t.Fatalf("Verify with the new key alone = %v, want %s", err, want)
	}
}

// TestVerifyRefuses checks each way a certificate can be wrong, and that its message says so.
func TestVerifyRefuses(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "NL-000042", 3)
	data := marshal(t, c)
	revs := fileRevisions(t, data)
	h := func(i int) string { s, _ := c.Revisions[i].Hash(); return short(s) }

	// A fork: the same unit's chain issued again from revision 2 on. Its revision 3 is signed
	// by the studio but names another revision 2.
	fork := issueChain(t, ring, "NL-000042", 1)
	if err := fork.Issue(sampleRevision("NL-000042", 2, 0), ring, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := fork.Issue(sampleRevision("NL-000042", 2, 0), ring, day.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	forkHash, _ := fork.Revisions[1].Hash()
	other := fileRevisions(t, marshal(t, issueChain(t, ring, "NL-000043", 2)))
	stranger := fileRevisions(t, marshal(t, issueChain(t, testRing(9), "NL-000042", 1)))

	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"one byte of a value", changeNth(data, `"Amira"`, 3, `"Amire"`), // revision 1 names her 3 times
			"revision 2: signature does not verify with key " + ring.KeyID() + ": the revision was changed after it was signed"},
		{"a number", bytes.Replace(data, []byte(`"held": 92.5`), []byte(`"held": 92.6`), 1),
			"revision 1: signature does not verify with key " + ring.KeyID() + ": the revision was changed after it was signed"},
		{"a member added", bytes.Replace(data, []byte(`"drop": "autumn-26",`), []byte(`"drop": "autumn-26", "customer": "x",`), 1),
			"revision 1: json: unknown field \"customer\""},
		{"removed revision", joinRevisions(t, revs[0], revs[2]), "revision 2 is missing: revisions go 1, 3"},
		{"removed first revision", joinRevisions(t, revs[1], revs[2]), "revision 1 is missing: revisions go 2, 3"},
		{"reordered pair", joinRevisions(t, revs[0], revs[2], revs[1]), "revisions are out of order: they go 1, 3, 2, where the certificate lists them oldest first"},
		{"revision twice", joinRevisions(t, revs[0], revs[1], revs[1]), "revision 2 appears twice: revisions go 1, 2, 2"},
		{"spliced from a fork", joinRevisions(t, revs[0], revs[1], fileRevisions(t, marshal(t, fork))[2]),
			"revision 3: names previous revision hash " + short(forkHash) + " but revision 2 hashes to " + h(1) + ": a revision was removed or changed"},
		{"another unit's revision", joinRevisions(t, revs[0], other[1]),
			`revision 2: serial "NL-000043" is not the serial "NL-000042" of revision 1: it belongs to another unit`},
		{"unknown key", joinRevisions(t, stranger[0]),
			"revision 1: signed with key " + testRing(9).KeyID() + ", which is not among the studio's public keys (" + ring.KeyID() + ")"},
		{"truncated", data[:len(data)-40], "certificate is not JSON: line "},
		{"signature changed", bytes.Replace(data, []byte(`"signature": "`), []byte(`"signature": "A`), 1),
			"revision 1: signature is not 64 bytes in unpadded base64url"},
		{"no revision", []byte(`{"revisions":[]}`), "certificate holds no revision"},
		{"revision with more members", []byte(`{"revisions":[{"revision":{},"signature":"","note":1}]}`),
			`revisions[0] is not an object {"revision":{…},"signature":"…"}`},
		{"certificate with more members", []byte(`{"revisions":[],"customer":"x"}`), `certificate has a member "customer"; it holds only "revisions"`},
		{"not a certificate", []byte(`[1,2]`), `certificate is not an object {"revisions":[…]}`},
		{"future format", bytes.Replace(data, []byte(`"format": 1`), []byte(`"format": 2`), 1),
			"revision 1: the revision is not of format 1, the one this version reads"},
		{"too large", append(data, bytes.Repeat([]byte(" "), MaxFileBytes)...),
			fmt.Sprintf("certificate is %d bytes, more than the %d a certificate may have", len(data)+MaxFileBytes, MaxFileBytes)},
		{"too many revisions", []byte(`{"revisions":[` + strings.Repeat(`{},`, MaxRevisions) + `{}]}`),
			"certificate holds 1001 revisions, more than the 1000 a certificate may have"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.file, data) {
				t.Fatal("the test changed nothing")
			}
			_, err := Verify(tt.file, ring.PublicKeys())
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Verify = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestVerifyEveryByte changes each byte of a certificate in turn: each change either fails
// verification or changes only the layout, never a value.
func TestVerifyEveryByte(t *testing.T) {
	ring := testRing(1)
	var c Chain
	for i := range 2 {
		if err := c.Issue(sampleRevision("NL-1", 1, i), ring, day); err != nil {
			t.Fatal(err)
		}
	}
	data := marshal(t, &c)
	want, _ := c.Revisions[1].Hash()
	accepted := 0
	for i := range data {
		changed := bytes.Clone(data)
		changed[i] ^= 0x01 // digits stay digits, letters letters, a space becomes '!'
		got, err := Verify(changed, ring.PublicKeys())
		if err != nil {
			continue
		}
		accepted++
		if h, _ := got.Revisions[len(got.Revisions)-1].Hash(); len(got.Revisions) != 2 || h != want {
			t.Fatalf("byte %d (%q) changed to %q: verified as another chain", i, data[i], changed[i])
		}
	}
	if accepted != 0 {
		t.Fatalf("%d one-byte changes verified", accepted)
	}
}

// TestIssueRefuses checks what Issue will not sign.
func TestIssueRefuses(t *testing.T) {
	ring := testRing(1)
	tests := []struct {
		name string
		edit func(*Revision)
		want string
	}{
		{"another serial", func(r *Revision) { r.Serial = "NL-2" }, `issuing revision 2: serial "NL-2" is not the certificate's serial "NL-1"`},
		{"photo hash", func(r *Revision) { r.Photos[0].SHA256 = "AB" }, `issuing revision 2: photos[0].sha256 "AB" is not a SHA-256 in lower-case hex`},
		{"made date", func(r *Revision) { r.Made.Last = "5 Nov" }, `issuing revision 2: made.last "5 Nov" is not a date YYYY-MM-DD`},
		{"made backwards", func(r *Revision) { r.Made.First = "2026-11-06" }, "issuing revision 2: made.last 2026-11-05 is before made.first 2026-11-06"},
		{"step backwards", func(r *Revision) { r.Steps[0].End = r.Steps[0].Start.Add(-time.Second) },
			"issuing revision 2: steps[0].end 2026-11-03T08:59:59Z is before its start 2026-11-03T09:00:00Z"},
		{"repair date", func(r *Revision) { r.Repairs = []Repair{{Kind: "reweave", Date: "", Text: "edge"}} }, `issuing revision 2: repairs[0].date "" is not a date`},
		{"not a number", func(r *Revision) { r.Steps[0].Params["x"] = nanValue() }, "issuing revision 2: encoding revision 2: json: unsupported value: NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := issueChain(t, ring, "NL-1", 1)
			r := sampleRevision("NL-1", 1, 0)
			tt.edit(&r)
			err := c.Issue(r, ring, day)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Issue = %v, want %s", err, tt.want)
			}
			if len(c.Revisions) != 1 {
				t.Fatalf("a refused revision was appended: %d revisions", len(c.Revisions))
			}
		})
	}
}

// changeNth replaces the n-th (from 0) occurrence of old in data with new.
func changeNth(data []byte, old string, n int, new string) []byte {
	at := 0
	for range n {
		at += bytes.Index(data[at:], []byte(old)) + len(old)
	}
	at += bytes.Index(data[at:], []byte(old))
	return slices.Concat(data[:at], []byte(new), data[at+len(old):])
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// TestVerifyRefusesOtherForms checks a revision the studio's key did sign but whose values this
// format would write otherwise (a time with trailing zeros): accepted, it would encode again to
// other bytes, whose signature no longer verifies.
func TestVerifyRefusesOtherForms(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "NL-1", 1)
	body, err := c.Revisions[0].body()
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Replace(body, []byte(`"issued_at":"2026-11-03T09:00:00Z"`), []byte(`"issued_at":"2026-11-03T09:00:00.000Z"`), 1)
	if bytes.Equal(other, body) {
		t.Fatalf("issued_at not found in %s", body)
	}
	key, _ := ring.signer()
	file := fmt.Appendf(nil, `{"revisions":[%s]}`, signedForm(other, ed25519.Sign(key, other)))
	_, err = Verify(file, ring.PublicKeys())
	want := "revision 1: a value does not read back as written"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Verify = %v, want %s…", err, want)
	}
}

// TestIssueLeavesStepsAlone checks that issuing a revision does not change the steps the caller
// gave it.
func TestIssueLeavesStepsAlone(t *testing.T) {
	r := sampleRevision("NL-1", 1, 0)
	r.Steps[0].Makers, r.Steps[0].Params = nil, nil
	var c Chain
	if err := c.Issue(r, testRing(1), day); err != nil {
		t.Fatal(err)
	}
	if r.Steps[0].Makers != nil || r.Steps[0].Params != nil {
		t.Fatalf("the caller's step became %+v", r.Steps[0])
	}
	if s := c.Revisions[0].Revision.Steps[0]; s.Makers == nil || s.Params == nil {
		t.Fatalf("the issued step has null lists: %+v", s)
	}
}

func TestFormFileVerify(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "KL-0007", 3)
	forms := make([][]byte, len(c.Revisions))
	for i := range c.Revisions {
		f, err := c.Revisions[i].Form()
		if err != nil {
			t.Fatal(err)
		}
		forms[i] = f
		if i > 0 {
			prev := sha256.Sum256(forms[i-1])
			if got := c.Revisions[i].Revision.Previous; got != hex.EncodeToString(prev[:]) {
				t.Fatalf("revision %d names %s, not the hash of the form before it", i+1, got)
			}
		}
	}
	got, err := Verify(File(forms), ring.PublicKeys())
	if err != nil {
		t.Fatalf("Verify(File(forms)): %v", err)
	}
	if len(got.Revisions) != 3 {
		t.Fatalf("verified %d revisions, want 3", len(got.Revisions))
	}
	if _, err := Verify(File(append(forms[:1:1], forms[2])), ring.PublicKeys()); err == nil {
		t.Fatal("a file without revision 2 verified")
	}
	if _, err := Verify(File(nil), ring.PublicKeys()); err == nil {
		t.Fatal("an empty file verified")
	}
}

func TestSameStory(t *testing.T) {
	ring := testRing(1)
	c := issueChain(t, ring, "KL-0008", 2)
	a := c.Revisions[0].Revision
	fresh := sampleRevision("KL-0008", 3, 0)
	tests := []struct {
		name string
		b    Revision
		want bool
	}{
		{"the same story, never issued", fresh, true},
		{"issued again later", c.Revisions[1].Revision, false}, // one note more
		{"nil lists read as empty", func() Revision { r := fresh; r.Repairs = nil; r.Notes = []Note{}; return r }(), true},
		{"a param changed", func() Revision {
			r := sampleRevision("KL-0008", 3, 0)
			r.Steps[1].Params["ph"] = 4.3
			return r
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SameStory(a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("SameStory = %v, want %v", got, tt.want)
			}
		})
	}
}
