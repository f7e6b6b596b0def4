package configs

import (
	"net/url"
	"time"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The store section says where the order book lives. Without it, the book is a SQLite file in
// the daemon's data directory. With a PostgreSQL database, several daemons can share the book
// and drive one floor between them (each cell by one daemon at a time, under a lease):
//
//	store:
//	  postgres: postgres://cellforge@db.studio.lan:5432/cellforge?sslmode=verify-full
//	  lease: 5s
//
// The file holds no password: the daemon reads it from PGPASSWORD or ~/.pgpass, as psql does,
// so that the factory file can be shared and kept in version control. lease is how long a
// daemon's hold on a cell lasts without renewal: after a daemon dies, another takes its cells
// over within about that time.

// Store configures where the order book lives.
type Store struct {
	// Postgres is the URL of the PostgreSQL database of the book; empty for SQLite in the data
	// directory.
	Postgres string
	// Lease is how long a daemon's lease on a cell lasts without renewal (DefaultLease).
	Lease time.Duration
	Line  int
}

// Limits and default of the store section.
const (
	DefaultLease = 5 * time.Second
	minLease     = 2 * time.Second
	maxLease     = 5 * time.Minute
)

// DefaultStore is the store section of a file without one: SQLite.
func DefaultStore() Store { return Store{Lease: DefaultLease} }

// store decodes and checks the optional store section.
func (d *decoder) store(m *mapping, key string) value[*Store] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Store]{}
	}
	v := value[*Store]{Line: e.Key.Line}
	const object = "store"
	sm, ok := d.Mapping(e.Val, object, "", "postgres", "lease")
	if !ok {
		v.Bad = true
		return v
	}
	s := DefaultStore()
	s.Line = e.Key.Line
	if pv := d.Str(sm, "postgres"); pv.Bad {
		v.Bad = true
	} else if pv.Set() {
		if msg := checkPostgresURL(pv.V); msg != "" {
			d.Add(pv.Line, object, "postgres", "%s", msg)
			v.Bad = true
		}
		s.Postgres = pv.V
	}
	if lv := d.Duration(sm, "lease"); lv.Bad {
		v.Bad = true
	} else if lv.Set() {
		if lv.V < minLease || lv.V > maxLease {
			d.Add(lv.Line, object, "lease", "%s out of range %s..%s", lv.V, minLease, maxLease)
			v.Bad = true
		}
		s.Lease = lv.V
	}
	v.V = &s
	return v
}

// checkPostgresURL says what is wrong with a database URL of the file, "" when nothing is.
func checkPostgresURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "empty: leave the key out for SQLite in the data directory"
	case err != nil:
		return "not a URL: " + err.Error()
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return yamlfile.Quote(raw) + " is not a postgres:// URL"
	case u.Host == "":
		return yamlfile.Quote(raw) + " names no host"
	case len(u.Path) <= 1:
		return yamlfile.Quote(raw) + " names no database (postgres://user@host:5432/DATABASE)"
	}
	if _, set := u.User.Password(); set {
		return "the URL holds a password: keep it out of the factory file, in PGPASSWORD or ~/.pgpass"
	}
	return ""
}
