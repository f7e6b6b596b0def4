package provenance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The limits of what Verify reads: a certificate larger, or with more revisions, is refused
// before any other work.
const (
	MaxFileBytes = 4 << 20
	MaxRevisions = 1000
)

// Signed is a revision with the signature of its canonical JSON by the key it names.
type Signed struct {
	Revision  Revision
	Signature []byte
}

// Chain is a certificate: every revision of one unit, oldest first. Revision n names the hash
// of revision n-1 (see Signed.Hash), so that none can be changed, removed or reordered without
// the chain showing it. A Chain is not safe for concurrent use: the book issues a unit's
// revisions one at a time.
type Chain struct {
	Revisions []Signed
}

// body returns the canonical JSON of the revision: what the signature covers.
func (s *Signed) body() ([]byte, error) {
	return s.Revision.canonical()
}

// signedForm returns the canonical JSON of the signed revision object as the certificate file
// holds it, {"revision":{…},"signature":"<base64url>"}: the bytes the next revision's Previous
// hashes.
func signedForm(body, sig []byte) []byte {
	b := make([]byte, 0, len(body)+120)
	b = append(b, `{"revision":`...)
	b = append(b, body...)
	b = append(b, `,"signature":"`...)
	b = base64.RawURLEncoding.AppendEncode(b, sig)
	return append(b, `"}`...)
}

// Hash returns the SHA-256, in hex, of the canonical JSON of the signed revision object
// {"revision":{…},"signature":"…"}, which the next revision names as its Previous.
func (s *Signed) Hash() (string, error) {
	body, err := s.body()
	if err != nil {
		return "", err
	}
	return hashOf(signedForm(body, s.Signature)), nil
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Issue signs rev with the ring's signing key as the chain's next revision and appends it. It
// sets what the chain decides: the format, the revision number, the previous revision's hash,
// the time of issue (now) and the key id. The serial must be the chain's.
func (c *Chain) Issue(rev Revision, ring *KeyRing, now time.Time) error {
	rev.Format = FormatVersion
	rev.Number = len(c.Revisions) + 1
	rev.Previous = ""
	rev.IssuedAt = now.UTC().Round(0)
	if n := len(c.Revisions); n > 0 {
		if serial := c.Revisions[0].Revision.Serial; rev.Serial != serial {
			return fmt.Errorf("issuing revision %d: serial %q is not the certificate's serial %q", rev.Number, rev.Serial, serial)
		}
		prev, err := c.Revisions[n-1].Hash()
		if err != nil {
			return fmt.Errorf("issuing revision %d: %w", rev.Number, err)
		}
		rev.Previous = prev
	}
	key, id := ring.signer()
	rev.KeyID = id
	rev.normalize()
	if err := rev.check(); err != nil {
		return fmt.Errorf("issuing revision %d: %w", rev.Number, err)
	}
	body, err := rev.canonical()
	if err != nil {
		return fmt.Errorf("issuing revision %d: %w", rev.Number, err)
	}
	// What the chain keeps is what was signed, read back, as Verify will read it.
	stored, err := readRevision(body)
	if err != nil {
		return fmt.Errorf("issuing revision %d: %w", rev.Number, err)
	}
	c.Revisions = append(c.Revisions, Signed{Revision: stored, Signature: ed25519.Sign(key, body)})
	return nil
}

// readRevision decodes a revision's canonical JSON, strictly, and checks that it encodes back
// to the same bytes, so that what a chain holds is exactly what was signed.
func readRevision(body []byte) (Revision, error) {
	var r Revision
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Revision{}, err
	}
	again, err := r.canonical()
	if err != nil {
		return Revision{}, err
	}
	if !bytes.Equal(again, body) {
		return Revision{}, fmt.Errorf("a value does not read back as written (a time or a list in another form than this format writes)")
	}
	return r, nil
}

type fileRevision struct {
	Revision  json.RawMessage `json:"revision"`
	Signature string          `json:"signature"`
}

type file struct {
	Revisions []fileRevision `json:"revisions"`
}

// Marshal returns the certificate file: {"revisions":[{"revision":{…},"signature":"…"},…]},
// indented for people to read, or, when indented it would be larger than the MaxFileBytes that
// Verify reads, without a space (as File writes it); Verify reads it whatever its layout.
func (c *Chain) Marshal() ([]byte, error) {
	f := file{Revisions: make([]fileRevision, len(c.Revisions))}
	forms := make([][]byte, len(c.Revisions))
	for i := range c.Revisions {
		body, err := c.Revisions[i].body()
		if err != nil {
			return nil, err
		}
		f.Revisions[i] = fileRevision{Revision: body, Signature: base64.RawURLEncoding.EncodeToString(c.Revisions[i].Signature)}
		forms[i] = signedForm(body, c.Revisions[i].Signature)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encoding the certificate: %w", err)
	}
	if out.Len() > MaxFileBytes {
		return append(File(forms), '\n'), nil
	}
	return out.Bytes(), nil
}

