package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/api"
)

// nextCases are redirect targets after sign-in: those that stay on the site, and the shapes
// that lead a browser elsewhere.
var nextCases = []struct {
	next string
	ok   bool
}{
	{"/manager", true},
	{"/tablet/dye-1", true},
	{"/planner/drops/winter?x=1#top", true},
	{"/", true},
	{"/tablet/", true},
	{"/planner/drops/a%2Fb", true},
	{"/?next=//evil.example", true},
	{"/manager%20board", true},

	{"", false},
	{"manager", false},
	{"//evil.example", false},
	{"///evil.example", false},
	{"/\t/evil.example", false},
	{"/\n/evil.example", false},
	{"/\r/evil.example", false},
	{"\t//evil.example", false},
	{"/\r\n/evil.example", false},
	{"/man\tager", false},
	{"/\\evil.example", false},
	{"\\/evil.example", false},
	{"\\\\evil.example", false},
	{"/\\/evil.example", false},
	{"/%09/evil.example", false},
	{"/%0a/evil.example", false},
	{"/%2F/evil.example", false},
	{"/%2f%2fevil.example", false},
	{"/%5C/evil.example", false},
	{"/%5cevil.example", false},
	{"%2F%2Fevil.example", false},
	{"http://evil.example", false},
	{"https:evil.example", false},
	{"javascript:alert(1)", false},
	{"/javascript:alert(1)//", false},
	{" /manager", false},
	{" //evil.example", false},
	{"\x00//evil.example", false},
	{"/manager ", false},
	{"/.//evil.example", false},
	{"/./evil.example", false},
	{"/../evil.example", false},
	{"/%2e%2e//evil.example", false},
	{"/a//b", false},
	{"/\x7f/evil.example", false},
	{"/\u3002evil.example", false},
	{"/\xff/evil.example", false},
}

func TestSafeNext(t *testing.T) {
	for _, tt := range nextCases {
		t.Run(tt.next, func(t *testing.T) {
			got := safeNext(tt.next)
			if tt.ok && got != tt.next {
				t.Errorf("safeNext(%q) = %q, want it kept", tt.next, got)
			}
			if !tt.ok && got != "" {
				t.Errorf("safeNext(%q) = %q, want it refused", tt.next, got)
			}
		})
	}
}

