package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// sessions persists sign-in sessions, keyed by the SHA-256 of their token. A session with an
// idle time ends once its person has done nothing for that long (see TouchSession) or at its
// expiry, whichever comes first; Session and TouchSession return that end.
type sessions interface {
	PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time, idle time.Duration, seen time.Time) error
	Session(ctx context.Context, tokenHash string) (person, role string, ends time.Time, err error)
	TouchSession(ctx context.Context, tokenHash string, seen time.Time) (ends time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Principal is who a request acts as.
type Principal struct {
	ID   string `json:"id"` // "person:amira" or "token:erp-bridge"
	Name string `json:"name"`
	Role string `json:"role"`
}

// Permission is something a role may do; its text completes "a <role> cannot ...".
type Permission string

// Permissions of writes. Reads need a principal of any role, and no permission.
const (
	PermImport   Permission = "import orders"
	PermOperate  Permission = "act on operations"
	PermDispatch Permission = "dispatch the queues"
	PermSimulate Permission = "inject faults into simulated devices"
	PermRemake   Permission = "make an order's lost units again"
	// PermWithdraw is giving up an order not started, so that it leaves this site's open work
	// (the network's hub routes it elsewhere).
	PermWithdraw Permission = "withdraw orders"
	// PermTrace is a read that needs more than a role: a lot's trace lists every order and
	// customer it touched, for a recall.
	PermTrace Permission = "trace a lot to the orders and customers it touched"
	// PermRepairs is taking in a repair at the counter, receiving a parcel, handing a repair
	// back and giving its customer a new link: what the people at the counter do.
	PermRepairs Permission = "take in and hand back repairs"
	// PermSellCare is selling a care plan to a unit or a customer.
	PermSellCare Permission = "sell care plans"
	// PermStops is a read that needs more than a role: the list of every cell's stops, with
	// who gave each its reason, is a report on people's work.
	PermStops Permission = "list the stops of the cells"
	// PermMargins is a read that needs more than a role: a drop's prices, costs and margin.
	PermMargins Permission = "read the margins of drops"
	// PermOEE is reading the cells' OEE, losses, stop reasons' Pareto and first-pass yield.
	PermOEE Permission = "read OEE and first-pass yield"
	// PermReload is reading the factory file again and applying it while the daemon runs.
	PermReload Permission = "reload the factory file"
)

// grants says which roles hold each permission.
var grants = map[Permission][]string{
	PermImport:   {configs.RolePlanner, configs.RoleAdmin},
	PermOperate:  {configs.RoleOperator, configs.RoleManager, configs.RoleAdmin},
	PermDispatch: {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermSimulate: {configs.RoleManager, configs.RoleAdmin},
	PermRemake:   {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermWithdraw: {configs.RolePlanner, configs.RoleAdmin},
	PermTrace:    {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermRepairs:  {configs.RoleOperator, configs.RoleManager, configs.RoleAdmin},
	PermSellCare: {configs.RoleManager, configs.RoleAdmin},
	PermStops:    {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermAccept:   {configs.RoleManager, configs.RoleAdmin},
	PermMargins:  {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermOEE:      {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	PermReload:   {configs.RoleAdmin},
}

// Allowed reports whether a role holds a permission.
func Allowed(role string, p Permission) bool {
	for _, r := range grants[p] {
		if r == role {
			return true
		}
	}
	return false
}

// credentials are a person's hashed secrets.
type credentials struct {
	name, role   string
	pinHash      []byte
	passwordHash []byte
}

// roster is who may sign in and which tokens are good, of one version of the factory.
type roster struct {
	people map[string]credentials
	tokens map[string]Principal // by hex SHA-256 of the token
	// hashed are the bcrypt hashes made of the clear-text credentials, by credential: a reload
	// hashes only those it has not seen (each bcrypt hash takes a moment).
	hashed map[string][]byte
}

// authenticator checks bearer tokens and sign-ins.
type authenticator struct {
	// roster is swapped whole when the factory is reloaded; a check loads it once.
	roster   atomic.Pointer[roster]
	cost     int
	sessions sessions
	limits   *limiter
	ttl      time.Duration
	// idle is how long a session started with a PIN (at a shared tablet) lasts without
	// activity; 0 for no limit.
	idle time.Duration
	now  func() time.Time
	// dummy is compared against when a sign-in names nobody (or a way to sign in the person
	// lacks), so that the bcrypt work is the same. The answer still comes sooner than for a
	// person who exists, whose attempt is first counted in the store: names are no secret.
	dummy []byte
}

func newAuthenticator(f *configs.Factory, s sessions, l lockouts, cost int, ttl time.Duration, now func() time.Time) (*authenticator, error) {
	a := &authenticator{
		cost:     cost,
		sessions: s,
		limits:   newLimiter(l),
		ttl:      ttl,
		idle:     f.Tablet.IdleSignOut,
		now:      now,
	}
	var err error
	if a.dummy, err = bcrypt.GenerateFromPassword([]byte("not a credential"), cost); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	r, err := newRoster(f, cost, nil)
	if err != nil {
		return nil, err
	}
	a.roster.Store(r)
	return a, nil
}

// newRoster hashes the clear-text credentials of f's people (demo credentials) and keys its
// tokens by their hash; the hashes prev made (nil: none) are used again.
func newRoster(f *configs.Factory, cost int, prev map[string][]byte) (*roster, error) {
	r := &roster{
		people: make(map[string]credentials, len(f.People)),
		tokens: make(map[string]Principal, len(f.Tokens)),
		hashed: make(map[string][]byte),
	}
	hash := func(secret, hashed string) ([]byte, error) {
		switch {
		case hashed != "":
			return []byte(hashed), nil
		case secret == "":
			return nil, nil
		}
		h, ok := prev[secret]
		if !ok {
			var err error
			if h, err = bcrypt.GenerateFromPassword([]byte(secret), cost); err != nil {
				return nil, err
			}
		}
		r.hashed[secret] = h
		return h, nil
	}
	var err error
	for _, p := range f.People {
		c := credentials{name: p.Name, role: p.Role}
		if c.pinHash, err = hash(p.PIN, p.PINHash); err != nil {
			return nil, fmt.Errorf("hashing pin of %s: %w", p.ID, err)
		}
		if c.passwordHash, err = hash(p.Password, p.PasswordHash); err != nil {
			return nil, fmt.Errorf("hashing password of %s: %w", p.ID, err)
		}
		r.people[p.ID] = c
	}
	for _, t := range f.Tokens {
		sum := t.SHA256
		if t.Token != "" {
			sum = sha256Hex(t.Token)
		}
		r.tokens[sum] = Principal{ID: "token:" + t.Name, Name: t.Name, Role: t.Role}
	}
	return r, nil
}

// PrepareFactory readies the server for f, a new version of its factory: it hashes f's
// clear-text credentials (which takes a moment) and returns apply, which makes the server
// sign in f's people and take f's tokens from then on, at once. A token f no longer has is
// refused from then on; a session of a person f no longer has, or whose role f changed, ends
// at its next request (the person signs in again, with the rights f gives).
func (s *Server) PrepareFactory(f *configs.Factory) (apply func(), err error) {
	r, err := newRoster(f, s.auth.cost, s.auth.roster.Load().hashed)
	if err != nil {
		return nil, err
	}
	return func() { s.auth.roster.Store(r) }, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ErrUnauthenticated is returned by Authenticate for a token that is neither an API token nor
// the token of a live session.
var ErrUnauthenticated = errors.New("unauthenticated")

// authenticate returns the principal of a bearer token: an API token or a sign-in session,
// and when the session ends if nothing more is done (the zero time for an API token). active
// says that the request is its person's doing (an action, a page opened): a session with an
// idle time then lasts that long again. A session found ended is deleted.
func (a *authenticator) authenticate(ctx context.Context, token string, active bool) (Principal, time.Time, error) {
	sum := sha256Hex(token)
	r := a.roster.Load()
	if p, ok := r.tokens[sum]; ok {
		return p, time.Time{}, nil
	}
	person, role, ends, err := a.sessions.Session(ctx, sum)
	if errors.Is(err, book.ErrNotFound) {
		return Principal{}, time.Time{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, time.Time{}, fmt.Errorf("looking up session: %w", err)
	}
	now := a.now()
	// A person the factory no longer has, or whose role it changed since the sign-in, keeps no
	// right the session was given: it ends, and they sign in again.
	cred, known := r.people[person]
	if !now.Before(ends) || !known || cred.role != role {
		// Ended (idle, or expired by this clock): it is no use to anyone any more.
		if err := a.sessions.DeleteSession(ctx, sum); err != nil {
			return Principal{}, time.Time{}, fmt.Errorf("ending session: %w", err)
		}
		return Principal{}, time.Time{}, ErrUnauthenticated
	}
	// A person busy at a tablet does not write to the store at every tap: only when a good
	// part of the idle time has passed since it was last written.
	if active && a.idle > 0 && ends.Sub(now) < a.idle-touchEvery(a.idle) {
		if ends, err = a.sessions.TouchSession(ctx, sum, now); err != nil {
			return Principal{}, time.Time{}, fmt.Errorf("recording activity of session: %w", err)
		}
	}
	return Principal{ID: "person:" + person, Name: cred.name, Role: role}, ends, nil
}

// touchEvery is how much of an idle time may pass before a person's activity is written: a
// tenth of it, at most 30 seconds.
func touchEvery(idle time.Duration) time.Duration { return min(idle/10, 30*time.Second) }

// signInRequest is the body of POST /api/v1/auth/signin.
type signInRequest struct {
	Person   string `json:"person"`
	PIN      string `json:"pin"`
	Password string `json:"password"`
}

// SignInRequest is a sign-in: a person with either a PIN or a password.
type SignInRequest struct {
	Person, PIN, Password string
	// Client is the address the sign-in came from: attempts are limited per address as well
	// as per person. Give ClientOf(r).Addr, never an address from a header the client could
	// write.
	Client string
}

// Session is a sign-in session: its token (a bearer token, or the value of the SessionCookie),
// who it acts as and until when.
type Session struct {
	Token     string    `json:"token"`
	Principal Principal `json:"principal"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ErrWrongCredentials is returned by SignIn when the person, PIN or password is wrong; it does
// not say which.
var ErrWrongCredentials = errors.New("wrong person, pin or password")

// RateLimitedError is returned by SignIn when too many attempts were made for the person or
// from the client: try again after Wait.
type RateLimitedError struct {
	Wait time.Duration
}

// Error says how long to wait.
func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many sign-in attempts: try again in %s", max(e.Wait.Round(time.Second), time.Second))
}

// SignIn checks a person's PIN or password and starts a session. Attempts are limited per
// person and client address, per person over every address, and per client host (see
// limiter.go): past a limit it returns a *RateLimitedError without checking the PIN or password.
// A wrong credential, or a person who does not exist, is ErrWrongCredentials. Both cost a bcrypt
// comparison, but only a person who exists has the attempt counted in the store first (a read
// and a synced write), so the time of the answer may tell whether a name exists: the names are
// no secret, the tablet lists those who sign in with a PIN.
func (s *Server) SignIn(ctx context.Context, req SignInRequest) (Session, error) {
	if req.Person == "" || (req.PIN == "") == (req.Password == "") {
		return Session{}, fmt.Errorf("%w: sign in with a person and either a pin or a password", ErrWrongCredentials)
	}
	a := s.auth
	now := a.now()
	cred, known := a.roster.Load().people[req.Person]
	// The attempt counts as failed from here: a burst of guesses sent at once cannot all be
	// checked before the first of them is counted.
	wait, err := a.limits.reserve(ctx, req.Person, req.Client, known, now)
	if err != nil {
		return Session{}, err
	}
	if wait > 0 {
		return Session{}, &RateLimitedError{Wait: wait}
	}
	hashed, secret := cred.pinHash, req.PIN
	if req.Password != "" {
		hashed, secret = cred.passwordHash, req.Password
	}
	if !known || hashed == nil {
		hashed = a.dummy
	}
	if bcrypt.CompareHashAndPassword(hashed, []byte(secret)) != nil || !known {
		s.metrics.signInFailures.Inc()
		return Session{}, ErrWrongCredentials
	}
	if err := a.limits.succeeded(ctx, req.Person, req.Client, now); err != nil {
		return Session{}, err
	}
	token, err := newToken()
	if err != nil {
		return Session{}, err
	}
	expires := now.Add(a.ttl).UTC()
	var idle time.Duration
	if req.PIN != "" {
		// A PIN is what a shared tablet signs in with.
		idle = a.idle
	}
	if err := a.sessions.PutSession(ctx, sha256Hex(token), req.Person, cred.role, expires, idle, now); err != nil {
		return Session{}, fmt.Errorf("storing session: %w", err)
	}
	return Session{
		Token:     token,
		Principal: Principal{ID: "person:" + req.Person, Name: cred.name, Role: cred.role},
		ExpiresAt: expires,
	}, nil
}

// Authenticate returns the principal of a token: an API token, or the token of a live
// session. It returns ErrUnauthenticated when the token is neither. It does not count as the
// person's activity.
func (s *Server) Authenticate(ctx context.Context, token string) (Principal, error) {
	p, _, err := s.auth.authenticate(ctx, token, false)
	return p, err
}

// CheckSession is Authenticate that also returns when the session ends if its person does
// nothing more (the zero time for an API token). active says that the request is the person's
// doing (an action, a page opened), not the page's own (a live update): a session started with
// a PIN then lasts the factory's tablet idle time (configs.Tablet) again.
func (s *Server) CheckSession(ctx context.Context, token string, active bool) (Principal, time.Time, error) {
	return s.auth.authenticate(ctx, token, active)
}

// SignOut ends the session of a token. Ending a session that does not exist is not an error.
func (s *Server) SignOut(ctx context.Context, token string) error {
	if err := s.auth.sessions.DeleteSession(ctx, sha256Hex(token)); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

func (s *Server) signIn(c echo.Context) error {
	// Only JSON: a page of another site can make a browser post a form or text/plain without
	// asking, but not application/json, for which the browser must ask first (CORS), and the
	// daemon never says yes; so no page can try PINs from the browsers that visit it.
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationJSON {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "send the sign-in as application/json, not %q", ct)
	}
	var req signInRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Person == "" || (req.PIN == "") == (req.Password == "") {
		return newError(http.StatusBadRequest, codeInvalid, "sign in with a person and either a pin or a password")
	}
	session, err := s.SignIn(c.Request().Context(), SignInRequest{
		Person: req.Person, PIN: req.PIN, Password: req.Password, Client: c.RealIP(),
	})
	var limited *RateLimitedError
	switch {
	case errors.As(err, &limited):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(limited.Wait.Seconds()+0.999)))
		return newError(http.StatusTooManyRequests, codeRateLimited, "%s", limited.Error())
	case errors.Is(err, ErrWrongCredentials):
		return newError(http.StatusUnauthorized, codeUnauthorized, "wrong person, pin or password")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, session)
}

func (s *Server) signOut(c echo.Context) error {
	token, _ := c.Get(tokenKey).(string)
	if err := s.SignOut(c.Request().Context(), token); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) whoAmI(c echo.Context) error {
	return c.JSON(http.StatusOK, principal(c))
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

const (
	principalKey = "principal"
	tokenKey     = "token"
)

// SessionCookie is the cookie a browser sends a session token in, as the web pages set it at
// sign-in. A request without an Authorization header is authenticated by it.
const SessionCookie = "cellforge_session"

// RequestHeader must be sent, with the value "1", with every write authenticated by the
// SessionCookie. A browser sends the cookie with any request to the daemon, even one another
// site's page makes (a cross-site form post); it sends a custom header only when a page of the
// daemon's own origin asks, because another origin would need CORS, which the API never grants.
const RequestHeader = "X-CellForge-Request"

// safeMethod reports whether a method only reads.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticated requires a valid bearer token, or a session cookie (with RequestHeader for a
// write).
func (s *Server) authenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		token := bearer(r)
		if token == "" && r.Header.Get("Authorization") == "" {
			if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
				if !safeMethod(r.Method) && r.Header.Get(RequestHeader) != "1" {
					return newError(http.StatusForbidden, codeCSRF,
						"a write authenticated by the session cookie needs the header %s: 1 (cross-site requests are refused)", RequestHeader)
				}
				token = ck.Value
			}
		}
		if token == "" {
			return newError(http.StatusUnauthorized, codeUnauthorized,
				"this request needs an Authorization: Bearer token (an API token, or sign in at /api/v1/auth/signin)")
		}
		// A write is the person's doing; a read may be a page's live update.
		p, _, err := s.auth.authenticate(r.Context(), token, !safeMethod(r.Method))
		if errors.Is(err, ErrUnauthenticated) {
			return newError(http.StatusUnauthorized, codeUnauthorized, "the bearer token is unknown or its session has expired: sign in again")
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		c.Set(tokenKey, token)
		return next(c)
	}
}

// require checks that the principal's role holds a permission; it runs after authenticated.
func (s *Server) require(p Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			who := principal(c)
			if !Allowed(who.Role, p) {
				return newError(http.StatusForbidden, codeForbidden, "a %s cannot %s", who.Role, p)
			}
			return next(c)
		}
	}
}

func principal(c echo.Context) Principal {
	p, _ := c.Get(principalKey).(Principal)
	return p
}
