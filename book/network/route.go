package network

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Candidate is one site as the router sees it for one order: where it is, how loaded, and its
// promise, or why it cannot take the order.
type Candidate struct {
	Site     string
	Location Point
	// LoadHours is the site's backlog per cell (Load.PerCell) plus the hours already routed to
	// it in this round.
	LoadHours float64
	// Promise is the site's predicted completion of the order; zero when it gave none.
	Promise time.Time
	// Excluded, when set, says why the site cannot take the order; it is ranked last.
	Excluded string
}

// Rank orders the candidates for o, best first: a site that is not excluded before one that is;
// then a site that promises the order on time (promise <= due; every promise is on time when
// o has no due date, as a repair may not) before a late one; then the
// nearest to the customer (distances compared to 0.1 km); then the least loaded; then by site
// id. A candidate without a promise and without a reason is excluded for having given none.
// The chosen site, if any, has Rank 1; excluded sites have Rank 0. why says in a sentence why
// the first won, or why none could take the order.
func Rank(o Order, cands []Candidate) (ranking []Choice, why string) {
	ranking = make([]Choice, len(cands))
	for i, c := range cands {
		ch := Choice{Site: c.Site, Promise: c.Promise, Excluded: c.Excluded,
			DistanceKm: roundKm(DistanceKm(c.Location, o.Location)), LoadHours: c.LoadHours}
		if ch.Excluded == "" && c.Promise.IsZero() {
			ch.Excluded = "it gave no promise in time"
		}
		ch.OnTime = !c.Promise.IsZero() && (o.Due.IsZero() || !c.Promise.After(o.Due))
		ranking[i] = ch
	}
	slices.SortFunc(ranking, compareChoices)
	n := 0
	for i := range ranking {
		if ranking[i].Excluded == "" {
			n++
			ranking[i].Rank = n
		}
	}
	return ranking, whyChosen(o, ranking[:n], len(ranking)-n)
}

// roundKm rounds a distance to 0.1 km, the precision the ranking compares.
func roundKm(km float64) float64 { return math.Round(km*10) / 10 }

func compareChoices(a, b Choice) int {
	if c := boolFirst(a.Excluded == "", b.Excluded == ""); c != 0 {
		return c
	}
	if c := boolFirst(a.OnTime, b.OnTime); c != 0 {
		return c
	}
	if c := cmp.Compare(a.DistanceKm, b.DistanceKm); c != 0 {
		return c
	}
	if c := cmp.Compare(a.LoadHours, b.LoadHours); c != 0 {
		return c
	}
	return cmp.Compare(a.Site, b.Site)
}

// boolFirst orders true before false.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

const whenLayout = "2006-01-02 15:04 MST"

// whyChosen says why ranked[0] won among the ranked sites, or why none could take the order.
func whyChosen(o Order, ranked []Choice, excluded int) string {
	if len(ranked) == 0 {
		if excluded == 0 {
			return "no site makes the order's SKU in its drop"
		}
		return fmt.Sprintf("no site can take the order: %d site(s) excluded", excluded)
	}
	w := ranked[0]
	timing := fmt.Sprintf("promise %s, due %s", w.Promise.UTC().Format(whenLayout), o.Due.UTC().Format(whenLayout))
	if o.Due.IsZero() {
		timing = fmt.Sprintf("promise %s, no due date", w.Promise.UTC().Format(whenLayout))
	}
	if len(ranked) == 1 {
		state := "late"
		if w.OnTime {
			state = "on time"
		}
		return fmt.Sprintf("%s is the only site that can take the order (%s: %s), %.1f km from the customer",
			w.Site, state, timing, w.DistanceKm)
	}
	next := ranked[1]
	switch {
	case w.OnTime && !next.OnTime:
		return fmt.Sprintf("%s is the only site that can make the order on time (%s), %.1f km from the customer",
			w.Site, timing, w.DistanceKm)
	case w.DistanceKm != next.DistanceKm:
		return fmt.Sprintf("%s is the nearest to the customer of the %d sites that can make the order %s (%.1f km; next %s at %.1f km; %s)",
			w.Site, peers(ranked), onTimeWord(w.OnTime), w.DistanceKm, next.Site, next.DistanceKm, timing)
	case w.LoadHours != next.LoadHours:
		return fmt.Sprintf("%s is as near to the customer as %s (%.1f km), both %s, and less loaded (%.1f h per cell against %.1f h; %s)",
			w.Site, next.Site, w.DistanceKm, onTimeWord(w.OnTime), w.LoadHours, next.LoadHours, timing)
	default:
		return fmt.Sprintf("%s ties with %s on time, distance (%.1f km) and load (%.1f h per cell) and comes first by site id (%s)",
			w.Site, next.Site, w.DistanceKm, w.LoadHours, timing)
	}
}

// peers counts the ranked sites that are as timely as the first.
func peers(ranked []Choice) int {
	n := 0
	for _, c := range ranked {
		if c.OnTime == ranked[0].OnTime {
			n++
		}
	}
	return n
}

func onTimeWord(onTime bool) string {
	if onTime {
		return "on time"
	}
	return "only late"
}

// excludedSummary lists the excluded sites of a ranking and why, for a log line.
func excludedSummary(ranking []Choice) string {
	var parts []string
	for _, c := range ranking {
		if c.Excluded != "" {
			parts = append(parts, c.Site+": "+c.Excluded)
		}
	}
	return strings.Join(parts, "; ")
}
