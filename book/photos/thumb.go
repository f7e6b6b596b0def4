package photos

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
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
	// A photo many times the thumbnail's size is first averaged down in blocks, which costs a
	// few additions a pixel, to twice the thumbnail or more; the finer filter does the rest.
	if y, ok := img.(*image.YCbCr); ok && b.Min == (image.Point{}) {
		sx, sy := chromaStep(y.SubsampleRatio)
		// Each block holds a chroma sample's first pixel when it is at least a sample wide.
		if k := max(b.Dx(), b.Dy()) / (2 * ThumbnailSize); k >= 2 && k >= sx && k >= sy {
			img = shrink(y, k)
			b = img.Bounds()
		}
	}
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

// shrink averages the k x k blocks of a YCbCr image whose bounds start at (0,0) (the last
// partial row and column of blocks dropped) into an RGBA image k times smaller; k is at least a
// chroma sample's width and height.
func shrink(src *image.YCbCr, k int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx()/k, b.Dy()/k
	sx, sy := chromaStep(src.SubsampleRatio)
	ys := make([]int, w)
	cbs, crs, cn := make([]int, w), make([]int, w), make([]int, w)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for by := 0; by < h; by++ {
		clear(ys)
		clear(cbs)
		clear(crs)
		clear(cn)
		for y := by * k; y < by*k+k; y++ {
			row := src.Y[y*src.YStride : y*src.YStride+w*k]
			for i := range ys {
				sum := 0
				for _, v := range row[i*k : i*k+k] {
					sum += int(v)
				}
				ys[i] += sum
			}
		}
		// The chroma samples whose first pixel lies in this row of blocks.
		for cy := (by*k + sy - 1) / sy; cy*sy < by*k+k; cy++ {
			cb, cr := src.Cb[cy*src.CStride:], src.Cr[cy*src.CStride:]
			for cx, x, i := 0, 0, 0; x < w*k; cx, x = cx+1, x+sx {
				for x >= (i+1)*k {
					i++
				}
				cbs[i] += int(cb[cx])
				crs[i] += int(cr[cx])
				cn[i]++
			}
		}
		out := dst.Pix[by*dst.Stride:]
		for i := 0; i < w; i++ {
			r, g, bl := color.YCbCrToRGB(uint8(ys[i]/(k*k)), uint8(cbs[i]/cn[i]), uint8(crs[i]/cn[i]))
			out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = r, g, bl, 0xFF
		}
	}
	return dst
}

// chromaStep is how many pixels across and down one chroma sample covers.
func chromaStep(r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}
