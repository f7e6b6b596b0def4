package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/certify"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/book/provenance"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
	"github.com/cellforge/cellforge/drivers/health"
)

// defaultPlanSearch is how long the planner searches after the work changed: a studio's open
// work plans well within it, and it leaves the cores to the floor.
const defaultPlanSearch = 300 * time.Millisecond

// defaultPlanBackground is the share of one core the planner may use to keep improving the plan
// while the book is quiet: half of one, leaving the rest to the floor.
const defaultPlanBackground = 0.5

// housekeepingEvery is how often expired sessions and idempotency keys are dropped.
const housekeepingEvery = time.Hour

// How long each part of the daemon may take to stop once told to (see part).
const (
	// httpStopBound: api.Server.Serve lets requests under way finish for up to
	// api.DefaultShutdownGrace, then cancels those left and waits for their handlers (an import
	// cut midway first removes what it wrote, in short transactions); the pages' live streams
	// end at once, with the pages.
	httpStopBound = api.DefaultShutdownGrace + 5*time.Second
	// planStopBound: a re-plan under way stops at its next step; the longest step, the first
	// plan's dispatch of 50,000 work orders, takes about a second.
	planStopBound = 5 * time.Second
	// quickStopBound is the bound of a part with nothing to finish.
	quickStopBound = time.Second
)

// floorStopBound is how long the floor may take to stop: a controller, line or printer stops
// once the read or write under way ends, within its device's or its line's timeout.
func floorStopBound(f *configs.Factory) time.Duration {
	var longest time.Duration
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			longest = max(longest, d.Timeout)
		}
	}
	for _, l := range f.SerialLines {
		longest = max(longest, l.Timeout)
	}
	return longest + quickStopBound
}

// serveOptions are what a test may change of the daemon serve runs; the zero value is the
// daemon as it runs.
type serveOptions struct {
	// plannerBook wraps the order book the planner reads (a test holds the first plan with
	// it); nil: the book itself.
	plannerBook func(*book.Book) planner.Book
}

func serve(ctx context.Context, args []string, e *env) error {
	return serveWith(ctx, args, e, serveOptions{})
}

// serveWith is serve with opts.
func serveWith(ctx context.Context, args []string, e *env, opts serveOptions) error {
	f, err := parseServeFlags(args, e)
	if err != nil {
		return err
	}
	logger := f.log.logger(e.stderr)
	hup := catchHangups()
	defer signal.Stop(hup)

	factory, err := loadConfig(f.configPath)
	if err != nil {
		return err
	}
	if err := refuseDemoCredentials(ctx, factory, f); err != nil {
		return err
	}
	holder, unlock, err := claimDataDir(f.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	keys, st, err := openData(ctx, f, factory, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing store", "err", err)
		}
	}()

	b := book.New(book.Config{Store: st, Factory: factory, Logger: logger.With("component", "book")})
	// The cells out of service before a stop stay out of the dispatcher's reach.
	if err := b.Load(ctx); err != nil {
		return err
	}
	reg, devices, err := newRegistry()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	defer ln.Close()
	defaultProvenanceURL(factory, ln.Addr().String(), logger)
	fl, err := newFloor(factory, floorConfig{
		Book: b, Health: devices, Logger: logger, SimSpeed: f.simSpeed, BaseURL: "http://" + ln.Addr().String(),
		Leases: leasesOf(st), Holder: holder, LeaseTTL: factory.Store.Lease,
		SlipURL: ownBaseURL(factory.Hosts, ln.Addr().String()) + "/manager/repairs/{id}",
	})
	if err != nil {
		return err
	}
	defer fl.close()
	tel, err := newTelemetry(factory, f.dataDir, daemonTag(st, holder), b, fl, logger)
	if err != nil {
		return err
	}
	defer tel.close()
	tel.underSite(fl.site)
	if err := tel.register(reg); err != nil {
		return err
	}
	rl := &reloader{flags: f, listen: ln.Addr().String(), book: b, floor: fl, hup: hup, log: logger.With("component", "reload")}
	srv, pages, plan, err := newFrontEnd(f, opts, factory, b, st, reg, fl, tel, keys, rl, logger)
	if err != nil {
		return err
	}
	// Work readied before a stop (a crash between an import and its dispatch) is queued now.
	if n, err := b.Dispatch(ctx); err != nil {
		return fmt.Errorf("dispatching at start: %w", err)
	} else if n > 0 {
		logger.Info("queued operations left ready", "count", n)
	}
	if err := fl.prime(ctx); err != nil {
		return err
	}
	if err := tel.prime(ctx); err != nil {
		return err
	}
	site, err := openSiteNetwork(factory, f.dataDir, b, plan, logger)
	if err != nil {
		return err
	}
	defer site.close(logger)
	sd, err := systemdPart(ln, fl, factory, logger)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "cellforge %s serving %q on http://%s\n", versionString(), factory.Site, ln.Addr())
	logger.Info("serving", "site", factory.Site, "addr", ln.Addr().String(), "config", f.configPath, "data", f.dataDir)

	// The parts stop in this order: first what takes input (requests, and with the pages their
	// live streams; the planner), then the floor, then the network's uplink and link (the last
	// progress reported and published), then the telemetry that measures it.
	input := append(inputParts(srv, ln, pages, plan, fl, b, st, logger), sd, part{name: "reload", run: rl.onHangup, bound: quickStopBound})
	stages := append([][]part{input, {{name: "floor", run: fl.Run, bound: floorStopBound(factory)}}}, site.stages()...)
	return runParts(ctx, logger, stopReport, append(stages, tel.stages()...)...)
}

