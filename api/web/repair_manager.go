package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/photos"
	"github.com/cellforge/cellforge/configs"
)

// The studio's repairs on the manager's pages: the list by state with a search, a repair's
// page with what the counter does to it (receive the parcel, give the customer a new link,
// hand it back), counter intake, and the repair measures of the dashboard with their CSV.
// Reading needs any role, as the dashboard does; the forms need the permission the API asks
// for the same write. The forms are plain posts (sameOrigin, a SameSite=Strict cookie), so
// that they work from a scanner's Enter; each action is one transaction of the book that
// checks the repair's state, so a second tap is refused with what happened, not done twice.

// repairsPerPage is how many repairs a page of the list shows.
const repairsPerPage = 50

// repairRoutes registers the repair pages.
func (p *Pages) repairRoutes(e *echo.Echo) {
	e.GET("/manager/repairs", p.repairsList, p.signedIn)
	e.GET("/manager/repairs.csv", p.repairsCSV, p.signedIn)
	e.GET("/manager/repairs/measures", p.repairMeasures, p.signedIn)
	e.GET("/manager/repairs/new", p.repairNew, p.signedIn)
	e.GET("/manager/repairs/checklist", p.repairChecklist, p.signedIn)
	e.POST("/manager/repairs", p.repairOpen, p.signedIn, sameOrigin, smallForm, p.may(api.PermRepairs))
	e.GET("/manager/repairs/:id", p.repairPage, p.signedIn)
	e.GET("/manager/repairs/:id/photos/:name", p.repairPhoto, p.signedIn)
	e.POST("/manager/repairs/:id/receive", p.repairReceive, p.signedIn, sameOrigin, smallForm, p.may(api.PermRepairs))
	e.POST("/manager/repairs/:id/link", p.repairLink, p.signedIn, sameOrigin, smallForm, p.may(api.PermRepairs))
	e.POST("/manager/repairs/:id/return", p.repairReturn, p.signedIn, sameOrigin, smallForm, p.may(api.PermRepairs))
	e.POST("/manager/units/:serial/care-plans", p.carePlanAdd, p.signedIn, sameOrigin, smallForm, p.may(api.PermSellCare))
}

// repairURL is the address of a repair's staff page.
func repairURL(id string) string { return book.RepairPagePath + url.PathEscape(id) }

// openStates are the states of a repair the studio still has work or the item of, in the
// order the list shows them; the others are closed.
var openStates = []book.RepairState{book.RepairRequested, book.RepairReceived, book.RepairEstimated, book.RepairApproved, book.RepairReady}

// allStates are every state, open ones first.
var allStates = append(slices.Clone(openStates), book.RepairDeclined, book.RepairExpired, book.RepairReturned)

// repairTab is a state's tab on the list.
type repairTab struct {
	State   string
	Label   string
	Count   int
	Current bool
}

// repairsListPage is the list of repairs.
type repairsListPage struct {
	Tabs    []repairTab
	State   string
	Query   string
	Repairs []book.Repair
	Page    int
	// Prev and Next are the addresses of the pages around this one, empty at either end.
	Prev, Next string
	Total      int
	Currency   string
	NoRepairs  bool
}

// Promised is the date the studio promised a repair for: the chosen date of an approved
// estimate, nil before.
func (repairsListPage) Promised(r book.Repair) *time.Time { return promised(r) }

// StateLabel names a repair's state.
func (repairsListPage) StateLabel(s book.RepairState) string { return stateLabel(s) }

func promised(r book.Repair) *time.Time {
	if r.Decision == nil || !r.Decision.Approve || r.Estimate == nil {
		return nil
	}
	if r.Decision.Express && r.Estimate.Express != nil {
		return r.Estimate.Express
	}
	return &r.Estimate.Standard
}

