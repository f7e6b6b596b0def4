package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/api/web/i18n"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/health"
)

//go:embed templates static
var assets embed.FS

// vendorManifest lists the files vendored from npm packages (see the file itself).
//
//go:embed vendor.txt
var vendorManifest string

// Auth signs people in and checks their sessions; *api.Server satisfies it.
type Auth interface {
	SignIn(ctx context.Context, req api.SignInRequest) (api.Session, error)
	// CheckSession returns the principal of a session token and when the session ends if its
	// person does nothing more (zero for none); active says the request is the person's doing.
	CheckSession(ctx context.Context, token string, active bool) (api.Principal, time.Time, error)
	SignOut(ctx context.Context, token string) error
}

var _ Auth = (*api.Server)(nil)

// batchBound is the optional ability of an Auth to say how big an order batch the API takes;
// the API owns that limit and the pages follow it.
type batchBound interface {
	MaxBatchBytes() int64
}

var _ batchBound = (*api.Server)(nil)

// Floor is what the pages show of the running floor: each cell's machine, and the health of
// the devices (the printers').
type Floor interface {
	CellStatus(id string) (cells.Status, bool)
	Devices() []health.Snapshot
}

// Planner is the floor's plan.
type Planner interface {
	Current() *planner.Plan
	Promise(ctx context.Context, drop string, cands []book.Candidate) (planner.DropForecast, error)
}

// Config is what the pages need.
type Config struct {
	Book *book.Book
	Auth Auth
	// Floor is the running floor; nil when the daemon drives no devices.
	Floor Floor
	// Planner is the plan; nil when the daemon does not plan.
	Planner Planner
	// Units tells units' stories for their public pages (/u/{serial}); nil when the daemon
	// publishes none.
	Units Units
	// Photos are the makers' photos the public pages show; nil when there are none. A store
	// that can also check and store photos (*photos.Store) takes the customers' photos of
	// repair requests.
	Photos Photos
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// Tick is how often the live updates look at the machines; 200 ms when zero or less.
	Tick time.Duration
	// MaxBatchBytes bounds an uploaded order batch; when zero or less, the bound of Auth when it
	// has one (api.Server.MaxBatchBytes), so that the pages and the API refuse the same size,
	// else api.DefaultMaxBatchBytes.
	MaxBatchBytes int64
	// Reloader reads the factory file again and applies it, from the admin's page; nil when
	// the daemon cannot (the page then says so).
	Reloader api.Reloader
	// StaffURL is the daemon's own address (scheme and host), where the QR code of a repair's
	// parcel slip leads staff; the address a request came to when empty.
	StaffURL string
}

// Pages serves the web app.
type Pages struct {
	cfg  Config
	book *book.Book
	log  *slog.Logger
	loc  *time.Location
	echo *echo.Echo
	// pages holds the templates by language tag, then by name.
	pages map[string]map[string]*template.Template
	langs *i18n.Catalogue
	// scriptIDs are the ids of the messages the app's scripts show.
	scriptIDs []string
	static    map[string]staticFile // by name under static/
	hub       *hub
}

type staticFile struct {
	body        []byte
	contentType string
	hash        string
}