// inputParts are the parts of the daemon that take input: requests, and with the pages their
// live streams; the housekeeping, the other daemons' writes heard, the OEE kept warm; the
// planner when it is on.
func inputParts(srv *api.Server, ln net.Listener, pages *web.Pages, plan *planner.Planner, fl *floor, b *book.Book,
	st daemonStore, logger *slog.Logger) []part {
	input := []part{
		{name: "http", run: func(ctx context.Context) error { return srv.Serve(ctx, ln) }, bound: httpStopBound},
		{name: "pages", run: pages.Run, bound: quickStopBound},
		{name: "housekeeping", run: fl.site.duty("housekeeping", nil, func(ctx context.Context) error { return housekeeping(ctx, b, st, logger) }), bound: quickStopBound},
		{name: "other-daemons", run: func(ctx context.Context) error { return hearOthers(ctx, st, b, logger) }, bound: quickStopBound},
		{name: "oee-warm", run: func(ctx context.Context) error { return warmOEE(ctx, b, logger) }, bound: quickStopBound},
	}
	if plan != nil {
		input = append(input, part{name: "planner", run: plan.Run, bound: planStopBound})
	}
	return input
}

// newRegistry returns the daemon's metrics registry with the runtime's metrics and the
// devices' health in it.
func newRegistry() (*prometheus.Registry, *health.Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := api.RegisterRuntime(reg); err != nil {
		return nil, nil, err
	}
	devices, err := health.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	return reg, devices, nil
}

// openData opens what the daemon keeps: the data directory, the signing keys in it, and the
// store of the order book. The caller closes the store.
func openData(ctx context.Context, f serveFlags, factory *configs.Factory, logger *slog.Logger) (*provenance.KeyRing, daemonStore, error) {
	if err := os.MkdirAll(f.dataDir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("creating data directory: %w", err)
	}
	keys, err := openKeyRing(f, factory)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("signing key", "key_id", keys.KeyID())
	choice, err := chooseStore(f.store, factory)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, choice, f.dataDir, logger.With("component", "store"))
	if err != nil {
		return nil, nil, err
	}
	logger.Info("order book", "store", choice.String())
	return keys, st, nil
}