// matches reports whether a repair matches a search: its id, serial, item, customer or
// contact holding q, in any case.
func matches(r book.Repair, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	for _, s := range []string{r.ID, r.Serial, r.Item, r.Customer, r.Contact} {
		if strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// repairsList serves /manager/repairs?state=&q=&page=: the repairs of a state (the open ones
// by default), newest first, with the count of each state, a page at a time.
func (p *Pages) repairsList(c echo.Context) error {
	a := p.factory().Aftercare
	page := repairsListPage{State: c.QueryParam("state"), Query: strings.TrimSpace(c.QueryParam("q")), Page: 1}
	if a == nil {
		page.NoRepairs = true
		return p.render(c, http.StatusOK, "repairs", p.view(c, "Repairs", page))
	}
	page.Currency = a.Currency
	if page.State == "" {
		page.State = "open"
	}
	if page.State != "open" && page.State != "all" && !slices.Contains(allStates, book.RepairState(page.State)) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("state: %q is not a state of a repair (open, all, %s)", page.State, joinStates(allStates)))
	}
	if len(page.Query) > book.MaxFind {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("q: %d characters long, more than %d", len(page.Query), book.MaxFind))
	}
	if s := c.QueryParam("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("page: %q is not a page number (1, 2, ...)", s))
		}
		page.Page = n
	}
	all, err := p.book.Repairs(c.Request().Context(), book.RepairFilter{})
	if err != nil {
		return err
	}
	counts := map[book.RepairState]int{}
	var chosen []book.Repair
	open := 0
	for _, r := range all {
		if !matches(r, page.Query) {
			continue
		}
		counts[r.State]++
		if slices.Contains(openStates, r.State) {
			open++
		}
		if page.State == "all" || page.State == string(r.State) || page.State == "open" && slices.Contains(openStates, r.State) {
			chosen = append(chosen, r)
		}
	}
	page.Tabs = append(page.Tabs, repairTab{State: "open", Label: "Open", Count: open})
	for _, s := range allStates {
		page.Tabs = append(page.Tabs, repairTab{State: string(s), Label: stateLabel(s), Count: counts[s]})
	}
	page.Tabs = append(page.Tabs, repairTab{State: "all", Label: "All", Count: len(all)})
	for i := range page.Tabs {
		page.Tabs[i].Current = page.Tabs[i].State == page.State
	}
	// Open repairs by where they stand (the earliest state first), then newest first.
	slices.SortStableFunc(chosen, func(x, y book.Repair) int {
		if d := slices.Index(allStates, x.State) - slices.Index(allStates, y.State); d != 0 && page.State == "open" {
			return d
		}
		return int(y.Seq - x.Seq)
	})
	page.Total = len(chosen)
	from := (page.Page - 1) * repairsPerPage
	if from > len(chosen) {
		from = len(chosen)
	}
	page.Repairs = chosen[from:min(from+repairsPerPage, len(chosen))]
	link := func(n int) string {
		v := url.Values{"state": {page.State}, "page": {strconv.Itoa(n)}}
		if page.Query != "" {
			v.Set("q", page.Query)
		}
		return "/manager/repairs?" + v.Encode()
	}
	if page.Page > 1 {
		page.Prev = link(page.Page - 1)
	}
	if from+repairsPerPage < len(chosen) {
		page.Next = link(page.Page + 1)
	}
	return p.render(c, http.StatusOK, "repairs", p.view(c, "Repairs", page))
}

func joinStates(ss []book.RepairState) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// stateLabel is a repair state as the pages name it.
func stateLabel(s book.RepairState) string {
	switch s {
	case book.RepairRequested:
		return "Requested"
	case book.RepairReceived:
		return "Received"
	case book.RepairEstimated:
		return "Estimate sent"
	case book.RepairApproved:
		return "Approved"
	case book.RepairDeclined:
		return "Declined"
	case book.RepairExpired:
		return "Estimate expired"
	case book.RepairReady:
		return "Ready"
	case book.RepairReturned:
		return "Returned"
	}
	return string(s)
}

// repairDetail is a repair's staff page.
type repairDetail struct {
	Repair   book.Repair
	KindName string
	// Checklist is the kind's checklist with the answers, in the kind's order.
	Checklist []checklistAnswer
	// Diagnosis and Work are the repair's work orders with their operations; nil until made.
	Diagnosis, Work *book.WorkOrderDetail
	Services        []string
	Currency        string
	// NewLink is the customer's link made by this request: shown once.
	NewLink string
	// Problem says why an action was refused; Done what an action did.
	Problem, Done string
	// CanAct says whether the person may act on the repair (PermRepairs).
	CanAct bool
}

