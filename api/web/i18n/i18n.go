package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed catalogues/*.json
var files embed.FS

// Source is the tag of the source language, whose text is the messages' ids.
const Source = "en"

// Lang is one language of the pages: its messages and its plural rule.
type Lang struct {
	// Tag is the language's BCP 47 tag ("en", "pt").
	Tag string
	// Name is the language's name in itself ("English", "Português"), for the picker.
	Name string
	// msgs maps an id (a singular id for a counted message) to its translation.
	msgs   map[string]Message
	plural pluralRule
}

// Message is a translation: Other alone for a plain message; for a counted one, One for the
// singular category and Other for the rest.
type Message struct {
	One   string `json:"one,omitempty"`
	Other string `json:"other"`
}

// UnmarshalJSON takes a plain string for a plain message or an object for a counted one.
func (m *Message) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		m.One = ""
		return json.Unmarshal(b, &m.Other)
	}
	type plain Message
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	if p.One == "" || p.Other == "" {
		return errors.New(`a counted message needs both "one" and "other"`)
	}
	*m = Message(p)
	return nil
}

// T returns the message with id translated, formatted with args as fmt.Sprintf does; a message
// the language lacks is shown in English.
func (l *Lang) T(id string, args ...any) string {
	text := id
	if m, ok := l.msgs[id]; ok && m.One == "" {
		text = m.Other
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// N returns the counted message of n things, singular and plural being its English forms,
// formatted with args (n is not passed to the format by itself: give it in args).
func (l *Lang) N(singular, plural string, n int, args ...any) string {
	text := plural
	if l.Tag == Source || l.msgs == nil {
		if n == 1 {
			text = singular
		}
	} else if m, ok := l.msgs[singular]; ok && m.One != "" {
		text = m.Other
		if l.plural(n) {
			text = m.One
		}
	} else if n == 1 {
		text = singular
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// Messages returns the language's plain messages whose ids are in ids, for a script to show:
// each id maps to its text (the id itself in English).
func (l *Lang) Messages(ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = l.T(id)
	}
	return out
}

// Has reports whether the language translates id (a plain message, or a counted one by its
// singular id); English has every id.
func (l *Lang) Has(id string) (Message, bool) {
	if l.Tag == Source {
		return Message{Other: id}, true
	}
	m, ok := l.msgs[id]
	return m, ok
}

// IDs returns the ids the language translates, sorted.
func (l *Lang) IDs() []string {
	ids := make([]string, 0, len(l.msgs))
	for id := range l.msgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// pluralRule reports whether n takes the "one" form.
type pluralRule func(n int) bool

// pluralRules are the CLDR rules of the "one" category for integers, by rule name.
var pluralRules = map[string]pluralRule{
	// English, Spanish, German, Italian, European Portuguese: one is 1.
	"one": func(n int) bool { return n == 1 },
	// French, Brazilian Portuguese (CLDR "pt"): one is 0 and 1.
	"zero-one": func(n int) bool { return n == 0 || n == 1 },
}

// file is a catalogue file.
type file struct {
	Language string             `json:"language"`
	Name     string             `json:"name"`
	Plural   string             `json:"plural"`
	Messages map[string]Message `json:"messages"`
}

// Catalogue is every language the pages speak, English first.
type Catalogue struct {
	langs []*Lang
}

// Load reads the embedded catalogues.
func Load() (*Catalogue, error) {
	names, err := fs.Glob(files, "catalogues/*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalogue{langs: []*Lang{{Tag: Source, Name: "English", plural: pluralRules["one"]}}}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		l, err := Parse(path.Join("api/web/i18n", name), b)
		if err != nil {
			return nil, err
		}
		if _, dup := c.Lang(l.Tag); dup {
			return nil, fmt.Errorf("%s: language %q is in another catalogue too", name, l.Tag)
		}
		c.langs = append(c.langs, l)
	}
	return c, nil
}

// Parse reads a catalogue file; name is how errors refer to it. Unknown fields, a language
// without a tag, name or known plural rule, and a message whose translation is empty are
// refused with the file's line and column.
func Parse(name string, b []byte) (*Lang, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", where(name, b, dec.InputOffset(), err), err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", where(name, b, dec.InputOffset(), nil))
	}
	switch {
	case f.Language == "":
		return nil, fmt.Errorf("%s: field language: missing", name)
	case f.Language == Source:
		return nil, fmt.Errorf("%s: field language: %q is the source language, whose ids are its text", name, Source)
	case f.Name == "":
		return nil, fmt.Errorf("%s: field name: missing (the language's name in itself)", name)
	}
	rule, ok := pluralRules[f.Plural]
	if !ok {
		known := make([]string, 0, len(pluralRules))
		for k := range pluralRules {
			known = append(known, strconv.Quote(k))
		}
		slices.Sort(known)
		return nil, fmt.Errorf("%s: field plural: %q is not a plural rule: want one of %s", name, f.Plural, strings.Join(known, ", "))
	}
	for id, m := range f.Messages {
		if strings.TrimSpace(m.Other) == "" {
			return nil, fmt.Errorf("%s: message %q: empty translation", lineOf(name, b, id), id)
		}
	}
	return &Lang{Tag: f.Language, Name: f.Name, msgs: f.Messages, plural: rule}, nil
}

// where names the line and column of offset in b, or of a syntax or type error's own offset.
func where(name string, b []byte, offset int64, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	offset = min(max(offset, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:offset], []byte("\n"))
	col := int(offset) - bytes.LastIndexByte(b[:offset], '\n')
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

// lineOf names the line of a message's id in b.
func lineOf(name string, b []byte, id string) string {
	q, _ := json.Marshal(id)
	i := bytes.Index(b, q)
	if i < 0 {
		return name
	}
	return fmt.Sprintf("%s:%d", name, 1+bytes.Count(b[:i], []byte("\n")))
}

// Langs returns the languages, English first, then in the order of their files.
func (c *Catalogue) Langs() []*Lang { return c.langs }

// Lang returns the language of tag ("pt", "pt-BR" finds "pt"), case-insensitively.
func (c *Catalogue) Lang(tag string) (*Lang, bool) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, try := range []string{tag, base(tag)} {
		for _, l := range c.langs {
			if strings.ToLower(l.Tag) == try {
				return l, true
			}
		}
	}
	return nil, false
}

func base(tag string) string {
	if i := strings.IndexAny(tag, "-_"); i > 0 {
		return tag[:i]
	}
	return tag
}

// Choose picks the language of a request: the one the device chose (chosen, a tag kept in a
// cookie), else the studio's (studio, from the factory file), else the first of the browser's
// Accept-Language the pages speak (by preference, q=0 meaning not wanted), else English.
func (c *Catalogue) Choose(chosen, studio, acceptLanguage string) *Lang {
	for _, tag := range []string{chosen, studio} {
		if l, ok := c.Lang(tag); ok && tag != "" {
			return l
		}
	}
	type pref struct {
		tag string
		q   float64
	}
	var prefs []pref
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if tag != "" && tag != "*" && q > 0 {
			prefs = append(prefs, pref{tag, q})
		}
	}
	slices.SortStableFunc(prefs, func(a, b pref) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	for _, p := range prefs {
		if l, ok := c.Lang(p.tag); ok {
			return l
		}
	}
	return c.langs[0]
}

// Tags returns the tags of the languages, "en, pt", for a message.
func (c *Catalogue) Tags() string {
	tags := make([]string, len(c.langs))
	for i, l := range c.langs {
		tags[i] = l.Tag
	}
	return strings.Join(tags, ", ")
}
