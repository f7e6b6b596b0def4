package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/store/postgres/netstore"
	"github.com/cellforge/cellforge/telemetry/link"
)

// hubFlags are the flags of hub, checked.
type hubFlags struct {
	configPath, dataDir, listen string
	store                       string // --store: "" for the hub file's, or a postgres:// URL
	log                         logSpec
}

// parseHubFlags parses and checks hub's flags.
func parseHubFlags(args []string, e *env) (hubFlags, error) {
	fs := newFlagSet("hub", "hub --config HUB.yaml [--data DIR] [--store URL] [--listen ADDR]", e)
	configPath := fs.String("config", "hub.yaml", "the hub's configuration `file`")
	dataDir := fs.String("data", "./hub-data", "data `directory` (the hub's network key, the link's queue and ledger)")
	store := fs.String("store", "", "the network's book: a postgres:// `URL` in place of the hub file's (a password belongs in PGPASSWORD or ~/.pgpass)")
	listen := fs.String("listen", "127.0.0.1:8090", "`address` to serve the hub's API on")
	logs := addLogFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return hubFlags{}, err
	}
	if fs.NArg() > 0 {
		return hubFlags{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *store != "" {
		u, err := url.Parse(*store)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return hubFlags{}, fmt.Errorf("--store %q: want a postgres:// URL", *store)
		}
	}
	logSpec, err := logs.check()
	if err != nil {
		return hubFlags{}, err
	}
	return hubFlags{configPath: *configPath, dataDir: *dataDir, listen: *listen, store: *store, log: logSpec}, nil
}

// loadHubConfig reads and parses the hub's file.
func loadHubConfig(path string) (*configs.Hub, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	h, err := configs.ParseHub(path, raw)
	if err != nil {
		return nil, fmt.Errorf("config refused:\n%w", err)
	}
	return h, nil
}

// refuseHubDemoTokens refuses a hub file with a token written in clear (a demo credential)
// anywhere but on a loopback address, as serve refuses a factory's.
func refuseHubDemoTokens(ctx context.Context, cfg *configs.Hub, f hubFlags) error {
	clear := ""
	for _, t := range cfg.Tokens {
		if t.Token != "" {
			clear = t.Name
			break
		}
	}
	if clear == "" {
		return nil
	}
	loopback, err := isLoopback(ctx, f.listen)
	if err != nil || loopback {
		return err
	}
	return fmt.Errorf("refusing to listen on %s: %s has the token %q written in clear (a demo credential); "+
		"replace it with its sha256 (see 'cellforge hash --token') or listen on a loopback address", f.listen, f.configPath, clear)
}

// hub runs the hub of a network of sites: the network's order book on PostgreSQL, the rules
// that route its orders, the link to the sites and the HTTP API, until ctx ends; then it stops
// them in stages (the API, the rules, the link), and closes the book.
func hub(ctx context.Context, args []string, e *env) error {
	f, err := parseHubFlags(args, e)
	if err != nil {
		return err
	}
	logger := f.log.logger(e.stderr)
	cfg, err := loadHubConfig(f.configPath)
	if err != nil {
		return err
	}
	if err := refuseHubDemoTokens(ctx, cfg, f); err != nil {
		return err
	}
	_, unlock, err := claimDataDir(f.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	storeURL := cfg.Postgres
	if f.store != "" {
		storeURL = f.store
	}
	st, err := netstore.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	logger.Info("network book", "store", storeChoice{postgres: storeURL}.String())
	lk, rules, err := openHub(ctx, cfg, f.dataDir, st, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := lk.Close(); err != nil {
			logger.Error("closing the network link", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	defer ln.Close()
	srv, err := newHubServer(cfg, rules, lk, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cellforge %s hub %q serving on http://%s\n", versionString(), cfg.Name, ln.Addr())
	logger.Info("hub serving", "network", cfg.Name, "addr", ln.Addr().String(), "config", f.configPath, "data", f.dataDir, "sites", len(cfg.Sites))
	// What takes input stops first (requests), then the rules' timers, then the link, which
	// publishes what the rules sent until it is told to stop.
	return runParts(ctx, logger, stopReport,
		[]part{{name: "http", run: func(ctx context.Context) error { return srv.serve(ctx, ln) }, bound: httpStopBound}},
		[]part{{name: "hub-rules", run: rules.Run, bound: planStopBound},
			{name: "hub-housekeeping", run: func(ctx context.Context) error { return hubHousekeeping(ctx, rules, logger) }, bound: quickStopBound}},
		[]part{linkPart(lk, hubHandler(rules, logger))},
	)
}

// openHub opens the hub's link with its key (made on the first start) and the sites' keys, and
// the rules over st, with the hub file's sites stored in the book. The caller closes the link.
func openHub(ctx context.Context, cfg *configs.Hub, dataDir string, st network.Store, logger *slog.Logger) (*link.Link, *network.Rules, error) {
	key, err := networkKey(cfg.KeyFile(dataDir), logger)
	if err != nil {
		return nil, nil, err
	}
	peers := make(map[string]ed25519.PublicKey, len(cfg.Sites))
	for _, s := range cfg.Sites {
		peers[s.ID] = s.Key
	}
	lk, err := openLink(network.Hub, key, peers, cfg.Broker, dataDir, nil, logger)
	if err != nil {
		return nil, nil, err
	}
	rcfg, sites := network.FromHub(cfg)
	rcfg.Logger = logger.With("component", "hub")
	rules := network.New(rcfg, st, lk)
	if err := rules.SyncSites(ctx, sites); err != nil {
		lk.Close()
		return nil, nil, fmt.Errorf("storing the hub file's sites: %w", err)
	}
	return lk, rules, nil
}

// hubHousekeeping forgets the API's expired idempotency keys every housekeepingEvery until ctx
// is cancelled.
func hubHousekeeping(ctx context.Context, rules *network.Rules, logger *slog.Logger) error {
	t := time.NewTicker(housekeepingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := rules.ExpireIdempotency(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("expiring idempotency keys", "err", err)
			}
		}
	}
}

// hubHandler hands the sites' verified messages to the rules. A message the rules can never
// apply (a site the book does not hold, a body that is not its kind's) is logged and dropped, so
// that it does not hold up the site's later messages; any other error (the book away) makes
// the link hand the message over again.
func hubHandler(rules *network.Rules, logger *slog.Logger) link.Handler {
	return func(ctx context.Context, m link.Message) error {
		err := rules.Receive(ctx, m.From, m.Kind, m.Body)
		if errors.Is(err, network.ErrUnknownSite) || errors.Is(err, network.ErrBadMessage) {
			logger.Warn("refused a site's message", "site", m.From, "kind", m.Kind, "seq", m.Seq, "err", err)
			return nil
		}
		return err
	}
}