// checklistAnswer is a checklist item and its answer.
type checklistAnswer struct {
	Label, Answer string
	Box           bool
}

// Promised is the date the studio promised the repair for, nil before approval.
func (d repairDetail) Promised() *time.Time { return promised(d.Repair) }

// Can reports whether the repair's state allows an action of the page.
func (d repairDetail) Can(action string) bool {
	switch action {
	case "receive":
		return d.Repair.State == book.RepairRequested
	case "return":
		return slices.Contains([]book.RepairState{book.RepairReady, book.RepairDeclined, book.RepairExpired}, d.Repair.State)
	case "link":
		return d.Repair.State != book.RepairReturned
	}
	return false
}

// StateLabel names the repair's state.
func (d repairDetail) StateLabel() string { return stateLabel(d.Repair.State) }

// repairDetailOf reads what a repair's page shows; an error wrapping book.ErrNotFound when
// the book holds no repair of that id.
func (p *Pages) repairDetailOf(ctx context.Context, c echo.Context, id string) (repairDetail, error) {
	r, err := p.book.Repair(ctx, id)
	if err != nil {
		return repairDetail{}, err
	}
	d := repairDetail{Repair: r}
	pr, _ := who(c)
	d.CanAct = api.Allowed(pr.Role, api.PermRepairs)
	if a := p.factory().Aftercare; a != nil {
		d.Currency = a.Currency
		if k, ok := a.Kind(r.Kind); ok {
			d.KindName = k.Name
			for _, item := range k.Checklist {
				if ans, ok := r.Checklist[item.ID]; ok {
					d.Checklist = append(d.Checklist, checklistAnswer{Label: item.Label, Answer: ans, Box: item.Input != configs.CheckText})
				}
			}
		}
		if r.Diagnosis != nil {
			for _, s := range r.Diagnosis.Services {
				name := s
				if svc, ok := a.Service(s); ok {
					name = svc.Name
				}
				d.Services = append(d.Services, name)
			}
		}
	}
	for _, wo := range []struct {
		id   int64
		into **book.WorkOrderDetail
	}{{r.DiagnosisWorkOrder, &d.Diagnosis}, {r.WorkOrder, &d.Work}} {
		if wo.id == 0 {
			continue
		}
		w, err := p.book.WorkOrder(ctx, wo.id)
		if err != nil {
			return repairDetail{}, fmt.Errorf("reading work order %d of repair %s: %w", wo.id, r.ID, err)
		}
		*wo.into = &w
	}
	return d, nil
}

// repairPage serves /manager/repairs/{id}.
func (p *Pages) repairPage(c echo.Context) error {
	return p.showRepair(c, http.StatusOK, c.Param("id"), func(*repairDetail) {})
}

// showRepair renders repair id's page with status, after set changes what it says.
func (p *Pages) showRepair(c echo.Context, status int, id string, set func(*repairDetail)) error {
	d, err := p.repairDetailOf(c.Request().Context(), c, id)
	if errors.Is(err, book.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no repair “"+id+"”.")
	}
	if err != nil {
		return err
	}
	set(&d)
	return p.render(c, status, "repair", p.view(c, "Repair "+d.Repair.ID, d))
}

// repairAction answers a form's action on repair id: back to the repair's page when done, or
// the page with why it was refused.
func (p *Pages) repairAction(c echo.Context, id string, err error, done string) error {
	status, problem := actionProblem(err)
	if status == 0 {
		return err
	}
	if problem == "" {
		return p.showRepair(c, http.StatusOK, id, func(d *repairDetail) { d.Done = done })
	}
	return p.showRepair(c, status, id, func(d *repairDetail) { d.Problem = problem })
}

