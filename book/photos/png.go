package photos

import (
	"encoding/binary"
	"hash/crc32"
)

const pngSignature = "\x89PNG\r\n\x1a\n"

// pngKeep are the chunks a stored PNG keeps: those that make its pixels and those that say
// how to show their colours. Every other chunk goes: text (tEXt, zTXt, iTXt), Exif (eXIf),
// time (tIME) and any the list does not know, which could carry anything.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true, "sBIT": true,
	"cICP": true, "mDCv": true, "cLLi": true, "bKGD": true, "pHYs": true,
}

// pngColor are the kept chunks that hold for the pixels whatever their encoding, carried into a
// PNG made again when the photo is turned.
var pngColor = map[string]bool{"gAMA": true, "cHRM": true, "sRGB": true, "iCCP": true, "cICP": true}

// stripPNG walks a PNG's chunks from IHDR to IEND, checking each one's CRC and keeping those of
// pngKeep. It refuses a PNG without IEND, any byte after it and an unknown critical chunk.
func stripPNG(data []byte) (stripped, error) {
	out := stripped{data: make([]byte, 0, len(data)), orientation: 1}
	out.data = append(out.data, pngSignature...)
	seenExif := false
	for i := len(pngSignature); ; {
		if i+8 > len(data) {
			return stripped{}, notImage("truncated PNG image: it ends before its IEND chunk")
		}
		n := uint64(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if !isChunkType(typ) {
			return stripped{}, notImage("bad PNG image: chunk type %q at byte %d", typ, i+4)
		}
		if uint64(i)+12+n > uint64(len(data)) {
			return stripped{}, notImage("truncated PNG image: it ends in the %s chunk at byte %d", typ, i)
		}
		end := i + 12 + int(n)
		body := data[i+8 : end-4]
		if crc32.ChecksumIEEE(data[i+4:end-4]) != binary.BigEndian.Uint32(data[end-4:]) {
			return stripped{}, notImage("bad PNG image: the %s chunk at byte %d fails its CRC", typ, i)
		}
		if i == len(pngSignature) && typ != "IHDR" {
			return stripped{}, notImage("bad PNG image: it starts with %s, not IHDR", typ)
		}
		if typ == "eXIf" && !seenExif {
			seenExif = true
			out.orientation = exifOrientation(exifPayload(body))
		}
		if typ[0]&0x20 == 0 && !pngKeep[typ] {
			return stripped{}, notImage("bad PNG image: unknown critical chunk %s at byte %d", typ, i)
		}
		if pngKeep[typ] {
			out.data = append(out.data, data[i:end]...)
			if pngColor[typ] {
				out.color = append(out.color, data[i:end])
			}
		}
		if typ == "IEND" {
			if rest := len(data) - end; rest > 0 {
				return stripped{}, notImage("%d bytes after the end of the PNG image", rest)
			}
			return out, nil
		}
		i = end
	}
}

func isChunkType(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// pngChunk makes a chunk with its length and CRC.
func pngChunk(typ string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(c, typ...)
	c = append(c, body...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}