// New builds the pages. It fails when a template does not parse or the vendored scripts are
// missing from the build.
func New(cfg Config) (*Pages, error) {
	if cfg.Book == nil || cfg.Auth == nil {
		return nil, errors.New("web: the pages need the book and sign-in")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 200 * time.Millisecond
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = api.DefaultMaxBatchBytes
		if l, ok := cfg.Auth.(batchBound); ok {
			cfg.MaxBatchBytes = l.MaxBatchBytes()
		}
	}
	p := &Pages{
		cfg:  cfg,
		book: cfg.Book,
		log:  cfg.Logger,
		loc:  time.UTC,
	}
	fac := p.factory()
	if h := fac.Hours; h != nil && h.Location != nil {
		p.loc = h.Location
	}
	var err error
	if p.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if p.langs, err = i18n.Load(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if tag := p.studioLanguage(); tag != "" {
		if _, ok := p.langs.Lang(tag); !ok {
			return nil, fmt.Errorf("web: the factory's tablet language %q (line %d): the pages speak %s", tag, fac.Tablet.Line, p.langs.Tags())
		}
	}
	if p.scriptIDs, err = scriptIDs(); err != nil {
		return nil, fmt.Errorf("web: reading the scripts' messages: %w", err)
	}
	p.pages = make(map[string]map[string]*template.Template)
	for _, l := range p.langs.Langs() {
		if p.pages[l.Tag], err = p.parseTemplates(l); err != nil {
			return nil, err
		}
	}
	p.hub = newHub(p)
	p.echo = p.routes()
	return p, nil
}

// factory returns the factory the daemon runs now: the book's, which a reload may swap (see
// book.Book.SetFactory).
func (p *Pages) factory() *configs.Factory { return p.book.Factory() }

// planning reports whether the daemon plans the floor and its first plan is still being made.
func (p *Pages) planning() bool { return api.Planning(p.cfg.Planner) }

// Handler returns the HTTP handler of the pages.
func (p *Pages) Handler() http.Handler { return p.echo }

// Run keeps the live updates flowing until ctx is cancelled, then ends every open stream so
// that the server can shut down. It returns nil then.
func (p *Pages) Run(ctx context.Context) error { return p.hub.run(ctx) }

// vendored returns the names under static/ of the files vendored from npm, as vendor.txt lists
// them; the pages do not work without them.
func vendored() []string {
	var names []string
	for _, line := range strings.Split(vendorManifest, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 2 && !strings.HasPrefix(fields[0], "#") {
			names = append(names, "vendor/"+fields[1])
		}
	}
	return names
}

func loadStatic() (map[string]staticFile, error) {
	out := make(map[string]staticFile)
	err := fs.WalkDir(assets, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := "application/octet-stream"
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		out[strings.TrimPrefix(name, "static/")] = staticFile{body: body, contentType: ct, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: reading embedded assets: %w", err)
	}
	for _, v := range vendored() {
		if _, ok := out[v]; !ok {
			return nil, fmt.Errorf("web: static/%s is missing from the build: it is committed with the source; restore it with `make assets`", v)
		}
	}
	return out, nil
}

func (p *Pages) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The client as the API worked it out (behind a trusted proxy, the one it forwards for).
	e.IPExtractor = func(r *http.Request) string { return api.ClientOf(r).Addr }
	e.HTTPErrorHandler = p.handleError
	e.Use(api.PathParams)

	e.GET("/", p.home)
	e.GET("/static/:hash/*", p.serveStatic)
	e.GET("/signin", p.signInPage)
	e.POST("/signin", p.signIn, sameOrigin, smallForm)
	e.POST("/signout", p.signOut, sameOrigin, smallForm)
	e.POST("/language", p.setLanguage, sameOrigin, smallForm)

	e.GET("/u/:serial", p.unitPage)
	e.GET("/u/:serial/certificate.json", p.unitCertificate)
	e.GET("/u/:serial/photos/:name", p.unitPhoto)
	p.customerRoutes(e)

	e.GET("/tablet", p.tabletCells)
	e.GET("/tablet/go", p.tabletGo)
	e.GET("/tablet/:cell", p.tablet)
	e.POST("/tablet/:cell/signin", p.tabletSignIn, sameOrigin, smallForm)
	e.GET("/tablet/:cell/live", p.tabletLive, p.signedIn)
	e.GET("/tablet/:cell/events", p.tabletEvents, p.signedIn)
	e.GET("/tablet/:cell/estimate", p.tabletEstimate, p.signedIn)

	e.GET("/manager", p.dashboard, p.signedIn)
	e.GET("/manager/board", p.boardFragment, p.signedIn)
	e.GET("/manager/charts", p.chartsFragment, p.signedIn)
	e.GET("/manager/charts/:name", p.chartCSV, p.signedIn)
	e.GET("/manager/events", p.dashboardEvents, p.signedIn)
	e.GET("/manager/trace", p.trace, p.signedIn, p.may(api.PermTrace))
	e.GET("/manager/find", p.find, p.signedIn)
	e.GET("/manager/units", p.orderUnits, p.signedIn)
	e.GET("/manager/units/:serial", p.genealogy, p.signedIn)
	p.repairRoutes(e)
	p.stopRoutes(e)
	p.qualityRoutes(e)
	p.oeeRoutes(e)

	e.GET("/admin", p.adminPage, p.signedIn, p.may(api.PermReload))
	e.POST("/admin/reload", p.reload, p.signedIn, sameOrigin, smallForm, p.may(api.PermReload))

	e.GET("/planner", p.plannerHome, p.signedIn)
	e.GET("/planner/gantt", p.gantt, p.signedIn)
	e.GET("/planner/drops/:drop", p.plannerDrop, p.signedIn)
	e.GET("/planner/short", p.shortFragment, p.signedIn)
	e.POST("/planner/drops/:drop/check", p.checkBatch, p.signedIn, p.fromPage, p.may(api.PermImport))
	e.POST("/planner/drops/:drop/store", p.storeBatch, p.signedIn, p.fromPage, p.may(api.PermImport))
	return e
}

// serveStatic serves an embedded asset. Its URL holds a hash of its content, so it may be
// cached for good.
func (p *Pages) serveStatic(c echo.Context) error {
	f, ok := p.static[c.Param("*")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if c.Param("hash") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}

// asset returns the URL of an embedded asset.
func (p *Pages) asset(name string) string {
	f, ok := p.static[name]
	if !ok {
		panic("web: no asset " + name) // a template names a file the build does not hold
	}
	return "/static/" + f.hash + "/" + name
}

const (
	principalKey   = "principal"
	sessionEndsKey = "session-ends"
)

// who returns the person signed in, if any.
func who(c echo.Context) (api.Principal, bool) {
	pr, ok := c.Get(principalKey).(api.Principal)
	return pr, ok
}

// sessionEnds returns when the session of the request ends if its person does nothing more,
// the zero time when it does not end that way.
func sessionEnds(c echo.Context) time.Time {
	t, _ := c.Get(sessionEndsKey).(time.Time)
	return t
}

// session returns the principal of the request's sign-in cookie. A page opened and a form
// posted are the person's doing and keep a session with an idle time alive; a page's own
// requests (its live part, its event stream, a fragment htmx fetches) are not.
func (p *Pages) session(c echo.Context) (api.Principal, bool) {
	pr, ok, _ := p.checkSession(c)
	return pr, ok
}

// checkSession is session with the error, wrapping book.ErrUnavailable, of a session that
// could not be checked because the store is unavailable: a page that needs a person then
// answers 503 rather than taking a person still signed in for signed out.
func (p *Pages) checkSession(c echo.Context) (api.Principal, bool, error) {
	if pr, ok := who(c); ok {
		return pr, true, nil
	}
	ck, err := c.Cookie(api.SessionCookie)
	if err != nil || ck.Value == "" {
		return api.Principal{}, false, nil
	}
	pr, ends, err := p.cfg.Auth.CheckSession(c.Request().Context(), ck.Value, personsDoing(c.Request()))
	if errors.Is(err, book.ErrUnavailable) {
		return api.Principal{}, false, err
	}
	if err != nil {
		if !errors.Is(err, api.ErrUnauthenticated) {
			reqlog.Logger(c.Request().Context(), p.log).Warn("checking a session", "err", err)
		}
		return api.Principal{}, false, nil
	}
	c.Set(principalKey, pr)
	c.Set(sessionEndsKey, ends)
	return pr, true, nil
}

// personsDoing reports whether a request is its person's doing rather than a page's own.
func personsDoing(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return true
	}
	return r.Header.Get("HX-Request") == "" && r.Header.Get("X-CellForge-Request") == "" &&
		!strings.HasSuffix(r.URL.Path, "/live") && !strings.HasSuffix(r.URL.Path, "/events")
}

// signedIn requires a signed-in person: a page sends the browser to sign in (a tablet page to
// its cell's PIN screen), a fragment or stream answers 401 so that its script can.
func (p *Pages) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok, err := p.checkSession(c); err != nil {
			return err
		} else if ok {
			return next(c)
		}
		r := c.Request()
		if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" || strings.HasSuffix(r.URL.Path, "/events") ||
			strings.HasSuffix(r.URL.Path, "/live") {
			return echo.NewHTTPError(http.StatusUnauthorized, "sign in again")
		}
		return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(r.URL.RequestURI()))
	}
}

