// Package qrsvg draws text as a QR code in an inline SVG element, for pages that show a code to
// print or to scan from the screen (the parcel slip on a repair's customer page). The code is
// one path of dark modules on a light square with the quiet zone the standard asks for, sized by
// the page's CSS through its viewBox; it is accessible (role img, a title) and everything taken
// from the caller is escaped. The encoding is github.com/skip2/go-qrcode's; this package must
// import nothing of CellForge's.
package qrsvg

import (
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// MaxText is the most bytes SVG encodes: what a QR code holds in byte mode at error correction
// level M (version 40).
const MaxText = 2331

// quiet is the width of the light margin around the code, in modules (four, by the standard).
const quiet = 4

// SVG returns an <svg> element drawing text as a QR code at error correction level M, whose
// accessible name is title (also its tooltip). It fails on empty text, text longer than
// MaxText bytes, or an empty title.
func SVG(text, title string) (template.HTML, error) {
	switch {
	case text == "":
		return "", errors.New("qr code of no text")
	case len(text) > MaxText:
		return "", fmt.Errorf("qr code of %d bytes longer than %d", len(text), MaxText)
	case strings.TrimSpace(title) == "":
		return "", errors.New("qr code without a title")
	}
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("encoding a qr code of %d bytes: %w", len(text), err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	size := len(bits) + 2*quiet
	n := strconv.Itoa(size)
	t := template.HTMLEscapeString(title)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" viewBox="0 0 ` + n + ` ` + n + `" shape-rendering="crispEdges" aria-label="` + t + `">`)
	b.WriteString(`<title>` + t + `</title>`)
	b.WriteString(`<rect width="` + n + `" height="` + n + `" fill="#fff"/><path fill="#000" d="`)
	// One subpath per run of dark modules in a row.
	for y, row := range bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			run := 1
			for x+run < len(row) && row[x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}
