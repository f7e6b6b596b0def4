package buffer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// headerSize is the size of a frame's header: data length, CRC and append time.
const headerSize = 16

// maxRecordBytes is the largest record Append takes. It also bounds the length a scan believes,
// so that a corrupt length field cannot make it allocate gigabytes.
const maxRecordBytes = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	// errTorn reports a frame cut short by the end of the data: a write the process did not
	// finish.
	errTorn = errors.New("torn frame")
	// errCorrupt reports a frame whose length is impossible or whose checksum does not match.
	errCorrupt = errors.New("corrupt frame")
)

// frameSize returns the size on disk of a record of n data bytes.
func frameSize(n int) int64 { return headerSize + int64(n) }

// frameCRC returns the checksum of a frame: the CRC-32C of its time and data.
func frameCRC(timeField, data []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, timeField), castagnoli, data)
}

// appendFrame appends the frame of a record appended at t (Unix nanoseconds) to dst.
func appendFrame(dst []byte, t int64, data []byte) []byte {
	// The header is built in dst, not in a local array: the checksum's indirect call would
	// move such an array to the heap, an allocation per record.
	h := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(t))
	binary.LittleEndian.PutUint32(dst[h+4:h+8], frameCRC(dst[h+8:h+16], data))
	return append(dst, data...)
}

// decodeFrame decodes the frame at the start of b. It returns the append time, the data (a
// slice of b) and the size of the frame, or errTorn if b ends inside the frame, or errCorrupt.
func decodeFrame(b []byte) (t int64, data []byte, n int, err error) {
	if len(b) < headerSize {
		return 0, nil, 0, errTorn
	}
	size := binary.LittleEndian.Uint32(b[0:4])
	if size > maxRecordBytes {
		return 0, nil, 0, errCorrupt
	}
	if uint64(len(b)-headerSize) < uint64(size) {
		return 0, nil, 0, errTorn
	}
	data = b[headerSize : headerSize+int(size)]
	if frameCRC(b[8:16], data) != binary.LittleEndian.Uint32(b[4:8]) {
		return 0, nil, 0, errCorrupt
	}
	return int64(binary.LittleEndian.Uint64(b[8:16])), data, headerSize + int(size), nil
}

// scanFrames reads the frames of a segment from r and calls fn for each whole frame with a valid
// checksum, in order; data is valid only during the call. It returns the number of bytes of
// whole valid frames, which is where a damaged segment must be cut, and nil at a clean end,
// errTorn or errCorrupt at the first bad frame, or the error of r.
func scanFrames(r io.Reader, fn func(off int64, t int64, data []byte)) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var h [headerSize]byte
	var buf []byte
	var off int64
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			switch {
			case errors.Is(err, io.EOF):
				return off, nil
			case errors.Is(err, io.ErrUnexpectedEOF):
				return off, errTorn
			}
			return off, err
		}
		size := binary.LittleEndian.Uint32(h[0:4])
		if size > maxRecordBytes {
			return off, errCorrupt
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(br, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return off, errTorn
			}
			return off, err
		}
		if frameCRC(h[8:16], buf) != binary.LittleEndian.Uint32(h[4:8]) {
			return off, errCorrupt
		}
		fn(off, int64(binary.LittleEndian.Uint64(h[8:16])), buf)
		off += frameSize(int(size))
	}
}