// warmOEE keeps the OEE and the Pareto of the closed buckets of the last 400 days in memory in
// the background, so that the dashboard's first queries after a start answer from memory; the
// daemon answers meanwhile (a query computes what is not kept yet). A failure is logged, not
// fatal: the queries compute all the same. It blocks until ctx ends.
func warmOEE(ctx context.Context, b *book.Book, logger *slog.Logger) error {
	began := time.Now()
	if err := b.WarmOEE(ctx, time.Time{}); err != nil {
		if ctx.Err() == nil {
			logger.Warn("warming OEE", "err", err)
		}
	} else {
		logger.Info("OEE warmed", "took", time.Since(began).Round(time.Millisecond))
	}
	<-ctx.Done()
	return nil
}

// defaultProvenanceURL makes the labels of a factory whose config names no provenance_url lead
// to the units' pages on this daemon, which listens on listen.
func defaultProvenanceURL(factory *configs.Factory, listen string, logger *slog.Logger) {
	if factory.Printing.ProvenanceURL == "" {
		factory.Printing.ProvenanceURL = ownProvenanceURL(factory.Hosts, listen)
		logger.Info("labels lead to the units' pages on this daemon", "provenance_url", factory.Printing.ProvenanceURL)
	}
}

// ownProvenanceURL is the address of a unit's page on this daemon, for the QR codes of labels
// when the config names none: at the first of the studio's host names, with the port the daemon
// listens on, or at the address it listens on (an unspecified address stands for this
// machine's name).
func ownProvenanceURL(hosts []string, listen string) string {
	return ownBaseURL(hosts, listen) + "/u/{serial}"
}

// ownBaseURL is this daemon's address as a page's QR code names it (see ownProvenanceURL).
func ownBaseURL(hosts []string, listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		host, port = listen, ""
	}
	switch ip := net.ParseIP(host); {
	case len(hosts) > 0:
		host = hosts[0]
	case ip != nil && ip.IsUnspecified():
		if name, err := os.Hostname(); err == nil && name != "" {
			host = name
		}
	}
	if port != "" && port != "80" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host
}

// catchHangups returns the channel of the SIGHUPs to come (signal.Stop it when serve returns).
// A SIGHUP from now on waits there for the reload part, which reads the file again once the
// daemon serves, instead of ending a daemon still starting, as the signal does by default:
// systemd may send it as soon as the daemon says it is ready.
func catchHangups() chan os.Signal {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
}

// serveFlags are the flags of serve, checked.
type serveFlags struct {
	configPath, dataDir, listen string
	store                       string // --store: "", sqlite or a postgres:// URL
	simSpeed                    float64
	planSearch                  time.Duration
	planBackground              float64
	maxConns, maxConnsAll       int
	maxBatch                    int64
	proxies                     []netip.Prefix
	log                         logSpec
}

