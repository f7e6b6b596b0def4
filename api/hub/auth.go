package hub

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/configs"
)

// Principal is who a request acts as: a token of the hub's file.
type Principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// permission is something a role may do at the hub; its text completes "a <role> cannot ...".
type permission string

const (
	permRoute permission = "import batches and move orders"
	permGone  permission = "mark a site gone"
)

// grants says which roles hold each permission. Reads need a token of any role.
var grants = map[permission][]string{
	permRoute: {configs.RolePlanner, configs.RoleAdmin},
	permGone:  {configs.RoleAdmin},
}

func allowed(role string, p permission) bool {
	for _, r := range grants[p] {
		if r == role {
			return true
		}
	}
	return false
}

// tokens holds the hub file's tokens by the hex SHA-256 of the token, and by name.
type tokens struct {
	byHash map[string]Principal
	byName map[string]Principal
}

func newTokens(list []configs.Token) tokens {
	t := tokens{byHash: map[string]Principal{}, byName: map[string]Principal{}}
	for _, tk := range list {
		sum := tk.SHA256
		if tk.Token != "" {
			sum = api.SHA256Hex(tk.Token)
		}
		p := Principal{Name: tk.Name, Role: tk.Role}
		t.byHash[strings.ToLower(sum)] = p
		t.byName[tk.Name] = p
	}
	return t
}

// lookup returns the principal of a clear-text token.
func (t tokens) lookup(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	p, ok := t.byHash[api.SHA256Hex(token)]
	return p, ok
}

// cookieName is the dashboard's sign-in cookie.
const cookieName = "cellforge_hub"

// cookies signs and checks the dashboard's sign-in cookie: the token's name and the cookie's
// end, signed with HMAC-SHA256 under a key the hub makes at start (a restart signs everyone
// out). The token itself is never in the cookie.
type cookies struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

func (c cookies) mac(payload string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// issue returns the cookie for a token's name.
func (c cookies) issue(name string, secure bool) *http.Cookie {
	end := c.now().Add(c.ttl)
	payload := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(end.Unix(), 10)
	return &http.Cookie{Name: cookieName, Value: payload + "." + c.mac(payload), Path: "/",
		Expires: end, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// name returns the token's name a cookie value holds when its signature holds and it has not
// ended.
func (c cookies) name(value string) (string, bool) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 {
		return "", false
	}
	payload, sig := value[:i], value[i+1:]
	if subtle.ConstantTimeCompare([]byte(sig), []byte(c.mac(payload))) != 1 {
		return "", false
	}
	enc, endText, ok := strings.Cut(payload, ".")
	end, err := strconv.ParseInt(endText, 10, 64)
	if !ok || err != nil || !c.now().Before(time.Unix(end, 0)) {
		return "", false
	}
	name, err := base64.RawURLEncoding.DecodeString(enc)
	return string(name), err == nil
}

const principalKey = "hub.principal"

func principal(c echo.Context) Principal {
	p, _ := c.Get(principalKey).(Principal)
	return p
}

// fromCookie returns the principal of the request's sign-in cookie, if it has a good one of a
// token the file still lists.
func (s *server) fromCookie(r *http.Request) (Principal, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return Principal{}, false
	}
	name, ok := s.cookies.name(ck.Value)
	if !ok {
		return Principal{}, false
	}
	p, ok := s.tokens.byName[name]
	return p, ok
}

// authenticated requires a bearer token of the hub's file; a read may instead come with the
// dashboard's cookie (its CSV link). A write never does: the API's writes are for clients
// holding a token, and the dashboard's forms have their own routes.
func (s *server) authenticated(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if token := api.Bearer(r); token != "" {
			p, ok := s.tokens.lookup(token)
			if !ok {
				return api.NewError(http.StatusUnauthorized, api.CodeUnauthorized, "the bearer token is not one of the hub's tokens")
			}
			c.Set(principalKey, p)
			return next(c)
		}
		if p, ok := s.fromCookie(r); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			c.Set(principalKey, p)
			return next(c)
		}
		return api.NewError(http.StatusUnauthorized, api.CodeUnauthorized,
			"this request needs an Authorization: Bearer token of the hub's file")
	}
}

// require checks that the principal's role holds p; it runs after authenticated.
func require(p permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if who := principal(c); !allowed(who.Role, p) {
				return api.NewError(http.StatusForbidden, api.CodeForbidden, "a %s cannot %s", who.Role, p)
			}
			return next(c)
		}
	}
}

// sameOrigin reports why a form post did not come from a page of the hub's own origin: its
// Origin header, or without one its Referer, must name the host the request was sent to. ""
// when it did.
func sameOrigin(r *http.Request) string {
	from := r.Header.Get("Origin")
	if from == "" || from == "null" {
		from = r.Referer()
	}
	if from == "" {
		return "the form came with neither Origin nor Referer"
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("the form's origin %q is not an address", from)
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return fmt.Sprintf("the form came from %s, not from this hub (%s)", u.Host, r.Host)
	}
	return ""
}