// parsedRevision is a revision as Verify read it from a file.
type parsedRevision struct {
	Signed
	body []byte // the canonical JSON of the revision
}

// Verify reads a certificate file and checks it against the studio's public keys: that it is
// JSON, that every revision's signature verifies with the key its key id names, that the
// revisions are numbered 1 to n in order, that each names the hash of the one before, and that
// they are all of one serial. It canonicalizes what it reads, so the layout of the file and the
// order of its keys do not matter; any changed value does. Each error names the revision and
// what is wrong. A file cut after a whole revision is the certificate as it stood then and
// verifies as that: the newest revision is the one the studio serves.
func Verify(data []byte, keys PublicKeySet) (*Chain, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("certificate is %d bytes, more than the %d a certificate may have", len(data), MaxFileBytes)
	}
	canon, err := Canonicalize(data)
	if err != nil {
		return nil, fmt.Errorf("certificate is not JSON: %w", err)
	}
	elems, err := revisionList(canon)
	if err != nil {
		return nil, err
	}
	revs := make([]parsedRevision, len(elems))
	for i := range elems {
		if revs[i], err = readSigned(i, elems[i], keys); err != nil {
			return nil, err
		}
	}
	if err := checkNumbers(revs); err != nil {
		return nil, err
	}
	if err := checkLinks(revs); err != nil {
		return nil, err
	}
	c := &Chain{Revisions: make([]Signed, len(revs))}
	for i := range revs {
		c.Revisions[i] = revs[i].Signed
	}
	return c, nil
}

// revisionList returns the revisions of a certificate in canonical JSON, refusing more than
// MaxRevisions.
func revisionList(canon []byte) ([][]byte, error) {
	top, ok := fieldsOf(canon)
	if !ok {
		return nil, fmt.Errorf(`certificate is not an object {"revisions":[…]}`)
	}
	var list [][]byte
	for _, f := range top {
		if f.name != "revisions" {
			return nil, fmt.Errorf("certificate has a member %q; it holds only \"revisions\"", f.name)
		}
		list, ok = elementsOf(f.val)
	}
	if !ok || len(top) == 0 {
		return nil, fmt.Errorf(`certificate has no list "revisions"`)
	}
	switch n := len(list); {
	case n == 0:
		return nil, fmt.Errorf("certificate holds no revision")
	case n > MaxRevisions:
		return nil, fmt.Errorf("certificate holds %d revisions, more than the %d a certificate may have", n, MaxRevisions)
	}
	return list, nil
}