// parseServeFlags parses and checks serve's flags.
func parseServeFlags(args []string, e *env) (serveFlags, error) {
	fs := newFlagSet("serve", "serve --config FILE [--data DIR] [--store sqlite|URL] [--listen ADDR]", e)
	configPath := fs.String("config", "configs/demo.yaml", "factory configuration `file`")
	dataDir := fs.String("data", "./data", "data `directory` (keys, photos, telemetry queues; the SQLite order book)")
	store := fs.String("store", "", storeFlagUsage)
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to serve the API on")
	logs := addLogFlags(fs)
	simSpeed := fs.Float64("sim-speed", defaultSimSpeed, "with simulate: true, run the simulated machines' clocks this many `times` faster than the wall clock")
	planSearch := fs.Duration("plan-search", defaultPlanSearch, "how long the planner searches for a better plan when the work changes; 0 turns planning off (the book then dispatches earliest due date first)")
	planBackground := fs.Float64("plan-background", defaultPlanBackground, "the `share` of one core the planner may use to keep improving the plan while the book is quiet (0.5: half of one core, at most 1); 0 turns the background search off")
	maxConns := fs.Int("max-conns-per-client", api.DefaultMaxConnsPerClient, "how many connections one client (an IPv4 address, an IPv6 /64) may hold open at once; 0 lifts the limit (behind a reverse proxy, every client has the proxy's address)")
	maxConnsAll := fs.Int("max-conns", api.DefaultMaxConns, "how many connections the daemon holds open at once, from every client together; 0 lifts the limit")
	maxBatch := fs.Int64("max-batch-bytes", api.DefaultMaxBatchBytes, "the most `bytes` an order batch upload may have, through the API and the planner's pages alike")
	trusted := fs.String("trusted-proxies", "", "comma-separated `addresses` (or CIDR prefixes) of the reverse proxies the daemon is reached through; only they may say whom they forward for (X-Forwarded-For, X-Forwarded-Proto)")
	if err := parseFlags(fs, args); err != nil {
		return serveFlags{}, err
	}
	if !(*planBackground >= 0 && *planBackground <= 1) {
		return serveFlags{}, fmt.Errorf("--plan-background %v: want a share of one core from 0 (off) to 1", *planBackground)
	}
	if *maxConns < 0 {
		return serveFlags{}, fmt.Errorf("--max-conns-per-client %d: want 0 (no limit) or more", *maxConns)
	}
	if *maxConnsAll < 0 {
		return serveFlags{}, fmt.Errorf("--max-conns %d: want 0 (no limit) or more", *maxConnsAll)
	}
	if *maxBatch <= 0 {
		return serveFlags{}, fmt.Errorf("--max-batch-bytes %d: want 1 or more", *maxBatch)
	}
	proxies, err := parseProxies(*trusted)
	if err != nil {
		return serveFlags{}, err
	}
	logSpec, err := logs.check()
	if err != nil {
		return serveFlags{}, err
	}
	return serveFlags{
		configPath: *configPath, dataDir: *dataDir, listen: *listen, store: *store, simSpeed: *simSpeed,
		planSearch: *planSearch, planBackground: *planBackground, maxConns: *maxConns, maxConnsAll: *maxConnsAll, maxBatch: *maxBatch,
		proxies: proxies, log: logSpec,
	}, nil
}

// refuseDemoCredentials refuses a factory with demo credentials (written in clear) anywhere but
// on a loopback address and without proxies in front.
func refuseDemoCredentials(ctx context.Context, factory *configs.Factory, f serveFlags) error {
	if !factory.HasDemoCredentials() {
		return nil
	}
	if len(f.proxies) > 0 {
		return fmt.Errorf("refusing to serve behind proxies (--trusted-proxies): %s has demo credentials (a pin, password or token written in clear); "+
			"replace them with pin_hash, password_hash and sha256 (see 'cellforge hash')", f.configPath)
	}
	loopback, err := isLoopback(ctx, f.listen)
	if err != nil {
		return err
	}
	if !loopback {
		return fmt.Errorf("refusing to listen on %s: %s has demo credentials (a pin, password or token written in clear); "+
			"replace them with pin_hash, password_hash and sha256 (see 'cellforge hash') or listen on a loopback address",
			f.listen, f.configPath)
	}
	return nil
}

// photosDir is the directory of the data directory that holds the makers' photos.
const photosDir = "photos"

