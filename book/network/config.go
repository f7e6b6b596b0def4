package network

import "github.com/cellforge/cellforge/configs"

// FromHub returns the rules' configuration from the hub's file (its drops and timings; Now
// and Logger are the caller's) and the sites for SyncSites.
func FromHub(h *configs.Hub) (Config, []Site) {
	cfg := Config{Drops: make(map[string]Drop, len(h.Drops)),
		AckTimeout: h.AckTimeout, PromiseTimeout: h.PromiseTimeout, OnlineWithin: h.OnlineWithin}
	for _, d := range h.Drops {
		cfg.Drops[d.ID] = Drop{ID: d.ID, Date: d.Date, SKUs: append([]string(nil), d.SKUs...)}
	}
	sites := make([]Site, len(h.Sites))
	for i, s := range h.Sites {
		sites[i] = Site{ID: s.ID, Name: s.Name, Location: Point{Lat: s.Location.Lat, Lon: s.Location.Lon}}
	}
	return cfg, sites
}