// readSigned reads the i-th signed revision of a certificate in canonical JSON and checks its
// signature.
func readSigned(i int, raw []byte, keys PublicKeySet) (parsedRevision, error) {
	at := fmt.Sprintf("revisions[%d]", i)
	m, ok := fieldsOf(raw)
	if !ok || len(m) != 2 || m[0].name != "revision" || m[1].name != "signature" || m[0].val[0] != '{' || m[1].val[0] != '"' {
		return parsedRevision{}, fmt.Errorf(`%s is not an object {"revision":{…},"signature":"…"}`, at)
	}
	body, sigText := m[0].val, m[1].val
	var head struct {
		Format json.RawMessage `json:"format"`
		Number json.RawMessage `json:"revision"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return parsedRevision{}, fmt.Errorf("%s: %w", at, err)
	}
	if n, err := strconv.Atoi(string(head.Number)); err == nil {
		at = "revision " + strconv.Itoa(n) // what the revision says it is, until it is checked
	}
	if string(head.Format) != strconv.Itoa(FormatVersion) {
		return parsedRevision{}, fmt.Errorf("%s: the revision is not of format %d, the one this version reads", at, FormatVersion)
	}
	rev, err := readRevision(body)
	if err != nil {
		return parsedRevision{}, fmt.Errorf("%s: %w", at, err)
	}
	name := "revision " + strconv.Itoa(rev.Number)
	if err := rev.check(); err != nil {
		return parsedRevision{}, fmt.Errorf("%s: %w", name, err)
	}
	var sigB64 string
	err = json.Unmarshal(sigText, &sigB64)
	sig, err2 := base64.RawURLEncoding.Strict().DecodeString(sigB64)
	if err != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return parsedRevision{}, fmt.Errorf("%s: signature is not %d bytes in unpadded base64url", name, ed25519.SignatureSize)
	}
	pub, ok := keys.Lookup(rev.KeyID)
	if !ok {
		return parsedRevision{}, fmt.Errorf("%s: signed with key %s, which is not among the studio's public keys (%s)", name, rev.KeyID, keyIDs(keys))
	}
	if !ed25519.Verify(pub, body, sig) {
		return parsedRevision{}, fmt.Errorf("%s: signature does not verify with key %s: the revision was changed after it was signed", name, rev.KeyID)
	}
	return parsedRevision{Signed: Signed{Revision: rev, Signature: sig}, body: body}, nil
}

func keyIDs(keys PublicKeySet) string {
	if len(keys.Keys) == 0 {
		return "none"
	}
	ids := make([]string, len(keys.Keys))
	for i, k := range keys.Keys {
		ids[i] = k.ID
	}
	return strings.Join(ids, ", ")
}

// checkNumbers checks that the revisions go 1, 2, … n, with none twice, none missing and none
// out of order.
func checkNumbers(revs []parsedRevision) error {
	nums := make([]int, len(revs))
	seen := make(map[int]bool, len(revs))
	for i := range revs {
		n := revs[i].Revision.Number
		nums[i] = n
		if seen[n] {
			return fmt.Errorf("revision %d appears twice: revisions go %s", n, listAround(nums[:i+1], i))
		}
		seen[n] = true
	}
	for want := 1; want <= len(revs); want++ {
		if !seen[want] {
			at := 0
			for at < len(nums)-1 && nums[at] < want {
				at++
			}
			return fmt.Errorf("revision %d is missing: revisions go %s", want, listAround(nums, at))
		}
	}
	for i, n := range nums {
		if n != i+1 {
			return fmt.Errorf("revisions are out of order: they go %s, where the certificate lists them oldest first", listAround(nums, i))
		}
	}
	return nil
}

// listAround writes the revision numbers nums around position at, with "…" for what it leaves
// out.
func listAround(nums []int, at int) string {
	lo, hi := max(0, at-3), min(len(nums), at+4)
	var parts []string
	if lo > 0 {
		parts = append(parts, "…")
	}
	for _, n := range nums[lo:hi] {
		parts = append(parts, strconv.Itoa(n))
	}
	if hi < len(nums) {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
}

// checkLinks checks that every revision is of the first one's serial and names the hash of the
// one before.
func checkLinks(revs []parsedRevision) error {
	serial := revs[0].Revision.Serial
	for i := 1; i < len(revs); i++ {
		r := &revs[i].Revision
		if r.Serial != serial {
			return fmt.Errorf("revision %d: serial %q is not the serial %q of revision 1: it belongs to another unit", r.Number, r.Serial, serial)
		}
		want := hashOf(signedForm(revs[i-1].body, revs[i-1].Signature))
		if r.Previous != want {
			return fmt.Errorf("revision %d: names previous revision hash %s but revision %d hashes to %s: a revision was removed or changed",
				r.Number, short(r.Previous), i, short(want))
		}
	}
	return nil
}

// short abbreviates a hash for a message.
func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// Form returns the signed revision as a certificate file holds it, in canonical JSON,
// {"revision":{…},"signature":"…"}: the bytes the next revision's Previous hashes, and what a
// store keeps of each revision. File makes a certificate file of such forms.
func (s *Signed) Form() ([]byte, error) {
	body, err := s.body()
	if err != nil {
		return nil, err
	}
	return signedForm(body, s.Signature), nil
}

// File returns the certificate file of the signed revisions forms (each as Form writes it),
// oldest first, for Verify to read: {"revisions":[…]}.
func File(forms [][]byte) []byte {
	n := len(`{"revisions":[]}`)
	for _, f := range forms {
		n += len(f) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"revisions":[`...)
	for i, f := range forms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f...)
	}
	return append(b, "]}"...)
}

// SameStory reports whether two revisions tell the same story: whether they are equal but for
// what the chain sets when it issues one (the format, the number, the previous hash, the time
// of issue and the key). A book issues a new revision only when the story changed.
func SameStory(a, b Revision) (bool, error) {
	ca, err := a.story()
	if err != nil {
		return false, err
	}
	cb, err := b.story()
	if err != nil {
		return false, err
	}
	return bytes.Equal(ca, cb), nil
}

// story returns the canonical JSON of r without what the chain sets.
func (r Revision) story() ([]byte, error) {
	r.Format, r.Number, r.Previous, r.IssuedAt, r.KeyID = 0, 0, "", time.Time{}, ""
	r.normalize()
	return r.canonical()
}
