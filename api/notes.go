package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/photos"
)

// Defaults of the photo uploads' bounds (Config).
const (
	// DefaultPhotoUploads is how many photos are checked and stored at once: each holds about
	// 40 MB while it is (a 12 MP photo decoded, its thumbnail, its bytes twice).
	DefaultPhotoUploads = 2
	// DefaultPhotoWait is how long an upload waits for its turn before it is answered 503.
	DefaultPhotoWait = 3 * time.Second
)

// photoFormOverhead is what a photo upload's body may hold beyond the photo: the form's
// boundaries and part headers, its unit, private flag and caption.
const photoFormOverhead = 64 << 10

// maxPhotoField bounds each field of a photo upload's form but the photo.
const maxPhotoField = 4 << 10

// photoRetryAfter is the Retry-After, in seconds, of an upload refused because others were
// under way.
const photoRetryAfter = 2

// photoUploads bounds the photos being checked and stored at once, and makes sure that a photo
// whose record failed is removed only when nothing records it.
type photoUploads struct {
	store    *photos.Store
	maxBytes int64
	slots    chan struct{}
	wait     time.Duration
	// recording is held (read) from a photo's Put until its record is stored or refused, and
	// (write) while a photo whose record failed is removed: no upload is then between the two,
	// so a photo that no record names is nobody's.
	recording sync.RWMutex
	// held, when not nil, is called with a slot held; tests use it.
	held func()
}

// noteRequest is the body of POST /api/v1/operations/{id}/notes.
type noteRequest struct {
	Text    string `json:"text"`
	Unit    int    `json:"unit"`
	Private bool   `json:"private"`
}

// addNote adds a maker's note to an operation.
func (s *Server) addNote(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req noteRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	n, replayed, err := s.book.AddNote(c.Request().Context(), book.NoteRequest{
		Operation: id, Unit: req.Unit, Text: req.Text, Private: req.Private,
		Actor: book.Actor(principal(c).ID), Idempotency: idem,
	})
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, n)
}

// photoForm is a photo upload's form, read.
type photoForm struct {
	name  string // the photo's file name, as the client gave it
	photo []byte
	req   book.PhotoRequest
}

// addPhoto checks and stores a maker's photo of an operation and records it in the book. At
// most Config.PhotoUploads run at once; one that waits longer than Config.PhotoWait for its
// turn is answered 503 with a Retry-After, before its body is read.
func (s *Server) addPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	up := s.photos
	if up == nil {
		return newError(http.StatusNotFound, codeNotFound, "this daemon keeps no photos")
	}
	r := c.Request()
	limit := up.maxBytes + photoFormOverhead
	if r.ContentLength > limit {
		return up.tooLarge()
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err != nil || mt != "multipart/form-data" {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the photo as multipart/form-data with the field \"photo\", not %q", r.Header.Get(echo.HeaderContentType))
	}
	release, err := up.acquire(r.Context())
	if err != nil {
		if errors.Is(err, errPhotosBusy) {
			c.Response().Header().Set("Retry-After", strconv.Itoa(photoRetryAfter))
		}
		return err
	}
	defer release()
	if up.held != nil {
		up.held()
	}

	form, err := up.readForm(c, http.MaxBytesReader(c.Response(), r.Body, limit))
	if err != nil {
		return err
	}
	form.req.Operation = id
	form.req.Actor = book.Actor(principal(c).ID)
	// Refused before the photo is stored, so that it leaves nothing behind.
	if form.req.Caption, err = s.book.CheckPhoto(r.Context(), form.req); err != nil {
		return err
	}
	sum := sha256.Sum256(form.photo)
	if form.req.Idempotency, err = idempotency(c, fmt.Appendf(nil, "unit=%d private=%t caption=%q photo=%x",
		form.req.Unit, form.req.Private, form.req.Caption, sum)); err != nil {
		return err
	}
	p, replayed, err := up.keep(r.Context(), s.book, form)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, p)
}

var errPhotosBusy = newError(http.StatusServiceUnavailable, codeBusy,
	"other photos are being stored: send this one again in a moment")

// acquire waits for a turn to check and store a photo, for at most the wait: errPhotosBusy
// once it is over, or when the request ends first (its client, gone, reads no answer).
func (u *photoUploads) acquire(ctx context.Context) (release func(), err error) {
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, nil
	default:
	}
	t := time.NewTimer(u.wait)
	defer t.Stop()
	select {
	case u.slots <- struct{}{}:
		return func() { <-u.slots }, nil
	case <-t.C:
		return nil, errPhotosBusy
	case <-ctx.Done():
		return nil, errPhotosBusy
	}
}

func (u *photoUploads) tooLarge() error {
	return newError(http.StatusRequestEntityTooLarge, codeTooLarge,
		"the photo is larger than %d MiB (%d bytes), the most a photo may be", u.maxBytes>>20, u.maxBytes)
}

