package photos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"image/jpeg"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
)

var benchPhoto = sync.OnceValues(func() ([]byte, error) {
	// A photo as a phone takes it: 4000x3000 (12 megapixels), smooth shades with grain, JPEG
	// of quality 90 with 4:2:0 chroma, a few megabytes.
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			img.Y[y*img.YStride+x] = uint8(40 + (x*120)/4000 + (y*60)/3000 + rng.IntN(24))
		}
	}
	for y := 0; y < 1500; y++ {
		for x := 0; x < 2000; x++ {
			img.Cb[y*img.CStride+x] = uint8(100 + (x*50)/2000 + rng.IntN(6))
			img.Cr[y*img.CStride+x] = uint8(150 - (y*60)/1500 + rng.IntN(6))
		}
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes(), err
})

// BenchmarkPut4000x3000 stores a 12-megapixel JPEG (checked, decoded, stripped, its thumbnail
// made, both written and synced), and does the same without the disk, beside the standard
// library's jpeg.Decode of the same file, the least any check by decoding costs.
func BenchmarkPut4000x3000(b *testing.B) {
	data, err := benchPhoto()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("put", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			// A new directory each time: the same photo again would be found stored.
			b.StopTimer()
			s, err := New(b.TempDir(), Options{}, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := s.Put(context.Background(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What Put does before it writes: the checks, the decoding, the thumbnail and the hash. The
	// rest of Put's time is the disk's: two files written and four syncs.
	b.Run("in-memory", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			p, err := prepare(data, Options{}.withDefaults())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := thumbnail(p.img); err != nil {
				b.Fatal(err)
			}
			_ = sha256.Sum256(p.stored)
		}
	})
	b.Run("peer-jpeg.Decode", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
