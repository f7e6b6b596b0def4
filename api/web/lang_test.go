package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web/i18n"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// A message in a template: {{t "..."}} or {{n "singular" "plural" ...}}, also inside a pipeline.
var (
	templateT = regexp.MustCompile(`\(?\bt\s+("(?:[^"\\]|\\.)*")`)
	templateN = regexp.MustCompile(`\(?\bn\s+("(?:[^"\\]|\\.)*")\s+("(?:[^"\\]|\\.)*")`)
	// goT finds l.T("...") and l.N("...", "...") in the package's Go code.
	goT = regexp.MustCompile(`\.T\(("(?:[^"\\]|\\.)*")`)
	goN = regexp.MustCompile(`\.N\(("(?:[^"\\]|\\.)*"),\s*("(?:[^"\\]|\\.)*")`)
)

// usedIDs returns every message id the pages use, plain and counted (by singular id, with its
// plural), and where each is first used.
func usedIDs(t *testing.T) (plain map[string]string, counted map[string][2]string) {
	t.Helper()
	plain, counted = map[string]string{}, map[string][2]string{}
	add := func(where string, text []byte, code bool) {
		tRe, nRe := templateT, templateN
		if code {
			tRe, nRe = goT, goN
		}
		for _, m := range tRe.FindAllSubmatchIndex(text, -1) {
			id, err := strconv.Unquote(string(text[m[2]:m[3]]))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if _, ok := plain[id]; !ok {
				plain[id] = fmt.Sprintf("%s:%d", where, 1+strings.Count(string(text[:m[0]]), "\n"))
			}
		}
		for _, m := range nRe.FindAllSubmatchIndex(text, -1) {
			one, err1 := strconv.Unquote(string(text[m[2]:m[3]]))
			other, err2 := strconv.Unquote(string(text[m[4]:m[5]]))
			if err1 != nil || err2 != nil {
				t.Fatalf("%s: %v %v", where, err1, err2)
			}
			counted[one] = [2]string{other, fmt.Sprintf("%s:%d", where, 1+strings.Count(string(text[:m[0]]), "\n"))}
		}
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := assets.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		add("api/web/"+name, b, false)
	}
	ids, err := scriptIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, ok := plain[id]; !ok {
			plain[id] = "api/web/static"
		}
	}
	for _, name := range goFiles(t) {
		b, err := readFile(name)
		if err != nil {
			t.Fatal(err)
		}
		add("api/web/"+name, b, true)
	}
	return plain, counted
}

// Every message the pages show is in every language's catalogue, with the same formatting
// verbs in the same order, and no catalogue keeps a message the pages no longer use.
func TestEveryMessageIsInEveryCatalogue(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	plain, counted := usedIDs(t)
	if len(plain) < 50 {
		t.Fatalf("found %d messages in the pages: the search for them is broken", len(plain))
	}
	for _, l := range cat.Langs() {
		if l.Tag == i18n.Source {
			continue
		}
		t.Run(l.Tag, func(t *testing.T) {
			for id, where := range plain {
				m, ok := l.Has(id)
				switch {
				case !ok:
					t.Errorf("%s: %q is not in the %s catalogue", where, id, l.Tag)
				case m.One != "":
					t.Errorf("%s: %q is a plain message, the %s catalogue counts it", where, id, l.Tag)
				case !slices.Equal(verbs(id), verbs(m.Other)):
					t.Errorf("%q: %s translation %q has verbs %v, want %v", id, l.Tag, m.Other, verbs(m.Other), verbs(id))
				}
			}
			for one, c := range counted {
				m, ok := l.Has(one)
				switch {
				case !ok:
					t.Errorf("%s: counted %q is not in the %s catalogue", c[1], one, l.Tag)
				case m.One == "":
					t.Errorf("%s: %q counts, the %s catalogue has one form", c[1], one, l.Tag)
				case !slices.Equal(verbs(one), verbs(m.One)) || !slices.Equal(verbs(c[0]), verbs(m.Other)):
					t.Errorf("%q: %s translations %q / %q do not keep the verbs of %q / %q", one, l.Tag, m.One, m.Other, one, c[0])
				}
			}
			for _, id := range l.IDs() {
				_, p := plain[id]
				_, c := counted[id]
				if !p && !c {
					t.Errorf("the %s catalogue translates %q, which no page uses any more", l.Tag, id)
				}
			}
		})
	}
}

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

