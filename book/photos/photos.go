package photos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// Defaults of Options.
const (
	// DefaultMaxBytes is the largest photo accepted when Options.MaxBytes is zero.
	DefaultMaxBytes = 10 << 20
	// DefaultMaxPixels is the largest pixel count accepted when Options.MaxPixels is zero.
	DefaultMaxPixels = 50_000_000
	// ThumbnailSize is the longest side of a thumbnail, in pixels.
	ThumbnailSize = 320
)

// Media types of stored photos and thumbnails.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
)

var extensions = map[string]string{JPEG: ".jpg", PNG: ".png", WebP: ".webp"}

// thumbSuffix ends a thumbnail's file name, after the photo's hash.
const thumbSuffix = ".thumb.jpg"

// Ext returns the file extension of a photo of mediaType (".jpg", ".png", ".webp"), ".jpg" for
// a media type it does not store.
func Ext(mediaType string) string {
	if e, ok := extensions[mediaType]; ok {
		return e
	}
	return ".jpg"
}

// tempPrefix starts the name of a file being written; New removes any a crash left.
const tempPrefix = ".tmp-"

// Errors a refused photo or hash matches with errors.Is; the error's own text says why.
var (
	// ErrTooLarge: more bytes or pixels than the limits.
	ErrTooLarge = errors.New("photo too large")
	// ErrNotImage: not a whole JPEG, PNG or WebP image.
	ErrNotImage = errors.New("not a JPEG, PNG or WebP image")
	// ErrBadHash: a hash that is not 64 hex digits.
	ErrBadHash = errors.New("not a photo hash")
	// ErrNotFound: no photo stored under the hash.
	ErrNotFound = errors.New("no such photo")
)

// refusal is why an input was refused: its text is the whole message, kind the sentinel it
// matches, cause the decoder's error when there is one.
type refusal struct {
	kind  error
	msg   string
	cause error
}

func (r *refusal) Error() string        { return r.msg }
func (r *refusal) Is(target error) bool { return target == r.kind }
func (r *refusal) Unwrap() error        { return r.cause }

func notImage(format string, args ...any) error {
	return &refusal{kind: ErrNotImage, msg: fmt.Sprintf(format, args...)}
}

// Options are the limits of a Store; zero values take the defaults.
type Options struct {
	// MaxBytes is the largest photo accepted, in bytes (DefaultMaxBytes).
	MaxBytes int64
	// MaxPixels is the largest width times height accepted (DefaultMaxPixels).
	MaxPixels int64
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	return o
}

// Photo is the record of a stored photo.
type Photo struct {
	// Hash is the SHA-256 of the stored bytes, 64 lowercase hex digits.
	Hash string `json:"hash"`
	// MediaType is JPEG, PNG or WebP.
	MediaType string `json:"media_type"`
	// Width and Height are the stored (upright) image's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Bytes is the stored file's size.
	Bytes int64 `json:"bytes"`
}

// Store keeps photos in one directory, which it alone writes.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger
}

// New opens the store in dir, making the directory when it is missing, and removes the
// temporary files an interrupted Put left. A nil log logs nothing.
func New(dir string, opts Options, log *slog.Logger) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the photo directory: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, opts: opts.withDefaults(), log: log}
	if err := s.removeTemps(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) removeTemps() error {
	subs, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("reading the photo directory: %w", err)
	}
	for _, sub := range subs {
		if !sub.IsDir() || !isFanOut(sub.Name()) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.dir, sub.Name()))
		if err != nil {
			return fmt.Errorf("reading the photo directory: %w", err)
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), tempPrefix) {
				p := filepath.Join(s.dir, sub.Name(), f.Name())
				if err := os.Remove(p); err != nil {
					return fmt.Errorf("removing an interrupted photo: %w", err)
				}
				s.log.Info("removed an interrupted photo", "file", p)
			}
		}
	}
	return nil
}

