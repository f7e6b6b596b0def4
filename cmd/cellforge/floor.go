package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/escpos"
	"github.com/cellforge/cellforge/drivers/health"
	"github.com/cellforge/cellforge/drivers/modbus"
	"github.com/cellforge/cellforge/drivers/rawport"
	"github.com/cellforge/cellforge/drivers/zpl"
	"github.com/cellforge/cellforge/firmware-sim/plant"
	"github.com/cellforge/cellforge/telemetry/collect"
)

// floor is the running shop floor: the simulated plant when the factory is simulated, and the
// cells in groups, each driven under a lease of the store while this daemon holds it (a crew
// per group: a Modbus line per TCP device and per serial line, a driver per device, a
// controller per cell, and the ticket printer with the cell holding it). With SQLite the
// daemon holds every lease; with PostgreSQL the daemons on the database share the cells out,
// each cell driven by one of them at a time, and the "site" lease says which one runs what
// must run once for the whole site (see site).
type floor struct {
	log     *slog.Logger
	plant   *plant.Plant
	health  *health.Metrics
	closers []func() error // the plant's
	site    *site
	cfg     floorConfig

	// mu guards groups and byCell, which a reload adds cells to (see grow), and running.
	mu     sync.RWMutex
	groups []*cellGroup
	byCell map[string]*cellGroup
	// plants are the simulated plants of the cells reloads added, each run beside the first.
	plants []*plant.Plant
	// running is the context Run runs the floor under, nil before and after; grown are the
	// runs of what was added while it ran, which Run waits for.
	running context.Context
	grown   sync.WaitGroup
	// build makes a new crew for cells (see floorBuilder.newCrew).
	build func(cs []configs.Cell) (*crew, error)
	// refresh reads the book's memory of the store again before a group is taken over.
	refresh func(ctx context.Context) error
	// buildMu guards spare and build, which the groups' leases use each from its goroutine.
	buildMu sync.Mutex
	// spare holds the crews newFloor built, by group, until a first run takes them.
	spare map[*cellGroup]*crew
	// ready holds the runs of the groups prime took, which Run runs first.
	ready map[*cellGroup]func(ctx context.Context) error
	// slipPrinter is true when the factory names a parcel slip printer.
	slipPrinter bool
}

// floorConfig is what newFloor needs besides the factory.
type floorConfig struct {
	Book   *book.Book
	Health *health.Metrics
	Logger *slog.Logger
	// Leases are the store's leases the floor's cells are driven under; Holder names this
	// daemon among their holders; LeaseTTL is how long a lease lasts without renewal.
	Leases   leaser
	Holder   string
	LeaseTTL time.Duration
	// SimSpeed is the simulated machines' clock speed.
	SimSpeed float64
	// BaseURL is the daemon's address, for the QR code on work tickets.
	BaseURL string
	// SlipURL is a repair's staff page ("{id}" for its id), for the QR code on parcel slips.
	SlipURL string
}

// floorBuilder makes the crews of the floor: it holds the factory, the config and how its
// devices are reached, and the crew being made with what the constructors of its devices
// need.
type floorBuilder struct {
	*crew
	f   *configs.Factory
	cfg floorConfig
	// address and port say where a device and a serial line are reached: at their own address
	// and port, or at the simulator's.
	address func(configs.Device) string
	port    func(configs.SerialLine) string
	rtu     map[string]*modbus.Line // the serial lines Modbus devices are on, by id
	tickets cells.TicketPrinter     // the printer of the work tickets, nil when none
	slips   *cellBuild              // the cell holding the parcel slip printer, nil when none
}

// cellBuild is the config of a cell's controller as its devices fill it in, and the controller
// once it is made.
type cellBuild struct {
	cfg  cells.Config
	cell *cells.Cell
}

// newFloor builds the floor of f, a crew for every group of cells (which checks every device
// of the factory); nothing runs before Run. On error what was opened is closed.
func newFloor(f *configs.Factory, cfg floorConfig) (_ *floor, err error) {
	if cfg.Leases == nil {
		cfg.Leases, cfg.Holder = soleOwner{}, "this daemon"
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = configs.DefaultLease
	}
	fl := &floor{log: cfg.Logger, health: cfg.Health, byCell: map[string]*cellGroup{}, cfg: cfg,
		spare: map[*cellGroup]*crew{}, ready: map[*cellGroup]func(context.Context) error{}, refresh: cfg.Book.Refresh,
		slipPrinter: f.Aftercare != nil && f.Aftercare.SlipPrinter != ""}
	defer func() {
		if err != nil {
			fl.close()
		}
	}()
	b := &floorBuilder{f: f, cfg: cfg,
		address: func(d configs.Device) string { return d.Address },
		port:    func(l configs.SerialLine) string { return l.Port },
	}
	if f.Simulate {
		if err := b.simulate(fl); err != nil {
			return nil, err
		}
	}
	fl.build = b.newCrew
	names, groups := leaseGroups(f)
	for i, cs := range groups {
		g := &cellGroup{cells: cs, lease: newLease(cfg.Leases, names[i], cfg.Holder, cfg.LeaseTTL, cfg.Logger)}
		for _, c := range cs {
			g.ids = append(g.ids, c.ID)
			fl.byCell[c.ID] = g
		}
		cr, err := b.newCrew(cs)
		if err != nil {
			return nil, err
		}
		fl.spare[g] = cr
		fl.groups = append(fl.groups, g)
	}
	fl.site = newSite(newLease(cfg.Leases, siteLease, cfg.Holder, cfg.LeaseTTL, cfg.Logger))
	return fl, nil
}

