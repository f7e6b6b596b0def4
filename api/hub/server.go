package hub

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

// Config is what the hub's HTTP server needs.
type Config struct {
	// Hub is the network's rules over its book.
	Hub *network.Rules
	// Tokens are the hub file's tokens (configs.Hub.Tokens): the API's bearer tokens and the
	// dashboard's sign-in.
	Tokens []configs.Token
	// Logger receives the server's log; nothing is logged when nil.
	Logger *slog.Logger
	// OnlineWithin is how recently a site must have spoken to show as online: the hub file's
	// online_within; 90 s when zero.
	OnlineWithin time.Duration
	// Hosts are the names, besides loopback and the address it is reached at, the hub answers
	// to (421 otherwise).
	Hosts []string
	// MaxBatchBytes bounds a batch upload; api.DefaultMaxBatchBytes when zero or less.
	MaxBatchBytes int64
	// MaxErrors is how many row problems a refused batch lists; book.DefaultMaxErrors when
	// zero or less.
	MaxErrors int
	// BodyGrace and MinBodyRate hold every request body to MinBodyRate bytes a second after
	// BodyGrace, as the site's API (api.PaceBodies); its defaults when zero.
	BodyGrace   time.Duration
	MinBodyRate int64
	// SessionTTL is how long a dashboard sign-in lasts; 12 hours when zero.
	SessionTTL time.Duration
	// Now is the clock of the ages shown; time.Now when nil.
	Now func() time.Time
}

// server holds what the handlers share.
type server struct {
	hub      *network.Rules
	tokens   tokens
	cookies  cookies
	log      *slog.Logger
	online   time.Duration
	maxBatch int64
	maxErrs  int
	now      func() time.Time
	pages    *pages
}

// New returns the hub's HTTP handler: the API, /healthz and the dashboard, behind the Host
// check, every request body held to the site API's pace (api.PaceBodies). It makes the key that signs the dashboard's cookies, so a restart signs everyone out.
func New(cfg Config) (http.Handler, error) {
	if cfg.Hub == nil {
		return nil, errors.New("api/hub: the server needs the hub's rules")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnlineWithin <= 0 {
		cfg.OnlineWithin = 90 * time.Second
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = api.DefaultMaxBatchBytes
	}
	if cfg.MaxErrors <= 0 {
		cfg.MaxErrors = book.DefaultMaxErrors
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	s := &server{hub: cfg.Hub, tokens: newTokens(cfg.Tokens), log: cfg.Logger, online: cfg.OnlineWithin,
		cookies:  cookies{key: key, ttl: cfg.SessionTTL, now: cfg.Now},
		maxBatch: cfg.MaxBatchBytes, maxErrs: cfg.MaxErrors, now: cfg.Now}
	pg, err := newPages()
	if err != nil {
		return nil, err
	}
	s.pages = pg
	// The pace wraps the Host check, as the site's API: a refused request's body, which the
	// server reads before the next request, keeps to it too.
	return api.PaceBodies(api.NewHostGuard(cfg.Hosts, s.routes()), cfg.BodyGrace, cfg.MinBodyRate), nil
}

func (s *server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Pre(api.RequestID(s.log))
	e.Use(api.PathParams)

	e.GET("/healthz", s.healthz)
	e.GET("/api/v1/openapi.yaml", s.openAPI)

	v1 := e.Group("/api/v1/network", s.authenticated)
	v1.GET("/sites", s.listSites)
	v1.POST("/sites/:site/gone", s.markGone, require(permGone))
	v1.POST("/drops/:drop/orders", s.importBatch, require(permRoute))
	v1.GET("/drops", s.listDrops)
	v1.GET("/orders", s.listOrders)
	v1.GET("/orders/:id", s.getOrder)
	v1.POST("/orders/:id/move", s.moveOrder, require(permRoute))
	s.repairRoutes(v1)

	s.dashboardRoutes(e)
	return e
}

// handleError answers the dashboard's errors as a page and every other as the API's JSON.
func (s *server) handleError(err error, c echo.Context) {
	if isPage(c.Request().URL.Path) {
		s.pageError(err, c)
		return
	}
	api.ErrorHandler(s.log)(apiError(err), c)
}

// healthz answers 200 when the network's book can be read, 503 when it cannot.
func (s *server) healthz(c echo.Context) error {
	if _, err := s.hub.Sites(c.Request().Context()); err != nil {
		reqlog.Logger(c.Request().Context(), s.log).Warn("health: the network's book cannot be read", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "down", "problem": "the network's book cannot be read"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