// newFrontEnd makes what serves requests: the API, the pages mounted on it, and the planner
// when the plan search is on (nil otherwise). listen is the address the daemon listens on.
// rl reads the factory file again on request; newFrontEnd gives it the API and the planner.
func newFrontEnd(f serveFlags, opts serveOptions, factory *configs.Factory, b *book.Book, st daemonStore, reg *prometheus.Registry,
	fl *floor, tel *telemetryStack, keys *provenance.KeyRing, rl *reloader, logger *slog.Logger) (*api.Server, *web.Pages, *planner.Planner, error) {
	listen := rl.listen
	// The makers' photos live beside the database; an upload interrupted by a stop is removed.
	pics, err := photos.New(filepath.Join(f.dataDir, photosDir), photos.Options{}, logger.With("component", "photos"))
	if err != nil {
		return nil, nil, nil, err
	}
	apiCfg := api.Config{
		Checks:   []api.Check{tel},
		Keys:     keys,
		Photos:   pics,
		Book:     b,
		Sessions: st,
		Lockouts: st,
		Logger:   logger.With("component", "api"),
		Registry: reg,
		Version:  versionString(),
		Floor:    fl,
		// The pages take their bound from the API (Server.MaxBatchBytes).
		MaxBatchBytes: f.maxBatch,
		// The API's zero is its default; the flags' zero lifts the limit.
		MaxConnsPerClient: cmp.Or(f.maxConns, -1),
		MaxConns:          cmp.Or(f.maxConnsAll, -1),
		// Behind a proxy every request comes from the proxy's address: the sign-in limits per
		// address need the client's.
		TrustedProxies: f.proxies,
		Reloader:       rl,
	}
	var plan *planner.Planner
	if f.planSearch > 0 {
		// The first plan is made once the daemon serves (plan.Run): until then the API and the
		// pages say that it is being made, and the book dispatches earliest due date first.
		var pb planner.Book = b
		if opts.plannerBook != nil {
			pb = opts.plannerBook(b)
		}
		plan = planner.New(planner.Config{Book: pb, Factory: factory, Current: b.Factory, Logger: logger.With("component", "planner"),
			Search: f.planSearch, Background: f.planBackground})
		b.UsePlan(plan)
		apiCfg.Planner = plan
	}
	srv, err := api.New(apiCfg)
	if err != nil {
		return nil, nil, nil, err
	}
	rl.srv, rl.plan = srv, plan
	webCfg := web.Config{Book: b, Auth: srv, Floor: fl, Logger: logger.With("component", "web"), Photos: pics,
		Units: certify.New(certify.Config{Book: b, Factory: factory, Current: b.Factory, Keys: keys}),
		// A parcel slip's QR code leads staff to the repair on this daemon, as labels do.
		StaffURL: ownBaseURL(factory.Hosts, listen), Reloader: rl}
	if plan != nil {
		webCfg.Planner = plan
	}
	pages, err := web.New(webCfg)
	if err != nil {
		return nil, nil, nil, err
	}
	srv.Mount(pages.Handler())
	return srv, pages, plan, nil
}

func loadConfig(path string) (*configs.Factory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	catalogue, err := profiles.Catalogue()
	if err != nil {
		return nil, fmt.Errorf("built-in profiles: %w", err)
	}
	f, err := configs.Parse(path, raw, catalogue)
	if err != nil {
		return nil, fmt.Errorf("config refused:\n%w", err)
	}
	return f, nil
}

// housekeeping drops expired sessions and idempotency keys until ctx is cancelled.
func housekeeping(ctx context.Context, b *book.Book, st daemonStore, logger *slog.Logger) error {
	t := time.NewTicker(housekeepingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if err := b.ExpireIdempotency(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("expiring idempotency keys", "err", err)
			}
			if err := st.DeleteExpiredSessions(ctx, now); err != nil && !errors.Is(err, context.Canceled) {
				logger.Warn("expiring sessions", "err", err)
			}
		}
	}
}

// parseProxies parses --trusted-proxies: addresses and CIDR prefixes, separated by commas.
func parseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		ip, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither an IP address nor a CIDR prefix (like 10.0.0.5 or 10.0.0.0/24)", item)
		}
		out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
	}
	return out, nil
}

// isLoopback reports whether every address listen may bind is a loopback address.
func isLoopback(ctx context.Context, listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("--listen %q: %w", listen, err)
	}
	if host == "" {
		return false, nil // every interface
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return ip.IsLoopback(), nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return false, fmt.Errorf("--listen %q: resolving %s: %w", listen, host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false, nil
		}
	}
	return len(addrs) > 0, nil
}