// newCrew makes the drivers and controllers of cells (the cells of one lease). On error what
// was opened is closed.
func (b *floorBuilder) newCrew(cs []configs.Cell) (_ *crew, err error) {
	cr := newCrew(b.cfg.Logger)
	b.crew, b.tickets, b.slips = cr, nil, nil
	defer func() {
		if err != nil {
			cr.close()
		}
	}()
	if b.rtu, err = cr.openRTULines(b.f, cs, b.port); err != nil {
		return nil, err
	}
	for _, c := range cs {
		cb := &cellBuild{cfg: cells.Config{Cell: c, Factory: b.f, Current: b.cfg.Book.Factory, Book: b.cfg.Book,
			Logger: b.cfg.Logger.With("component", "cell")}}
		for _, d := range c.Devices {
			kind, ok := deviceKinds[d.Kind]
			if !ok {
				return nil, fmt.Errorf("device %s: no driver for kind %q", d.ID, d.Kind)
			}
			if err := kind.open(b, d, cb); err != nil {
				return nil, fmt.Errorf("device %s: %w", d.ID, err)
			}
		}
		if cb.cell, err = cells.New(cb.cfg); err != nil {
			return nil, err
		}
		cr.cells[c.ID] = cb.cell
		if b.slips == cb {
			cr.slips = cb.cell
		}
		cr.order = append(cr.order, cb.cell)
	}
	if b.tickets != nil {
		cr.tickets = cells.NewTickets(cells.TicketsConfig{Book: b.cfg.Book, Factory: b.f, Current: b.cfg.Book.Factory, Printer: b.tickets,
			BaseURL: b.cfg.BaseURL, Logger: b.cfg.Logger})
	}
	return cr, nil
}

// simulate starts the simulated plant of the factory's devices, which are then reached at its
// ports and lines.
func (b *floorBuilder) simulate(fl *floor) error {
	spec, err := plantSpec(b.f, true, "")
	if err != nil {
		return err
	}
	fl.plant, err = plant.New(spec, plant.Config{Logger: b.cfg.Logger.With("component", "simulator"), Speed: b.cfg.SimSpeed})
	if err != nil {
		return fmt.Errorf("starting the simulated plant: %w", err)
	}
	fl.closers = append(fl.closers, fl.plant.Close)
	b.address = func(d configs.Device) string { return fl.plant.Addr(d.ID) }
	b.port = func(l configs.SerialLine) string { return fl.plant.Port(l.ID) }
	return nil
}

// openMachine makes the driver of a Modbus machine, on a TCP line of its own or on its serial
// line, whose readings go to the cell's controller.
func (b *floorBuilder) openMachine(d configs.Device, c *cellBuild) error {
	line := b.rtu[d.SerialLine]
	if d.SerialLine == "" {
		var err error
		if line, err = modbus.NewTCPLine(modbus.TCPConfig{Address: b.address(d), Timeout: d.Timeout}); err != nil {
			return err
		}
		b.lines = append(b.lines, line)
	}
	profile, err := deviceProfile(d)
	if err != nil {
		return err
	}
	machine, err := modbus.NewDevice(line, modbus.DeviceConfig{
		Name: d.ID, UnitID: byte(d.UnitID), Profile: profile.Modbus,
		Health:    b.cfg.Health.Device(d.ID, "modbus"),
		OnReading: func(r modbus.Reading) { c.cell.Observe(r.Values, r.Time, r.Err) },
	})
	if err != nil {
		return err
	}
	cell := c.cfg.Cell.ID
	b.machines = append(b.machines, machine)
	b.sampled = append(b.sampled, machineRef{cell: cell, device: d.ID, dev: machine})
	b.setup[cell] = profile.Setup
	c.cfg.Machine, c.cfg.Device, c.cfg.Profile = machine, d.ID, profile
	return nil
}

