package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/health"
)

// Config is what a Server needs.
type Config struct {
	Book *book.Book
	// Sessions stores sign-in sessions.
	Sessions sessions
	// Lockouts stores failed sign-ins, so that a restart does not forgive them.
	Lockouts lockouts
	Logger   *slog.Logger
	// Registry receives the API's metrics and is served on /metrics.
	Registry *prometheus.Registry
	Version  string
	// BcryptCost hashes the clear-text demo credentials at start; bcrypt.DefaultCost when zero.
	BcryptCost int
	// SessionTTL is how long a sign-in lasts; 12 hours (a long shift) when zero.
	SessionTTL time.Duration
	// MaxBatchBytes bounds an order batch upload, through the API and the web pages alike
	// (Server.MaxBatchBytes); DefaultMaxBatchBytes when zero or less.
	MaxBatchBytes int64
	// MaxErrors is how many problems the answer to a refused batch lists, the first by line,
	// beside the count of them all; book.DefaultMaxErrors (1,000) when zero or less.
	MaxErrors int
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Floor is the running shop floor (cell controllers and device drivers); nil when the
	// daemon drives no devices.
	Floor Floor
	// Planner is the floor's plan; nil when the daemon does not plan.
	Planner Planner
	// Reloader reads the factory file again and applies it (POST /api/v1/admin/reload); nil
	// when the daemon cannot (the route then answers 404).
	Reloader Reloader
	// Checks are further health checks /healthz reports; a failing one makes the daemon
	// degraded, not down.
	Checks []Check
	// Photos keeps the makers' photos; nil when the daemon keeps none (the photo routes then
	// answer 404).
	Photos *photos.Store
	// PhotoUploads is how many photo uploads are checked and stored at once;
	// DefaultPhotoUploads when zero or less.
	PhotoUploads int
	// PhotoWait is how long a photo upload waits for its turn before it is answered 503 with
	// a Retry-After; DefaultPhotoWait when zero or less.
	PhotoWait time.Duration
	// Keys is the studio's key ring, whose public keys KeysPath publishes; nil when the
	// daemon holds none (the path then answers 404).
	Keys KeyRing
	// BodyGrace is how long any request body may take before MinBodyRate counts;
	// DefaultBodyGrace when zero or less.
	BodyGrace time.Duration
	// MinBodyRate is the slowest average rate, in bytes a second, at which a request body may
	// arrive after BodyGrace; a slower one is cut off (408) and its connection closed.
	// DefaultMinBodyRate when zero or less.
	MinBodyRate int64
	// MaxConnsPerClient is how many connections one client may hold open at once on the
	// listener Serve serves: an IPv4 address, or an IPv6 /64, which one host holds whole.
	// DefaultMaxConnsPerClient when zero, no limit when negative.
	MaxConnsPerClient int
	// MaxConns is how many connections the listener Serve serves holds open at once, from
	// every client together; DefaultMaxConns when zero, no limit when negative.
	MaxConns int
	// TrustedProxies are the addresses of the reverse proxies the daemon is reached through
	// (a TLS proxy, say). Only a connection from one of them may say in X-Forwarded-For and
	// X-Forwarded-Proto whom and how it forwards for; with none, no one may, and a client is
	// the address of its connection.
	TrustedProxies []netip.Prefix
	// ShutdownGrace is how long the requests under way may take to finish once Serve is told
	// to stop; DefaultShutdownGrace when zero. Serve then cancels those still under way.
	ShutdownGrace time.Duration
}

// DefaultShutdownGrace is how long Serve lets the requests under way finish when it stops,
// unless Config says otherwise.
const DefaultShutdownGrace = 10 * time.Second

// DefaultMaxBatchBytes bounds an order batch upload unless Config says otherwise: 32 MiB. A
// batch is checked whole before any of it is stored, so its good rows (at most
// book.DefaultMaxRows) and their text are held in memory until its last row is read; the biggest
// batch a studio sends is about 100,000 rows, a few MB, and the worst batch at this limit is
// refused in well under the daemon's 300 MB (docs/BENCHMARKS.md).
const DefaultMaxBatchBytes = 32 << 20

// Check is a health check of a part of the daemon: its name, and what is wrong ("" when
// nothing is).
type Check interface {
	Health() (name, problem string)
}

