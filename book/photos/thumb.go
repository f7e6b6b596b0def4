package photos

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"

	xdraw "golang.org/x/image/draw"
)

// ThumbnailQuality is the JPEG quality of thumbnails.
const ThumbnailQuality = 85

// thumbnail makes the JPEG thumbnail of an image: its longest side ThumbnailSize pixels (a
// smaller image keeps its size), transparency shown over white.
func thumbnail(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w, h := thumbSize(b.Dx(), b.Dy())
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := xdraw.Src
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		draw.Draw(dst, dst.Rect, image.White, image.Point{}, draw.Src)
		op = xdraw.Over
	}
	xdraw.BiLinear.Scale(dst, dst.Rect, img, b, op, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: ThumbnailQuality}); err != nil {
		return nil, fmt.Errorf("encoding a thumbnail: %w", err)
	}
	return buf.Bytes(), nil
}

// thumbSize fits w x h within ThumbnailSize on its longest side, keeping its proportions.
func thumbSize(w, h int) (int, int) {
	long := max(w, h)
	if long <= ThumbnailSize {
		return w, h
	}
	return max(1, (w*ThumbnailSize+long/2)/long), max(1, (h*ThumbnailSize+long/2)/long)
}