// openLabelPrinter makes the driver of a label printer, the cell's printer of unit labels.
func (b *floorBuilder) openLabelPrinter(d configs.Device, c *cellBuild) error {
	p, err := openPrinter(b, d, zpl.New)
	if err != nil {
		return err
	}
	c.cfg.Labels = labelPrinter{p}
	if a := b.f.Aftercare; a != nil && a.SlipPrinter == d.ID {
		c.cfg.Slips, c.cfg.SlipURL = labelPrinter{p}, b.cfg.SlipURL
		b.slips = c
	}
	return nil
}

// openTicketPrinter makes the driver of a ticket printer, the floor's printer of work tickets
// when the factory names it so.
func (b *floorBuilder) openTicketPrinter(d configs.Device, _ *cellBuild) error {
	p, err := openPrinter(b, d, escpos.New)
	if err != nil {
		return err
	}
	if d.ID == b.f.Printing.Tickets {
		b.tickets = ticketPrinter{p}
	}
	return nil
}

// openPrinter makes the driver of printer d with newPrinter, closed with the floor and its
// status probed while the floor runs.
func openPrinter[S rawport.Status, J rawport.Job](b *floorBuilder, d configs.Device,
	newPrinter func(rawport.Config) (*rawport.Printer[S, J], error)) (*rawport.Printer[S, J], error) {
	pcfg, err := b.printerConfig(d)
	if err != nil {
		return nil, err
	}
	p, err := newPrinter(pcfg)
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, p.Close)
	b.printers = append(b.printers, prober[S](p.Status))
	return p, nil
}

// openRTULines opens the serial lines that Modbus devices of cells cs are on, each at its
// port (port maps a line to the port it is reached at), and returns them by line id.
func (cr *crew) openRTULines(f *configs.Factory, cs []configs.Cell, port func(configs.SerialLine) string) (map[string]*modbus.Line, error) {
	rtu := map[string]*modbus.Line{}
	for _, l := range f.SerialLines {
		modbusLine := false
		for _, c := range cs {
			for _, d := range c.Devices {
				modbusLine = modbusLine || d.SerialLine == l.ID && deviceKinds[d.Kind].profiled
			}
		}
		if !modbusLine {
			continue
		}
		line, err := modbus.NewRTULine(modbus.RTUConfig{
			Port: port(l), Baud: l.Baud, Parity: l.Parity, StopBits: l.StopBits, Timeout: l.Timeout,
		})
		if err != nil {
			return nil, fmt.Errorf("serial line %s: %w", l.ID, err)
		}
		rtu[l.ID] = line
		cr.lines = append(cr.lines, line)
	}
	return rtu, nil
}

// printerConfig returns the config of a printer driver: its name, timeout, health and logger,
// and how to reach it: over TCP at its address, or on its serial line with the line's settings.
func (b *floorBuilder) printerConfig(d configs.Device) (rawport.Config, error) {
	pcfg := rawport.Config{Name: d.ID, Timeout: d.Timeout, Health: b.cfg.Health, Logger: b.cfg.Logger.With("device", d.ID)}
	if d.SerialLine == "" {
		pcfg.Dial = rawport.DialTCP(b.address(d))
		return pcfg, nil
	}
	l, _ := b.f.SerialLine(d.SerialLine)
	mode, err := rawport.SerialMode(l.Baud, 8, l.Parity, l.StopBits)
	if err != nil {
		return rawport.Config{}, fmt.Errorf("serial line %s: %w", l.ID, err)
	}
	pcfg.Dial = rawport.DialSerial(b.port(l), mode)
	return pcfg, nil
}

// printerProbeEvery is how often an idle printer's status is read, so that its health (paper
// out, unreachable) shows before the next label or ticket needs it.
const printerProbeEvery = 5 * time.Second

// statusProber is a printer whose status can be read; the read is recorded in its health.
type statusProber interface {
	probe(ctx context.Context) error
}

// prober makes a statusProber of a printer driver's Status method, whatever its status type.
type prober[S any] func(context.Context) (S, error)

func (p prober[S]) probe(ctx context.Context) error { _, err := p(ctx); return err }

