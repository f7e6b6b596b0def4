package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/cellforge/cellforge/api/web/chart"
	"github.com/cellforge/cellforge/api/web/i18n"
	"github.com/cellforge/cellforge/book"
)

// parseTemplates parses every page with the shared parts (files ending in .part.html), and the
// shared parts alone for the fragments the live updates fetch.
// Each language has a set of its own, whose functions speak it.
func (p *Pages) parseTemplates(l *i18n.Lang) (map[string]*template.Template, error) {
	base := template.New("").Funcs(p.funcs(l))
	base, err := base.ParseFS(assets, "templates/*.part.html")
	if err != nil {
		return nil, fmt.Errorf("web: parsing templates: %w", err)
	}
	out := make(map[string]*template.Template)
	for _, t := range base.Templates() {
		if t.Name() != "" {
			out[t.Name()] = base
		}
	}
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".part.html") {
			continue
		}
		name := strings.TrimSuffix(path.Base(f), ".html")
		clone, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if out[name], err = clone.ParseFS(assets, f); err != nil {
			return nil, fmt.Errorf("web: parsing %s: %w", f, err)
		}
		if out[name].Lookup(name) == nil {
			return nil, fmt.Errorf("web: %s does not define %q", f, name)
		}
	}
	return out, nil
}

// funcs are the templates' functions in language l.
func (p *Pages) funcs(l *i18n.Lang) template.FuncMap {
	return template.FuncMap{
		"asset":     p.asset,
		"hasPrefix": strings.HasPrefix,
		"inc":       func(i int) int { return i + 1 },
		"keys":      func() []string { return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0"} },
		"deref":     func(f *float64) float64 { return *f },
		"derefTime": func(t *time.Time) time.Time { return *t },
		"seconds":   func(s float64) string { return duration(time.Duration(s * float64(time.Second))) },
		// t and n translate a message (n one that counts things: n "%d unit" "%d units" N N).
		"t":        l.T,
		"n":        l.N,
		"lang":     func() *i18n.Lang { return l },
		"langs":    p.langs.Langs,
		"date":     func(t time.Time) string { return p.date(l, t, true) },
		"datetime": func(t time.Time) string { return p.date(l, t, true) + " " + t.In(p.loc).Format("15:04") },
		"clock":    func(t time.Time) string { return p.clock(l, t) },
		"stopKind": func(k book.StopKind) string { return stopKind(l, k) },
		// limits says a measurement's limits: "158–162", "≥ 2", "≤ 2.6".
		"limits": checkLimits,
		// ago says how long ago a time was: "just now", "5 min ago".
		"ago": func(t time.Time) string {
			if d := p.cfg.Now().Sub(t); d >= time.Minute {
				return l.T("%s ago", duration(d))
			}
			return l.T("just now")
		},
		"duration": duration,
		// pct is a fraction in percent, to a tenth: "87.5".
		"pct": pct,
		// unitURL is the address of a unit's genealogy page, for staff.
		"unitURL":   unitURL,
		"paramName": func(k string) string { return paramName(l, k) },
		// stateText is a cell's state (running, paused, down, idle) as the floor says it.
		"stateText": func(state string) string {
			switch state {
			case "running":
				return l.T("Running")
			case "paused":
				return l.T("Paused")
			case "down":
				return l.T("Out of service")
			}
			return l.T("Idle")
		},
		// roleName is a person's role as the header shows it.
		"roleName": func(role string) string {
			switch role {
			case "operator":
				return l.T("operator")
			case "manager":
				return l.T("manager")
			case "planner":
				return l.T("planner")
			case "admin":
				return l.T("admin")
			}
			return role
		},
		// scriptMessages is the JSON of what the app's scripts say, in l.
		"scriptMessages": func() (string, error) {
			b, err := json.Marshal(l.Messages(p.scriptIDs))
			return string(b), err
		},
		// onTimeAttr writes data-on-time, which html/template would otherwise take for a
		// script attribute (its name after "data-" starts with "on").
		"onTimeAttr": func(onTime bool) template.HTMLAttr {
			return template.HTMLAttr(fmt.Sprintf("data-on-time=%q", fmt.Sprint(onTime)))
		},
		"statusText": func(s string) string {
			switch s {
			case "on-track":
				return "On track"
			case "at-risk":
				return "At risk"
			case "late":
				return "Late"
			case "done":
				return "All done"
			case "short":
				return "Units short"
			case "no-orders":
				return "No orders yet"
			case "planning":
				return "Plan being made"
			}
			return "Not planned"
		},
	}
}

// date shows a day as "Mon 2 Jan 2006" in language l (without the year when year is false).
func (p *Pages) date(l *i18n.Lang, t time.Time, year bool) string {
	t = t.In(p.loc)
	// The names are looked up one by one so that the catalogue test sees each.
	wd := [...]string{l.T("Sun"), l.T("Mon"), l.T("Tue"), l.T("Wed"), l.T("Thu"), l.T("Fri"), l.T("Sat")}[t.Weekday()]
	mo := [...]string{l.T("Jan"), l.T("Feb"), l.T("Mar"), l.T("Apr"), l.T("May"), l.T("Jun"), l.T("Jul"), l.T("Aug"),
		l.T("Sep"), l.T("Oct"), l.T("Nov"), l.T("Dec")}[t.Month()-1]
	if !year {
		return fmt.Sprintf("%s %d %s", wd, t.Day(), mo)
	}
	return fmt.Sprintf("%s %d %s %d", wd, t.Day(), mo, t.Year())
}

// clock shows a time of today as its time of day, and another day's with its date.
func (p *Pages) clock(l *i18n.Lang, t time.Time) string {
	now := p.cfg.Now().In(p.loc)
	lt := t.In(p.loc)
	if lt.YearDay() == now.YearDay() && lt.Year() == now.Year() {
		return lt.Format("15:04")
	}
	return p.date(l, t, false) + " " + lt.Format("15:04")
}

// duration shows a duration as people say it, as the charts do: "3 d 4 h", "2 h 5 min", "3 s".
func duration(d time.Duration) string { return chart.FormatDuration(d) }

func urlQuery(s string) string { return url.QueryEscape(s) }
