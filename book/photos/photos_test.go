package photos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newStore(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := New(dir, opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// files lists every entry under dir, directories included, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readStored(t *testing.T, s *Store, hash string) ([]byte, string) {
	t.Helper()
	f, mt, err := s.Open(hash)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b, mt
}

// rationals encodes the GPS coordinates the fixtures hold (48/1 51/1 7533/250 and
// 2/1 17/1 49402/1231, as exiftool wrote them) in both byte orders of Exif.
func rationals() [][]byte {
	var out [][]byte
	for _, bo := range []binary.AppendByteOrder{binary.BigEndian, binary.LittleEndian} {
		for _, v := range [][]uint32{{48, 1, 51, 1, 7533, 250}, {2, 1, 17, 1, 49402, 1231}} {
			var b []byte
			for _, x := range v {
				b = bo.AppendUint32(b, x)
			}
			out = append(out, b)
		}
	}
	return out
}

func samePixels(t *testing.T, want, got image.Image) {
	t.Helper()
	if want.Bounds().Size() != got.Bounds().Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	wb, gb := want.Bounds(), got.Bounds()
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			w := color.NRGBA64Model.Convert(want.At(wb.Min.X+x, wb.Min.Y+y))
			g := color.NRGBA64Model.Convert(got.At(gb.Min.X+x, gb.Min.Y+y))
			if w != g {
				t.Fatalf("pixel (%d,%d) is %v, want %v", x, y, g, w)
			}
		}
	}
}

func decodeAs(t *testing.T, mediaType string, b []byte) image.Image {
	t.Helper()
	for _, f := range formats {
		if f.mediaType == mediaType {
			img, err := f.decode(b)
			if err != nil {
				t.Fatalf("decoding the stored %s: %v", mediaType, err)
			}
			return img
		}
	}
	t.Fatalf("unknown media type %q", mediaType)
	return nil
}

func TestPutStripsMetadataLosslessly(t *testing.T) {
	tests := []struct {
		name, file, mediaType string
		// secrets are in the file and must not be in what is stored
		secrets []string
		gps     bool
	}{
		{name: "JPEG with Exif GPS, XMP and a comment", file: "gps.jpg", mediaType: JPEG, gps: true,
			secrets: []string{"Exif\x00\x00", "Phone", "Camera", "http://ns.adobe.com/xap/1.0/", "Maker", "made at the loom"}},
		{name: "progressive JPEG with Exif GPS", file: "progressive.jpg", mediaType: JPEG, gps: true,
			secrets: []string{"Exif\x00\x00", "Phone"}},
		{name: "JPEG with restart markers and Exif GPS", file: "restart.jpg", mediaType: JPEG, gps: true,
			secrets: []string{"Exif\x00\x00", "Phone"}},
		{name: "CMYK JPEG with Exif GPS", file: "cmyk.jpg", mediaType: JPEG, gps: true,
			secrets: []string{"Exif\x00\x00", "Phone"}},
		{name: "WebP with EXIF GPS and XMP", file: "gps.webp", mediaType: WebP, gps: true,
			secrets: []string{"EXIF", "XMP ", "Phone", "Maker"}},
		{name: "PNG with tEXt chunks", file: "text.png", mediaType: PNG,
			secrets: []string{"tEXt", "48.858370", "Maker"}},
		{name: "JPEG without metadata", file: "plain.jpg", mediaType: JPEG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newStore(t, Options{})
			in := fixture(t, tt.file)
			secrets := make([][]byte, 0, len(tt.secrets))
			for _, sec := range tt.secrets {
				secrets = append(secrets, []byte(sec))
			}
			if tt.gps {
				found := false
				for _, r := range rationals() {
					found = found || bytes.Contains(in, r)
				}
				if !found {
					t.Fatalf("%s holds none of the GPS coordinates' bytes: the test would prove nothing", tt.file)
				}
				secrets = append(secrets, rationals()...)
			}
			for _, sec := range tt.secrets {
				if !bytes.Contains(in, []byte(sec)) {
					t.Fatalf("%s does not hold %q: the test would prove nothing", tt.file, sec)
				}
			}
			rec, err := s.Put(context.Background(), bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			stored, mt := readStored(t, s, rec.Hash)
			for _, sec := range secrets {
				if bytes.Contains(stored, sec) {
					t.Errorf("the stored photo still holds %q", sec)
				}
			}
			sum := sha256.Sum256(stored)
			want := Photo{Hash: hex.EncodeToString(sum[:]), MediaType: tt.mediaType, Width: 64, Height: 48, Bytes: int64(len(stored))}
			if rec != want || mt != tt.mediaType {
				t.Errorf("record %+v (opened as %s), want %+v", rec, mt, want)
			}
			name := filepath.Join(rec.Hash[:2], rec.Hash+extensions[tt.mediaType])
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("not stored as %s: %v", name, err)
			}
			if tt.mediaType == WebP {
				if flags := stored[20]; string(stored[12:16]) != "VP8X" || flags&(vp8xExif|vp8xXMP) != 0 {
					t.Errorf("VP8X flags %08b still announce EXIF or XMP", flags)
				}
			}
			// Lossless: the same pixels as the file sent.
			samePixels(t, decodeAs(t, tt.mediaType, in), decodeAs(t, tt.mediaType, stored))
		})
	}
}

