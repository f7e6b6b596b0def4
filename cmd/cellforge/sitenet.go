package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/cells/uplink"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/link"
)

// uplinkDir is the directory of the data directory that holds the uplink's state: the network's
// orders the site took and where it stands in the book's event log.
const uplinkDir = "network-uplink"

// siteNetwork is a site's part of a network of sites: its link to the hub and the uplink that
// takes the hub's orders into the book and reports their progress. A nil *siteNetwork is a site
// on its own: it has no stages and nothing to close.
type siteNetwork struct {
	link *link.Link
	up   *uplink.Uplink
}

// errNoPlanner refuses a site in a network whose planner is off: its promises are the planner's.
var errNoPlanner = errors.New("network: a site of a network promises orders with its planner: --plan-search must be above 0")

// openSiteNetwork opens the site's link to the hub and its uplink over b and plan as the
// factory's network section says, its key made on the first start; nil without the section.
func openSiteNetwork(factory *configs.Factory, dataDir string, b *book.Book, plan *planner.Planner, logger *slog.Logger) (*siteNetwork, error) {
	n := factory.Network
	if n == nil {
		return nil, nil
	}
	if plan == nil {
		return nil, errNoPlanner
	}
	key, err := networkKey(n.KeyFile(dataDir), logger)
	if err != nil {
		return nil, err
	}
	// The link tells the uplink of every connection, so that the hub hears the site's Hello
	// again after each: the link is run only once both are made.
	var up *uplink.Uplink
	connected := func() { up.Connected() }
	lk, err := openLink(n.Site, key, map[string]ed25519.PublicKey{network.Hub: n.HubKey}, n.Broker, dataDir, connected, logger)
	if err != nil {
		return nil, err
	}
	up, err = uplink.New(uplink.Config{
		Site: n.Site, Book: b, Planner: plan, Link: lk,
		Dir:    filepath.Join(dataDir, uplinkDir),
		Logger: logger,
	})
	if err != nil {
		lk.Close()
		return nil, err
	}
	return &siteNetwork{link: lk, up: up}, nil
}

// stages are the network's parts, to stop after the floor: the uplink first, so that the last
// progress it reports is queued, then the link, which publishes it until it is told to stop.
func (n *siteNetwork) stages() [][]part {
	if n == nil {
		return nil
	}
	handle := func(ctx context.Context, m link.Message) error {
		return n.up.Receive(ctx, uplink.Message{From: m.From, Kind: m.Kind, Body: m.Body})
	}
	return [][]part{
		{{name: "network-uplink", run: n.up.Run, bound: quickStopBound}},
		{linkPart(n.link, handle)},
	}
}

// close closes the link's queue once every part has stopped.
func (n *siteNetwork) close(logger *slog.Logger) {
	if n == nil {
		return
	}
	if err := n.link.Close(); err != nil {
		logger.Error("closing the network link", "err", err)
	}
}
