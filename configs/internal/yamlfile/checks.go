package yamlfile

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rules quoted in messages, next to the value that breaks them, and limits shared by the files
// decoded here.
const (
	IDRule        = "want 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
	AttributeRule = "want 1 to 32 of a-z, 0-9, '_', '-', starting with a letter"
	// MaxNameRunes is the longest display name a studio is likely to mean.
	MaxNameRunes = 128
)

// Required reports a missing or empty string (an object line stands in for a missing key) and
// reports whether v holds a value worth checking further.
func (d *Decoder) Required(v Value[string], objectLine int, object, field string) bool {
	switch {
	case v.Bad:
		return false
	case !v.Set():
		d.Add(objectLine, object, field, "required")
		return false
	case v.V == "":
		d.Add(v.Line, object, field, "must not be empty")
		return false
	}
	return true
}

// NonEmpty reports a missing or empty list of what (an object line stands in for a missing key)
// and reports whether the list holds items worth checking.
func (d *Decoder) NonEmpty(n, line int, bad bool, objectLine int, object, field, what string) bool {
	switch {
	case bad:
		return false
	case line == 0:
		d.Add(objectLine, object, field, "required")
		return false
	case n == 0:
		d.Add(line, object, field, "must list at least one %s", what)
		return false
	}
	return true
}

// Shape reports v when ok rejects it; format gets the quoted value.
func (d *Decoder) Shape(v Value[string], object, field string, ok func(string) bool, format string) bool {
	if ok(v.V) {
		return true
	}
	d.Add(v.Line, object, field, format, Quote(v.V))
	return false
}

// Unique records v in seen and reports it if it was there already; format gets the quoted value
// and the first line. It reports whether v was new.
func (d *Decoder) Unique(seen map[string]int, v Value[string], object, field, format string) bool {
	if first, dup := seen[v.V]; dup {
		d.Add(v.Line, object, field, format, Quote(v.V), first)
		return false
	}
	seen[v.V] = v.Line
	return true
}

// OneOf reports a and b both being set and reports whether either is.
func (d *Decoder) OneOf(a, b Value[string], object, fieldA, fieldB string) bool {
	if a.Set() && b.Set() {
		d.Add(b.Line, object, fieldB, "set only one of %s and %s", fieldA, fieldB)
	}
	return a.Set() || b.Set()
}

// Text checks free text for length and control characters.
func (d *Decoder) Text(v Value[string], object, field string, maxRunes int) {
	if n := utf8.RuneCountInString(v.V); n > maxRunes {
		d.Add(v.Line, object, field, "must be at most %d characters (got %d)", maxRunes, n)
	}
	if strings.IndexFunc(v.V, unicode.IsControl) >= 0 {
		d.Add(v.Line, object, field, "must not contain control characters such as line breaks")
	}
}

// IsLower reports whether c is a lower-case ASCII letter.
func IsLower(c byte) bool { return 'a' <= c && c <= 'z' }

// IsUpper reports whether c is an upper-case ASCII letter.
func IsUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// IsDigit reports whether c is an ASCII digit.
func IsDigit(c byte) bool { return '0' <= c && c <= '9' }

// IsID reports whether s matches ^[a-z0-9][a-z0-9._-]{0,63}$.
func IsID(s string) bool {
	return Matches(s, 64, func(c byte) bool { return IsLower(c) || IsDigit(c) },
		func(c byte) bool { return IsLower(c) || IsDigit(c) || c == '.' || c == '_' || c == '-' })
}

// IsAttribute reports whether s matches ^[a-z][a-z0-9_-]{0,31}$.
func IsAttribute(s string) bool {
	return Matches(s, 32, IsLower, func(c byte) bool { return IsLower(c) || IsDigit(c) || c == '_' || c == '-' })
}

// Matches reports whether s is 1 to maxLen bytes, its first accepted by first, the rest by rest.
func Matches(s string, maxLen int, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > maxLen || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}