func TestPutTurnsSidewaysPhotosUpright(t *testing.T) {
	upright := decodeAs(t, PNG, fixture(t, "upright.png"))
	for _, tt := range []struct {
		name, file, stored string
	}{
		{"phone JPEG, orientation 6", "sideways.jpg", JPEG},
		{"WebP, orientation 6, stored as PNG", "sideways.webp", PNG},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t, Options{})
			in := fixture(t, tt.file)
			if img := decodeAs(t, sniff(in).mediaType, in); img.Bounds().Dx() != 48 || img.Bounds().Dy() != 64 {
				t.Fatalf("%s is %v, want 48x64 stored sideways", tt.file, img.Bounds().Size())
			}
			rec, err := s.Put(context.Background(), bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			stored, mt := readStored(t, s, rec.Hash)
			if mt != tt.stored || rec.MediaType != tt.stored || rec.Width != 64 || rec.Height != 48 {
				t.Fatalf("stored %s %dx%d, want an upright %s 64x48", mt, rec.Width, rec.Height, tt.stored)
			}
			for _, sec := range append(rationals(), []byte("Exif"), []byte("Phone")) {
				if bytes.Contains(stored, sec) {
					t.Errorf("the turned photo still holds %q", sec)
				}
			}
			img := decodeAs(t, mt, stored)
			if img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
				t.Fatalf("the stored pixels are %v, want 64x48", img.Bounds().Size())
			}
			// The middle of each quarter, within lossy coding's error.
			for _, p := range []image.Point{{16, 12}, {48, 12}, {16, 36}, {48, 36}} {
				w, g := color.RGBAModel.Convert(upright.At(p.X, p.Y)).(color.RGBA), color.RGBAModel.Convert(img.At(p.X, p.Y)).(color.RGBA)
				if diff(w.R, g.R) > 24 || diff(w.G, g.G) > 24 || diff(w.B, g.B) > 24 {
					t.Errorf("pixel %v is %v, want about %v", p, g, w)
				}
			}
		})
	}
	for o := 2; o <= 8; o++ {
		file := "orient-" + string(rune('0'+o)) + ".png"
		t.Run(file, func(t *testing.T) {
			s, _ := newStore(t, Options{})
			rec, err := s.Put(context.Background(), bytes.NewReader(fixture(t, file)))
			if err != nil {
				t.Fatal(err)
			}
			stored, mt := readStored(t, s, rec.Hash)
			if mt != PNG {
				t.Fatalf("stored as %s, want PNG", mt)
			}
			if bytes.Contains(stored, []byte("eXIf")) {
				t.Error("the turned PNG still has its eXIf chunk")
			}
			samePixels(t, upright, decodeAs(t, PNG, stored))
		})
	}
}