// fromPage refuses a write that did not come from the app's own scripts: they send a header
// that a cross-site form cannot (a custom header needs CORS, which the daemon never grants).
func (p *Pages) fromPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if h.Get("HX-Request") == "" && h.Get("X-CellForge-Request") == "" {
			return echo.NewHTTPError(http.StatusForbidden, "this request must come from the CellForge pages")
		}
		return next(c)
	}
}

// sameOrigin refuses a form posted from another site, so that no other page signs a tablet in
// (as someone else) or out behind its user's back, or tries PINs from the browsers that visit
// it. A browser says where a post comes from: in Origin (another host, or "null" from a
// sandboxed or privacy-minded page) and in Sec-Fetch-Site (cross-site, or same-site: another
// host of the same site). A request with neither comes from no browser's form. A host name
// is the same in any case; the port must be the same too, so a proxy must pass the Host the
// browser sent, port and all.
func sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if o := r.Header.Get("Origin"); o != "" {
			if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
				return echo.NewHTTPError(http.StatusForbidden, "this form must be sent from the CellForge pages")
			}
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			return echo.NewHTTPError(http.StatusForbidden, "this form must be sent from the CellForge pages")
		}
		return next(c)
	}
}

// maxFormBytes bounds a sign-in or sign-out form: a person, a PIN or password, where to go next.
const maxFormBytes = 16 << 10