// Floor is what the API shows of the running shop floor.
type Floor interface {
	// CellStatus returns what cell id's controller sees: its machine, faults, current job.
	CellStatus(id string) (cells.Status, bool)
	// ResetCell clears the cell's fault: a reported one, and its machine's (the reset
	// command); by (a principal id) did it, and note says what they did about the fault, both
	// recorded with the reset; book.ErrUnknownCell and cells.ErrManual when it cannot.
	ResetCell(ctx context.Context, id, by, note string) error
	// ReportFault records a fault a person (by, a principal id) reported at a cell, by the code
	// of one of the factory's fault reasons: the cell goes down until ResetCell.
	// book.ErrUnknownCell for an unknown cell.
	ReportFault(ctx context.Context, cell, code, by string) error
	// ReprintLabel prints the label of a finished unit (1-based; 0 for the last finished) of an
	// operation that ran at a cell again and returns its serial: cells.ErrNoPrinter,
	// cells.ErrNotFinished, book.ErrUnknownCell or book.ErrUnknownOperation when it cannot. A
	// serial with an error means the label is owed: it prints once the printer answers.
	ReprintLabel(ctx context.Context, cell string, op int64, unit int) (string, error)
	// Devices returns the health of every device connection.
	Devices() []health.Snapshot
	// Simulator returns the simulated plant's fault control API, nil on a real floor.
	Simulator() http.Handler
}

// Server serves the API.
type Server struct {
	book     *book.Book
	auth     *authenticator
	log      *slog.Logger
	echo     *echo.Echo
	metrics  *metrics
	version  string
	maxBatch int64
	maxErrs  int
	floor    Floor
	planner  Planner
	checks   []Check
	reloader Reloader
	keys     KeyRing
	photos   *photoUploads // nil: no photos
	// handler is echo behind the checks every request passes first: the pace of its body,
	// its Host.
	handler http.Handler
	// maxConnsPerClient and maxConns bound the connections Serve holds (0: no bound).
	maxConnsPerClient int
	maxConns          int
	proxies           proxies
	grace             time.Duration // see Config.ShutdownGrace
}

// New builds a Server. It hashes the clear-text demo credentials of the factory, which takes a
// moment at the default bcrypt cost.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = 10
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = book.DefaultMaxErrors
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = DefaultBodyGrace
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	if cfg.MaxConnsPerClient == 0 {
		cfg.MaxConnsPerClient = DefaultMaxConnsPerClient
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.Sessions == nil || cfg.Lockouts == nil {
		return nil, errors.New("api: the server needs a store of sessions and of failed sign-ins")
	}
	auth, err := newAuthenticator(cfg.Book.Factory(), cfg.Sessions, cfg.Lockouts, cfg.BcryptCost, cfg.SessionTTL, cfg.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{
		book:     cfg.Book,
		auth:     auth,
		log:      cfg.Logger,
		version:  cfg.Version,
		maxBatch: cfg.MaxBatchBytes,
		maxErrs:  cfg.MaxErrors,
		floor:    cfg.Floor,
		planner:  cfg.Planner,
		checks:   cfg.Checks,
		reloader: cfg.Reloader,
		keys:     cfg.Keys,
		proxies:  proxies(cfg.TrustedProxies),
		// A negative limit is none.
		maxConnsPerClient: max(cfg.MaxConnsPerClient, 0),
		maxConns:          max(cfg.MaxConns, 0),
		grace:             cfg.ShutdownGrace,
	}
	if cfg.Photos != nil {
		if cfg.PhotoUploads <= 0 {
			cfg.PhotoUploads = DefaultPhotoUploads
		}
		if cfg.PhotoWait <= 0 {
			cfg.PhotoWait = DefaultPhotoWait
		}
		s.photos = &photoUploads{store: cfg.Photos, maxBytes: cfg.Photos.MaxBytes(),
			slots: make(chan struct{}, cfg.PhotoUploads), wait: cfg.PhotoWait}
	}
	if s.metrics, err = newMetrics(cfg.Registry, cfg.Book); err != nil {
		return nil, err
	}
	s.echo = s.routes(cfg.Registry)
	// The pace wraps the Host check so that a refused request's body, which the server reads
	// before the next request, keeps to it too.
	s.handler = &bodyPace{grace: cfg.BodyGrace, rate: cfg.MinBodyRate, refused: s.metrics.refusedBy("slow_body"),
		next: newHostGuard(cfg.Book.Factory().Hosts, s.echo, s.metrics.refusedBy("host"))}
	return s, nil
}

// Handler returns the HTTP handler of the API and of what is mounted on it. It answers only
// requests addressed to a loopback name, to the address they came in on or to one of the
// factory's hosts (421 otherwise), and cuts off a request body that comes too slowly (see
// Config.MinBodyRate).
func (s *Server) Handler() http.Handler { return s.handler }

// MaxBatchBytes returns the most bytes an order batch upload may have: Config.MaxBatchBytes,
// or DefaultMaxBatchBytes. The web pages take their bound from it, so that a batch the API
// refuses for its size the pages refuse too.
func (s *Server) MaxBatchBytes() int64 { return s.maxBatch }

// Factory returns the factory the server serves.
func (s *Server) Factory() *configs.Factory { return s.book.Factory() }

// Mount serves h at every path the API does not route, for every method: the web pages. A
// request under /api/ that no endpoint routes still gets the API's JSON 404. Call it before
// Handler is served; it is not safe to call while requests are served.
func (s *Server) Mount(h http.Handler) {
	web := func(c echo.Context) error {
		if p := c.Request().URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
			return s.unrouted(c)
		}
		h.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	s.echo.Any("/", web)
	s.echo.Any("/*", web)
}

// Serve serves Handler on ln until ctx is cancelled, then stops taking requests and lets the
// ones under way finish for up to Config.ShutdownGrace. It then closes the connections of those
// still under way, which cancels their requests (a batch being written is removed), and waits
// for their handlers to return: once Serve returns no handler runs, so what the handlers use
// (the store) may be closed. It returns at once when nothing is under way. A client holding
// Config.MaxConnsPerClient connections gets no more until it closes one, and no one gets
// more once Config.MaxConns are open: a connection past either is answered 503.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.maxConnsPerClient > 0 || s.maxConns > 0 {
		perClient, total := s.metrics.refusedBy("connections"), s.metrics.refusedBy("capacity")
		ln = newConnLimit(ln, s.maxConnsPerClient, s.maxConns, func(over bool) {
			if over {
				total()
			} else {
				perClient()
			}
		})
	}
	var handlers handlerGroup
	srv := &http.Server{
		Handler:           handlers.track(s.handler),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		_ = srv.Close()
		handlers.wait()
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.grace)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("requests still under way at the end of the shutdown grace: cancelling them", "grace", s.grace)
		// Close closes every connection, which cancels the requests' contexts. Its error is
		// that of closing the listener again, which Shutdown closed.
		_ = srv.Close()
		err = nil
	}
	// http.Server waits for no handler once it closed their connections.
	handlers.wait()
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("shutting down http: %w", err)
	}
	return nil
}

