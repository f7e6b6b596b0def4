package photos

import "bytes"

// maxScans bounds a JPEG's scans: each one makes the decoder go over the blocks of the image
// again, so a few megabytes of tiny scans could hold a core for minutes. A progressive JPEG
// of the common encoders has about ten.
const maxScans = 64

// jfifLen is the length of a JFIF APP0 segment's header, after its length field: "JFIF\0",
// version, units, densities, and the thumbnail's width and height.
const jfifLen = 14

// stripJPEG walks a JPEG's markers from SOI to EOI, keeping every segment but the application
// ones other than JFIF, ICC profile and Adobe, and the comments. It refuses a JPEG without its
// EOI and any byte after it.
func stripJPEG(data []byte) (stripped, error) {
	out := stripped{data: make([]byte, 0, len(data)), orientation: 1}
	out.data = append(out.data, 0xFF, 0xD8)
	seenExif := false
	scans := 0
	i := 2
	for {
		if i >= len(data) {
			return stripped{}, notImage("truncated JPEG image: it ends before its end marker")
		}
		if data[i] != 0xFF {
			return stripped{}, notImage("bad JPEG image: no marker at byte %d", i)
		}
		for i < len(data) && data[i] == 0xFF { // fill bytes
			i++
		}
		if i >= len(data) {
			return stripped{}, notImage("truncated JPEG image: it ends before its end marker")
		}
		m := data[i]
		i++
		switch {
		case m == 0xD9: // EOI
			out.data = append(out.data, 0xFF, 0xD9)
			if rest := len(data) - i; rest > 0 {
				return stripped{}, notImage("%d bytes after the end of the JPEG image", rest)
			}
			return out, nil
		case m == 0x00 || m == 0xD8:
			return stripped{}, notImage("bad JPEG image: marker 0x%02X at byte %d", m, i-1)
		case m == 0x01 || 0xD0 <= m && m <= 0xD7: // TEM, RSTn: no length
			out.data = append(out.data, 0xFF, m)
			continue
		}
		if i+2 > len(data) {
			return stripped{}, notImage("truncated JPEG image: it ends in the segment at byte %d", i-2)
		}
		n := int(data[i])<<8 | int(data[i+1])
		if n < 2 {
			return stripped{}, notImage("bad JPEG image: segment at byte %d has length %d", i-2, n)
		}
		if i+n > len(data) {
			return stripped{}, notImage("truncated JPEG image: it ends in the segment at byte %d", i-2)
		}
		seg := data[i+2 : i+n]
		keep := true
		switch {
		case m == 0xE1: // Exif, XMP
			if !seenExif && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				seenExif = true
				out.orientation = exifOrientation(seg[6:])
			}
			keep = false
		case m == 0xE0:
			keep = bytes.HasPrefix(seg, []byte("JFIF\x00"))
			if keep && len(seg) > jfifLen {
				// The JFIF header alone: a thumbnail after it could show what a crop cut off.
				out.data = append(out.data, 0xFF, 0xE0, 0, jfifLen+2)
				out.data = append(out.data, seg[:jfifLen-2]...)
				out.data = append(out.data, 0, 0) // no thumbnail
				keep = false
			}
		case m == 0xE2:
			keep = bytes.HasPrefix(seg, []byte("ICC_PROFILE\x00"))
			if keep {
				out.color = append(out.color, data[i-2:i+n])
			}
		case m == 0xEE:
			keep = bytes.HasPrefix(seg, []byte("Adobe"))
		case 0xE3 <= m && m <= 0xEF, m == 0xFE: // other APPn, COM
			keep = false
		}
		if keep {
			out.data = append(out.data, data[i-2:i+n]...)
		}
		i += n
		if m != 0xDA {
			continue
		}
		if scans++; scans > maxScans {
			return stripped{}, notImage("bad JPEG image: more than %d scans", maxScans)
		}
		// After a scan's header come its entropy-coded bytes, up to the next marker that is
		// neither a stuffed 0xFF00 nor a restart.
		j := i
		for {
			ff := bytes.IndexByte(data[j:], 0xFF)
			if ff < 0 || j+ff+1 >= len(data) {
				return stripped{}, notImage("truncated JPEG image: it ends in the scan data")
			}
			j += ff
			if next := data[j+1]; next != 0x00 && (next < 0xD0 || next > 0xD7) {
				break
			}
			j += 2
		}
		out.data = append(out.data, data[i:j]...)
		i = j
	}
}
