package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
)

// awkwardIDs are order ids holding what URLs give a meaning to, escape, or resolve away.
var awkwardIDs = []string{
	"SL/ASH-1", "O'BRIEN-7", "O'Brien ünï", "50%-OFF", "%", "%%", "%zz", "a%2Fb", "a%252F",
	"why?", "q?a=1&b=2", "#12", "a#b", "with space", "  padded  ", "ünïcödé-ß", "東京-1", "yarn-🧶",
	"zero\u200bwidth", ".", "..", "...", "./x", "x/.", "a/../b", "../up", "a//b", "/lead", "trail/",
	"//", "back\\slash", `\..`, "semi;colon", "com,ma", "eq=als", "plus+sign", "amp&ersand",
	"at@sign", "dollar$", "colon:x", "tilde~", "<tag>", `quo"te`, "pipe|", "caret^", "back`tick",
	"{brace}", "[brack]", "star*", "bang!", "(paren)",
}

// encodings are how clients put an id into a path: Go's url.PathEscape, a browser script's
// encodeURIComponent, and the least a careful hand escapes.
var encodings = []struct {
	name   string
	encode func(string) string
}{
	{name: "url.PathEscape", encode: url.PathEscape},
	{name: "encodeURIComponent", encode: func(s string) string {
		return escapeExcept(s, "-_.!~*'()")
	}},
	{name: "escaping only what must be", encode: func(s string) string {
		return escapeExcept(s, "-_.!~*'()$&+,;=:@[]{}|^`<>\"\\ ")
	}},
}

// escapeExcept percent-encodes every byte of s but ASCII letters, digits and keep; it escapes a
// space too unless keep holds one, as %20.
func escapeExcept(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && strings.IndexByte(keep, ' ') >= 0:
			b.WriteString("%20")
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c < 0x80 && strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestOrderIDsBothWaysRound: every id intake accepts is fetched back through the API however
// a client escapes it, and every id no URL can name is refused at intake with its line and
// column. Whether an id is fetchable is found as a client finds it: the path is resolved as
// browsers and curl resolve it (RFC 3986 dot segments) before it is sent.
func TestOrderIDsBothWaysRound(t *testing.T) {
	ts := newTestServer(t)
	for _, id := range awkwardIDs {
		t.Run(id, func(t *testing.T) {
			var body strings.Builder
			w := csv.NewWriter(&body)
			w.WriteAll([][]string{{"order_id", "sku", "quantity"}, {id, "SCARF", "1"}})
			imp := ts.importCSV(t, body.String())
			stored := strings.TrimSpace(id)
			fetchable := true
			for _, enc := range encodings {
				path := enc.encode(stored)
				ok, got := fetch(t, ts, path)
				if imp.status == http.StatusCreated && !ok {
					t.Errorf("stored %q, but GET /api/v1/orders/%s (%s) answers %s", stored, path, enc.name, got)
				}
				fetchable = fetchable && ok
			}
			switch imp.status {
			case http.StatusCreated:
			case http.StatusUnprocessableEntity:
				var e errorBody
				imp.json(t, &e)
				if len(e.Error.Rows) != 1 || e.Error.Rows[0].Line != 2 || e.Error.Rows[0].Column != "order_id" {
					t.Errorf("refused with %s, want one problem at line 2, column order_id", imp.body)
				}
				if fetchable {
					t.Errorf("refused %q, which every client can fetch: %s", id, imp.body)
				}
			default:
				t.Fatalf("import: %d %s", imp.status, imp.body)
			}
		})
	}
}

// fetch GETs an order at /api/v1/orders/<escaped> as a client sends it (dot segments resolved)
// and reports whether the answer is the order of that id, and else what the answer was.
func fetch(t *testing.T, ts *testServer, escaped string) (bool, string) {
	t.Helper()
	u, err := url.Parse(ts.URL + "/api/v1/orders/" + escaped)
	if err != nil {
		t.Fatal(err)
	}
	// An absolute reference resolves to itself, its dot segments removed.
	u = u.ResolveReference(u)
	resp, err := getAs(u.String(), plannerToken)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, body: raw}
	if r.status != http.StatusOK {
		return false, fmt.Sprintf("%d %s (sent as %s)", r.status, raw, u.EscapedPath())
	}
	want, err := url.PathUnescape(escaped)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Order book.Order `json:"order"`
	}
	r.json(t, &got)
	if got.Order.OrderID != want {
		return false, fmt.Sprintf("the order %q", got.Order.OrderID)
	}
	return true, ""
}

// TestStoredDotIDsStayFetchable: an order stored before intake refused "." and ".." is still
// served to a client that sends the segment as it is, or escaped.
func TestStoredDotIDsStayFetchable(t *testing.T) {
	ts := newTestServer(t)
	rows := &rowList{rows: []intake.Row{
		{Line: 2, OrderID: ".", SKU: "SCARF", Quantity: 1},
		{Line: 3, OrderID: "..", SKU: "SCARF", Quantity: 1},
	}}
	if _, err := ts.book.Import(context.Background(), book.ImportRequest{Drop: "winter", Rows: rows}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{".", "..", "%2E", "%2e%2E"} {
		u := &url.URL{Scheme: "http", Host: ts.Listener.Addr().String(), Path: "/api/v1/orders/" + must(url.PathUnescape(path)),
			RawPath: "/api/v1/orders/" + path}
		resp, err := getAs(u.String(), plannerToken)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), fmt.Sprintf(`"order_id":%q`, must(url.PathUnescape(path)))) {
			t.Errorf("GET /api/v1/orders/%s: %d %s", path, resp.StatusCode, raw)
		}
	}
}

// getAs GETs a URL with a bearer token.
func getAs(url, token string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultClient.Do(req)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rowList is a batch of rows as they were, past intake's rules.
type rowList struct {
	rows []intake.Row
	i    int
}

func (l *rowList) Next() (intake.Row, error) {
	if l.i == len(l.rows) {
		return intake.Row{}, io.EOF
	}
	l.i++
	return l.rows[l.i-1], nil
}
