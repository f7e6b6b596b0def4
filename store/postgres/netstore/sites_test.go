package netstore

import (
	"context"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

func TestSites(t *testing.T) {
	s, _ := openTest(t)
	porto := network.Site{ID: "porto", Name: "Porto loom studio", Location: network.Point{Lat: 41.15, Lon: -8.61}}
	load := network.Load{OpenWorkOrders: 12, Hours: 30.5, Cells: 3, PlanEnd: t0.Add(48 * time.Hour), At: t0}
	makes := map[string][]string{"winter": {"RUG", "SCARF"}}
	tests := []struct {
		name  string
		write func(network.Tx) error
		// want is the site porto afterwards
		want network.Site
	}{
		{"a new site", func(tx network.Tx) error { return tx.PutSite(porto) }, porto},
		{"the hub's file names it again: what it said and Gone kept", func(tx network.Tx) error {
			if err := tx.SiteSaid("porto", t0, makes, &load); err != nil {
				return err
			}
			if err := tx.SetGone("porto", t0.Add(time.Minute)); err != nil {
				return err
			}
			return tx.PutSite(network.Site{ID: "porto", Name: "Porto", Location: network.Point{Lat: 41, Lon: -8}})
		}, network.Site{ID: "porto", Name: "Porto", Location: network.Point{Lat: 41, Lon: -8}, Gone: true,
			GoneAt: stored(t0.Add(time.Minute)), Makes: makes, LastWord: stored(t0),
			Load: network.Load{OpenWorkOrders: 12, Hours: 30.5, Cells: 3, PlanEnd: stored(load.PlanEnd), At: stored(t0)}}},
		{"a word without makes or load keeps both", func(tx network.Tx) error {
			return tx.SiteSaid("porto", t0.Add(time.Hour), nil, nil)
		}, network.Site{ID: "porto", Name: "Porto", Location: network.Point{Lat: 41, Lon: -8}, Gone: true,
			GoneAt: stored(t0.Add(time.Minute)), Makes: makes, LastWord: stored(t0.Add(time.Hour)),
			Load: network.Load{OpenWorkOrders: 12, Hours: 30.5, Cells: 3, PlanEnd: stored(load.PlanEnd), At: stored(t0)}}},
		{"makes and load replaced; a zero plan end stays zero", func(tx network.Tx) error {
			return tx.SiteSaid("porto", t0.Add(2*time.Hour), map[string][]string{}, &network.Load{Hours: 1})
		}, network.Site{ID: "porto", Name: "Porto", Location: network.Point{Lat: 41, Lon: -8}, Gone: true,
			GoneAt: stored(t0.Add(time.Minute)), Makes: map[string][]string{}, LastWord: stored(t0.Add(2 * time.Hour)),
			Load: network.Load{Hours: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write(t, s, tc.write)
			read(t, s, func(tx network.ReadTx) error {
				got, ok, err := tx.Site("porto")
				if !ok {
					t.Errorf("Site(porto): none")
				}
				same(t, "Site(porto)", got, tc.want)
				return err
			})
		})
	}
}

func TestSitesListAndRefusals(t *testing.T) {
	s, _ := openTest(t)
	write(t, s, func(tx network.Tx) error {
		for _, id := range []string{"porto", "Zaragoza", "lisbon"} {
			if err := tx.PutSite(network.Site{ID: id, Name: id}); err != nil {
				return err
			}
		}
		return nil
	})
	read(t, s, func(tx network.ReadTx) error {
		sites, err := tx.Sites()
		var ids []string
		for _, site := range sites {
			ids = append(ids, site.ID)
		}
		// byte order: capitals first, whatever the database's collation
		same(t, "the sites' ids", ids, []string{"Zaragoza", "lisbon", "porto"})
		same(t, "a site that never spoke", sites[0], network.Site{ID: "Zaragoza", Name: "Zaragoza"})
		if _, ok, err := tx.Site("madrid"); ok || err != nil {
			t.Errorf("Site(madrid): %v, %v; want none", ok, err)
		}
		return err
	})
	ctx := context.Background()
	err := s.Write(ctx, func(tx network.Tx) error { return tx.SiteSaid("madrid", t0, nil, nil) })
	wantErr(t, "SiteSaid of an unknown site", err, network.ErrUnknownSite)
	err = s.Write(ctx, func(tx network.Tx) error { return tx.SetGone("madrid", t0) })
	wantErr(t, "SetGone of an unknown site", err, network.ErrUnknownSite)
}
