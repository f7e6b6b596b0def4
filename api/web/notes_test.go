package web

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestTabletListsTheMakersNotesAndPhotos adds notes (one private) and a photo to the job in
// hand through the API, as the tablet's script does, and reads them back on its live part, by
// their authors' names, escaped; a person who may only look is offered no Add buttons.
func TestTabletListsTheMakersNotesAndPhotos(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity\nw-1,SCARF,2\n")
	ana := s.browser(t)
	ana.signInPIN("dye-1", "ana", "1234")
	live := ana.get("/tablet/dye-1/live")
	if !strings.Contains(live.body, `class="empty-makers"`) {
		t.Errorf("a job without notes does not say so:\n%s", live.body)
	}
	op := attr(t, live.body, "article", "data-op")
	for i, body := range []string{
		`{"text":"Warp re-tensioned"}`,
		`{"text":"<b>gift</b> for the customer's aunt","unit":2,"private":true}`,
	} {
		if r := ana.post("/api/v1/operations/"+op+"/notes", body, "note-"+strconv.Itoa(i), false); r.status != 201 {
			t.Fatalf("note %d: %d %s", i, r.status, r.body)
		}
	}
	id, _ := strconv.ParseInt(op, 10, 64)
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	if _, _, err := s.book.AddPhoto(context.Background(), book.PhotoRequest{Operation: id, Hash: hash, MediaType: "image/jpeg",
		Width: 4, Height: 3, Caption: "the selvedge", Actor: "person:ana"}); err != nil {
		t.Fatal(err)
	}

	live = ana.get("/tablet/dye-1/live")
	for _, want := range []string{
		`Warp re-tensioned`,
		`&lt;b&gt;gift&lt;/b&gt; for the customer&#39;s aunt`,
		`<img src="/api/v1/photos/` + hash + `/thumbnail" alt="the selvedge"`,
	} {
		if !strings.Contains(live.body, want) {
			t.Errorf("the live part lacks %s:\n%s", want, live.body)
		}
	}
	notes := regexp.MustCompile(`(?s)<li data-note="\d+"( class="private")?>.*?</li>`).FindAllStringSubmatch(live.body, -1)
	if len(notes) != 2 || notes[0][1] != "" || notes[1][1] == "" || !strings.Contains(notes[1][0], "unit 2") ||
		!strings.Contains(notes[1][0], ">private<") || !strings.Contains(notes[0][0], "Ana ·") {
		t.Errorf("notes listed: %q; want the public one, then the private one on unit 2, by Ana", notes)
	}
	for _, action := range []string{"note", "photo"} {
		if !regexp.MustCompile(`data-action="` + action + `"\s*>`).MatchString(live.body) {
			t.Errorf("an operator is not offered %s", action)
		}
	}

	pia := s.browser(t)
	pia.signIn("pia", "weft-and-warp")
	look := pia.get("/tablet/dye-1/live")
	for _, action := range []string{"note", "photo"} {
		if !regexp.MustCompile(`data-action="` + action + `" disabled`).MatchString(look.body) {
			t.Errorf("a planner is offered %s", action)
		}
	}
}

// TestTabletTellsTheOrdersNotesFromTheMakers shows the notes that came with an order, under a
// heading of their own, apart from the makers' notes and photos: they are the customer's or
// the shop's words, not a maker's.
func TestTabletTellsTheOrdersNotesFromTheMakers(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,notes\nw-1,SCARF,2,gift wrap please\n")
	ana := s.browser(t)
	ana.signInPIN("dye-1", "ana", "1234")
	live := ana.get("/tablet/dye-1/live")
	got := regexp.MustCompile(`<div class="notes"><h3>([^<]*)</h3><p>([^<]*)</p></div>`).FindStringSubmatch(live.body)
	if got == nil || got[1] != "Order notes" || got[2] != "gift wrap please" {
		t.Errorf("the order's notes are shown as %q; want them under \"Order notes\":\n%s", got, live.body)
	}
	if strings.Contains(live.body, "Maker notes") {
		t.Errorf("the order's notes are called the makers':\n%s", live.body)
	}
}
