package web

import (
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/web/i18n"
)

// langCookie keeps the language a device chose, for a year: a tablet hangs at its cell for long.
const langCookie = "cellforge_lang"

// lang returns the language of a request: the device's choice, the studio's, the browser's.
func (p *Pages) lang(c echo.Context) *i18n.Lang {
	chosen := ""
	if ck, err := c.Cookie(langCookie); err == nil {
		chosen = ck.Value
	}
	return p.langs.Choose(chosen, p.studioLanguage(), c.Request().Header.Get("Accept-Language"))
}

// setLanguage keeps the language a device chose and goes back to the page it was chosen on.
func (p *Pages) setLanguage(c echo.Context) error {
	r := c.Request()
	l, ok := p.langs.Lang(r.PostFormValue("lang"))
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "no such language: "+strconv.Quote(r.PostFormValue("lang")))
	}
	c.SetCookie(&http.Cookie{Name: langCookie, Value: l.Tag, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	next := safeNext(r.PostFormValue("next"))
	if next == "" {
		next = "/tablet"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// scriptMessage finds the messages the app's scripts show: each is written t('...') in them.
var scriptMessage = regexp.MustCompile(`\bt\('((?:[^'\\]|\\.)*)'`)

// scriptIDs returns the ids of the messages the embedded scripts show, sorted, once each.
func scriptIDs() ([]string, error) {
	names, err := fs.Glob(assets, "static/*.js")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, name := range names {
		b, err := assets.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, m := range scriptMessage.FindAllSubmatch(b, -1) {
			id, err := strconv.Unquote(`"` + jsToGo(string(m[1])) + `"`)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// jsToGo turns the body of a single-quoted script string into the body of a Go string: a
// double quote is escaped, an escaped single quote is not.
func jsToGo(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '\'':
			out = append(out, '\'')
			i++
		case s[i] == '\\' && i+1 < len(s):
			out = append(out, s[i], s[i+1])
			i++
		case s[i] == '"':
			out = append(out, '\\', '"')
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}

// studioLanguage is the language the factory file gives the tablets, "" for none.
func (p *Pages) studioLanguage() string { return p.factory().Tablet.Language }