// TestPutTurnedKeepsTheColourProfile checks that a photo turned upright, and so encoded again,
// keeps the ICC profile that says what its colours are.
func TestPutTurnedKeepsTheColourProfile(t *testing.T) {
	for _, tt := range []struct{ file, mediaType string }{
		{"sideways-icc.jpg", JPEG},
		{"sideways-icc.png", PNG},
	} {
		t.Run(tt.file, func(t *testing.T) {
			in := fixture(t, tt.file)
			st, err := sniff(in).strip(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.color) == 0 || st.orientation != 6 {
				t.Fatalf("%s has no profile or is not sideways: the test would prove nothing", tt.file)
			}
			s, _ := newStore(t, Options{})
			rec, err := s.Put(context.Background(), bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			stored, mt := readStored(t, s, rec.Hash)
			if mt != tt.mediaType || rec.Width != 64 || rec.Height != 48 {
				t.Fatalf("stored %s %dx%d, want an upright %s", mt, rec.Width, rec.Height, tt.mediaType)
			}
			for _, c := range st.color {
				if !bytes.Contains(stored, c) {
					t.Errorf("the turned photo lost its %q", c[:min(len(c), 16)])
				}
			}
			decodeAs(t, mt, stored)
		})
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// endless is an upload that never ends, counting what was read of it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.n += int64(len(p))
	return len(p), nil
}

func TestPutRefusesAndStoresNothing(t *testing.T) {
	webp := fixture(t, "gps.webp")
	plain := fixture(t, "plain.jpg")
	tests := []struct {
		name string
		file string
		data []byte
		opts Options
		is   error
		want string
	}{
		{name: "text named .jpg", file: "text.jpg", is: ErrNotImage, want: "not a JPEG, PNG or WebP image"},
		{name: "nothing", data: []byte{}, is: ErrNotImage, want: "not a JPEG, PNG or WebP image"},
		{name: "JPEG with a script appended", file: "script.jpg", is: ErrNotImage, want: "40 bytes after the end of the JPEG image"},
		{name: "PNG with bytes after IEND", file: "trailing.png", is: ErrNotImage, want: "12 bytes after the end of the PNG image"},
		{name: "WebP with bytes past its RIFF size", file: "trailing.webp", is: ErrNotImage, want: "2 bytes after the end of the WebP image"},
		{name: "truncated JPEG", file: "truncated.jpg", is: ErrNotImage, want: "truncated JPEG image: it ends in the segment at byte 203"},
		{name: "JPEG cut in its scan data", data: plain[:len(plain)-10], is: ErrNotImage,
			want: "truncated JPEG image: it ends in the scan data"},
		{name: "truncated WebP", data: webp[:len(webp)-100], is: ErrNotImage,
			want: "truncated WebP image: its RIFF header says 3292 bytes, the file has 3192"},
		{name: "PNG with a bad CRC", data: flipByte(fixture(t, "upright.png"), 42), is: ErrNotImage, want: "bad PNG image: the PLTE chunk at byte 33 fails its CRC"},
		{name: "JPEG of 97 scans", file: "scans.jpg", is: ErrNotImage, want: "bad JPEG image: more than 64 scans"},
		{name: "header claiming 20000x20000 pixels", file: "huge.png", is: ErrTooLarge,
			want: "photo too large: 20000x20000 pixels, at most 50 megapixels"},
		{name: "more pixels than a set bound", file: "gps.jpg", opts: Options{MaxPixels: 3000}, is: ErrTooLarge,
			want: "photo too large: 64x48 pixels, at most 3000 pixels"},
		{name: "more bytes than a set limit", file: "gps.jpg", opts: Options{MaxBytes: 1024}, is: ErrTooLarge,
			want: "photo too large: at most 1 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newStore(t, tt.opts)
			data := tt.data
			if tt.file != "" {
				data = fixture(t, tt.file)
			}
			// Check refuses it as Put does
			if err := s.Check(context.Background(), bytes.NewReader(data)); err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
				t.Errorf("Check = %v, want %q (%v)", err, tt.want, tt.is)
			}
			_, err := s.Put(context.Background(), bytes.NewReader(data))
			if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
				t.Fatalf("Put = %v, want %q (%v)", err, tt.want, tt.is)
			}
			if left := files(t, dir); len(left) > 0 {
				t.Errorf("stored %v of a refused photo", left)
			}
		})
	}
	t.Run("a good photo checked is not stored", func(t *testing.T) {
		s, dir := newStore(t, Options{})
		if err := s.Check(context.Background(), bytes.NewReader(plain)); err != nil {
			t.Fatalf("Check = %v", err)
		}
		if left := files(t, dir); len(left) > 0 {
			t.Errorf("Check stored %v", left)
		}
	})
	t.Run("an endless upload reads the limit and a byte", func(t *testing.T) {
		s, dir := newStore(t, Options{})
		r := &endless{}
		_, err := s.Put(context.Background(), r)
		if err == nil || err.Error() != "photo too large: at most 10 MiB" || !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Put = %v, want photo too large: at most 10 MiB", err)
		}
		// bytes.Buffer reads in chunks of at least 512 bytes.
		if r.n > DefaultMaxBytes+1+64<<10 {
			t.Errorf("read %d bytes of the upload, want about %d", r.n, DefaultMaxBytes+1)
		}
		if left := files(t, dir); len(left) > 0 {
			t.Errorf("stored %v of a refused photo", left)
		}
	})
}

