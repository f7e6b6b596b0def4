package book_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cellforge/cellforge/book"
)

// FuzzNoteText checks the rules of a maker's note and a photo's caption on any text: what is
// accepted is UTF-8 without control characters (newlines only in a note), within its length,
// without space around it, and accepted again unchanged.
func FuzzNoteText(f *testing.F) {
	for _, s := range []string{"warp re-tensioned", " a\r\nb ", "", "\t", "ok \xff", "ñ\u0085", strings.Repeat("x", 2001), "\u2028line"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tc := range []struct {
			name     string
			check    func(string) (string, error)
			max      int
			newlines bool
		}{
			{"note", book.NoteText, book.MaxNoteText, true},
			{"caption", book.PhotoCaption, book.MaxCaption, false},
		} {
			got, err := tc.check(s)
			if err != nil {
				continue
			}
			if !utf8.ValidString(got) || utf8.RuneCountInString(got) > tc.max || got != strings.TrimSpace(got) {
				t.Fatalf("%s %q accepted as %q", tc.name, s, got)
			}
			for _, r := range got {
				if unicode.IsControl(r) && !(tc.newlines && r == '\n') {
					t.Fatalf("%s %q accepted as %q, with %U", tc.name, s, got, r)
				}
			}
			if again, err := tc.check(got); err != nil || again != got {
				t.Fatalf("%s %q accepted as %q, then %q, %v", tc.name, s, got, again, err)
			}
		}
	})
}
