package web

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cellforge/cellforge/book/photos"
)

// openNamedPhoto opens the photo a page's request names, among the photos the page may serve:
// name is {sha256}.{ext}, the extension of the photo's media type, or {sha256}.thumb.jpg for
// its thumbnail. mediaTypeOf gives the media type of a hash the page names, "" for one it does
// not. found is false, with no error, when the page names no such photo, the name's form is
// wrong or the store does not hold it: whatever the store holds, a page serves only its own.
func (p *Pages) openNamedPhoto(name string, mediaTypeOf func(hash string) string) (f *os.File, mediaType string, found bool, err error) {
	hash, rest, _ := strings.Cut(name, ".")
	mediaType = mediaTypeOf(hash)
	if mediaType == "" || p.cfg.Photos == nil {
		return nil, "", false, nil
	}
	switch rest {
	case "thumb.jpg":
		f, err = p.cfg.Photos.OpenThumbnail(hash)
		mediaType = "image/jpeg"
	case strings.TrimPrefix(photos.Ext(mediaType), "."):
		f, _, err = p.cfg.Photos.Open(hash)
	default:
		return nil, "", false, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", false, nil
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("opening photo %s: %w", hash, err)
	}
	return f, mediaType, true, nil
}
