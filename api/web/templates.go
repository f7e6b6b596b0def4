package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/cellforge/cellforge/api/web/chart"
)

// parseTemplates parses every page with the shared parts (files ending in .part.html), and the
// shared parts alone for the fragments the live updates fetch.
func (p *Pages) parseTemplates() (map[string]*template.Template, error) {
	base := template.New("").Funcs(p.funcs())
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

func (p *Pages) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":     p.asset,
		"hasPrefix": strings.HasPrefix,
		"inc":       func(i int) int { return i + 1 },
		"keys":      func() []string { return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0"} },
		"deref":     func(f *float64) float64 { return *f },
		"seconds":   func(s float64) string { return duration(time.Duration(s * float64(time.Second))) },
		"date":      func(t time.Time) string { return t.In(p.loc).Format("Mon 2 Jan 2006") },
		"datetime":  func(t time.Time) string { return t.In(p.loc).Format("Mon 2 Jan 2006 15:04") },
		"clock":     func(t time.Time) string { return p.clock(t) },
		// ago says how long ago a time was: "just now", "5 min ago".
		"ago": func(t time.Time) string {
			if d := p.cfg.Now().Sub(t); d >= time.Minute {
				return duration(d) + " ago"
			}
			return "just now"
		},
		"duration": duration,
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

// clock shows a time of today as its time of day, and another day's with its date.
func (p *Pages) clock(t time.Time) string {
	now := p.cfg.Now().In(p.loc)
	l := t.In(p.loc)
	if l.YearDay() == now.YearDay() && l.Year() == now.Year() {
		return l.Format("15:04")
	}
	return l.Format("Mon 2 Jan 15:04")
}

// duration shows a duration as people say it, as the charts do: "3 d 4 h", "2 h 5 min", "3 s".
func duration(d time.Duration) string { return chart.FormatDuration(d) }

func urlQuery(s string) string { return url.QueryEscape(s) }