// smallForm reads a sign-in or sign-out form, which anyone may send: URL-encoded (a multipart
// form would be parsed into memory and temporary files before anyone signed in) and at most
// maxFormBytes. The handler then finds its fields with PostFormValue.
func smallForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send this form as application/x-www-form-urlencoded")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the form is larger than %d bytes", maxFormBytes))
			}
			if errors.Is(err, api.ErrSlowBody) {
				return err
			}
			return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read: "+err.Error())
		}
		return next(c)
	}
}

// may requires a permission, as the API does for the same write.
func (p *Pages) may(perm api.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			pr, _ := who(c)
			if !api.Allowed(pr.Role, perm) {
				return echo.NewHTTPError(http.StatusForbidden, fmt.Sprintf("a %s cannot %s", pr.Role, perm))
			}
			return next(c)
		}
	}
}

// homeOf is where a role starts.
func homeOf(role string) string {
	switch role {
	case configs.RoleOperator:
		return "/tablet"
	case configs.RolePlanner:
		return "/planner"
	}
	return "/manager"
}

func (p *Pages) home(c echo.Context) error {
	if pr, ok := p.session(c); ok {
		return c.Redirect(http.StatusSeeOther, homeOf(pr.Role))
	}
	return p.render(c, http.StatusOK, "home", p.view(c, "CellForge", nil))
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	Next, Person, Error string
}

func (p *Pages) signInPage(c echo.Context) error {
	return p.render(c, http.StatusOK, "signin", p.view(c, "Sign in", signInForm{Next: safeNext(c.QueryParam("next"))}))
}

// safeNext keeps a redirect target on this site: it returns next when a browser reads it as a
// path of this origin, and "" when not. Browsers drop tabs and newlines anywhere in a URL, trim
// spaces and control characters at its ends and read a backslash as a slash, so that
// "/\t/evil.example" and "/\\evil.example" lead to another host: a target with a control
// character, a space, a backslash or a byte outside ASCII is refused. The path, decoded, must
// start with a single slash and hold no empty, "." or ".." segment: "/.//evil.example" resolves
// to the path "//evil.example", and "/%2F/evil.example" reads so to whatever decodes it next,
// either of which a later redirect would send off the site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if b := next[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	segs := strings.Split(u.Path, "/")[1:] // u.Path is decoded
	for i, seg := range segs {
		if seg == "." || seg == ".." || (seg == "" && i < len(segs)-1) || strings.ContainsFunc(seg, func(r rune) bool {
			return r < ' ' || r == 0x7f || r == '\\'
		}) {
			return ""
		}
	}
	return next
}