// actionProblem maps an action's error to its status and what the page says: 200 and ""
// for none, 0 for an error that is not the request's doing.
func actionProblem(err error) (int, string) {
	var fe *book.FieldError
	switch {
	case err == nil:
		return http.StatusOK, ""
	case errors.As(err, &fe):
		return http.StatusUnprocessableEntity, fe.Error()
	case errors.Is(err, book.ErrRepairState), errors.Is(err, book.ErrDecided):
		return http.StatusConflict, err.Error()
	case errors.Is(err, book.ErrEstimateExpired):
		return http.StatusGone, err.Error()
	case errors.Is(err, book.ErrUnknownUnit), errors.Is(err, book.ErrNoAftercare):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, book.ErrInvalid):
		return http.StatusUnprocessableEntity, strings.TrimPrefix(err.Error(), book.ErrInvalid.Error()+": ")
	}
	return 0, ""
}

func actor(c echo.Context) book.Actor {
	pr, _ := who(c)
	return book.Actor(pr.ID)
}

// repairReceive records that a requested repair's parcel arrived.
func (p *Pages) repairReceive(c echo.Context) error {
	id := c.Param("id")
	if _, err := p.book.Repair(c.Request().Context(), id); errors.Is(err, book.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no repair “"+id+"”.")
	}
	_, err := p.book.ReceiveRepair(c.Request().Context(), id, actor(c))
	return p.repairAction(c, id, err, "Received: the diagnosis is queued at the repair corner.")
}

// repairReturn records that a repair was handed back or sent.
func (p *Pages) repairReturn(c echo.Context) error {
	id := c.Param("id")
	if _, err := p.book.Repair(c.Request().Context(), id); errors.Is(err, book.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no repair “"+id+"”.")
	}
	_, err := p.book.ReturnRepair(c.Request().Context(), id, actor(c))
	return p.repairAction(c, id, err, "Returned to the customer.")
}

// repairLink makes the repair's customer a new link and shows it, once.
func (p *Pages) repairLink(c echo.Context) error {
	id := c.Param("id")
	d, err := p.repairDetailOf(c.Request().Context(), c, id)
	if errors.Is(err, book.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no repair “"+id+"”.")
	}
	if err != nil {
		return err
	}
	if !d.Can("link") {
		return p.showRepair(c, http.StatusConflict, id, func(d *repairDetail) {
			d.Problem = fmt.Sprintf("repair %s is %s: it was handed back, and its customer needs no new link", id, d.Repair.State)
		})
	}
	link, err := p.book.NewRepairLink(c.Request().Context(), id, actor(c))
	if status, problem := actionProblem(err); status == 0 {
		return err
	} else if problem != "" {
		return p.showRepair(c, status, id, func(d *repairDetail) { d.Problem = problem })
	}
	return p.showRepair(c, http.StatusOK, id, func(d *repairDetail) { d.NewLink = p.customerLink(c, link) })
}

// customerLink is the address of a customer's repair page, on the host the request named.
func (p *Pages) customerLink(c echo.Context, link string) string {
	scheme := "http"
	if api.ClientOf(c.Request()).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host + "/r/" + link
}

// intakeForm is the counter intake form and what was typed into it.
type intakeForm struct {
	Serial, Item, Kind, Customer, Contact, Description string
	Checklist                                          map[string]string
	Kinds                                              []configs.ItemKind
	// Items are the checklist of the kind known (from the kind, or the unit's).
	Items   []configs.CheckItem
	Problem string
	// Field is the field the problem is with.
	Field     string
	NoRepairs bool
}

// repairNew serves the counter intake form.
func (p *Pages) repairNew(c echo.Context) error {
	f := intakeForm{Serial: c.QueryParam("serial")}
	return p.renderIntake(c, http.StatusOK, f)
}

func (p *Pages) renderIntake(c echo.Context, status int, f intakeForm) error {
	if a := p.factory().Aftercare; a == nil {
		f.NoRepairs = true
	} else {
		f.Kinds = a.Kinds
		f.Items = p.checklistOf(c.Request().Context(), f.Serial, f.Kind)
	}
	return p.render(c, status, "repair_new", p.view(c, "New repair", f))
}

// checklistOf returns the checklist of the kind of the unit serial, or else of kind; none
// when neither names a kind.
func (p *Pages) checklistOf(ctx context.Context, serial, kind string) []configs.CheckItem {
	a := p.factory().Aftercare
	if a == nil {
		return nil
	}
	if serial = strings.TrimSpace(serial); serial != "" && book.CheckFind("serial", serial) == nil {
		if u, err := p.book.Unit(ctx, serial); err == nil {
			if k, ok := a.KindOf(u.SKU); ok {
				return k.Checklist
			}
		}
		return nil
	}
	if k, ok := a.Kind(kind); ok {
		return k.Checklist
	}
	return nil
}