// probe reads a printer's status every interval until ctx is cancelled. Failures are already in
// the printer's health; they do not stop the floor.
func probe(ctx context.Context, p statusProber, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.probe(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// CellStatus returns what cell id is doing.
// While another daemon drives the cell, the status says so (Elsewhere) and nothing more.
func (fl *floor) CellStatus(id string) (cells.Status, bool) {
	c, err := fl.controller(id)
	switch {
	case errors.Is(err, cells.ErrElsewhere):
		return cells.Status{Cell: id, Elsewhere: true}, true
	case err != nil:
		return cells.Status{}, false
	}
	return c.Status(), true
}

// ResetCell clears cell id's fault, the reported one and its machine's, recording who did it
// (by) and what they did (note).
func (fl *floor) ResetCell(ctx context.Context, id, by, note string) error {
	c, err := fl.controller(id)
	if err != nil {
		return err
	}
	return c.Reset(ctx, book.Actor(by), note)
}

// ReportFault records a fault a person reported at a cell: its controller takes the cell down
// until ResetCell.
func (fl *floor) ReportFault(ctx context.Context, cell, code, by string) error {
	c, err := fl.controller(cell)
	if err != nil {
		return err
	}
	return c.ReportFault(ctx, code, by)
}

// ReprintLabel prints the label of a unit of an operation that ran at a cell again and returns
// its serial.
func (fl *floor) ReprintLabel(ctx context.Context, cell string, op int64, unit int) (string, error) {
	c, err := fl.controller(cell)
	if err != nil {
		return "", err
	}
	return c.ReprintLabel(ctx, op, unit)
}

// Devices returns the health of every device.
func (fl *floor) Devices() []health.Snapshot { return fl.health.Snapshots() }

// Simulator returns the simulator's fault control API, nil when the floor is real.
func (fl *floor) Simulator() http.Handler {
	if fl.plant == nil {
		return nil
	}
	return fl.plant.Handler()
}

// labelPrinter adapts the ZPL driver to a cell controller.
type labelPrinter struct{ p *zpl.Printer }

func (l labelPrinter) PrintLabel(ctx context.Context, lb cells.Label) error {
	return l.p.Print(ctx, zpl.Label{SKU: lb.SKU, Drop: lb.Drop, Serial: lb.Serial, URL: lb.URL, Title: lb.Title})
}

// PrintSlip prints a repair's parcel slip on the same printer.
func (l labelPrinter) PrintSlip(ctx context.Context, s cells.Slip) error {
	return l.p.Print(ctx, zpl.Slip{RepairID: s.Repair, Customer: s.Customer, Serial: s.Serial, Item: s.Item,
		Intake: s.Intake, URL: s.URL})
}

// ReprintSlip prints a repair's parcel slip again, at the cell holding the slip printer; owed
// true with an error means the slip is owed and prints once the printer answers.
func (fl *floor) ReprintSlip(ctx context.Context, id string) (owed bool, err error) {
	for _, g := range fl.allGroups() {
		if cr := g.driving(); cr != nil && cr.slips != nil {
			return cr.slips.ReprintSlip(ctx, id)
		}
	}
	if fl.slipPrinter {
		return false, fmt.Errorf("reprinting the parcel slip of repair %s: %w", id, cells.ErrElsewhere)
	}
	return false, cells.ErrNoSlipPrinter
}

// ticketPrinter adapts the ESC/POS driver to the ticket printer.
type ticketPrinter struct{ p *escpos.Printer }

func (t ticketPrinter) PrintTicket(ctx context.Context, tk cells.Ticket) error {
	return t.p.Print(ctx, escpos.Ticket{
		WorkOrder: fmt.Sprintf("%d (%s)", tk.WorkOrder, tk.OrderID), SKU: tk.SKU, Quantity: tk.Quantity,
		Drop: tk.Drop, Due: tk.Due, Steps: tk.Steps, Notes: tk.Notes, URL: tk.URL,
	})
}

// machineRef is a machine with the cell and device ids its telemetry is published under.
type machineRef struct {
	cell, device string
	dev          *modbus.Device
}

// Down reports whether a cell's controller has it out of service.
func (fl *floor) Down(cell string) bool {
	st, ok := fl.CellStatus(cell)
	return ok && st.Down != ""
}

// Setup reports whether a cell's machine is in one of its profile's setup phases.
func (fl *floor) Setup(cell string) bool {
	g, ok := fl.group(cell)
	if !ok {
		return false
	}
	cr := g.driving()
	if cr == nil {
		return false
	}
	st := cr.cells[cell].Status()
	return slices.Contains(cr.setup[cell], st.Machine)
}

// Samples returns the latest polled values of every machine this daemon drives, for telemetry.
func (fl *floor) Samples() []collect.DeviceSample {
	var out []collect.DeviceSample
	for _, m := range fl.sampled() {
		for name, s := range m.dev.Latest() {
			out = append(out, collect.DeviceSample{Cell: m.cell, Device: m.device, Metric: metricName(name), Value: s.Value, Time: s.Time})
		}
	}
	return out
}

// metricName turns a profile's value name into a telemetry metric name: lowercase letters,
// digits and '_'.
func metricName(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] < 'a' || b[0] > 'z' {
		b = append([]byte("v_"), b...)
	}
	return string(b)
}