// readForm reads a photo upload's form: the photo (at most maxBytes), its unit, private flag
// and caption. Every field may come once; no other field may come.
func (u *photoUploads) readForm(c echo.Context, body io.Reader) (photoForm, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	_, params, _ := mime.ParseMediaType(ct)
	mr := multipart.NewReader(body, params["boundary"])
	var form photoForm
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return form, u.formError(err)
		}
		name := part.FormName()
		if seen[name] {
			return form, newError(http.StatusBadRequest, codeInvalid, "the form holds the field %q twice", name)
		}
		seen[name] = true
		if name == "photo" {
			form.name = part.FileName()
			var buf bytes.Buffer
			n, err := buf.ReadFrom(io.LimitReader(part, u.maxBytes+1))
			if err != nil {
				return form, u.formError(err)
			}
			if n > u.maxBytes {
				return form, u.tooLarge()
			}
			form.photo = buf.Bytes()
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(part, maxPhotoField+1))
		if err != nil {
			return form, u.formError(err)
		}
		if len(raw) > maxPhotoField {
			return form, newError(http.StatusBadRequest, codeInvalid, "field %q is longer than %d bytes", name, maxPhotoField)
		}
		v := string(raw)
		switch name {
		case "unit":
			if form.req.Unit, err = strconv.Atoi(strings.TrimSpace(v)); err != nil && strings.TrimSpace(v) != "" {
				return form, newError(http.StatusBadRequest, codeInvalid, "field \"unit\" %q: want a unit number (0: every unit)", v)
			}
		case "private":
			switch strings.TrimSpace(v) {
			case "", "false", "0", "off":
			case "true", "1", "on":
				form.req.Private = true
			default:
				return form, newError(http.StatusBadRequest, codeInvalid, "field \"private\" %q: want true or false", v)
			}
		case "caption":
			form.req.Caption = v
		default:
			return form, newError(http.StatusBadRequest, codeInvalid,
				"unknown field %q: a photo's form holds photo, unit, private and caption", name)
		}
	}
	if !seen["photo"] {
		return form, newError(http.StatusBadRequest, codeInvalid, "the form has no field \"photo\"")
	}
	return form, nil
}

// formError answers a form that could not be read: too large, too slow, or not a form.
func (u *photoUploads) formError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return u.tooLarge()
	case errors.Is(err, ErrSlowBody):
		return err
	}
	return newError(http.StatusBadRequest, codeInvalid, "reading the photo's form: %v", err)
}

// keep checks and stores the form's photo and records it in the book. A photo the book
// refuses to record (the idempotency key reused, the store failing) is removed again unless
// another record names it.
func (u *photoUploads) keep(ctx context.Context, b *book.Book, form photoForm) (book.Photo, bool, error) {
	u.recording.RLock()
	stored, err := u.store.Put(ctx, bytes.NewReader(form.photo))
	if err != nil {
		u.recording.RUnlock()
		name := form.name
		if name == "" {
			name = "photo"
		}
		switch {
		case errors.Is(err, photos.ErrNotImage):
			msg := fmt.Sprintf("%q is not a JPEG, PNG or WebP image", name)
			// The store says why when it knows more than that (a bad chunk, bytes after the end).
			if why := err.Error(); why != photos.ErrNotImage.Error() {
				msg += ": " + why
			}
			return book.Photo{}, false, newError(http.StatusUnprocessableEntity, codeNotImage, "%s; nothing was stored", msg)
		case errors.Is(err, photos.ErrTooLarge):
			return book.Photo{}, false, newError(http.StatusRequestEntityTooLarge, codeTooLarge, "%q: %v; nothing was stored", name, err)
		}
		return book.Photo{}, false, fmt.Errorf("storing a photo: %w", err)
	}
	req := form.req
	req.Hash, req.MediaType, req.Width, req.Height = stored.Hash, stored.MediaType, stored.Width, stored.Height
	// The photo is on disk: its record is stored even when the client has gone.
	p, replayed, err := b.AddPhoto(context.WithoutCancel(ctx), req)
	u.recording.RUnlock()
	if err != nil {
		u.forget(b, stored.Hash)
		return book.Photo{}, false, err
	}
	return p, replayed, nil
}

// forget removes a stored photo that no record names.
func (u *photoUploads) forget(b *book.Book, hash string) {
	u.recording.Lock()
	defer u.recording.Unlock()
	recorded, err := b.PhotoRecorded(context.Background(), hash)
	if err != nil || recorded {
		return
	}
	_ = u.store.Remove(hash)
}

// getPhoto answers a stored photo that the book records, by its hash.
func (s *Server) getPhoto(c echo.Context) error {
	return s.servePhoto(c, false)
}

// getThumbnail answers the thumbnail of a stored photo that the book records, by its hash.
func (s *Server) getThumbnail(c echo.Context) error {
	return s.servePhoto(c, true)
}

func (s *Server) servePhoto(c echo.Context, thumb bool) error {
	if s.photos == nil {
		return newError(http.StatusNotFound, codeNotFound, "this daemon keeps no photos")
	}
	hash := strings.ToLower(c.Param("hash"))
	if len(hash) != 2*sha256.Size || strings.Trim(hash, "0123456789abcdef") != "" {
		return newError(http.StatusBadRequest, codeInvalid, "photo %q: want its SHA-256, 64 hex digits", c.Param("hash"))
	}
	ok, err := s.book.PhotoRecorded(c.Request().Context(), hash)
	if err != nil {
		return err
	}
	var f *os.File
	mediaType := photos.JPEG
	switch {
	case !ok:
		// Stored but not recorded: an upload under way, or one whose record failed.
		err = photos.ErrNotFound
	case thumb:
		f, err = s.photos.store.OpenThumbnail(hash)
	default:
		f, mediaType, err = s.photos.store.Open(hash)
	}
	switch {
	case errors.Is(err, photos.ErrNotFound):
		return newError(http.StatusNotFound, codeNotFound, "no photo %s", c.Param("hash"))
	case err != nil:
		return err
	}
	defer f.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, mediaType)
	// A photo never changes under its hash; it is the signed-in studio's only.
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", time.Time{}, f)
	return nil
}
