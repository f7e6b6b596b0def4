package photos

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzPrepare feeds the checks arbitrary bytes: they never panic, and what they accept decodes
// to the image Put would store, as the type it names, and is accepted again unchanged.
func FuzzPrepare(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range seeds {
		if filepath.Base(name) == "huge.png" {
			continue // 48 KB, above the fuzzer's liking; its header is the same as small ones'
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Small bounds keep a mutated header from asking for gigabytes.
	opts := Options{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := prepare(data, opts)
		if err != nil {
			return
		}
		got := sniff(p.stored)
		if got == nil || got.mediaType != p.mediaType {
			t.Fatalf("accepted as %s, stored bytes that are not one", p.mediaType)
		}
		img, err := got.decode(p.stored)
		if err != nil {
			t.Fatalf("accepted, but the stored %s does not decode: %v", p.mediaType, err)
		}
		if img.Bounds().Size() != p.img.Bounds().Size() {
			t.Fatalf("stored %v pixels, the record says %v", img.Bounds().Size(), p.img.Bounds().Size())
		}
		again, err := prepare(p.stored, opts)
		if err != nil {
			t.Fatalf("the stored photo is refused: %v", err)
		}
		if !bytes.Equal(again.stored, p.stored) {
			t.Fatal("the stored photo changes when it is put again")
		}
		if _, err := thumbnail(p.img); err != nil {
			t.Fatalf("no thumbnail: %v", err)
		}
	})
}
