package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book/provenance"
)

// KeysPath is where the daemon publishes the studio's public keys, which verify the
// certificates behind its units' labels.
const KeysPath = "/provenance/keys.json"

// keysMaxAge is how long a client may keep the public keys before asking again: short, so that
// a new key is seen soon after a rotation, while a page of certificates checked at once asks
// only once.
const keysMaxAge = 300

// KeyRing is the studio's key ring as the API publishes it.
type KeyRing interface {
	// PublicKeys returns the signing key's public half and those of the retired keys.
	PublicKeys() provenance.PublicKeySet
}

// publicKeys answers the studio's public key set, as provenance.PublicKeySet.Marshal writes it.
// Anyone may read it: it is what lets anyone check a unit's certificate.
func (s *Server) publicKeys(c echo.Context) error {
	if s.keys == nil {
		return newError(http.StatusNotFound, codeNotFound, "this daemon holds no signing key")
	}
	body, err := s.keys.PublicKeys().Marshal()
	if err != nil {
		return fmt.Errorf("publishing the public keys: %w", err)
	}
	c.Response().Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", keysMaxAge))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}