// verbs returns a format's verbs in order (a %% is text, not a verb).
func verbs(format string) []string {
	var out []string
	for _, v := range verb.FindAllString(format, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

// tabletPages are the templates of the pages the floor uses, every word of which is in the
// catalogue.
var tabletPages = []string{"layout.part.html", "tablet.html", "tablet_cells.html", "tablet_live.part.html", "tablet_pin.html", "error.html"}

// The floor's pages have no words outside the catalogue: between the tags, and in the
// attributes a person reads or hears (aria-label, title, placeholder, alt), there is only
// template code, numbers and punctuation.
func TestTabletPagesHaveNoWordsOutsideTheCatalogue(t *testing.T) {
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	comment := regexp.MustCompile(`(?s)<!--.*?-->`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	attr := regexp.MustCompile(`\b(?:aria-label|title|placeholder|alt)="([^"]*)"`)
	word := regexp.MustCompile(`\pL{2,}`)
	for _, name := range tabletPages {
		b, err := assets.ReadFile("templates/" + name)
		if err != nil {
			t.Fatal(err)
		}
		// The body's class names the page for the style sheet; it is not shown.
		bodyClass := regexp.MustCompile(`\{\{define "bodyclass"\}\}\w*\{\{end\}\}`)
		text := bodyClass.ReplaceAllString(comment.ReplaceAllString(string(b), ""), "")
		lineOf := func(i int) int { return 1 + strings.Count(text[:i], "\n") }
		for _, m := range attr.FindAllStringSubmatchIndex(text, -1) {
			v := action.ReplaceAllString(text[m[2]:m[3]], "")
			if w := word.FindString(v); w != "" {
				t.Errorf("api/web/templates/%s:%d: %q is not in the catalogue", name, lineOf(m[0]), text[m[2]:m[3]])
			}
		}
		// Blank the template code and the tags, keeping the lines where they are.
		blank := func(re *regexp.Regexp, s string) string {
			return re.ReplaceAllStringFunc(s, func(m string) string {
				return strings.Repeat(" ", len(m)-strings.Count(m, "\n")) + strings.Repeat("\n", strings.Count(m, "\n"))
			})
		}
		rest := blank(tag, blank(action, text))
		for _, loc := range word.FindAllStringIndex(rest, -1) {
			if rest[loc[0]:loc[1]] == "CellForge" { // the name of the software, in any language
				continue
			}
			t.Errorf("api/web/templates/%s:%d: %q is not in the catalogue", name, lineOf(loc[0]), rest[loc[0]:loc[1]])
		}
	}
}

// goFiles returns the package's Go files but its tests.
func goFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(names, func(n string) bool { return strings.HasSuffix(n, "_test.go") })
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

// A tablet's choice of language is kept for that tablet and takes it back where it was; a
// language the pages do not speak and a "next" leading off the site are refused.
func TestChoosingALanguage(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name, lang, next string
		status           int
		url, h1          string
	}{
		{"portuguese, back to the picker", "pt", "/tablet", http.StatusOK, "/tablet", "Em que célula está?"},
		{"english again", "en", "/tablet", http.StatusOK, "/tablet", "Which cell are you at?"},
		{"a region of a language spoken", "pt-BR", "/tablet", http.StatusOK, "/tablet", "Em que célula está?"},
		{"off the site goes to the picker", "pt", "//evil.example/x", http.StatusOK, "/tablet", "Em que célula está?"},
		{"a language not spoken", "xx", "/tablet", http.StatusBadRequest, "/language", ""},
	}
	b := s.browser(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.form("/language", url.Values{"lang": {tt.lang}, "next": {tt.next}})
			if p.status != tt.status || p.url != tt.url {
				t.Fatalf("POST /language lang=%s next=%s: %d at %s, want %d at %s", tt.lang, tt.next, p.status, p.url, tt.status, tt.url)
			}
			if tt.h1 != "" && !strings.Contains(p.body, "<h1>"+tt.h1+"</h1>") {
				t.Errorf("the page after choosing %s lacks <h1>%s</h1>", tt.lang, tt.h1)
			}
		})
	}
	// Another tablet chose nothing: its browser's language, else English.
	other := s.browser(t)
	if p := other.get("/tablet"); !strings.Contains(p.body, "<h1>Which cell are you at?</h1>") || p.header.Get("Content-Language") != "en" {
		t.Errorf("another tablet: Content-Language %q", p.header.Get("Content-Language"))
	}
	req, _ := http.NewRequest("GET", s.URL+"/tablet", nil)
	req.Header.Set("Accept-Language", "pt-PT,pt;q=0.9,en;q=0.5")
	if p := other.do(req); !strings.Contains(p.body, `<html lang="pt">`) {
		t.Error("a browser set to Portuguese does not get Portuguese")
	}
}

// A factory file may name a language the pages do not speak: the daemon refuses to start
// and says which it speaks.
func TestStudioLanguageMustBeSpoken(t *testing.T) {
	raw, err := os.ReadFile("testdata/factory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, err string }{
		{"fr", `the factory's tablet language "fr"`},
		{"pt-BR", ""},
	} {
		f := booktest.Parse(t, "factory.yaml", []byte(string(raw)+"\ntablet:\n  language: "+tt.lang+"\n"))
		st, _ := booktest.Store(t, "web.db")
		srv, err := api.New(api.Config{Book: book.New(book.Config{Store: st, Factory: f}), Sessions: st, Lockouts: st, BcryptCost: 4})
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(Config{Book: book.New(book.Config{Store: st, Factory: f}), Auth: srv})
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("language %s: %v", tt.lang, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "the pages speak en, pt")):
			t.Errorf("language %s: error %v, want one saying %q and which the pages speak", tt.lang, err, tt.err)
		}
	}
}