func TestPutDropsTheJFIFThumbnail(t *testing.T) {
	plain := fixture(t, "plain.jpg")
	// plain.jpg's JFIF segment with a 2x1 thumbnail of two pixels no image holds.
	if !bytes.HasPrefix(plain[2:], []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}) {
		t.Fatalf("plain.jpg does not start with a bare JFIF segment: % x", plain[:20])
	}
	pixels := []byte{0x13, 0x37, 0xC0, 0xFF, 0xEE, 0x42}
	app0 := append([]byte{0xFF, 0xE0, 0, 16 + 6}, plain[6:18]...)
	app0 = append(append(app0, 2, 1), pixels...)
	in := append(append(append([]byte{}, plain[:2]...), app0...), plain[20:]...)
	s, _ := newStore(t, Options{})
	rec, err := s.Put(context.Background(), bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := readStored(t, s, rec.Hash)
	if bytes.Contains(stored, pixels) {
		t.Error("the stored photo still holds the JFIF thumbnail")
	}
	if !bytes.Equal(stored, plain) {
		t.Errorf("stored % x..., want plain.jpg % x...", stored[:24], plain[:24])
	}
}

func flipByte(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0xFF
	return b
}

func TestPutSamePhotoStoresOneFile(t *testing.T) {
	s, dir := newStore(t, Options{})
	in := fixture(t, "gps.jpg")
	const n = 20
	recs := make([]Photo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i], errs[i] = s.Put(context.Background(), bytes.NewReader(in))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || recs[i] != recs[0] {
			t.Fatalf("Put %d = %+v, %v; want %+v", i, recs[i], errs[i], recs[0])
		}
	}
	again, err := s.Put(context.Background(), bytes.NewReader(in))
	if err != nil || again != recs[0] {
		t.Fatalf("Put again = %+v, %v; want %+v", again, err, recs[0])
	}
	// The same picture with other metadata is the same photo once stripped.
	bare, err := s.Put(context.Background(), bytes.NewReader(fixture(t, "plain.jpg")))
	if err != nil || bare != recs[0] {
		t.Fatalf("Put of gps.jpg without its metadata = %+v, %v; want %+v", bare, err, recs[0])
	}
	h := recs[0].Hash
	want := []string{h[:2], filepath.Join(h[:2], h+".jpg"), filepath.Join(h[:2], h+".thumb.jpg")}
	if got := files(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stored %v, want %v", got, want)
	}
}

func TestThumbnail(t *testing.T) {
	tests := []struct {
		name         string
		w, h         int
		wantW, wantH int
	}{
		{"landscape", 1000, 750, 320, 240},
		{"portrait", 600, 1000, 192, 320},
		{"small keeps its size", 64, 48, 64, 48},
		{"a line", 5000, 1, 320, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := image.NewNRGBA(image.Rect(0, 0, tt.w, tt.h))
			b, err := thumbnail(img)
			if err != nil {
				t.Fatal(err)
			}
			th, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("the thumbnail is no JPEG: %v", err)
			}
			if th.Bounds().Dx() != tt.wantW || th.Bounds().Dy() != tt.wantH {
				t.Errorf("thumbnail %v, want %dx%d", th.Bounds().Size(), tt.wantW, tt.wantH)
			}
			// Transparent pixels show white.
			if c := color.RGBAModel.Convert(th.At(0, 0)).(color.RGBA); c.R < 240 || c.G < 240 || c.B < 240 {
				t.Errorf("a transparent pixel shows %v, want white", c)
			}
		})
	}
}