// handlerGroup counts the handlers running, so that Serve can wait for them.
type handlerGroup struct {
	mu     sync.RWMutex
	closed bool // wait was called: no handler starts any more
	wg     sync.WaitGroup
}

// track wraps h to count its calls. A request that comes once wait was called (its connection
// closed meanwhile) is refused.
func (g *handlerGroup) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.RLock()
		if g.closed {
			g.mu.RUnlock()
			w.Header().Set("Connection", "close")
			http.Error(w, "the server is stopping", http.StatusServiceUnavailable)
			return
		}
		g.wg.Add(1)
		g.mu.RUnlock()
		defer g.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// wait lets no handler start any more and waits for those running to return.
func (g *handlerGroup) wait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// unrouted answers an API path that reached the catch-all of Mount as the API would without
// it: 405 when another method routes the path, 404 when none does.
func (s *Server) unrouted(c echo.Context) error {
	path := c.Request().URL.RawPath
	if path == "" {
		path = c.Request().URL.Path
	}
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == c.Request().Method {
			continue
		}
		probe := s.echo.NewContext(c.Request(), nil)
		s.echo.Router().Find(m, path, probe)
		if p := probe.Path(); p != "" && p != "/" && p != "/*" {
			return echo.ErrMethodNotAllowed
		}
	}
	return echo.ErrNotFound
}

