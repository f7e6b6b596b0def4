package buffer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/cellforge/cellforge/store/atomicfile"
)

const (
	cursorFile = "cursor"
	// legacyCursorTmpFile is the temporary cursor file of older versions, removed at Open.
	legacyCursorTmpFile = "cursor.tmp"
	cursorMagic         = "CFBQ"
	cursorVersion       = 1
	cursorSize          = 4 + 4 + 8 + 8 + 4
)

// cursorState is what the cursor file keeps: the oldest unacknowledged sequence number and one
// past the newest sequence number handed out by Read (so that a restart can count replays).
type cursorState struct {
	cursor uint64
	read   uint64
}

var errBadCursor = errors.New("bad cursor file")

// encodeCursor returns the cursor file of s: magic, version, cursor, read mark and the CRC-32C of
// all of that, little endian.
func encodeCursor(s cursorState) []byte {
	b := make([]byte, 0, cursorSize)
	b = append(b, cursorMagic...)
	b = binary.LittleEndian.AppendUint32(b, cursorVersion)
	b = binary.LittleEndian.AppendUint64(b, s.cursor)
	b = binary.LittleEndian.AppendUint64(b, s.read)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeCursor parses a cursor file.
func decodeCursor(b []byte) (cursorState, error) {
	if len(b) != cursorSize {
		return cursorState{}, fmt.Errorf("%w: %d bytes, want %d", errBadCursor, len(b), cursorSize)
	}
	if string(b[0:4]) != cursorMagic {
		return cursorState{}, fmt.Errorf("%w: wrong magic", errBadCursor)
	}
	if v := binary.LittleEndian.Uint32(b[4:8]); v != cursorVersion {
		return cursorState{}, fmt.Errorf("%w: version %d", errBadCursor, v)
	}
	if crc32.Checksum(b[:cursorSize-4], castagnoli) != binary.LittleEndian.Uint32(b[cursorSize-4:]) {
		return cursorState{}, fmt.Errorf("%w: checksum mismatch", errBadCursor)
	}
	return cursorState{
		cursor: binary.LittleEndian.Uint64(b[8:16]),
		read:   binary.LittleEndian.Uint64(b[16:24]),
	}, nil
}

// readCursor reads the cursor file of dir. A missing or damaged file reads as the zero state,
// which replays everything on disk: at least once allows that, losing records does not.
func readCursor(dir string) (cursorState, error) {
	b, err := os.ReadFile(filepath.Join(dir, cursorFile))
	if errors.Is(err, os.ErrNotExist) {
		return cursorState{}, nil
	}
	if err != nil {
		return cursorState{}, fmt.Errorf("reading the cursor: %w", err)
	}
	s, err := decodeCursor(b)
	if err != nil {
		return cursorState{}, nil
	}
	return s, nil
}

// writeCursor replaces the cursor file of dir atomically: a crash leaves the old file or the
// new one, never a mix.
func writeCursor(dir string, s cursorState) error {
	if err := atomicfile.Write(dir, cursorFile, encodeCursor(s), 0o644, true); err != nil {
		return fmt.Errorf("writing the cursor: %w", err)
	}
	return nil
}