// repairChecklist serves the checklist part of the intake form for the serial or kind typed
// (htmx fetches it when either changes), with the answers already given to the items it
// still has, so that fetching it again loses no tick.
func (p *Pages) repairChecklist(c echo.Context) error {
	f := intakeForm{
		Items:     p.checklistOf(c.Request().Context(), c.QueryParam("serial"), c.QueryParam("kind")),
		Checklist: checklistAnswers(c.QueryParams()),
	}
	return p.render(c, http.StatusOK, "repair_checklist", f)
}

// checklistAnswers are the answers of form's checklist fields (checklist.ID), by item id.
func checklistAnswers(form url.Values) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		if id, ok := strings.CutPrefix(k, "checklist."); ok && len(v) > 0 {
			out[id] = v[0]
		}
	}
	return out
}

// repairOpen takes a repair in at the counter and shows its page with the customer's link,
// once; a problem shows the form again with what was typed and why.
func (p *Pages) repairOpen(c echo.Context) error {
	r := c.Request()
	f := intakeForm{
		Serial: strings.TrimSpace(r.PostFormValue("serial")), Item: r.PostFormValue("item"), Kind: r.PostFormValue("kind"),
		Customer: r.PostFormValue("customer"), Contact: r.PostFormValue("contact"), Description: r.PostFormValue("description"),
	}
	f.Checklist = checklistAnswers(r.PostForm) // parsed by PostFormValue above
	if f.Serial != "" {
		f.Item = "" // a scanned serial names the item; a kind chosen before is the unit's
	}
	kind := f.Kind
	if f.Serial != "" {
		kind = ""
	}
	rep, link, err := p.book.OpenRepair(r.Context(), book.RepairIntake{
		Source: book.SourceCounter, Serial: f.Serial, Item: f.Item, Kind: kind, Customer: f.Customer,
		Contact: f.Contact, Description: f.Description, Checklist: f.Checklist, Actor: actor(c),
	})
	if err != nil {
		status, problem := actionProblem(err)
		if status == 0 {
			return err
		}
		var fe *book.FieldError
		if errors.As(err, &fe) {
			f.Field = fe.Field
		} else if errors.Is(err, book.ErrUnknownUnit) {
			f.Field, problem = "serial", "serial: no unit has the serial “"+f.Serial+"”"
		}
		f.Problem = problem
		return p.renderIntake(c, status, f)
	}
	c.Response().Header().Set("Location", repairURL(rep.ID))
	return p.showRepair(c, http.StatusCreated, rep.ID, func(d *repairDetail) {
		d.NewLink = p.customerLink(c, link)
		d.Done = "Taken in: the diagnosis is queued at the repair corner."
	})
}

// carePlanAdd adds a care plan to a unit, or to the customer of its order, from its
// genealogy page, and goes back to it.
func (p *Pages) carePlanAdd(c echo.Context) error {
	serial := c.Param("serial")
	r := c.Request()
	h := book.CarePlanHolding{Plan: r.PostFormValue("plan"), Actor: actor(c)}
	var problem string
	if s := r.PostFormValue("start"); s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, p.loc)
		if err != nil {
			problem = fmt.Sprintf("start: %q is not a date (2006-01-02)", s)
		}
		h.Start = t
	}
	g, err := p.book.Genealogy(r.Context(), serial)
	switch {
	case errors.Is(err, book.ErrUnknownUnit):
		return echo.NewHTTPError(http.StatusNotFound, "No unit has the serial “"+serial+"”.")
	case errors.Is(err, book.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, "That is not a serial: "+strings.TrimPrefix(err.Error(), book.ErrInvalid.Error()+": ")+".")
	case err != nil:
		return err
	}
	switch r.PostFormValue("holder") {
	case "unit":
		h.Serial = serial
	case "customer":
		h.Customer = g.Order.Customer
	default:
		problem = fmt.Sprintf("holder: %q is neither the unit nor its customer", r.PostFormValue("holder"))
	}
	status := http.StatusUnprocessableEntity
	if problem == "" {
		_, err = p.book.AddCarePlan(r.Context(), h)
		if status, problem = actionProblem(err); status == 0 {
			return err
		}
	}
	if problem == "" {
		return c.Redirect(http.StatusSeeOther, unitURL(serial)+"#care-plans")
	}
	return p.showGenealogy(c, status, g, problem)
}