func (s *Server) routes(reg *prometheus.Registry) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// Every request has an id, on each line logged about it and in its response's header.
	e.Pre(s.requestID)
	// A client's address is its connection's, or the one a trusted proxy forwards for; never
	// a header anyone could write to dodge the sign-in limits.
	e.Pre(s.resolveClient)
	e.IPExtractor = func(r *http.Request) string { return ClientOf(r).Addr }
	e.Use(s.metrics.middleware, PathParams)

	// Who may use each route is said here, beside it: the few open to anyone first, then reads
	// of the book, the plan and the floor, which need a principal of any role (customers' names
	// and notes, people's names, orders and plans are not for anyone on the network), then
	// writes, which need a permission. docs/SECURITY.md has the table; TestWhoMayUseEachRoute
	// keeps this, the table and openapi.yaml in step.
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", echo.WrapHandler(metricsHandler(reg)))
	e.GET(KeysPath, s.publicKeys)

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.yaml", s.openAPI)
	v1.POST("/auth/signin", s.signIn)
	v1.POST("/auth/signout", s.signOut, s.authenticated)
	v1.POST("/admin/reload", s.reload, s.authenticated, s.require(PermReload))
	v1.GET("/auth/whoami", s.whoAmI, s.authenticated)

	v1.GET("/cells", s.listCells, s.authenticated)
	v1.GET("/cells/:cell", s.getCell, s.authenticated)
	v1.GET("/cells/:cell/queue", s.cellQueue, s.authenticated)
	v1.POST("/cells/:cell/reset", s.resetCell, s.authenticated, s.require(PermOperate))
	v1.POST("/cells/:cell/fault", s.reportFault, s.authenticated, s.require(PermOperate))
	v1.POST("/cells/:cell/labels", s.reprintLabel, s.authenticated, s.require(PermOperate))
	v1.GET("/products", s.listProducts, s.authenticated)
	v1.GET("/products/:sku", s.getProduct, s.authenticated)
	v1.GET("/drops", s.listDrops, s.authenticated)
	v1.GET("/drops/:drop", s.getDrop, s.authenticated)
	v1.POST("/drops/:drop/orders", s.importOrders, s.authenticated, s.require(PermImport))
	v1.GET("/drops/:drop/turnaround", s.dropTurnaround, s.authenticated)
	v1.GET("/drops/:drop/forecast", s.dropForecast, s.authenticated)
	v1.POST("/drops/:drop/promise", s.promise, s.authenticated, s.require(PermImport))
	v1.GET("/plan", s.getPlan, s.authenticated)
	v1.GET("/plan/operations", s.planOperations, s.authenticated)
	v1.GET("/turnaround", s.allTurnaround, s.authenticated)
	v1.GET("/drops/:drop/margin", s.dropMargin, s.authenticated, s.require(PermMargins))
	v1.GET("/margins", s.allMargins, s.authenticated, s.require(PermMargins))
	v1.GET("/orders/:order", s.getOrder, s.authenticated)
	v1.POST("/orders/:order/remake", s.remakeOrder, s.authenticated, s.require(PermRemake))
	v1.POST("/orders/:order/withdraw", s.withdrawOrder, s.authenticated, s.require(PermWithdraw))
	v1.GET("/work-orders", s.listWorkOrders, s.authenticated)
	v1.GET("/work-orders/:id", s.getWorkOrder, s.authenticated)
	v1.GET("/operations/:id", s.getOperation, s.authenticated)
	v1.GET("/operations/:id/lots", s.getLots, s.authenticated)
	v1.POST("/operations/:id/lots", s.recordLots, s.authenticated, s.require(PermOperate))
	v1.POST("/operations/:id/notes", s.addNote, s.authenticated, s.require(PermOperate))
	v1.POST("/operations/:id/photos", s.addPhoto, s.authenticated, s.require(PermOperate))
	v1.POST("/operations/:id/:action", s.actOnOperation, s.authenticated, s.require(PermOperate))
	v1.GET("/photos/:hash", s.getPhoto, s.authenticated)
	v1.GET("/photos/:hash/thumbnail", s.getThumbnail, s.authenticated)
	v1.GET("/lots/:lot/trace", s.lotTrace, s.authenticated, s.require(PermTrace))
	v1.GET("/units/:serial", s.getUnit, s.authenticated)
	v1.POST("/repairs/:id/slip", s.reprintSlip, s.authenticated, s.require(PermOperate))
	v1.POST("/dispatch", s.dispatch, s.authenticated, s.require(PermDispatch))
	v1.GET("/events", s.listEvents, s.authenticated)
	v1.GET("/devices", s.listDevices, s.authenticated)
	v1.GET("/sim/devices", s.simulator, s.authenticated)
	v1.GET("/sim/devices/:id", s.simulator, s.authenticated)
	v1.GET("/sim/devices/:id/printed", s.simulator, s.authenticated)
	v1.PUT("/sim/devices/:id/faults", s.simulator, s.authenticated, s.require(PermSimulate))
	s.repairRoutes(v1)
	s.stopRoutes(v1)
	s.qualityRoutes(v1)
	s.oeeRoutes(v1)
	return e
}
