package provenance

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzVerify checks that Verify never panics on any file, and that whatever it accepts encodes
// again to a file that verifies as the same chain. The seeds (testdata/fuzz/FuzzVerify) are
// certificates signed by testKey(1), whole and cut.
func FuzzVerify(f *testing.F) {
	ring := testRing(1)
	var c Chain
	for i := range 2 {
		if err := c.Issue(sampleRevision("NL-1", 2, i), ring, day); err != nil {
			f.Fatal(err)
		}
	}
	data, err := c.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	keys := ring.PublicKeys()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Verify(data, keys)
		if err != nil {
			return
		}
		again, err := c.Marshal()
		if err != nil {
			t.Fatalf("an accepted certificate does not encode: %v", err)
		}
		back, err := Verify(again, keys)
		if err != nil {
			t.Fatalf("an accepted certificate, encoded again, does not verify: %v\n%s", err, again)
		}
		if len(back.Revisions) != len(c.Revisions) {
			t.Fatalf("%d revisions encoded, %d read back", len(c.Revisions), len(back.Revisions))
		}
		for i := range c.Revisions {
			h1, err1 := c.Revisions[i].Hash()
			h2, err2 := back.Revisions[i].Hash()
			if err1 != nil || err2 != nil || h1 != h2 || c.Revisions[i].Revision.Number != i+1 {
				t.Fatalf("revision %d: hash %s (%v), read back %s (%v)", i+1, h1, err1, h2, err2)
			}
		}
	})
}

// FuzzCanonicalize checks that what Canonicalize accepts is JSON meaning what the input meant
// (as encoding/json reads both), and canonical: canonicalizing it again changes nothing.
func FuzzCanonicalize(f *testing.F) {
	for _, seed := range []string{
		`{"b":[1,2.5e-7,-0,1e21],"a":{"\u00e9":"\ud83d\ude00","\r":null}}`,
		`"\u0000\"\\\/\b\f\n\r\t"`,
		`[true,false,null,{"":{}}]`,
		`333333333.33333329`,
		`{"q\"]":"x\"}y","b":["\\",{"c":"]"}],"d":-1.5e-7}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		if err != nil {
			return
		}
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("accepted what is not UTF-8 JSON: %q", data)
		}
		again, err := Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("canonical form %s canonicalizes to %s, %v", out, again, err)
		}
		var in, canon any
		if err := json.Unmarshal(data, &in); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &canon); err != nil {
			t.Fatalf("canonical form %s is not JSON: %v", out, err)
		}
		if !reflect.DeepEqual(in, canon) {
			t.Fatalf("%q canonicalized to %s, which means something else", data, out)
		}
		checkParts(t, out, canon)
	})
}

// checkParts checks that fieldsOf and elementsOf split the canonical JSON out, which means v,
// into its members or elements, each canonical itself.
func checkParts(t *testing.T, out []byte, v any) {
	var parts [][]byte
	switch v := v.(type) {
	case map[string]any:
		fields, ok := fieldsOf(out)
		if !ok || len(fields) != len(v) {
			t.Fatalf("fieldsOf(%s) = %d fields, %v; want %d", out, len(fields), ok, len(v))
		}
		for _, f := range fields {
			if _, ok := v[f.name]; !ok {
				t.Fatalf("fieldsOf(%s) names %q, which it does not have", out, f.name)
			}
			parts = append(parts, f.val)
		}
	case []any:
		elems, ok := elementsOf(out)
		if !ok || len(elems) != len(v) {
			t.Fatalf("elementsOf(%s) = %d elements, %v; want %d", out, len(elems), ok, len(v))
		}
		parts = elems
	}
	for _, part := range parts {
		again, err := Canonicalize(part)
		if err != nil || !bytes.Equal(again, part) {
			t.Fatalf("part %s of %s is not canonical JSON: %s, %v", part, out, again, err)
		}
	}
}
