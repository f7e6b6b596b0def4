package photos

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
)

// TurnedJPEGQuality is the quality of a JPEG stored turned upright.
const TurnedJPEGQuality = 95

// turn returns the image as it should be seen, given its Exif orientation (2 to 8): mirrored,
// turned, or both.
func turn(src image.Image, orientation int) image.Image {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	r := image.Rect(0, 0, w, h)
	if orientation >= 5 {
		r = image.Rect(0, 0, h, w)
	}
	var (
		pix, dpix       []byte
		stride, dstride int
		bpp             int
		dst             image.Image
	)
	switch s := src.(type) {
	case *image.Gray:
		d := image.NewGray(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 1, d, d.Pix, d.Stride
	case *image.Gray16:
		d := image.NewGray16(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 2, d, d.Pix, d.Stride
	case *image.RGBA:
		d := image.NewRGBA(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 4, d, d.Pix, d.Stride
	case *image.NRGBA:
		d := image.NewNRGBA(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 4, d, d.Pix, d.Stride
	case *image.RGBA64:
		d := image.NewRGBA64(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 8, d, d.Pix, d.Stride
	case *image.NRGBA64:
		d := image.NewNRGBA64(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 8, d, d.Pix, d.Stride
	case *image.CMYK:
		d := image.NewCMYK(r)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 4, d, d.Pix, d.Stride
	case *image.Paletted:
		d := image.NewPaletted(r, s.Palette)
		pix, stride, bpp, dst, dpix, dstride = s.Pix, s.Stride, 1, d, d.Pix, d.Stride
	case *image.YCbCr:
		// A JPEG's pixels: RGBA has the standard library's fast conversion.
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(c, c.Rect, src, b.Min, draw.Src)
		return turn(c, orientation)
	default:
		c := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(c, c.Rect, src, b.Min, draw.Src)
		return turn(c, orientation)
	}
	dw, dh := r.Dx(), r.Dy()
	for dy := 0; dy < dh; dy++ {
		row := dpix[dy*dstride : dy*dstride+dw*bpp]
		for dx := 0; dx < dw; dx++ {
			sx, sy := source(orientation, dx, dy, w, h)
			o := sy*stride + sx*bpp
			copy(row[dx*bpp:dx*bpp+bpp], pix[o:o+bpp])
		}
	}
	return dst
}

// source is the pixel of a w x h stored image shown at (dx, dy) of the upright one.
func source(orientation, dx, dy, w, h int) (int, int) {
	switch orientation {
	case 2: // mirrored left to right
		return w - 1 - dx, dy
	case 3: // upside down
		return w - 1 - dx, h - 1 - dy
	case 4: // mirrored top to bottom
		return dx, h - 1 - dy
	case 5: // transposed
		return dy, dx
	case 6: // stored turned a quarter anticlockwise: turn it clockwise
		return dy, h - 1 - dx
	case 7: // transversed
		return w - 1 - dy, h - 1 - dx
	case 8: // stored turned a quarter clockwise
		return w - 1 - dy, dx
	}
	return dx, dy
}

// reencode encodes a turned image: a JPEG's as a JPEG with its ICC profile, other images as PNG
// with the chunks that colour them.
func reencode(mediaType string, img image.Image, color [][]byte) ([]byte, string, error) {
	var buf bytes.Buffer
	if mediaType == JPEG {
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: TurnedJPEGQuality}); err != nil {
			return nil, "", fmt.Errorf("encoding JPEG: %w", err)
		}
		out := buf.Bytes()
		if _, cmyk := img.(*image.CMYK); cmyk || len(color) == 0 {
			// The encoder writes RGB: a CMYK profile would describe other colours.
			return out, JPEG, nil
		}
		with := append([]byte{}, out[:2]...)
		for _, seg := range color {
			with = append(with, seg...)
		}
		return append(with, out[2:]...), JPEG, nil
	}
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", fmt.Errorf("encoding PNG: %w", err)
	}
	out := buf.Bytes()
	var chunks []byte
	switch mediaType {
	case PNG:
		for _, c := range color {
			chunks = append(chunks, c...)
		}
	case WebP:
		if len(color) > 0 { // a WebP has one profile
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			_, _ = zw.Write(color[0])
			if err := zw.Close(); err != nil {
				return nil, "", fmt.Errorf("compressing the ICC profile: %w", err)
			}
			chunks = pngChunk("iCCP", append([]byte("ICC Profile\x00\x00"), z.Bytes()...))
		}
	}
	// After the signature and IHDR (13 bytes of data, 12 of length, type and CRC).
	at := len(pngSignature) + 25
	with := append(append(append([]byte{}, out[:at]...), chunks...), out[at:]...)
	return with, PNG, nil
}
