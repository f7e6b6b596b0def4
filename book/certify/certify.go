// Package certify issues and keeps units' certificates: it tells a unit's story, as the book
// knows it, as a revision of its certificate (package book/provenance), taking only what may be
// published (public names of the makers who opted in, public notes and photos, the repairs done
// to it since with their services, makers, public notes and photos; no customer, no person id, no
// repair's id), and issues a new signed revision whenever the story changed since the last: a
// repair finished is one new revision.
package certify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/configs"
)

// Config is what an Issuer needs.
type Config struct {
	Book    *book.Book
	Factory *configs.Factory
	// Current returns the factory as it is now, when a reload may add products, cells and
	// people while the daemon runs (book.Book.Factory); nil: Factory, for good.
	Current func() *configs.Factory
	Keys    *provenance.KeyRing
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Issuer tells units' stories and issues their certificates. It is safe for concurrent use.
type Issuer struct {
	book           *book.Book
	currentFactory func() *configs.Factory
	keys           *provenance.KeyRing
	now            func() time.Time
	loc            *time.Location

	mu sync.Mutex
	// verified are the certificates last read back and verified, by serial (at most
	// verifiedMax), so that a page read again while nothing new was stored does not verify
	// every revision's signature again.
	verified map[string]*verified
}

// verifiedMax bounds the certificates an Issuer keeps verified, of the units whose pages were
// read last: each takes its stored forms, its chain and its file, some 35 KB a revision of 20
// steps, so a few megabytes in all.
const verifiedMax = 64

// verified is a unit's certificate as it was read back from the book and verified.
type verified struct {
	// keys are the ids of the public keys it was verified with; forms the stored forms of its
	// revisions, as verified: it holds while the book holds these bytes and the keys are these.
	keys  string
	forms [][]byte
	chain *provenance.Chain
	// file is chain's certificate file.
	file []byte
}

// New returns an Issuer.
func New(cfg Config) *Issuer {
	i := &Issuer{book: cfg.Book, currentFactory: cfg.Current, keys: cfg.Keys, now: cfg.Now, loc: time.UTC,
		verified: map[string]*verified{}}
	if i.currentFactory == nil {
		f := cfg.Factory
		i.currentFactory = func() *configs.Factory { return f }
	}
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
	// made, its story so far (not signed: no number, no key). It may share its lists with the
	// Units of other requests for the same unit: read it, do not change it.
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
		v, err := i.chain(s.Unit.Serial, stored)
		if err != nil {
			return Unit{}, err
		}
		if n := len(v.chain.Revisions); n > 0 {
			same, err := provenance.SameStory(v.chain.Revisions[n-1].Revision, draft)
			if err != nil {
				return Unit{}, err
			}
			if same {
				return v.unit(), nil
			}
		}
		// the next revision is issued on a copy: v may be shared with other requests
		chain := &provenance.Chain{Revisions: slices.Clip(v.chain.Revisions)}
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
		// A revision is stored only if the certificate it ends still verifies: one that grew
		// past what Verify reads (its size, revisions or values) would be served but never
		// verify.
		file, err := chain.Marshal()
		if err != nil {
			return Unit{}, err
		}
		if _, err := provenance.Verify(file, i.keys.PublicKeys()); err != nil {
			return Unit{}, fmt.Errorf("issuing the certificate of unit %s: revision %d would not verify: %w", s.Unit.Serial, last.Revision.Number, err)
		}
		err = i.book.AppendCertificateRevision(ctx, book.CertificateRevision{
			Serial: s.Unit.Serial, Number: last.Revision.Number, Form: form, Hash: hash, IssuedAt: last.Revision.IssuedAt})
		if errors.Is(err, book.ErrRevisionTaken) {
			continue // another request issued it first: read it
		}
		if err != nil {
			return Unit{}, err
		}
		return Unit{Revision: last.Revision, Finished: true, Certificate: file}, nil
	}
	return Unit{}, fmt.Errorf("issuing the certificate of unit %s: other revisions were issued at the same time %d times", s.Unit.Serial, issueTries)
}

// chain reads the stored revisions of serial's certificate back, verifying them with the
// studio's keys: a stored revision that does not verify is never served. What it verified last
// it serves again, without verifying, as long as the stored revisions are the same bytes and the
// keys the same.
func (i *Issuer) chain(serial string, stored []book.CertificateRevision) (*verified, error) {
	if len(stored) == 0 {
		return &verified{chain: &provenance.Chain{}}, nil
	}
	keys := i.keys.PublicKeys()
	ids := make([]string, len(keys.Keys))
	for j, k := range keys.Keys {
		ids[j] = k.ID
	}
	keyIDs := strings.Join(ids, " ")
	i.mu.Lock()
	v := i.verified[serial]
	i.mu.Unlock()
	if v != nil && v.keys == keyIDs && slices.EqualFunc(v.forms, stored, func(f []byte, r book.CertificateRevision) bool {
		return bytes.Equal(f, r.Form)
	}) {
		return v, nil
	}
	forms := make([][]byte, len(stored))
	for j, r := range stored {
		forms[j] = r.Form
	}
	c, err := provenance.Verify(provenance.File(forms), keys)
	if err != nil {
		i.forget(serial)
		return nil, fmt.Errorf("the stored certificate of unit %s does not verify: %w", serial, err)
	}
	file, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	v = &verified{keys: keyIDs, forms: forms, chain: c, file: file}
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.verified[serial]; !ok && len(i.verified) >= verifiedMax {
		for s := range i.verified { // any one: the map's order is random
			delete(i.verified, s)
			break
		}
	}
	i.verified[serial] = v
	return v, nil
}

// forget drops what was verified of serial's certificate.
func (i *Issuer) forget(serial string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.verified, serial)
}

// unit returns the finished unit of v, with a certificate file of its own.
func (v *verified) unit() Unit {
	return Unit{Revision: v.chain.Revisions[len(v.chain.Revisions)-1].Revision, Finished: true, Certificate: bytes.Clone(v.file)}
}

// ErrUnknownUnit is returned (wrapped) for a serial no unit has, or a unit that was scrapped:
// it has no page. It is book.ErrUnknownUnit.
var ErrUnknownUnit = book.ErrUnknownUnit
