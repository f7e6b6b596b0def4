package network_test

import (
	"reflect"
	"testing"
	"time"

	. "github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

func TestFromHub(t *testing.T) {
	date := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	cfg, sites := FromHub(&configs.Hub{AckTimeout: time.Minute, PromiseTimeout: 3 * time.Second, OnlineWithin: time.Hour,
		Sites: []configs.HubSite{{ID: "porto", Name: "Porto loom studio", Location: configs.Location{Lat: 41.15, Lon: -8.61}}},
		Drops: []configs.HubDrop{{ID: "winter-26", Date: date, SKUs: []string{"RUG", "SCARF"}}}})
	want := Config{AckTimeout: time.Minute, PromiseTimeout: 3 * time.Second, OnlineWithin: time.Hour,
		Drops: map[string]Drop{"winter-26": {ID: "winter-26", Date: date, SKUs: []string{"RUG", "SCARF"}}}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config: %+v", cfg)
	}
	if !reflect.DeepEqual(sites, []Site{{ID: "porto", Name: "Porto loom studio", Location: porto}}) {
		t.Errorf("sites: %+v", sites)
	}
}
