// Package logfmt is a log/slog handler that writes logfmt: one line per record of key=value
// pairs, time, level and msg first, then the record's attributes, groups flattened into dotted
// keys. A value is quoted when it is empty or holds a space, a quote, an '=', a backslash or a
// control character, with the escapes of Go and JSON strings (\" \\ \n \r \t \u00XX), so that
// a line never spans two and every pair parses back. A key's space, quote, '=' and control
// characters become '_': a logfmt key is never quoted.
//
// It imports only the standard library.
package logfmt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Handler is a slog.Handler that writes logfmt lines to a writer.
type Handler struct {
	opts   slog.HandlerOptions
	mu     *sync.Mutex // shared with the handlers made by WithAttrs and WithGroup
	w      io.Writer
	prefix string // the open groups, each followed by a '.'
	pre    []byte // the attributes of WithAttrs, formatted
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler writing to w; opts may be nil (level info). Its ReplaceAttr is not
// applied.
func New(w io.Writer, opts *slog.HandlerOptions) *Handler {
	h := &Handler{mu: &sync.Mutex{}, w: w}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether level is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return level >= min
}

// Handle writes r as one line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	if !r.Time.IsZero() {
		buf = appendPair(buf, "time", slog.TimeValue(r.Time))
	}
	buf = appendPair(buf, "level", slog.StringValue(r.Level.String()))
	buf = appendPair(buf, "msg", slog.StringValue(r.Message))
	buf = append(buf, h.pre...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.prefix, a)
		return true
	})
	buf = append(buf, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(buf[1:]) // the first pair's leading space
	return err
}

// WithAttrs returns a handler that writes attrs on every line, after the record's own fields.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.pre = append([]byte(nil), h.pre...)
	for _, a := range attrs {
		h2.pre = appendAttr(h2.pre, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler whose later attributes' keys start with name and a dot.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// appendAttr appends a as " key=value", a group as its members under its key.
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, m := range a.Value.Group() {
			buf = appendAttr(buf, p, m)
		}
		return buf
	}
	return appendPair(buf, prefix+a.Key, a.Value)
}

// appendPair appends " key=value".
func appendPair(buf []byte, key string, v slog.Value) []byte {
	buf = append(buf, ' ')
	buf = appendKey(buf, key)
	buf = append(buf, '=')
	return appendValue(buf, text(v))
}

// text is v as the text of a logfmt value.
func text(v slog.Value) string {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
		if m, ok := v.Any().(interface{ MarshalText() ([]byte, error) }); ok {
			if b, err := m.MarshalText(); err == nil {
				return string(b)
			}
		}
	}
	return v.String()
}

// appendKey appends key, each character a key cannot hold replaced with '_'.
func appendKey(buf []byte, key string) []byte {
	if key == "" {
		return append(buf, '_')
	}
	for _, r := range key {
		if r <= ' ' || r == '=' || r == '"' || r == utf8.RuneError || r == 0x7f {
			r = '_'
		}
		buf = utf8.AppendRune(buf, r)
	}
	return buf
}

// appendValue appends s, quoted when it must be.
func appendValue(buf []byte, s string) []byte {
	if !needsQuotes(s) {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			buf = append(buf, '\\', byte(r))
		case r == '\n':
			buf = append(buf, `\n`...)
		case r == '\r':
			buf = append(buf, `\r`...)
		case r == '\t':
			buf = append(buf, `\t`...)
		case r < ' ' || r == 0x7f:
			buf = append(buf, `\u00`...)
			buf = append(buf, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
		case r == utf8.RuneError:
			buf = append(buf, `\ufffd`...)
		default:
			buf = utf8.AppendRune(buf, r)
		}
	}
	return append(buf, '"')
}

// needsQuotes reports whether s must be quoted to be read back as one value.
func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == '\\' || r == 0x7f || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// Pair is one key=value of a line.
type Pair struct{ Key, Value string }

// Parse reads back a line Handler wrote (without its newline) into its pairs, in order: a
// quoted value with strconv's rules for Go strings, which cover every escape Handler writes.
// It returns an error naming the offset of a pair without '=' or a quoted value left open.
func Parse(line string) ([]Pair, error) {
	var out []Pair
	for i := 0; i < len(line); {
		if line[i] == ' ' {
			i++
			continue
		}
		eq := i
		for eq < len(line) && line[eq] != '=' && line[eq] != ' ' {
			eq++
		}
		if eq == len(line) || line[eq] != '=' {
			return nil, fmt.Errorf("offset %d: a key without '='", i)
		}
		key, j := line[i:eq], eq+1
		if j < len(line) && line[j] == '"' {
			end := j + 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				return nil, fmt.Errorf("offset %d: key %q: a quoted value left open", j, key)
			}
			v, err := strconv.Unquote(line[j : end+1])
			if err != nil {
				return nil, fmt.Errorf("offset %d: key %q: %w", j, key, err)
			}
			out = append(out, Pair{key, v})
			i = end + 1
			continue
		}
		end := j
		for end < len(line) && line[end] != ' ' {
			end++
		}
		out = append(out, Pair{key, line[j:end]})
		i = end
	}
	return out, nil
}