// browserResolve resolves a Location header as a browser does, against base: it drops tabs and
// newlines, trims spaces and control characters at the ends and reads backslashes as slashes
// (WHATWG URL parsing of an http(s) URL), then resolves the reference.
func browserResolve(base *url.URL, loc string) (*url.URL, error) {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.ReplaceAll(loc, `\`, "/")
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return base.ResolveReference(ref), nil
}

// FuzzSafeNext: whatever safeNext keeps, a browser resolves to this site, at a path that does
// not start with two slashes (which a later redirect to the path would send off the site),
// decoded or not.
func FuzzSafeNext(f *testing.F) {
	for _, tt := range nextCases {
		f.Add(tt.next)
	}
	base, _ := url.Parse("http://cellforge.test:8080/signin")
	f.Fuzz(func(t *testing.T, next string) {
		kept := safeNext(next)
		if kept == "" {
			return
		}
		u, err := browserResolve(base, kept)
		if err != nil {
			t.Fatalf("safeNext kept %q, which does not parse: %v", kept, err)
		}
		if u.Scheme != base.Scheme || u.Host != base.Host || u.User != nil {
			t.Fatalf("safeNext kept %q, which leads to %s", kept, u)
		}
		if strings.HasPrefix(u.EscapedPath(), "//") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, `/\`) {
			t.Fatalf("safeNext kept %q, which resolves to the path %q", kept, u.Path)
		}
	})
}

// browserFrom is a browser whose connections come from a loopback address of its own.
func (s *site) browserFrom(t *testing.T, addr string) *browser {
	b := s.browser(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	b.c.Transport = tr
	return b
}

// TestSignInSendsBackToThisSiteOnly signs in with next set to each shape: the browser is sent
// to next only when it stays on the site, else to the person's home page.
func TestSignInSendsBackToThisSiteOnly(t *testing.T) {
	s := newSite(t)
	for i, tt := range nextCases {
		t.Run(tt.next, func(t *testing.T) {
			// Each from an address of its own, clear of the sign-in limits per address.
			b := s.browserFrom(t, fmt.Sprintf("127.0.1.%d", i+1))
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			page := b.get("/signin?next=" + url.QueryEscape(tt.next))
			if want := `name="next" value=""`; !tt.ok && !strings.Contains(page.body, want) {
				t.Errorf("the sign-in page carries next=%q on:\n%s", tt.next, page.body)
			}
			p := b.form("/signin", url.Values{"person": {"pia"}, "password": {"weft-and-warp"}, "next": {tt.next}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("sign-in: %d\n%s", p.status, p.body)
			}
			want := "/planner"
			if tt.ok {
				want = tt.next
			}
			if loc := p.header.Get("Location"); loc != want {
				t.Errorf("sent to %q, want %q", loc, want)
			}
		})
	}
}

// TestSignInFormsRefuseOtherSites: a sign-in or sign-out form posted from another site (as a
// browser says in Origin and Sec-Fetch-Site) is refused; the credentials count only from the
// form's body.
func TestSignInFormsRefuseOtherSites(t *testing.T) {
	s := newSite(t)
	tests := []struct {
		name    string
		path    string
		query   string
		body    url.Values
		headers []string
		status  int
	}{
		{name: "from the site", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Origin", "", "Sec-Fetch-Site", "same-origin"}, status: http.StatusSeeOther},
		{name: "from no browser", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}}, status: http.StatusSeeOther},
		{name: "the site's origin in other case", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Host", "localhost:PORT", "Origin", "http://LocalHost:PORT", "Sec-Fetch-Site", "same-origin"}, status: http.StatusSeeOther},
		{name: "another origin", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Origin", "http://evil.example"}, status: http.StatusForbidden},
		{name: "another port", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Host", "localhost:PORT", "Origin", "http://localhost:1"}, status: http.StatusForbidden},
		{name: "a sandboxed page", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Origin", "null"}, status: http.StatusForbidden},
		{name: "cross-site without an origin", path: "/signin", body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}},
			headers: []string{"Sec-Fetch-Site", "cross-site"}, status: http.StatusForbidden},
		{name: "another host of the site", path: "/tablet/dye-1/signin", body: url.Values{"person": {"ana"}, "pin": {"1234"}},
			headers: []string{"Sec-Fetch-Site", "same-site"}, status: http.StatusForbidden},
		{name: "a PIN from another site", path: "/tablet/dye-1/signin", body: url.Values{"person": {"ana"}, "pin": {"1234"}},
			headers: []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, status: http.StatusForbidden},
		{name: "sign-out from another site", path: "/signout", headers: []string{"Sec-Fetch-Site", "cross-site"}, status: http.StatusForbidden},
		{name: "credentials in the URL", path: "/signin", query: "?person=pia&password=weft-and-warp", body: url.Values{},
			status: http.StatusUnauthorized},
		{name: "a PIN in the URL", path: "/tablet/dye-1/signin", query: "?person=ana&pin=1234", body: url.Values{},
			status: http.StatusUnauthorized},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browserFrom(t, fmt.Sprintf("127.0.2.%d", i+1))
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequest("POST", b.s.URL+tt.path+tt.query, strings.NewReader(tt.body.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			site, _ := url.Parse(b.s.URL)
			for j := 0; j+1 < len(tt.headers); j += 2 {
				v := strings.ReplaceAll(tt.headers[j+1], "PORT", site.Port())
				switch {
				case tt.headers[j] == "Origin" && v == "":
					v = b.s.URL // the site's own origin
				case tt.headers[j] == "Host":
					req.Host = v
					continue
				}
				req.Header.Set(tt.headers[j], v)
			}
			p := b.do(req)
			if p.status != tt.status {
				t.Fatalf("%d, want %d\n%s", p.status, tt.status, p.body)
			}
			if tt.status == http.StatusForbidden && p.header.Get("Set-Cookie") != "" {
				t.Errorf("a refused form set a cookie: %s", p.header.Get("Set-Cookie"))
			}
		})
	}
}

// TestSessionCookieIsSecureBehindATLSProxy: the cookie is Secure when a trusted proxy says the
// browser came over HTTPS, and only then.
func TestSessionCookieIsSecureBehindATLSProxy(t *testing.T) {
	tests := []struct {
		name    string
		proxies []netip.Prefix
		proto   string
		secure  bool
	}{
		{"a trusted proxy over HTTPS", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "https", true},
		{"a trusted proxy over HTTP", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "http", false},
		{"no proxy trusted", nil, "https", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSiteWith(t, func(c *api.Config) { c.TrustedProxies = tt.proxies })
			b := s.browser(t)
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequest("POST", s.URL+"/signin", strings.NewReader(url.Values{"person": {"pia"}, "password": {"weft-and-warp"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", tt.proto)
			req.Header.Set("X-Forwarded-For", "198.51.100.7")
			p := b.do(req)
			var cookie *http.Cookie
			for _, c := range (&http.Response{Header: p.header}).Cookies() {
				if c.Name == api.SessionCookie {
					cookie = c
				}
			}
			if p.status != http.StatusSeeOther || cookie == nil {
				t.Fatalf("sign-in: %d, cookie %v", p.status, cookie)
			}
			if cookie.Secure != tt.secure {
				t.Errorf("the cookie is Secure=%v, want %v", cookie.Secure, tt.secure)
			}
		})
	}
}

// TestSignInFormsAreSmall: the sign-in and sign-out forms, which anyone may post, are read only
// URL-encoded and up to a few KiB. A multipart form would be parsed into memory and temporary
// files before anyone signed in, and those files outlive the request (a large part left a file
// of its size behind on every post); a long URL-encoded one would be held whole.
func TestSignInFormsAreSmall(t *testing.T) {
	s := newSite(t)
	var multi bytes.Buffer
	mw := multipart.NewWriter(&multi)
	_ = mw.WriteField("person", "pia")
	_ = mw.WriteField("password", "weft-and-warp")
	fw, _ := mw.CreateFormFile("junk", "junk.bin")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 11<<20))
	_ = mw.Close()
	long := url.Values{"person": {"pia"}, "password": {"weft-and-warp"}, "junk": {strings.Repeat("x", 64<<10)}}.Encode()
	tests := []struct {
		name, path, contentType, body string
		status                        int
	}{
		{name: "multipart sign-in", path: "/signin", contentType: mw.FormDataContentType(), body: multi.String(), status: http.StatusUnsupportedMediaType},
		{name: "multipart PIN", path: "/tablet/dye-1/signin", contentType: mw.FormDataContentType(), body: multi.String(), status: http.StatusUnsupportedMediaType},
		{name: "multipart sign-out", path: "/signout", contentType: mw.FormDataContentType(), body: multi.String(), status: http.StatusUnsupportedMediaType},
		{name: "a long form", path: "/signin", contentType: "application/x-www-form-urlencoded", body: long, status: http.StatusRequestEntityTooLarge},
		{name: "a plain form", path: "/signin", contentType: "application/x-www-form-urlencoded",
			body: url.Values{"person": {"pia"}, "password": {"weft-and-warp"}}.Encode(), status: http.StatusSeeOther},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browserFrom(t, fmt.Sprintf("127.0.3.%d", i+1))
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			req, _ := http.NewRequest("POST", b.s.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			res, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("%s: %d, want %d", tt.path, res.StatusCode, tt.status)
			}
		})
	}
}
