package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestFindAndGenealogy: the search box on the dashboard and the planner's page finds a unit by
// serial, an order by id and a lot by id; what it cannot find or may not search for it says
// so, escaped. A unit's genealogy shows its customer, steps with people, params and lots
// (linking to their traces), private notes and photos marked, and its certificate.
func TestFindAndGenealogy(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer,notes\nw-<1>,SCARF,2,<b>Zoë</b> Quist,ring twice\nw-2,SCARF,1,Bo,\n")
	ctx := context.Background()
	_, wo, err := s.book.Order(ctx, "w-<1>")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	dye := d.Operations[0].ID
	for _, tr := range []book.TransitionRequest{{Action: book.ActionStart, Lots: map[string]string{"yarn": "Y<7>"}}, {Action: book.ActionComplete}} {
		tr.Operation, tr.Actor = dye, "person:ana"
		if _, err := s.book.Transition(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.book.AddNote(ctx, book.NoteRequest{Operation: dye, Text: "a <secret> for the studio", Private: true, Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}
	photo := s.photo(t, dye, "plain.jpg", true)

	b := s.browser(t)
	b.signIn("max", "loom-and-lantern")
	for _, path := range []string{"/manager", "/planner"} {
		if r := b.get(path); !strings.Contains(r.body, `<form id="find-form" class="find" method="get" action="/manager/find" role="search">`) ||
			!strings.Contains(r.body, `maxlength="128"`) {
			t.Errorf("%s has no search box", path)
		}
	}
	tests := []struct {
		name, q string
		status  int
		url     string
		want    []string
	}{
		{name: "a serial", q: "w-<1>-1", status: http.StatusOK, url: "/manager/units/w-<1>-1",
			want: []string{`<span class="code" id="unit-serial">w-&lt;1&gt;-1</span>`, `<dd id="unit-customer">&lt;b&gt;Zoë&lt;/b&gt; Quist</dd>`,
				`data-state="live"`, `Dye the silk at cell <span class="code">dye-1</span>`, "Params: recipe 7 · temperature 55.",
				`yarn from lot <a class="code" href="/manager/trace?lot=Y%3C7%3E">Y&lt;7&gt;</a>`, "made lot",
				"start by Ana at", "complete by Ana at",
				`<li class="private"><strong>Private:</strong> a &lt;secret&gt; for the studio`,
				`<img src="/api/v1/photos/` + photo + `/thumbnail"`, `<strong>Private</strong>`,
				"Not issued yet", `<a id="unit-public-page" href="/u/w-%3C1%3E-1">`, "ring twice",
				`<a class="code" id="unit-order" href="/manager/units?order=w-%3C1%3E">w-&lt;1&gt;</a>`}},
		{name: "an order", q: "w-<1>", status: http.StatusOK, url: "/manager/units",
			want: []string{`<span class="code" id="order-id">w-&lt;1&gt;</span>`, `<span id="order-unit-count">2</span> units`,
				`<a class="code" href="/manager/units/w-%3C1%3E-2">w-&lt;1&gt;-2</a></th><td class="num">1</td><td class="num">2</td><td>live</td>`, "&lt;b&gt;Zoë&lt;/b&gt; Quist"}},
		{name: "an order with no unit", q: "w-2", status: http.StatusOK, url: "/manager/units", want: []string{`id="order-no-units"`}},
		{name: "a lot", q: "Y<7>", status: http.StatusOK, url: "/manager/trace",
			want: []string{`<h2 id="trace-title">Lot <span class="code">Y&lt;7&gt;</span></h2>`, `href="/manager/units/w-%3C1%3E-1"`}},
		{name: "a scanner's serial", q: "w-<1>-2", status: http.StatusOK, url: "/manager/units/w-<1>-2", want: []string{`id="unit-serial">w-&lt;1&gt;-2<`}},
		{name: "nothing", q: "<img src=x>", status: http.StatusNotFound, url: "/manager/find",
			want: []string{`Nothing found for “&lt;img src=x&gt;”`, `value="&lt;img src=x&gt;"`}},
		{name: "a control character", q: "w-\x1b1", status: http.StatusBadRequest, url: "/manager/find",
			want: []string{"Cannot search for that: find: the control character U&#43;001B at character 3."}},
		{name: "too long", q: strings.Repeat("x", 129), status: http.StatusBadRequest, url: "/manager/find",
			want: []string{"129 characters long, more than 128"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.get("/manager/find?q=" + url.QueryEscape(tc.q))
			if r.status != tc.status || r.url != tc.url {
				t.Fatalf("find %q: %d at %s, want %d at %s:\n%s", tc.q, r.status, r.url, tc.status, tc.url, r.body)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.body, want) {
					t.Errorf("find %q: the page lacks %s:\n%s", tc.q, want, r.body)
				}
			}
			if strings.Contains(r.body, "<img src=x>") || strings.Contains(r.body, "<b>Zoë") || strings.Contains(r.body, "\x1b") {
				t.Errorf("find %q: the page holds what it was given unescaped", tc.q)
			}
		})
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/manager/units/no%3Csuch%3E", http.StatusNotFound, "No unit has the serial “no&lt;such&gt;”."},
		{"/manager/units/a%0Ab", http.StatusBadRequest, "That is not a serial: serial: the control character U&#43;000A at character 2."},
		{"/manager/units?order=%3Cnone%3E", http.StatusNotFound, "There is no order “&lt;none&gt;”."},
		{"/manager/units", http.StatusBadRequest, "give a serial, an order id, a lot id or a repair id"},
	} {
		if r := b.get(tc.path); r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("GET %s: %d, want %d saying %s:\n%s", tc.path, r.status, tc.status, tc.want, r.body)
		}
	}
	// An operator reads a unit's genealogy too; the public does not.
	floor := s.browser(t)
	floor.signInPIN("dye-1", "ana", "1234")
	if r := floor.get("/manager/units/w-%3C1%3E-1"); r.status != http.StatusOK || !strings.Contains(r.body, "Quist") {
		t.Errorf("an operator's genealogy page: %d", r.status)
	}
	if r := floor.get("/manager/find?q=Y%3C7%3E"); r.status != http.StatusForbidden || r.url != "/manager/find" ||
		!strings.Contains(r.body, "“Y&lt;7&gt;” is a lot: only planners, managers and admins may trace lots.") {
		t.Errorf("an operator's search for a lot: %d at %s:\n%s", r.status, r.url, r.body)
	}
	if r := s.browser(t).get("/manager/units/w-%3C1%3E-1"); strings.Contains(r.body, "Quist") {
		t.Errorf("the genealogy page without sign-in shows the customer: %d", r.status)
	}
}
