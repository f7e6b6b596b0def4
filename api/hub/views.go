package hub

import (
	"context"
	"sort"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// States lists the network's order states in their order.
var states = []network.OrderState{network.Waiting, network.Routed, network.Accepted, network.Started, network.Done}

// SiteView is a site as the API and the dashboard show it.
type SiteView struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Location network.Point `json:"location"`
	Gone     bool          `json:"gone"`
	GoneAt   time.Time     `json:"gone_at,omitzero"`
	// Online is true when the site spoke within the hub's online_within; a site that did not
	// is cut off (or has never spoken: LastWord zero).
	Online   bool      `json:"online"`
	LastWord time.Time `json:"last_word,omitzero"`
	// LastWordAgeS is the age of the site's last word in whole seconds; absent when it never
	// spoke.
	LastWordAgeS *int64              `json:"last_word_age_s,omitempty"`
	Load         network.Load        `json:"load"`
	LoadPerCell  float64             `json:"load_per_cell_hours"`
	Makes        map[string][]string `json:"makes"`
	// Orders counts the site's orders by state.
	Orders map[network.OrderState]int `json:"orders"`
	// Promises sums up what the site promised for its open orders.
	Promises Promises `json:"promises"`
}

// Promises sums up a site's promises for its open orders (routed, accepted or started): how
// many have one, how many of those end after their due date, and the last end.
type Promises struct {
	Orders int       `json:"orders"`
	Late   int       `json:"late"`
	Last   time.Time `json:"last,omitzero"`
}

func (p *Promises) add(o network.Order) {
	if o.Promise.IsZero() {
		return
	}
	p.Orders++
	if o.Promise.After(o.Due) {
		p.Late++
	}
	if o.Promise.After(p.Last) {
		p.Last = o.Promise
	}
}

// Condition is "gone", "online", "cut off" or "never heard from", for the dashboard.
func (v SiteView) Condition() string {
	switch {
	case v.Gone:
		return "gone"
	case v.Online:
		return "online"
	case v.LastWord.IsZero():
		return "never heard from"
	}
	return "cut off"
}

// DropView is a drop's progress across the network's sites.
type DropView struct {
	Drop string `json:"drop"`
	Progress
	// Sites is the progress at each site, by site id; the orders waiting for a site are under
	// the site "".
	Sites []SiteProgress `json:"sites"`
}

// SiteProgress is a drop's progress at one site.
type SiteProgress struct {
	Site string `json:"site"`
	Progress
}

// Progress counts orders, their units, and the units made and good, with the orders by state.
type Progress struct {
	Orders  int                        `json:"orders"`
	Units   int                        `json:"units"`
	Made    int                        `json:"made"`
	Good    int                        `json:"good"`
	ByState map[network.OrderState]int `json:"by_state"`
}

func (p *Progress) add(t network.Tally) {
	if p.ByState == nil {
		p.ByState = map[network.OrderState]int{}
	}
	p.Orders += t.Orders
	p.Units += t.Units
	p.Made += t.Made
	p.Good += t.Good
	p.ByState[t.State] += t.Orders
}

// siteViews reads the sites with their orders by state.
func (s *server) siteViews(ctx context.Context) ([]SiteView, error) {
	sites, err := s.hub.Sites(ctx)
	if err != nil {
		return nil, err
	}
	tally, err := s.hub.Tally(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	views := make([]SiteView, len(sites))
	index := make(map[string]int, len(sites))
	for i, st := range sites {
		v := SiteView{ID: st.ID, Name: st.Name, Location: st.Location, Gone: st.Gone, GoneAt: st.GoneAt,
			Online: st.Online(now, s.online), LastWord: st.LastWord, Load: st.Load, LoadPerCell: st.Load.PerCell(),
			Makes: st.Makes, Orders: map[network.OrderState]int{}}
		if v.Makes == nil {
			v.Makes = map[string][]string{}
		}
		if !st.LastWord.IsZero() {
			age := int64(max(now.Sub(st.LastWord), 0) / time.Second)
			v.LastWordAgeS = &age
		}
		views[i], index[st.ID] = v, i
	}
	for _, t := range tally {
		if i, ok := index[t.Site]; ok {
			views[i].Orders[t.State] += t.Orders
		}
	}
	err = s.eachOrder(ctx, network.OrderFilter{States: []network.OrderState{network.Routed, network.Accepted, network.Started}},
		func(o network.Order) {
			if i, ok := index[o.Site]; ok {
				views[i].Promises.add(o)
			}
		})
	return views, err
}

// eachOrder calls fn with every order f selects, reading them a page at a time.
func (s *server) eachOrder(ctx context.Context, f network.OrderFilter, fn func(network.Order)) error {
	f.Limit = orderPage
	for {
		page, err := s.hub.Orders(ctx, f)
		if err != nil {
			return err
		}
		for _, o := range page {
			fn(o)
		}
		if len(page) < f.Limit {
			return nil
		}
		f.AfterID = page[len(page)-1].OrderID
	}
}

// dropViews reads each drop's progress across the sites, by drop id and then site id.
func (s *server) dropViews(ctx context.Context) ([]DropView, error) {
	tally, err := s.hub.Tally(ctx)
	if err != nil {
		return nil, err
	}
	drops := map[string]*DropView{}
	sites := map[string]map[string]*SiteProgress{}
	for _, t := range tally {
		d := drops[t.Drop]
		if d == nil {
			d = &DropView{Drop: t.Drop}
			drops[t.Drop], sites[t.Drop] = d, map[string]*SiteProgress{}
		}
		d.add(t)
		sp := sites[t.Drop][t.Site]
		if sp == nil {
			sp = &SiteProgress{Site: t.Site}
			sites[t.Drop][t.Site] = sp
		}
		sp.add(t)
	}
	out := make([]DropView, 0, len(drops))
	for id, d := range drops {
		for _, sp := range sites[id] {
			d.Sites = append(d.Sites, *sp)
		}
		sort.Slice(d.Sites, func(i, j int) bool { return d.Sites[i].Site < d.Sites[j].Site })
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Drop < out[j].Drop })
	return out, nil
}
