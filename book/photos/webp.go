package photos

import "encoding/binary"

// webpKeep are the chunks a stored WebP keeps: its features, colour profile and image data.
// EXIF and XMP go, and any chunk the list does not know (an animation's frames too, which the
// decoder refuses anyway).
var webpKeep = map[string]bool{"VP8X": true, "ICCP": true, "ALPH": true, "VP8 ": true, "VP8L": true}

// VP8X flags that announce the chunks stripped.
const (
	vp8xExif = 0x08
	vp8xXMP  = 0x04
)

// stripWebP walks a WebP's RIFF chunks, keeping those of webpKeep and clearing the EXIF and XMP
// flags of VP8X. It refuses a file shorter or longer than its RIFF header says.
func stripWebP(data []byte) (stripped, error) {
	out := stripped{data: make([]byte, 0, len(data)), orientation: 1}
	total := 8 + uint64(binary.LittleEndian.Uint32(data[4:]))
	switch {
	case total > uint64(len(data)):
		return stripped{}, notImage("truncated WebP image: its RIFF header says %d bytes, the file has %d", total, len(data))
	case total < uint64(len(data)):
		return stripped{}, notImage("%d bytes after the end of the WebP image", uint64(len(data))-total)
	}
	out.data = append(out.data, data[:12]...)
	seenExif := false
	for i := 12; i < len(data); {
		if i+8 > len(data) {
			return stripped{}, notImage("truncated WebP image: it ends in the chunk header at byte %d", i)
		}
		typ := string(data[i : i+4])
		n := uint64(binary.LittleEndian.Uint32(data[i+4:]))
		end := uint64(i) + 8 + n + n&1
		if end > uint64(len(data)) {
			return stripped{}, notImage("bad WebP image: the %q chunk at byte %d runs past the RIFF size", typ, i)
		}
		body := data[i+8 : uint64(i)+8+n]
		if typ == "EXIF" && !seenExif {
			seenExif = true
			out.orientation = exifOrientation(exifPayload(body))
		}
		if webpKeep[typ] {
			start := len(out.data)
			out.data = append(out.data, data[i:end]...)
			if typ == "VP8X" && n >= 1 {
				out.data[start+8] &^= vp8xExif | vp8xXMP
			}
			if typ == "ICCP" {
				out.color = append(out.color, body)
			}
		}
		i = int(end)
	}
	binary.LittleEndian.PutUint32(out.data[4:], uint32(len(out.data)-8))
	return out, nil
}