// TestThumbnailOfPhotos checks the thumbnails of JPEG-like images, which are averaged down in
// blocks first, for every chroma subsampling: the size, and the colour of each quarter.
func TestThumbnailOfPhotos(t *testing.T) {
	quarters := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 0, 255}}
	for _, tt := range []struct {
		ratio image.YCbCrSubsampleRatio
		w, h  int
	}{
		{image.YCbCrSubsampleRatio444, 1300, 975},
		{image.YCbCrSubsampleRatio422, 1301, 977},
		{image.YCbCrSubsampleRatio420, 2000, 1501},
		{image.YCbCrSubsampleRatio440, 977, 1301},
		{image.YCbCrSubsampleRatio411, 2563, 1000},
		{image.YCbCrSubsampleRatio410, 1300, 1000},
	} {
		t.Run(fmt.Sprintf("%v %dx%d", tt.ratio, tt.w, tt.h), func(t *testing.T) {
			img := image.NewYCbCr(image.Rect(0, 0, tt.w, tt.h), tt.ratio)
			quarter := func(x, y int) color.RGBA {
				return quarters[2*(2*y/tt.h)+2*x/tt.w]
			}
			var ycc [4]color.YCbCr
			for i, c := range quarters {
				ycc[i].Y, ycc[i].Cb, ycc[i].Cr = color.RGBToYCbCr(c.R, c.G, c.B)
			}
			for y := 0; y < tt.h; y++ {
				for x := 0; x < tt.w; x++ {
					c := ycc[2*(2*y/tt.h)+2*x/tt.w]
					img.Y[y*img.YStride+x] = c.Y
					i := img.COffset(x, y)
					img.Cb[i], img.Cr[i] = c.Cb, c.Cr
				}
			}
			b, err := thumbnail(img)
			if err != nil {
				t.Fatal(err)
			}
			th, err := jpeg.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			tw, tht := thumbSize(tt.w, tt.h)
			if th.Bounds().Dx() != tw || th.Bounds().Dy() != tht || max(tw, tht) != ThumbnailSize {
				t.Fatalf("thumbnail %v, want %dx%d", th.Bounds().Size(), tw, tht)
			}
			for _, p := range []image.Point{{tw / 4, tht / 4}, {3 * tw / 4, tht / 4}, {tw / 4, 3 * tht / 4}, {3 * tw / 4, 3 * tht / 4}} {
				want := quarter(p.X*tt.w/tw, p.Y*tt.h/tht)
				got := color.RGBAModel.Convert(th.At(p.X, p.Y)).(color.RGBA)
				if diff(want.R, got.R) > 24 || diff(want.G, got.G) > 24 || diff(want.B, got.B) > 24 {
					t.Errorf("pixel %v is %v, want about %v", p, got, want)
				}
			}
		})
	}
}

func TestOpen(t *testing.T) {
	s, _ := newStore(t, Options{})
	rec, err := s.Put(context.Background(), bytes.NewReader(fixture(t, "sideways.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		hash string
		is   error
	}{
		{"stored", rec.Hash, nil},
		{"stored, in capitals", strings.ToUpper(rec.Hash), nil},
		{"not stored", strings.Repeat("ab", 32), ErrNotFound},
		{"empty", "", ErrBadHash},
		{"63 digits", rec.Hash[:63], ErrBadHash},
		{"not hex", "g" + rec.Hash[1:], ErrBadHash},
		{"a path", "../" + rec.Hash[3:], ErrBadHash},
		{"a path of 64 characters", "../../../../../../../../../../../../../../../../../../etc/passwd", ErrBadHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, mt, err := s.Open(tt.hash)
			if !errors.Is(err, tt.is) {
				t.Fatalf("Open = %v, want %v", err, tt.is)
			}
			th, terr := s.OpenThumbnail(tt.hash)
			if !errors.Is(terr, tt.is) {
				t.Fatalf("OpenThumbnail = %v, want %v", terr, tt.is)
			}
			if tt.is != nil {
				return
			}
			defer f.Close()
			defer th.Close()
			if mt != JPEG {
				t.Errorf("media type %s, want %s", mt, JPEG)
			}
			img, err := jpeg.Decode(th)
			if err != nil {
				t.Fatalf("the thumbnail is no JPEG: %v", err)
			}
			if img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
				t.Errorf("thumbnail %v, want the upright 64x48", img.Bounds().Size())
			}
		})
	}
}

func TestNewRemovesInterruptedWrites(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, "ab", tempPrefix+"123")
	if err := os.WriteFile(left, []byte("half a photo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir, Options{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the interrupted write is still there: %v", err)
	}
}
