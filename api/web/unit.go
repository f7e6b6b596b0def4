package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/web/unitpage"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/photos"
)

// The unit pages are public: /u/{serial} is where the QR code on a unit's label leads, on a
// phone, with no sign-in. They show the unit's certificate, which holds no customer data, its
// file, and the photos it names; nothing else of the book.

// Units tells units' stories, for their public pages.
type Units interface {
	// Unit returns a unit's story and, once it is finished, its certificate; an error
	// matching certify.ErrUnknownUnit when no unit has the serial (or it was scrapped).
	Unit(ctx context.Context, serial string) (certify.Unit, error)
}

// Photos opens stored photos by their hash.
type Photos interface {
	// Open returns the photo and its media type.
	Open(hash string) (*os.File, string, error)
	// OpenThumbnail returns the photo's JPEG thumbnail.
	OpenThumbnail(hash string) (*os.File, error)
}

// unitMaxAge is how long a phone or a proxy may keep a unit's page: a note added shows within
// a minute.
const unitMaxAge = 60

// publicHeaders are the headers of every public unit page and file.
func publicHeaders(h http.Header, maxAge int, immutable bool) {
	cc := fmt.Sprintf("public, max-age=%d", maxAge)
	if immutable {
		cc += ", immutable"
	}
	h.Set("Cache-Control", cc)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
}

// unit finds the unit of the request's serial, or answers 404.
func (p *Pages) unit(c echo.Context) (certify.Unit, error) {
	if p.cfg.Units == nil {
		return certify.Unit{}, echo.NewHTTPError(http.StatusNotFound, "This studio publishes no unit pages.")
	}
	serial := c.Param("serial")
	u, err := p.cfg.Units.Unit(c.Request().Context(), serial)
	if errors.Is(err, certify.ErrUnknownUnit) {
		return certify.Unit{}, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("No piece of %s has the serial %q.", p.factory().Name, serial))
	}
	return u, err
}

// unitPage serves a unit's public page.
func (p *Pages) unitPage(c echo.Context) error {
	u, err := p.unit(c)
	if err != nil {
		return err
	}
	base := "/u/" + url.PathEscape(u.Revision.Serial)
	page := unitpage.Page{Revision: u.Revision, Finished: u.Finished, Links: unitpage.Links{
		Keys:      "/provenance/keys.json",
		Photo:     func(h, mt string) string { return base + "/photos/" + h + photos.Ext(mt) },
		Thumbnail: func(h, _ string) string { return base + "/photos/" + h + ".thumb.jpg" },
	}}
	if u.Finished {
		page.Links.Certificate = base + "/certificate.json"
		if a := p.factory().Aftercare; a != nil && a.PublicIntake {
			page.Links.RepairRequest = base + "/repair"
		}
	}
	var b strings.Builder
	if err := unitpage.Render(&b, page); err != nil {
		return err
	}
	publicHeaders(c.Response().Header(), unitMaxAge, false)
	return c.HTMLBlob(http.StatusOK, []byte(b.String()))
}

// unitCertificate serves a finished unit's certificate file, to download.
func (p *Pages) unitCertificate(c echo.Context) error {
	u, err := p.unit(c)
	if err != nil {
		return err
	}
	if !u.Finished {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("The piece %s is still being made: its certificate is issued once it is finished.", u.Revision.Serial))
	}
	h := c.Response().Header()
	publicHeaders(h, unitMaxAge, false)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, unitpage.CertificateFile(u.Revision.Serial)))
	return c.Blob(http.StatusOK, "application/json", u.Certificate)
}

// unitPhoto serves a photo the unit's certificate names (of the unit or of a repair), or its
// thumbnail: {sha256}.{ext} or {sha256}.thumb.jpg. A photo the certificate does not name is not
// found, whatever the store holds.
func (p *Pages) unitPhoto(c echo.Context) error {
	u, err := p.unit(c)
	if err != nil {
		return err
	}
	name := c.Param("name")
	f, mediaType, found, err := p.openNamedPhoto(name, func(hash string) string {
		for _, ph := range u.Revision.AllPhotos() {
			if ph.SHA256 == hash {
				return ph.MediaType
			}
		}
		return ""
	})
	if err != nil {
		return err
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("The piece %s has no photo %q.", u.Revision.Serial, name))
	}
	defer f.Close()
	publicHeaders(c.Response().Header(), 365*24*3600, true) // named by its content
	return c.Stream(http.StatusOK, mediaType, io.Reader(f))
}
