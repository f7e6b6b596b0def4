package configs

import (
	"regexp"
	"time"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The tablet section says how the shop-floor tablets, which several people share, behave:
//
//	tablet:
//	  idle_sign_out: 15m
//	  language: pt
//
// A session started with a PIN (the tablets' sign-in) ends once its person has done nothing
// for idle_sign_out: the next person at the tablet finds the PIN pad, not someone else's
// session. language is the studio's language, which the tablets speak unless one was set to
// another on its cell picker; without it, each speaks its browser's language if the pages do.

// Tablet configures the shop-floor tablets.
type Tablet struct {
	// IdleSignOut is how long a session started with a PIN lasts without activity (a page
	// opened, an action) before it is ended; DefaultIdleSignOut unless the file says.
	IdleSignOut time.Duration
	// Language is the studio's language, a BCP 47 tag ("pt", "es-MX"); empty for the
	// browser's. The web app says which languages it speaks and refuses one it does not.
	Language string
	Line     int
}

// languageTag is the shape of a BCP 47 language tag as the tablet section takes it.
var languageTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$`)

// Limits and default of the tablet section.
const (
	DefaultIdleSignOut = 15 * time.Minute
	minIdleSignOut     = 5 * time.Second
	// maxIdleSignOut is the length of a session: a longer idle time would never end one.
	maxIdleSignOut = 12 * time.Hour
)

// DefaultTablet is the tablet section of a file without one.
func DefaultTablet() Tablet { return Tablet{IdleSignOut: DefaultIdleSignOut} }

// tablet decodes and checks the optional tablet section.
func (d *decoder) tablet(m *mapping, key string) value[*Tablet] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Tablet]{}
	}
	v := value[*Tablet]{Line: e.Key.Line}
	const object = "tablet"
	tm, ok := d.Mapping(e.Val, object, "", "idle_sign_out", "language")
	if !ok {
		v.Bad = true
		return v
	}
	t := DefaultTablet()
	t.Line = e.Key.Line
	if iv := d.Duration(tm, "idle_sign_out"); iv.Bad {
		v.Bad = true
	} else if iv.Set() {
		if iv.V < minIdleSignOut || iv.V > maxIdleSignOut {
			d.Add(iv.Line, object, "idle_sign_out", "%s out of range %s..%s", iv.V, minIdleSignOut, maxIdleSignOut)
			v.Bad = true
		}
		t.IdleSignOut = iv.V
	}
	if lv := d.Str(tm, "language"); lv.Bad {
		v.Bad = true
	} else if lv.V != "" {
		if !languageTag.MatchString(lv.V) {
			d.Add(lv.Line, object, "language", "%q is not a language tag such as en, pt or pt-BR", lv.V)
			v.Bad = true
		}
		t.Language = lv.V
	}
	v.V = &t
	return v
}