func isFanOut(name string) bool {
	return len(name) == 2 && isHex(name)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// MaxBytes returns the largest photo the store accepts, in bytes.
func (s *Store) MaxBytes() int64 { return s.opts.MaxBytes }

// Put reads a photo from r, checks it, strips its metadata (turning it upright when its
// orientation says so), and stores it with its thumbnail unless the same photo is stored
// already. It reads at most the size limit and one byte more, and stops between its steps
// once ctx ends. A refused photo's error matches ErrTooLarge or ErrNotImage and nothing of it
// is stored.
func (s *Store) Put(ctx context.Context, r io.Reader) (Photo, error) {
	data, err := readLimited(r, s.opts.MaxBytes)
	if err != nil {
		return Photo{}, err
	}
	if err := ctx.Err(); err != nil {
		return Photo{}, err
	}
	p, err := prepare(data, s.opts)
	if err != nil {
		return Photo{}, err
	}
	if err := ctx.Err(); err != nil {
		return Photo{}, err
	}
	sum := sha256.Sum256(p.stored)
	rec := Photo{
		Hash:      hex.EncodeToString(sum[:]),
		MediaType: p.mediaType,
		Width:     p.img.Bounds().Dx(),
		Height:    p.img.Bounds().Dy(),
		Bytes:     int64(len(p.stored)),
	}
	dir := filepath.Join(s.dir, rec.Hash[:2])
	name := filepath.Join(dir, rec.Hash+extensions[rec.MediaType])
	if _, err := os.Stat(name); err == nil {
		return rec, nil
	}
	thumb, err := thumbnail(p.img)
	if err != nil {
		return Photo{}, err
	}
	if err := ctx.Err(); err != nil {
		return Photo{}, err
	}
	if err := s.makeFanOut(dir); err != nil {
		return Photo{}, err
	}
	// The thumbnail first: a photo in place always has its thumbnail.
	if err := writeAtomic(filepath.Join(dir, rec.Hash+thumbSuffix), thumb); err != nil {
		return Photo{}, fmt.Errorf("storing the thumbnail of photo %s: %w", rec.Hash, err)
	}
	if err := writeAtomic(name, p.stored); err != nil {
		return Photo{}, fmt.Errorf("storing photo %s: %w", rec.Hash, err)
	}
	s.log.Debug("stored a photo", "hash", rec.Hash, "type", rec.MediaType, "bytes", rec.Bytes, "turned", p.turned)
	return rec, nil
}

// readLimited reads all of r when it holds at most limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the photo: %w", err)
	}
	if n > limit {
		return nil, &refusal{kind: ErrTooLarge, msg: "photo too large: at most " + sizeText(limit)}
	}
	return buf.Bytes(), nil
}

// sizeText writes a byte count the way people set it: 10 MiB, 512 KiB, 1000 bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// makeFanOut makes a fan-out directory, syncing its parent when it is new so that the
// directory survives a crash with the files renamed into it.
func (s *Store) makeFanOut(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("making a photo directory: %w", err)
	}
	return syncDir(s.dir)
}

// writeAtomic puts data at name: a temporary file beside it, synced, renamed, and the
// directory synced.
func writeAtomic(name string, data []byte) (err error) {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), name); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing a photo directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing a photo directory: %w", err)
	}
	return nil
}

// Open opens the stored photo with the given hash for reading, with its media type.
func (s *Store) Open(hash string) (*os.File, string, error) {
	hash, err := checkHash(hash)
	if err != nil {
		return nil, "", err
	}
	for _, mt := range []string{JPEG, PNG, WebP} {
		f, err := os.Open(filepath.Join(s.dir, hash[:2], hash+extensions[mt]))
		if err == nil {
			return f, mt, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("opening photo %s: %w", hash, err)
		}
	}
	return nil, "", fmt.Errorf("photo %s: %w", hash, ErrNotFound)
}

// OpenThumbnail opens the JPEG thumbnail of the stored photo with the given hash.
func (s *Store) OpenThumbnail(hash string) (*os.File, error) {
	hash, err := checkHash(hash)
	if err != nil {
		return nil, err
	}
	// A thumbnail is written before its photo: without the photo it is not one yet.
	photo, _, err := s.Open(hash)
	if err != nil {
		return nil, err
	}
	_ = photo.Close()
	f, err := os.Open(filepath.Join(s.dir, hash[:2], hash+thumbSuffix))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("thumbnail of photo %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the thumbnail of photo %s: %w", hash, err)
	}
	return f, nil
}

// checkHash returns the hash in lowercase when it is 64 hex digits.
func checkHash(hash string) (string, error) {
	lower := strings.ToLower(hash)
	if len(lower) != 2*sha256.Size || !isHex(lower) {
		return "", fmt.Errorf("%q: %w: want 64 hex digits", hash, ErrBadHash)
	}
	return lower, nil
}

// Remove deletes the stored photo with the given hash and its thumbnail, the photo first (a
// thumbnail without its photo is not one, see OpenThumbnail); a photo not stored is no error.
// The caller makes sure that nothing refers to the photo any more.
func (s *Store) Remove(hash string) error {
	hash, err := checkHash(hash)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.dir, hash[:2])
	for _, name := range []string{hash + extensions[JPEG], hash + extensions[PNG], hash + extensions[WebP], hash + thumbSuffix} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing photo %s: %w", hash, err)
		}
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return syncDir(dir)
}