// repairCSVHeader is the header of the repairs' CSV.
var repairCSVHeader = []string{"repair", "serial", "item", "kind", "customer", "source", "state", "intake_at", "received_at",
	"estimated_at", "decision", "decided_at", "ready_at", "returned_at", "currency", "total", "turnaround_seconds"}

// repairsCSV serves /manager/repairs.csv?from=&to=: one row per repair taken in within
// [from, to) (dates, the last 30 days by default), with its dates, its state now, the total
// approved (empty unless approved) and its turnaround from intake to ready in seconds (empty
// until ready).
func (p *Pages) repairsCSV(c echo.Context) error {
	from, to, err := p.window(c, 30)
	if err != nil {
		return err
	}
	all, err := p.book.Repairs(c.Request().Context(), book.RepairFilter{})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="repairs-%s-%s.csv"`, from.In(p.loc).Format("2006-01-02"), to.In(p.loc).Format("2006-01-02")))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(repairCSVHeader); err != nil {
		return err
	}
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	currency := ""
	if a := p.factory().Aftercare; a != nil {
		currency = a.Currency
	}
	for _, r := range all {
		if r.IntakeAt.Before(from) || !r.IntakeAt.Before(to) {
			continue
		}
		var estimated, decided *time.Time
		decision, total, turnaround := "", "", ""
		if r.Estimate != nil {
			estimated = &r.Estimate.At
		}
		if d := r.Decision; d != nil {
			decision, decided = d.String(), &d.At
			if d.Approve && r.Estimate != nil {
				total = r.Estimate.Total(d.Express).String()
			}
		}
		if r.ReadyAt != nil {
			turnaround = seconds(r.ReadyAt.Sub(r.IntakeAt))
		}
		intake := r.IntakeAt
		if err := w.Write([]string{r.ID, r.Serial, r.Item, r.Kind, r.Customer, string(r.Source), string(r.State), at(&intake),
			at(r.ReceivedAt), at(estimated), decision, at(decided), at(r.ReadyAt), at(r.ReturnedAt), currency, total, turnaround}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// window reads from= and to= (dates, to inclusive) of a request; the last days days to now
// when both are left out.
func (p *Pages) window(c echo.Context, days int) (time.Time, time.Time, error) {
	now := p.cfg.Now()
	fs, ts := c.QueryParam("from"), c.QueryParam("to")
	if fs == "" && ts == "" {
		return now.AddDate(0, 0, -days), now, nil
	}
	parse := func(field, s string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", s, p.loc)
		if err != nil {
			return time.Time{}, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s: %q is not a date (2006-01-02)", field, s))
		}
		return t, nil
	}
	from, err := parse("from", fs)
	if err != nil {
		return from, from, err
	}
	to, err := parse("to", ts)
	if err != nil {
		return from, to, err
	}
	to = to.AddDate(0, 0, 1)
	if !from.Before(to) {
		return from, to, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("from: %s is after to %s", fs, ts))
	}
	return from, to, nil
}

// measuresPart is the repair measures of the dashboard.
type measuresPart struct {
	book.RepairMeasures
	Days      int
	Currency  string
	NoRepairs bool
	States    []repairTab
}

// Percent shows a ratio as a percentage.
func (measuresPart) Percent(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + " %" }

// repairMeasures serves the dashboard's repair measures over the last 7 days, or 30
// (days=30).
func (p *Pages) repairMeasures(c echo.Context) error {
	m := measuresPart{Days: 7}
	switch c.QueryParam("days") {
	case "", "7":
	case "30":
		m.Days = 30
	default:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("days: %q is neither 7 nor 30", c.QueryParam("days")))
	}
	a := p.factory().Aftercare
	if a == nil {
		m.NoRepairs = true
		return p.render(c, http.StatusOK, "repair_measures", m)
	}
	m.Currency = a.Currency
	now := p.cfg.Now()
	var err error
	if m.RepairMeasures, err = p.book.RepairMeasures(c.Request().Context(), now.AddDate(0, 0, -m.Days), now); err != nil {
		return err
	}
	for _, s := range allStates {
		m.States = append(m.States, repairTab{State: string(s), Label: stateLabel(s), Count: m.RepairMeasures.States[s]})
	}
	return p.render(c, http.StatusOK, "repair_measures", m)
}

// unitCare is what a unit's genealogy shows of its repairs and care plans: nothing when the
// studio takes no repairs.
type unitCare struct {
	Aftercare bool
	Repairs   []book.Repair
	// CarePlans are the holdings of the unit and of its order's customer, with what each
	// still covers now.
	CarePlans []book.CarePlanStanding
	Plans     []configs.CarePlan
	// CanSell says whether the person may add a care plan; CareProblem why adding one failed.
	CanSell     bool
	CareProblem string
	Today       string
	names       map[string]string
}

// RepairURL is the address of a repair's staff page.
func (unitCare) RepairURL(id string) string { return repairURL(id) }

// StateLabel names a repair's state.
func (unitCare) StateLabel(s book.RepairState) string { return stateLabel(s) }

// ServiceName is the name of a service.
func (u unitCare) ServiceName(id string) string {
	if n, ok := u.names[id]; ok {
		return n
	}
	return id
}

// PlanName is the name of a care plan.
func (u unitCare) PlanName(id string) string {
	for _, p := range u.Plans {
		if p.ID == id {
			return p.Name
		}
	}
	return id
}

// unitCareOf reads the repairs and care plans of the unit of g.
func (p *Pages) unitCareOf(c echo.Context, g book.Genealogy, problem string) (unitCare, error) {
	a := p.factory().Aftercare
	if a == nil {
		return unitCare{}, nil
	}
	ctx := c.Request().Context()
	pr, _ := who(c)
	u := unitCare{Aftercare: true, Plans: a.CarePlans, CanSell: api.Allowed(pr.Role, api.PermSellCare), CareProblem: problem,
		Today: p.cfg.Now().In(p.loc).Format("2006-01-02"), names: map[string]string{}}
	for _, s := range a.Services {
		u.names[s.ID] = s.Name
	}
	var err error
	if u.Repairs, err = p.book.UnitRepairs(ctx, g.Unit.Serial); err != nil {
		return unitCare{}, fmt.Errorf("reading the repairs of unit %s: %w", g.Unit.Serial, err)
	}
	if u.CarePlans, err = p.book.CarePlans(ctx, g.Unit.Serial, g.Order.Customer, p.cfg.Now()); err != nil {
		return unitCare{}, fmt.Errorf("reading the care plans of unit %s: %w", g.Unit.Serial, err)
	}
	return u, nil
}

// PhotoURL is the address of a customer's photo of the repair ({sha256}.{ext}), or of its
// thumbnail.
func (d repairDetail) PhotoURL(ph book.RepairPhoto, thumb bool) string {
	name := ph.Hash + photos.Ext(ph.MediaType)
	if thumb {
		name = ph.Hash + ".thumb.jpg"
	}
	return repairURL(d.Repair.ID) + "/photos/" + name
}

// repairPhoto serves a customer's photo of a repair, or its thumbnail: {sha256}.{ext} or
// {sha256}.thumb.jpg. A photo the repair does not name is not found, whatever the store
// holds. (The API's photo routes serve the makers' photos of operations only.)
func (p *Pages) repairPhoto(c echo.Context) error {
	id, name := c.Param("id"), c.Param("name")
	r, err := p.book.Repair(c.Request().Context(), id)
	if errors.Is(err, book.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no repair “"+id+"”.")
	}
	if err != nil {
		return err
	}
	f, mediaType, found, err := p.openNamedPhoto(name, r.PhotoType)
	if err != nil {
		return fmt.Errorf("repair %s: %w", id, err)
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("Repair %s has no photo %q.", id, name))
	}
	defer f.Close()
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Stream(http.StatusOK, mediaType, f)
}
