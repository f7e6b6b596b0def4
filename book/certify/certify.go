// Package certify issues and keeps units' certificates: it tells a unit's story, as the book
// knows it, as a revision of its certificate (package book/provenance), taking only what may be
// published (public names of the makers who opted in, public notes and photos; no customer, no
// person id), and issues a new signed revision whenever the story changed since the last.
package certify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

// Config is what an Issuer needs.
type Config struct {
	Book    *book.Book
	Factory *configs.Factory
	Keys    *provenance.KeyRing
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Issuer tells units' stories and issues their certificates. It is safe for concurrent use.
type Issuer struct {
	book    *book.Book
	factory *configs.Factory
	keys    *provenance.KeyRing
	now     func() time.Time
	loc     *time.Location
}

// New returns an Issuer.
func New(cfg Config) *Issuer {
	i := &Issuer{book: cfg.Book, factory: cfg.Factory, keys: cfg.Keys, now: cfg.Now, loc: time.UTC}
	if i.now == nil {
		i.now = time.Now
	}
	if h := cfg.Factory.Hours; h != nil && h.Location != nil {
		i.loc = h.Location
	}
	return i
}

// Unit is a unit's story as its page and its certificate tell it.
type Unit struct {
	// Revision is the newest revision of the unit's certificate, or, while the unit is being
	// made, its story so far (not signed: no number, no key).
	Revision provenance.Revision
	// Finished is true once the unit is made; only then has it a certificate.
	Finished bool
	// Certificate is the certificate file, every revision; nil while the unit is being made.
	Certificate []byte
}

// issueTries bounds how often Current issues again after another request issued a revision of
// the same unit first.
const issueTries = 3

// Unit returns the story of the unit with a serial and, once it is finished, its certificate,
// issuing a new revision of it when the story changed since the last: an error wrapping
// ErrUnknownUnit when no unit has the serial or the unit was scrapped.
func (i *Issuer) Unit(ctx context.Context, serial string) (Unit, error) {
	s, err := i.book.Story(ctx, serial)
	if err != nil {
		return Unit{}, err
	}
	if s.Unit.Scrapped != nil {
		return Unit{}, fmt.Errorf("%w: %s was scrapped", ErrUnknownUnit, serial)
	}
	return i.current(ctx, s)
}

// current returns the unit of story s, issuing a new revision of its certificate when it is
// finished and its story changed since the last revision.
func (i *Issuer) current(ctx context.Context, s book.Story) (Unit, error) {
	draft := i.revisionOf(s)
	if !s.Finished {
		return Unit{Revision: draft}, nil
	}
	for range issueTries {
		stored, err := i.book.CertificateRevisions(ctx, s.Unit.Serial)
		if err != nil {
			return Unit{}, err
		}
		chain, err := i.chain(s.Unit.Serial, stored)
		if err != nil {
			return Unit{}, err
		}
		if n := len(chain.Revisions); n > 0 {
			same, err := provenance.SameStory(chain.Revisions[n-1].Revision, draft)
			if err != nil {
				return Unit{}, err
			}
			if same {
				return i.unit(chain)
			}
		}
		if err := chain.Issue(draft, i.keys, i.now()); err != nil {
			return Unit{}, fmt.Errorf("issuing the certificate of unit %s: %w", s.Unit.Serial, err)
		}
		last := chain.Revisions[len(chain.Revisions)-1]
		form, err := last.Form()
		if err != nil {
			return Unit{}, err
		}
		hash, err := last.Hash()
		if err != nil {
			return Unit{}, err
		}
		err = i.book.AppendCertificateRevision(ctx, book.CertificateRevision{
			Serial: s.Unit.Serial, Number: last.Revision.Number, Form: form, Hash: hash, IssuedAt: last.Revision.IssuedAt})
		if errors.Is(err, book.ErrRevisionTaken) {
			continue // another request issued it first: read it
		}
		if err != nil {
			return Unit{}, err
		}
		return i.unit(chain)
	}
	return Unit{}, fmt.Errorf("issuing the certificate of unit %s: other revisions were issued at the same time %d times", s.Unit.Serial, issueTries)
}

// chain reads the stored revisions of serial's certificate back, verifying them with the
// studio's keys: a stored revision that does not verify is never served.
func (i *Issuer) chain(serial string, stored []book.CertificateRevision) (*provenance.Chain, error) {
	if len(stored) == 0 {
		return &provenance.Chain{}, nil
	}
	forms := make([][]byte, len(stored))
	for j, r := range stored {
		forms[j] = r.Form
	}
	c, err := provenance.Verify(provenance.File(forms), i.keys.PublicKeys())
	if err != nil {
		return nil, fmt.Errorf("the stored certificate of unit %s does not verify: %w", serial, err)
	}
	return c, nil
}

func (i *Issuer) unit(c *provenance.Chain) (Unit, error) {
	file, err := c.Marshal()
	if err != nil {
		return Unit{}, err
	}
	return Unit{Revision: c.Revisions[len(c.Revisions)-1].Revision, Finished: true, Certificate: file}, nil
}

// ErrUnknownUnit is returned (wrapped) for a serial no unit has, or a unit that was scrapped:
// it has no page. It is book.ErrUnknownUnit.
var ErrUnknownUnit = book.ErrUnknownUnit
