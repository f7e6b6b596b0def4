package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web/i18n"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// queueShown is how many queued jobs a tablet lists after the current one.
const queueShown = 50

func (p *Pages) tabletCells(c echo.Context) error {
	tiles, err := p.tiles(c.Request().Context())
	if err != nil {
		return err
	}
	if _, ok := p.session(c); !ok {
		// Anyone may pick a cell; what it works on and why it is down are for those signed in.
		for i := range tiles {
			tiles[i].Outage, tiles[i].Job, tiles[i].Queued = nil, nil, 0
		}
	}
	return p.render(c, http.StatusOK, "tablet_cells", p.view(c, p.lang(c).T("Pick your cell"), struct {
		Cells []cellTile
		Error string
	}{tiles, c.QueryParam("error")}))
}

// tabletGo opens the cell a scanner (or a person) typed.
func (p *Pages) tabletGo(c echo.Context) error {
	code := strings.TrimSpace(c.QueryParam("cell"))
	for _, cl := range p.factory().Cells {
		if strings.EqualFold(cl.ID, code) {
			return c.Redirect(http.StatusSeeOther, "/tablet/"+cl.ID)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/tablet?error="+urlQuery(p.lang(c).T("No cell %q here: scan again or pick it below.", code)))
}

// pinPerson is a person who may sign in with a PIN.
type pinPerson struct{ ID, Name, Role string }

// pinPage is the PIN screen of a cell.
type pinPage struct {
	Cell   configs.Cell
	People []pinPerson
	Person string
	Error  string
}

func (p *Pages) pinPeople() []pinPerson {
	var out []pinPerson
	for _, pr := range p.factory().People {
		if pr.PIN != "" || pr.PINHash != "" {
			out = append(out, pinPerson{ID: pr.ID, Name: pr.Name, Role: pr.Role})
		}
	}
	return out
}

func (p *Pages) cellParam(c echo.Context) (configs.Cell, error) {
	cl, ok := p.factory().Cell(c.Param("cell"))
	if !ok {
		return cl, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no cell %q in this factory.", c.Param("cell")))
	}
	return cl, nil
}

func (p *Pages) tablet(c echo.Context) error {
	cl, err := p.cellParam(c)
	if err != nil {
		return err
	}
	if _, ok, err := p.checkSession(c); err != nil {
		return err
	} else if !ok {
		return p.render(c, http.StatusOK, "tablet_pin", p.view(c, p.lang(c).T("%s: sign in", cl.Name), pinPage{Cell: cl, People: p.pinPeople()}))
	}
	live, err := p.tabletState(c, cl)
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "tablet", p.view(c, cl.Name, tabletPage{
		Cell: cl, Live: live, Reasons: p.factory().Reasons, Intake: p.takesRepairs(cl),
	}))
}

func (p *Pages) tabletSignIn(c echo.Context) error {
	cl, err := p.cellParam(c)
	if err != nil {
		return err
	}
	r := c.Request()
	person := r.PostFormValue("person")
	s, err := p.cfg.Auth.SignIn(r.Context(), api.SignInRequest{Person: person, PIN: r.PostFormValue("pin"), Client: c.RealIP()})
	if err != nil {
		page := pinPage{Cell: cl, People: p.pinPeople(), Person: person}
		if page.Error, err = signInError(p.lang(c), err); err != nil {
			return err
		}
		if person == "" {
			page.Error = p.lang(c).T("Tap your name first, then enter your PIN.")
		}
		return p.render(c, http.StatusUnauthorized, "tablet_pin", p.view(c, p.lang(c).T("%s: sign in", cl.Name), page))
	}
	p.setSession(c, s)
	return c.Redirect(http.StatusSeeOther, "/tablet/"+cl.ID)
}

// tabletPage is a cell's tablet page.
type tabletPage struct {
	Cell    configs.Cell
	Live    tabletLive
	Reasons configs.Reasons
	// Intake is true at a cell that diagnoses repairs: its tablet takes in repairs at the
	// counter too.
	Intake bool
}

// takesRepairs reports whether cell c offers the capability of the studio's repair diagnosis.
func (p *Pages) takesRepairs(c configs.Cell) bool {
	a := p.factory().Aftercare
	return a != nil && slices.Contains(c.Capabilities, a.Diagnosis.Capability)
}

// tabletLive is the part of the tablet page the live updates replace.
type tabletLive struct {
	Cell    string
	Machine machineView
	Current *job
	Queue   []job
	More    int
	// Label is the operation whose last label can be printed again, 0 when none.
	Label  int64
	Labels bool // the cell holds a label printer
	// Operate says whether the person signed in may act on operations (a planner may look).
	Operate bool
	// Planning says that the first plan is being made: the queue is in the book's own order.
	Planning bool
	// Outage is why the cell is out of service, nil while it is in service.
	Outage *outageView
	// Stops is the question about the cell's stops awaiting a reason, for those who may give
	// one.
	Stops stopPrompt
	// NCs are the cell's open non-conformances, shown until decided; MayAccept says whether
	// the person may accept one (managers and admins).
	NCs       []book.NonConformance
	MayAccept bool
	// IdleLeft is how long the session lasts if its person does nothing more, in
	// milliseconds; 0 when it does not end that way.
	IdleLeft int64
	At       time.Time
}

// job is a queue entry as the floor reads it.
type job struct {
	book.QueueEntry
	Product      string
	Step         string
	Params       []param
	Instructions string
	Notes        string
	DropName     string
	Customer     string
	// Units are the live units of the job's work order, for the current job only; nil
	// before any is counted.
	Units *unitsView
	// ReasonLabel is the label of the reason of the job's last pause or scrap, or the reason
	// itself when it is no reason of the factory's lists (a fault's).
	ReasonLabel string
	// Said and Pictures are the makers' notes and photos of the current job's work order, of
	// every operation of it, by time; nil for the jobs after it.
	Said     []makerNote
	Pictures []book.Photo
	// Lots, for the current job of a step that consumes materials or makes a lot, are the lot
	// it made, those it consumed and the materials whose lots it lacks; nil otherwise.
	Lots *book.OperationLots
	// Repair, for the current job when it is a repair's diagnosis or a step of its work, is
	// that repair; nil otherwise.
	Repair *repairJob
	// Checks are the quality checklist of the current job's step, answered before it
	// completes; nil for the jobs after it and for a step without one.
	Checks []configs.Check
}

// makerNote is a maker's note as the tablet shows it: with its author's name.
type makerNote struct {
	book.Note
	By string
}

// param is a step's machine parameter: its key in the routing, its value as the floor reads it.
type param struct{ Key, Value string }

// CanNote says whether the person signed in may add notes and photos to the current job.
func (l tabletLive) CanNote() bool { return l.Operate && l.Current != nil }

// CanStart says whether the start button applies to the current job, for the person signed in.
func (l tabletLive) CanStart() bool { return l.is(book.Queued) && l.Machine.Down == "" }

// CanPause, CanResume, CanComplete, CanScrap, CanReport, CanClear and CanReprint say whether
// those buttons apply.
func (l tabletLive) CanPause() bool    { return l.is(book.Running) }
func (l tabletLive) CanResume() bool   { return l.is(book.Paused) && l.Machine.Down == "" }
func (l tabletLive) CanComplete() bool { return l.is(book.Running) }
func (l tabletLive) CanScrap() bool    { return l.Operate && l.Current != nil }
func (l tabletLive) CanReport() bool   { return l.Operate && l.Machine.Down == "" && l.Outage == nil }
func (l tabletLive) CanClear() bool    { return l.Operate && l.Outage != nil && l.Outage.Clearable }
func (l tabletLive) CanReprint() bool  { return l.Operate && l.Labels && l.Label != 0 }

// CanDiagnose says whether the Diagnose button applies: the current job is a repair's
// diagnosis, running, and its repair waits for it.
func (l tabletLive) CanDiagnose() bool {
	return l.is(book.Running) && l.Diagnosis() && l.Current.Repair.State == book.RepairReceived
}

// Diagnosis says whether the current job is a repair's diagnosis, which its Diagnose button
// completes; a step of a repair's approved work completes as any job.
func (l tabletLive) Diagnosis() bool {
	return l.Current != nil && l.Current.Repair != nil && l.Current.Repair.DiagnosisWorkOrder == l.Current.WorkOrder
}

// CanRecordLots says whether the button recording the lots of the current job applies: it
// runs or is paused, and its step consumes materials.
func (l tabletLive) CanRecordLots() bool {
	return (l.is(book.Running) || l.is(book.Paused)) && l.Current.Lots != nil && len(l.Current.Lots.Materials) > 0
}

// MachineOnCurrent reports whether the cell's machine is running the current job: what it
// reads (a set point, the hold left) belongs to that job, not to the next one.
func (l tabletLive) MachineOnCurrent() bool {
	return l.Current != nil && l.Machine.Operation != 0 && l.Machine.Operation == l.Current.ID
}

// is reports whether the person may act and the current job is in state s.
func (l tabletLive) is(s book.State) bool {
	return l.Operate && l.Current != nil && l.Current.State == s
}

// Open is the number of units the current job may still complete as good: its quantity less
// what was scrapped; 0 without a current job.
func (l tabletLive) Open() int {
	if l.Current == nil {
		return 0
	}
	return max(0, l.Current.Quantity-l.Current.Scrapped)
}

// Good is what the complete dialog first offers as the good units made: the units the machine
// reports done at a cell with a machine, every unit open at a cell worked by hand. A job
// completed while its machine reports nothing done is a slip of the finger, not a batch done.
func (l tabletLive) Good() int {
	if l.Current == nil || l.Machine.Manual {
		return l.Open()
	}
	return min(l.Current.UnitsDone, l.Open())
}

// Left is the number of units the current job still has to make.
func (j job) Left() int { return max(0, j.Quantity-j.Scrapped-j.UnitsDone) }

// Percent is how far the job is, 0 to 100.
func (j job) Percent() int {
	if j.Quantity == 0 {
		return 0
	}
	return min(100, 100*j.UnitsDone/j.Quantity)
}

func (p *Pages) tabletLive(c echo.Context) error {
	cl, err := p.cellParam(c)
	if err != nil {
		return err
	}
	live, err := p.tabletState(c, cl)
	if err != nil {
		return err
	}
	return p.render(c, http.StatusOK, "tablet_live", live)
}

func (p *Pages) tabletEvents(c echo.Context) error {
	cl, err := p.cellParam(c)
	if err != nil {
		return err
	}
	return p.stream(c, cl.ID, 0)
}

// hasLabelPrinter reports whether a cell prints unit labels.
func hasLabelPrinter(cl configs.Cell) bool {
	return slices.ContainsFunc(cl.Devices, func(d configs.Device) bool { return d.Kind == configs.KindLabelPrinter })
}

// tabletState reads what a cell's tablet shows to the person signed in.
func (p *Pages) tabletState(c echo.Context, cl configs.Cell) (tabletLive, error) {
	ctx := c.Request().Context()
	pr, _ := who(c)
	live := tabletLive{Cell: cl.ID, Machine: p.machineOf(cl.ID), Labels: hasLabelPrinter(cl),
		Operate: api.Allowed(pr.Role, api.PermOperate), Planning: p.planning(), At: p.cfg.Now()}
	if ends := sessionEnds(c); !ends.IsZero() {
		live.IdleLeft = max(1, ends.Sub(live.At).Milliseconds())
	}
	outages, err := p.outages(ctx)
	if err != nil {
		return live, err
	}
	if o, ok := outages[cl.ID]; ok {
		live.Outage = &o
	}
	if live.Operate {
		if live.Stops, err = p.stopPromptOf(ctx, cl.ID); err != nil {
			return live, err
		}
		if live.NCs, err = p.book.NonConformances(ctx, book.NCFilter{State: book.NCOpen, Cell: cl.ID, Limit: 20}); err != nil {
			return live, err
		}
		live.MayAccept = api.Allowed(pr.Role, api.PermAccept)
	}
	q, size, err := p.book.QueuePage(ctx, cl.ID, queueShown+1)
	if err != nil {
		return live, err
	}
	live.More = size.Total - len(q)
	if len(q) > 0 {
		cur, err := p.job(ctx, q[0], true)
		if err != nil {
			return live, err
		}
		live.Current = &cur
		q = q[1:]
	}
	live.Queue = make([]job, 0, len(q))
	for _, e := range q {
		j, err := p.job(ctx, e, false)
		if err != nil {
			return live, err
		}
		live.Queue = append(live.Queue, j)
	}
	if live.Labels {
		if live.Label, err = p.lastLabelled(ctx, cl.ID, live.Current); err != nil {
			return live, err
		}
	}
	return live, nil
}

// lastLabelled returns the operation whose last label the cell can print again: the current
// one once it finished a unit, else the last one finished at the cell today.
func (p *Pages) lastLabelled(ctx context.Context, cell string, cur *job) (int64, error) {
	if cur != nil && cur.UnitsDone > 0 {
		return cur.ID, nil
	}
	fin, err := p.book.FinishedOperations(ctx, p.cfg.Now().Add(-24*time.Hour), 0)
	if err != nil {
		return 0, err
	}
	for i := len(fin) - 1; i >= 0; i-- {
		if fin[i].Cell == cell && fin[i].State == book.Done && fin[i].Quantity > fin[i].Scrapped {
			return fin[i].ID, nil
		}
	}
	return 0, nil
}

// job completes a queue entry with its product's routing step and, for the current job, its
// order's notes and its work order's units.
func (p *Pages) job(ctx context.Context, e book.QueueEntry, current bool) (job, error) {
	fac := p.factory()
	j := job{QueueEntry: e, Product: e.SKU, Step: e.Name, ReasonLabel: e.Reason}
	rs := fac.Reasons
	if r, ok := rs.Find(rs.Pause, e.Reason); ok {
		j.ReasonLabel = r.Label
	} else if r, ok := rs.Find(rs.Scrap, e.Reason); ok {
		j.ReasonLabel = r.Label
	} else if r, ok := fac.Stops.StopReason(e.Reason); ok {
		j.ReasonLabel = r.Label // a job paused for its failed check
	}
	if d, ok := fac.Drop(e.Drop); ok {
		j.DropName = d.Name
	}
	if pr, ok := fac.Product(e.SKU); ok {
		j.Product = pr.Name
		if e.Step < len(pr.Routing) {
			st := pr.Routing[e.Step]
			if current && (st.MakesLot || len(st.Materials) > 0) {
				lots, err := p.book.Lots(ctx, e.ID)
				if err != nil {
					return j, err
				}
				j.Lots = &lots
			}
			j.Instructions = st.Instructions
			if current {
				j.Checks = st.Checks
			}
			for _, k := range slices.Sorted(maps.Keys(st.Params)) {
				j.Params = append(j.Params, param{Key: k, Value: paramValue(k, st.Params[k])})
			}
		}
	}
	if current {
		o, _, err := p.book.Order(ctx, e.OrderID)
		if err != nil && !errors.Is(err, book.ErrUnknownOrder) {
			return j, err
		}
		j.Notes, j.Customer = o.Notes, o.Customer
		notes, err := p.book.Notes(ctx, e.WorkOrder)
		if err != nil {
			return j, err
		}
		for _, n := range notes {
			j.Said = append(j.Said, makerNote{Note: n, By: p.actorName(string(n.Author))})
		}
		if j.Pictures, err = p.book.Photos(ctx, e.WorkOrder); err != nil {
			return j, err
		}
		if configs.IsRepairSKU(e.SKU) {
			if j.Repair, err = p.repairOf(ctx, e.ID); err != nil {
				return j, err
			}
		}
		first, last, count, err := p.book.LiveUnits(ctx, e.WorkOrder, unitsListed)
		if err != nil {
			return j, err
		}
		j.Units = newUnitsView(first, last, count)
	}
	return j, nil
}

// unitsView is the serials of a work order's live units as the tablet shows them: all of
// them when they are few, the first and the last when they are many.
type unitsView struct {
	Count int
	Text  string
	// First is the first unit's serial, whose page tells the story so far.
	First string
}

// unitsListed is how many serials the tablet lists before it shows only the first and last.
const unitsListed = 4

// newUnitsView returns the view of a work order's count live units, of which first are the
// first and last the last; nil when there is none.
func newUnitsView(first []book.Unit, last book.Unit, count int) *unitsView {
	switch {
	case count == 0:
		return nil
	case count <= unitsListed && len(first) == count:
		serials := make([]string, len(first))
		for i, u := range first {
			serials[i] = u.Serial
		}
		return &unitsView{Count: count, Text: strings.Join(serials, ", "), First: serials[0]}
	}
	return &unitsView{Count: count, Text: first[0].Serial + " … " + last.Serial, First: first[0].Serial}
}

// paramName and paramValue show a step's machine parameters as the floor speaks of them.
func paramName(l *i18n.Lang, k string) string {
	switch k {
	case "hold":
		return l.T("Hold")
	case "temperature":
		return l.T("Bath temperature")
	}
	return strings.ToUpper(k[:1]) + strings.ReplaceAll(k[1:], "_", " ")
}

func paramValue(k string, v float64) string {
	switch k {
	case "temperature":
		return fmt.Sprintf("%g °C", v)
	case "hold":
		return duration(time.Duration(v * float64(time.Second)))
	}
	return fmt.Sprintf("%g", v)
}
