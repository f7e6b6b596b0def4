package hub

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book/network"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are the dashboard's templates, each parsed with the layout.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"when":  when,
	"stamp": stamp,
	"age": func(s *int64) string {
		if s == nil {
			return "never"
		}
		return fmt.Sprintf("%d s ago", *s)
	},
	"hours": func(h float64) string { return fmt.Sprintf("%.1f h", h) },
	"km":    func(k float64) string { return fmt.Sprintf("%.1f km", k) },
	"join":  strings.Join,
	"count": func(m map[network.OrderState]int, s network.OrderState) int { return m[s] },
}

// when writes a time as the dashboard shows it, in UTC to the second; "—" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// stamp is when for a narrow column: the date and the time each kept on one line, so that a
// cell too narrow for both breaks between them and not within the date at its hyphens.
func stamp(t time.Time) template.HTML {
	if t.IsZero() {
		return template.HTML(when(t))
	}
	date, clock, _ := strings.Cut(when(t), " ")
	return template.HTML(`<span class="nb">` + date + `</span> <span class="nb">` + clock + `</span>`)
}

func newPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", file)
		if err != nil {
			return nil, fmt.Errorf("parsing the dashboard's template %s: %w", file, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// pageData is what every page gets: who is signed in, the states in order, and the page's own.
type pageData struct {
	Title  string
	Who    Principal
	States []network.OrderState
	Page   any
}

// render writes a page, whole or not at all: the template runs into a buffer first, so that a
// failing one answers an error page rather than half a page.
func (s *server) render(c echo.Context, status int, name, title string, page any) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	data := pageData{Title: title, Who: principal(c), States: states, Page: page}
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("rendering page %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	return c.HTMLBlob(status, buf.Bytes())
}

func isPage(path string) bool { return path == "/network" || strings.HasPrefix(path, "/network/") }

// pageError answers a dashboard request's error as a page with the API's status and words.
func (s *server) pageError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := api.ErrorStatus(apiError(err))
	if status >= 500 {
		reqlog.Logger(c.Request().Context(), s.log).Error("page failed", "path", c.Request().URL.Path, "err", err)
	}
	if rerr := s.render(c, status, "error", http.StatusText(status), msg); rerr != nil {
		reqlog.Logger(c.Request().Context(), s.log).Error("rendering the error page", "err", rerr)
		_ = c.String(status, msg)
	}
}