func (p *Pages) signIn(c echo.Context) error {
	// The form's fields from its body only: a secret in the URL would be logged on its way.
	r := c.Request()
	form := signInForm{Next: safeNext(r.PostFormValue("next")), Person: strings.TrimSpace(r.PostFormValue("person"))}
	s, err := p.cfg.Auth.SignIn(r.Context(), api.SignInRequest{
		Person: form.Person, Password: r.PostFormValue("password"), Client: c.RealIP(),
	})
	if err != nil {
		form.Error, err = signInError(p.lang(c), err)
		if err != nil {
			return err
		}
		return p.render(c, http.StatusUnauthorized, "signin", p.view(c, "Sign in", form))
	}
	p.setSession(c, s)
	next := form.Next
	if next == "" {
		next = homeOf(s.Principal.Role)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// signInError says why a sign-in failed, or returns the error when it is not the person's doing.
func signInError(l *i18n.Lang, err error) (string, error) {
	var limited *api.RateLimitedError
	switch {
	case errors.As(err, &limited):
		return l.T("Too many tries: wait %s and try again.", limited.Wait.Round(time.Second)), nil
	case errors.Is(err, api.ErrWrongCredentials):
		return l.T("Wrong name, PIN or password."), nil
	}
	return "", err
}

func (p *Pages) setSession(c echo.Context, s api.Session) {
	c.SetCookie(&http.Cookie{
		Name: api.SessionCookie, Value: s.Token, Path: "/", Expires: s.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: api.ClientOf(c.Request()).HTTPS,
	})
}

func (p *Pages) signOut(c echo.Context) error {
	if ck, err := c.Cookie(api.SessionCookie); err == nil && ck.Value != "" {
		if err := p.cfg.Auth.SignOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: api.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	next := safeNext(c.Request().PostFormValue("next"))
	if next == "" {
		next = "/"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// handleError answers a failed request with a short page (or plain text for scripts) and logs
// what is not the client's doing.
func (p *Pages) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on the server; it has been logged."
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status, msg = he.Code, fmt.Sprint(he.Message)
	case errors.Is(err, book.ErrUnavailable):
		// Nothing was changed, and the same request later will be: the page says so, and when.
		c.Response().Header().Set("Retry-After", strconv.Itoa(api.StoreRetryAfter))
		status = http.StatusServiceUnavailable
		msg = fmt.Sprintf("The order book's database cannot be reached just now, so nothing was changed. Try again in %d seconds.", api.StoreRetryAfter)
		reqlog.Logger(c.Request().Context(), p.log).Warn("serving a page: the store is unavailable", "path", c.Request().URL.Path, "err", err)
	case errors.Is(err, book.ErrUnknownCell), errors.Is(err, book.ErrUnknownDrop):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, api.ErrSlowBody):
		// the client's doing; the connection is closed after this answer
		status, msg = http.StatusRequestTimeout, err.Error()
	case errors.Is(err, context.Canceled):
		return
	default:
		reqlog.Logger(c.Request().Context(), p.log).Error("serving a page", "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Header.Get("HX-Request") != "" || c.Request().Header.Get("Accept") == "text/event-stream" {
		_ = c.String(status, msg)
		return
	}
	if rerr := p.render(c, status, "error", p.view(c, http.StatusText(status), msg)); rerr != nil {
		reqlog.Logger(c.Request().Context(), p.log).Error("rendering an error page", "err", rerr)
	}
}

// view is what every page template gets.
type view struct {
	Title    string
	Site     string
	Who      api.Principal
	SignedIn bool
	Path     string
	Data     any
}

func (p *Pages) view(c echo.Context, title string, data any) view {
	pr, ok := p.session(c)
	return view{Title: title, Site: p.factory().Name, Who: pr, SignedIn: ok, Path: c.Request().URL.Path, Data: data}
}

// bufPool holds render buffers: a page is rendered whole before it is sent, so that a template
// error never leaves half a page.
var bufPool = sync.Pool{New: func() any { return new(strings.Builder) }}

func (p *Pages) render(c echo.Context, status int, name string, data any) error {
	l := p.lang(c)
	t, ok := p.pages[l.Tag][name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	b := bufPool.Get().(*strings.Builder)
	defer func() { b.Reset(); bufPool.Put(b) }()
	if err := t.ExecuteTemplate(b, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Language", l.Tag)
	h.Add("Vary", "Accept-Language")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	return c.HTMLBlob(status, []byte(b.String()))
}
