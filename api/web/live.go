package web

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/cells/planner"
)

// The live updates: one goroutine follows the book, the plan and the machines, and tells each
// open page what changed. A page learns that its queue changed and fetches it again (the page
// renders it as for any request, so it is never a different page), and gets its machine's
// readings as they are, in the event itself.

// anyCell subscribes to every cell: the dashboard.
const anyCell = ""

// subscriber is one open stream. Its flags coalesce: a page that is slow to read gets one
// "queue changed" however many changes it missed, and the latest machine readings.
type subscriber struct {
	cell string
	wake chan struct{} // buffered 1

	mu      sync.Mutex
	queue   bool            // the queue (or, for anyCell, the book) changed
	machine map[string]bool // cells whose machine changed
}

func (s *subscriber) notify(queue bool, machineOf string) {
	s.mu.Lock()
	if queue {
		s.queue = true
	}
	if machineOf != "" {
		if s.machine == nil {
			s.machine = make(map[string]bool)
		}
		s.machine[machineOf] = true
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take returns and clears what changed.
func (s *subscriber) take() (queue bool, machines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	queue, s.queue = s.queue, false
	for c := range s.machine {
		machines = append(machines, c)
	}
	clear(s.machine)
	return queue, machines
}

// machineView is what a page shows of a cell's machine, and what the stream sends of it.
type machineView struct {
	Cell        string   `json:"cell"`
	Manual      bool     `json:"manual"`
	Online      bool     `json:"online"`
	State       string   `json:"state"`
	Fault       string   `json:"fault,omitempty"`
	Down        string   `json:"down,omitempty"`
	Operation   int64    `json:"operation,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Setpoint    *float64 `json:"setpoint,omitempty"`
	HoldLeft    *float64 `json:"hold_left,omitempty"`
	// Printers are the cell's printers and how they are.
	Printers []printerView `json:"printers,omitempty"`
}

func newMachineView(cell string, st cells.Status, ok bool, down string, printers []printerView) machineView {
	v := machineView{Cell: cell, Manual: true, State: "manual", Down: down, Printers: printers}
	if !ok {
		return v
	}
	v.Manual, v.Online, v.Fault, v.Operation = st.Manual, st.Online, st.Fault, st.Operation
	if st.Down != "" {
		v.Down = st.Down
	}
	switch {
	case st.Manual:
		v.State = "manual"
	case !st.Online:
		v.State = "offline"
	default:
		v.State = st.Machine
	}
	value := func(name string) *float64 {
		if x, ok := st.Values[name]; ok {
			return &x
		}
		return nil
	}
	v.Temperature, v.Setpoint, v.HoldLeft = value("temperature"), value("setpoint"), value("hold_left")
	return v
}

// hub follows the book, the plan and the machines for the open streams.
type hub struct {
	p    *Pages
	done chan struct{} // closed when the hub stops: every stream ends

	mu   sync.Mutex
	subs map[*subscriber]struct{}
	// waited says that a page listened while the first plan was being made: when it comes,
	// every page fetches its queue again, to drop the word that it is being made. A page that
	// says so but connects once the plan is made is told on its own (subscribe).
	waited bool
}

func newHub(p *Pages) *hub {
	return &hub{p: p, done: make(chan struct{}), subs: make(map[*subscriber]struct{})}
}

// subscribe opens a page's stream. shown says that the page shows the first plan as being
// made: it is told to fetch its live part again once the plan is made, whether the plan comes
// while the stream is open or came before it connected (a page rendered just before the plan
// came, whose stream connects just after).
func (h *hub) subscribe(cell string, shown bool) *subscriber {
	s := &subscriber{cell: cell, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
	// Under the lock run takes waited under: a plan it has not seen yet finds waited set, and
	// one it has seen is seen here too (a plan, once made, stays).
	if h.p.planning() {
		h.waited = true
	} else if shown {
		s.notify(true, "")
	}
	return s
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// idle reports whether no page listens.
func (h *hub) idle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) == 0
}

// broadcast tells the subscribers of a cell (and those of every cell) what changed.
func (h *hub) broadcast(cell string, queue bool, machine bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.cell == anyCell || s.cell == cell {
			m := ""
			if machine {
				m = cell
			}
			s.notify(queue, m)
		}
	}
}

// run follows the changes until ctx is cancelled.
func (h *hub) run(ctx context.Context) error {
	defer close(h.done)
	b := h.p.book
	last, err := b.LastEventID(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return fmt.Errorf("web: reading the event log: %w", err)
	}
	var plan *planner.Plan
	var prints map[string]uint64
	machines := make(map[string]machineView)
	tick := time.NewTicker(h.p.cfg.Tick)
	defer tick.Stop()
	for {
		changed := b.Changed()
		if h.idle() {
			// No page is open: skip to the end of the log rather than read what nobody shows.
			if last, err = b.LastEventID(ctx); err != nil {
				h.p.log.Warn("following the event log", "err", err)
			}
			plan, prints = nil, nil
		} else if last, err = h.events(ctx, last); err != nil {
			h.p.log.Warn("following the event log", "err", err)
		}
		if h.p.cfg.Planner != nil && !h.idle() {
			if pl := h.p.cfg.Planner.Current(); pl != nil && pl != plan {
				// A new plan may reorder a queue, or move its planned times: the pages of the
				// cells whose head of the plan changed fetch their queue again.
				plan = pl
				next := planPrints(pl)
				h.mu.Lock()
				waited := h.waited
				h.waited = false
				h.mu.Unlock()
				for _, c := range h.p.factory().Cells {
					if waited || next[c.ID] != prints[c.ID] {
						h.broadcast(c.ID, true, false)
					}
				}
				prints = next
			}
		}
		h.machines(machines)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-tick.C:
		}
	}
}

// planPrints returns, per cell, a fingerprint of what its tablet shows of the plan: the order
// and planned start (to the minute) of the operations it lists.
func planPrints(pl *planner.Plan) map[string]uint64 {
	out := make(map[string]uint64)
	if pl == nil {
		return out
	}
	var cell string
	var n int
	h := fnv.New64a()
	var buf [16]byte
	for _, s := range pl.Window(time.Time{}, time.Unix(1<<40, 0)) {
		if s.Cell != cell {
			if cell != "" {
				out[cell] = h.Sum64()
			}
			cell, n = s.Cell, 0
			h.Reset()
		}
		if n++; n > queueShown+1 {
			continue
		}
		binary.LittleEndian.PutUint64(buf[:8], uint64(s.Operation))
		binary.LittleEndian.PutUint64(buf[8:], uint64(s.Start.Unix()/60))
		h.Write(buf[:])
	}
	if cell != "" {
		out[cell] = h.Sum64()
	}
	return out
}

// events tells the pages of the cells that the events after last touched.
func (h *hub) events(ctx context.Context, last int64) (int64, error) {
	for {
		events, err := h.p.book.Events(ctx, book.EventFilter{AfterID: last, Limit: 1000})
		if err != nil {
			return last, err
		}
		touched := make(map[string]bool)
		for _, e := range events {
			last = e.ID
			touched[e.Cell] = true
		}
		for cell := range touched {
			// Events of no cell (an order received, a batch) still change what the dashboard
			// and the planner show.
			h.broadcast(cell, true, false)
		}
		if len(events) < 1000 {
			return last, nil
		}
	}
}

// machines tells the pages of the cells whose machine changed.
func (h *hub) machines(seen map[string]machineView) {
	down := h.p.book.DownCells()
	devices := h.p.devices()
	for _, c := range h.p.factory().Cells {
		var st cells.Status
		var ok bool
		if h.p.cfg.Floor != nil {
			st, ok = h.p.cfg.Floor.CellStatus(c.ID)
		}
		v := newMachineView(c.ID, st, ok, down[c.ID], printersOf(c, devices))
		old, known := seen[c.ID]
		if known && old.equal(v) {
			continue
		}
		seen[c.ID] = v
		// Going down or up changes which actions a page offers; a machine coming into a fault
		// or leaving it, whether a reset applies; a machine taking a job, or its set point or
		// hold first read, whether they are shown with the job; a printer's state, what the page
		// says of it. Other readings the page updates in place.
		changed := (old.Down == "") != (v.Down == "") || old.State != v.State || old.Operation != v.Operation ||
			positive(old.Setpoint) != positive(v.Setpoint) || positive(old.HoldLeft) != positive(v.HoldLeft) ||
			!slices.Equal(old.Printers, v.Printers)
		h.broadcast(c.ID, known && changed, true)
	}
}

// positive reports whether a reading is there and above zero: the pages show only those.
func positive(x *float64) bool { return x != nil && *x > 0 }

func (v machineView) equal(w machineView) bool {
	eq := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	return v.Manual == w.Manual && v.Online == w.Online && v.State == w.State && v.Fault == w.Fault &&
		v.Down == w.Down && v.Operation == w.Operation && eq(v.Temperature, w.Temperature) &&
		eq(v.Setpoint, w.Setpoint) && eq(v.HoldLeft, w.HoldLeft) && slices.Equal(v.Printers, w.Printers)
}

// machineOf returns what a page shows of a cell's machine now.
func (p *Pages) machineOf(cell string) machineView {
	var st cells.Status
	var ok bool
	if p.cfg.Floor != nil {
		st, ok = p.cfg.Floor.CellStatus(cell)
	}
	var printers []printerView
	if cl, ok := p.factory().Cell(cell); ok {
		printers = printersOf(cl, p.devices())
	}
	return newMachineView(cell, st, ok, p.book.DownCells()[cell], printers)
}

// stillSignedIn reports whether the session of a stream's request still lasts; it does not count
// as its person's activity. A failure to check is not taken for a sign-out.
func (p *Pages) stillSignedIn(c echo.Context) bool {
	ck, err := c.Cookie(api.SessionCookie)
	if err != nil || ck.Value == "" {
		return true // signed in some other way than the pages' cookie
	}
	_, _, err = p.cfg.Auth.CheckSession(c.Request().Context(), ck.Value, false)
	return !errors.Is(err, api.ErrUnauthenticated)
}

// stream serves server-sent events to one page until it goes away or the daemon stops: "queue"
// when the page should fetch its live part again, "machine" with a cell's machine readings.
// minGap spaces the queue events (the dashboard is costlier to redraw than a tablet). A page
// that shows the first plan as being made says so with ?planning=1.
func (p *Pages) stream(c echo.Context, cell string, minGap time.Duration) error {
	s := p.hub.subscribe(cell, c.QueryParam("planning") == "1")
	defer p.hub.unsubscribe(s)
	w := c.Response()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The browser reconnects a second after the stream breaks; the page then fetches its live
	// part again, as it may have missed changes.
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil {
		return nil
	}
	if cell != anyCell {
		s.notify(false, cell)
	}
	w.Flush()
	ctx := c.Request().Context()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	var lastQueue time.Time
	// held delays a queue event that comes too soon after the last one.
	held := time.NewTimer(time.Hour)
	held.Stop()
	defer held.Stop()
	var heldC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.hub.done:
			return nil
		case <-heartbeat.C:
			if !p.stillSignedIn(c) {
				// Signed out meanwhile (by hand, or idle): the stream ends with the session.
				return nil
			}
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return nil
			}
			w.Flush()
			continue
		case <-heldC:
			heldC = nil
			s.notify(true, "")
			continue
		case <-s.wake:
		}
		queue, machines := s.take()
		if queue && minGap > 0 && time.Since(lastQueue) < minGap {
			if heldC == nil {
				held.Reset(minGap - time.Since(lastQueue))
				heldC = held.C
			}
			queue = false
		}
		if queue {
			lastQueue = time.Now()
			if _, err := fmt.Fprintf(w, "event: queue\ndata: %d\n\n", lastQueue.UnixMilli()); err != nil {
				return nil
			}
		}
		for _, m := range machines {
			raw, err := json.Marshal(p.machineOf(m))
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "event: machine\ndata: %s\n\n", raw); err != nil {
				return nil
			}
		}
		w.Flush()
	}
}
