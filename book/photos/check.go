package photos

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/webp"
)

// prepared is a checked photo: the bytes to store, their type and the decoded, upright image.
type prepared struct {
	stored    []byte
	mediaType string
	img       image.Image
	turned    bool
}

// stripped is what a format's parser keeps of an image, and what it read on its way.
type stripped struct {
	data        []byte
	orientation int      // Exif orientation, 1 when there is none
	color       [][]byte // colour chunks or segments to carry into a re-encoded image
}

// format is what Put needs of one kind of image.
type format struct {
	name, mediaType string
	strip           func([]byte) (stripped, error)
	config          func([]byte) (image.Config, error)
	decode          func([]byte) (image.Image, error)
}

var formats = []format{
	{"JPEG", JPEG, stripJPEG,
		func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) },
		func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }},
	{"PNG", PNG, stripPNG,
		pngConfig,
		func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }},
	{"WebP", WebP, stripWebP,
		func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) },
		func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) }},
}

// pngConfig is png.DecodeConfig, except for a size whose pixels a 32-bit int cannot count
// (image/png refuses it there as a "dimension overflow", where a 64-bit program reads it): that
// size is read from the header, for the bound on pixels to refuse as it does everywhere.
func pngConfig(b []byte) (image.Config, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	var unsupported png.UnsupportedError
	if err == nil || !errors.As(err, &unsupported) || string(unsupported) != "dimension overflow" {
		return cfg, err
	}
	// The signature (8 bytes), then IHDR's length and type (8), its width and height (4 each).
	if len(b) < 24 || string(b[12:16]) != "IHDR" {
		return cfg, err
	}
	w, h := binary.BigEndian.Uint32(b[16:20]), binary.BigEndian.Uint32(b[20:24])
	if w == 0 || h == 0 || w > math.MaxInt32 || h > math.MaxInt32 {
		return cfg, err
	}
	return image.Config{Width: int(w), Height: int(h)}, nil
}

// sniff names the format the data's first bytes announce, or nil.
func sniff(data []byte) *format {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return &formats[0]
	case bytes.HasPrefix(data, []byte(pngSignature)):
		return &formats[1]
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return &formats[2]
	}
	return nil
}

// prepare checks a photo and makes the bytes to store: the refusals of Put, without the disk.
func prepare(data []byte, opts Options) (prepared, error) {
	f := sniff(data)
	if f == nil {
		return prepared{}, notImage("not a JPEG, PNG or WebP image")
	}
	s, err := f.strip(data)
	if err != nil {
		return prepared{}, err
	}
	cfg, err := f.config(s.data)
	if err != nil {
		return prepared{}, &refusal{kind: ErrNotImage, msg: fmt.Sprintf("bad %s image: %v", f.name, err), cause: err}
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > opts.MaxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		if px <= 0 {
			return prepared{}, notImage("bad %s image: %dx%d pixels", f.name, cfg.Width, cfg.Height)
		}
		return prepared{}, &refusal{kind: ErrTooLarge, msg: fmt.Sprintf("photo too large: %dx%d pixels, at most %s",
			cfg.Width, cfg.Height, pixelsText(opts.MaxPixels))}
	}
	img, err := f.decode(s.data)
	if err != nil {
		return prepared{}, &refusal{kind: ErrNotImage, msg: fmt.Sprintf("bad %s image: %v", f.name, err), cause: err}
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The header and the pixels disagree: the bound above would not hold.
		return prepared{}, notImage("bad %s image: its header says %dx%d pixels, its data %dx%d",
			f.name, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	p := prepared{stored: s.data, mediaType: f.mediaType, img: img}
	if s.orientation > 1 {
		p.img = turn(img, s.orientation)
		p.turned = true
		p.stored, p.mediaType, err = reencode(f.mediaType, p.img, s.color)
		if err != nil {
			return prepared{}, fmt.Errorf("turning the photo upright: %w", err)
		}
	}
	return p, nil
}

// pixelsText writes a pixel count in megapixels when it is a whole number of them.
func pixelsText(n int64) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%d megapixels", n/1_000_000)
	}
	return fmt.Sprintf("%d pixels", n)
}

// Check reads a photo from r and checks it as Put would, storing nothing: what a form with
// several photos does to every photo before it stores any, so that a form refused for its
// last photo leaves none of the others behind. A refused photo's error matches ErrTooLarge
// or ErrNotImage.
func (s *Store) Check(ctx context.Context, r io.Reader) error {
	data, err := readLimited(r, s.opts.MaxBytes)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = prepare(data, s.opts)
	return err
}
