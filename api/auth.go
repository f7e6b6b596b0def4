package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// sessions persists sign-in sessions, keyed by the SHA-256 of their token.
type sessions interface {
	PutSession(ctx context.Context, tokenHash, person, role string, expires time.Time) error
	Session(ctx context.Context, tokenHash string) (person, role string, expires time.Time, err error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Principal is who a request acts as.
type Principal struct {
	ID   string `json:"id"` // "person:amira" or "token:erp-bridge"
	Name string `json:"name"`
	Role string `json:"role"`
}

// permission is something a role may do.
type permission string

const (
	permImport   permission = "import orders"
	permOperate  permission = "act on operations"
	permDispatch permission = "dispatch the queues"
	permSimulate permission = "inject faults into simulated devices"
)

// grants says which roles hold each permission. Reads need no permission.
var grants = map[permission][]string{
	permImport:   {configs.RolePlanner, configs.RoleAdmin},
	permOperate:  {configs.RoleOperator, configs.RoleManager, configs.RoleAdmin},
	permDispatch: {configs.RolePlanner, configs.RoleManager, configs.RoleAdmin},
	permSimulate: {configs.RoleManager, configs.RoleAdmin},
}

func allowed(role string, p permission) bool {
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

// authenticator checks bearer tokens and sign-ins.
type authenticator struct {
	people   map[string]credentials
	tokens   map[string]Principal // by hex SHA-256 of the token
	sessions sessions
	limits   *limiter
	ttl      time.Duration
	now      func() time.Time
	// dummy is compared against when a sign-in names nobody, so that the answer takes as long
	// as for a real person.
	dummy []byte
}

func newAuthenticator(f *configs.Factory, s sessions, cost int, ttl time.Duration, now func() time.Time) (*authenticator, error) {
	a := &authenticator{
		people:   make(map[string]credentials, len(f.People)),
		tokens:   make(map[string]Principal, len(f.Tokens)),
		sessions: s,
		limits:   newLimiter(),
		ttl:      ttl,
		now:      now,
	}
	hash := func(secret, hashed string) ([]byte, error) {
		switch {
		case hashed != "":
			return []byte(hashed), nil
		case secret != "":
			return bcrypt.GenerateFromPassword([]byte(secret), cost)
		}
		return nil, nil
	}
	var err error
	if a.dummy, err = bcrypt.GenerateFromPassword([]byte("not a credential"), cost); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	for _, p := range f.People {
		c := credentials{name: p.Name, role: p.Role}
		if c.pinHash, err = hash(p.PIN, p.PINHash); err != nil {
			return nil, fmt.Errorf("hashing pin of %s: %w", p.ID, err)
		}
		if c.passwordHash, err = hash(p.Password, p.PasswordHash); err != nil {
			return nil, fmt.Errorf("hashing password of %s: %w", p.ID, err)
		}
		a.people[p.ID] = c
	}
	for _, t := range f.Tokens {
		sum := t.SHA256
		if t.Token != "" {
			sum = sha256Hex(t.Token)
		}
		a.tokens[sum] = Principal{ID: "token:" + t.Name, Name: t.Name, Role: t.Role}
	}
	return a, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var errUnauthenticated = errors.New("unauthenticated")

// authenticate returns the principal of a bearer token: an API token or a sign-in session.
func (a *authenticator) authenticate(ctx context.Context, token string) (Principal, error) {
	sum := sha256Hex(token)
	if p, ok := a.tokens[sum]; ok {
		return p, nil
	}
	person, role, expires, err := a.sessions.Session(ctx, sum)
	if errors.Is(err, book.ErrNotFound) {
		return Principal{}, errUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("looking up session: %w", err)
	}
	if !a.now().Before(expires) {
		return Principal{}, errUnauthenticated
	}
	return Principal{ID: "person:" + person, Name: a.people[person].name, Role: role}, nil
}

// signInRequest is the body of POST /api/v1/auth/signin.
type signInRequest struct {
	Person   string `json:"person"`
	PIN      string `json:"pin"`
	Password string `json:"password"`
}

// signInResponse is its answer.
type signInResponse struct {
	Token     string    `json:"token"`
	Principal Principal `json:"principal"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) signIn(c echo.Context) error {
	var req signInRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Person == "" || (req.PIN == "") == (req.Password == "") {
		return newError(http.StatusBadRequest, codeInvalid, "sign in with a person and either a pin or a password")
	}
	a := s.auth
	now := a.now()
	client := c.RealIP()
	if wait, ok := a.limits.allow(req.Person, client, now); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		return newError(http.StatusTooManyRequests, codeRateLimited,
			"too many sign-in attempts: try again in %s", wait.Round(time.Second))
	}
	cred, known := a.people[req.Person]
	hashed, secret := cred.pinHash, req.PIN
	if req.Password != "" {
		hashed, secret = cred.passwordHash, req.Password
	}
	if !known || hashed == nil {
		hashed = a.dummy
	}
	if bcrypt.CompareHashAndPassword(hashed, []byte(secret)) != nil || !known {
		if known {
			a.limits.failed(req.Person, now)
		}
		s.metrics.signInFailures.Inc()
		return newError(http.StatusUnauthorized, codeUnauthorized, "wrong person, pin or password")
	}
	a.limits.succeeded(req.Person)
	token, err := newToken()
	if err != nil {
		return err
	}
	expires := now.Add(a.ttl).UTC()
	if err := a.sessions.PutSession(c.Request().Context(), sha256Hex(token), req.Person, cred.role, expires); err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	return c.JSON(http.StatusOK, signInResponse{
		Token:     token,
		Principal: Principal{ID: "person:" + req.Person, Name: cred.name, Role: cred.role},
		ExpiresAt: expires,
	})
}

func (s *Server) signOut(c echo.Context) error {
	token := bearer(c.Request())
	if err := s.auth.sessions.DeleteSession(c.Request().Context(), sha256Hex(token)); err != nil {
		return fmt.Errorf("deleting session: %w", err)
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

const principalKey = "principal"

// authenticated requires a valid bearer token.
func (s *Server) authenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := bearer(c.Request())
		if token == "" {
			return newError(http.StatusUnauthorized, codeUnauthorized,
				"this request needs an Authorization: Bearer token (an API token, or sign in at /api/v1/auth/signin)")
		}
		p, err := s.auth.authenticate(c.Request().Context(), token)
		if errors.Is(err, errUnauthenticated) {
			return newError(http.StatusUnauthorized, codeUnauthorized, "the bearer token is unknown or its session has expired: sign in again")
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// require checks that the principal's role holds a permission; it runs after authenticated.
func (s *Server) require(p permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			who := principal(c)
			if !allowed(who.Role, p) {
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
