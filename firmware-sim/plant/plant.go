// Package plant runs a whole simulated factory floor: every device of a spec on the simulator's
// own firmware (looms and dye stations on Modbus, ESC/POS and ZPL printers), each where a driver
// expects it: a TCP port, or a unit on a serial line carried by a pseudo-terminal pair the plant
// opens itself. It serves a small HTTP control API to inject faults at run time.
//
// Being the other side of the wire, it imports only the standard library and the simulator's
// own packages: a spec is built from a factory configuration by the caller.
package plant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/dye"
	"github.com/cellforge/cellforge/firmware-sim/escpos"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/modbus"
	"github.com/cellforge/cellforge/firmware-sim/pty"
	"github.com/cellforge/cellforge/firmware-sim/zpl"
)

// Device kinds.
const (
	KindLoom         = "loom"
	KindDyeStation   = "dye-station"
	KindMicroPrinter = "micro-printer"
	KindLabelPrinter = "label-printer"
)

// Device is one simulated device and where it is served.
type Device struct {
	ID   string
	Kind string
	// Listen is the TCP address to serve the device on ("127.0.0.1:0" picks a free port);
	// empty for a device on a serial line.
	Listen string
	// Line is the serial line the device is on; empty for a device over TCP.
	Line string
	// UnitID is the Modbus unit id of a loom or dye station (default 1).
	UnitID byte
}

// Line is a simulated serial line: a pseudo-terminal pair.
type Line struct {
	ID string
	// Baud sets the RTU inter-frame silence (default 19200).
	Baud int
	// Link, when set, is a path where a symbolic link to the terminal is made, so that a
	// driver configured with that port path finds the line.
	Link string
}

// Spec is what a plant runs.
type Spec struct {
	Devices []Device
	Lines   []Line
}

// Config tunes a plant.
type Config struct {
	Logger *slog.Logger
	// Speed runs the machines' clocks this many times faster than the wall clock, so that a
	// demo shows in minutes what takes hours on a real floor (default 1).
	Speed float64
	// Now is the machines' clock, for a test that moves their time itself; nil runs a clock
	// from New at Speed times the wall clock.
	Now func() time.Time
	// LoomUnitTime is the time a loom takes for a unit at its default speed, in machine time
	// (default 20m).
	LoomUnitTime time.Duration
	// Dye configures the dye stations; its Now is replaced by the plant's clock.
	Dye dye.Config
}

// Plant is a running simulated floor. Create it with New, run it with Run.
type Plant struct {
	log     *slog.Logger
	now     func() time.Time
	devices map[string]*device
	order   []string // device ids in spec order
	lines   map[string]*line

	closeOnce sync.Once
}

type device struct {
	spec   Device
	loom   *loom.Loom
	dye    *dye.Station
	escpos *escpos.Printer
	zpl    *zpl.Printer
	modbus *modbus.Server // the server the device's unit is on (its own, or its line's)
	ln     net.Listener   // nil on a serial line
	addr   string
	line   *line
	mu     sync.Mutex
	faults Faults
}

type line struct {
	spec    Line
	pair    *pty.Pair
	modbus  *modbus.Server // units of the line, nil when a printer has it
	printer *device        // the printer on the line, if any
}

// New builds the devices of spec, opens their listeners and pseudo-terminals (so that Addr and
// Port answer at once) and returns the plant, ready to Run. On error nothing stays open.
func New(spec Spec, cfg Config) (_ *Plant, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 1
	}
	if cfg.LoomUnitTime <= 0 {
		cfg.LoomUnitTime = 20 * time.Minute
	}
	start := time.Now()
	speed := cfg.Speed
	p := &Plant{
		log:     cfg.Logger,
		devices: map[string]*device{},
		lines:   map[string]*line{},
		now: func() time.Time {
			return start.Add(time.Duration(float64(time.Since(start)) * speed))
		},
	}
	if cfg.Now != nil {
		p.now = cfg.Now
	}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if err := p.openLines(spec.Lines); err != nil {
		return nil, err
	}
	for _, ds := range spec.Devices {
		if err := p.addDevice(ds, cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// openLines opens a pty pair for each serial line, linked where the line asks.
func (p *Plant) openLines(lines []Line) error {
	for _, l := range lines {
		if _, dup := p.lines[l.ID]; dup || l.ID == "" {
			return fmt.Errorf("serial line %q: empty or given twice", l.ID)
		}
		pair, err := pty.Open()
		if err != nil {
			return fmt.Errorf("serial line %s: %w", l.ID, err)
		}
		p.lines[l.ID] = &line{spec: l, pair: pair}
		if l.Link != "" {
			if err := link(pair.Path, l.Link); err != nil {
				return fmt.Errorf("serial line %s: %w", l.ID, err)
			}
		}
	}
	return nil
}

// addDevice makes the device ds and connects it: on its serial line or listening on TCP.
func (p *Plant) addDevice(ds Device, cfg Config) error {
	if _, dup := p.devices[ds.ID]; dup || ds.ID == "" {
		return fmt.Errorf("device %q: empty or given twice", ds.ID)
	}
	d := &device{spec: ds}
	if d.spec.UnitID == 0 {
		d.spec.UnitID = 1
	}
	bank, err := p.simulate(d, cfg)
	if err != nil {
		return err
	}
	if err := p.connect(d, bank); err != nil {
		return err
	}
	p.devices[ds.ID] = d
	p.order = append(p.order, ds.ID)
	return nil
}

// simulate makes the simulator of device d's kind; it returns its register bank, nil for a
// printer.
func (p *Plant) simulate(d *device, cfg Config) (bank *modbus.Bank, err error) {
	ds := d.spec
	switch ds.Kind {
	case KindLoom:
		d.loom = loom.New(loom.Config{UnitTime: cfg.LoomUnitTime, Now: p.now})
		bank = d.loom.Bank()
	case KindDyeStation:
		dc := cfg.Dye
		dc.Now = p.now
		d.dye = dye.New(dc)
		bank = d.dye.Bank()
	case KindMicroPrinter:
		d.escpos = escpos.New(escpos.Config{Logger: p.log.With("device", ds.ID)})
	case KindLabelPrinter:
		d.zpl = zpl.New(zpl.Config{Logger: p.log.With("device", ds.ID)})
	default:
		return nil, fmt.Errorf("device %s: unknown kind %q", ds.ID, ds.Kind)
	}
	return bank, nil
}

// connect connects device d, whose register bank is bank (nil for a printer), to its serial
// line or to a TCP listener of its own.
func (p *Plant) connect(d *device, bank *modbus.Bank) error {
	ds := d.spec
	switch {
	case ds.Line != "" && ds.Listen != "":
		return fmt.Errorf("device %s: both a line and a listen address", ds.ID)
	case ds.Line != "":
		l, ok := p.lines[ds.Line]
		if !ok {
			return fmt.Errorf("device %s: unknown serial line %q", ds.ID, ds.Line)
		}
		d.line = l
		if bank == nil {
			if l.printer != nil || l.modbus != nil {
				return fmt.Errorf("device %s: a printer needs serial line %s to itself", ds.ID, ds.Line)
			}
			l.printer = d
		} else {
			if l.printer != nil {
				return fmt.Errorf("device %s: serial line %s has a printer", ds.ID, ds.Line)
			}
			if l.modbus == nil {
				l.modbus = modbus.New(modbus.Config{Logger: p.log.With("line", l.spec.ID)})
			}
			if err := l.modbus.AddUnit(d.spec.UnitID, bank); err != nil {
				return fmt.Errorf("device %s on serial line %s: %w", ds.ID, ds.Line, err)
			}
			d.modbus = l.modbus
		}
	default:
		listen := ds.Listen
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return fmt.Errorf("device %s: %w", ds.ID, err)
		}
		d.ln, d.addr = ln, ln.Addr().String()
		if bank != nil {
			d.modbus = modbus.New(modbus.Config{Logger: p.log.With("device", ds.ID)})
			if err := d.modbus.AddUnit(d.spec.UnitID, bank); err != nil {
				ln.Close()
				return fmt.Errorf("device %s: %w", ds.ID, err)
			}
		}
	}
	return nil
}

// link makes path a symbolic link to target, replacing a link that is there already but never
// a file.
func link(target, path string) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("%s exists and is not a symbolic link: not replacing it", path)
		}
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	if err := os.Symlink(target, path); err != nil {
		return fmt.Errorf("linking %s to %s: %w", path, target, err)
	}
	return nil
}

// Addr returns the TCP address device id is served on, "" for a device on a serial line or an
// unknown one.
func (p *Plant) Addr(id string) string {
	if d, ok := p.devices[id]; ok {
		return d.addr
	}
	return ""
}

// Port returns the path of serial line id's terminal, the end a driver opens.
func (p *Plant) Port(id string) string {
	if l, ok := p.lines[id]; ok {
		return l.pair.Path
	}
	return ""
}

// Run runs every device and serves them until ctx is cancelled, then closes every listener and
// pseudo-terminal and returns nil; or returns the first error a server fails with, after the
// same cleanup.
func (p *Plant) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(p.devices)+len(p.lines))
	run := func(what string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("%s: %w", what, err)
				cancel()
			}
		}()
	}
	for _, id := range p.order {
		d := p.devices[id]
		switch {
		case d.loom != nil:
			run("loom "+id, d.loom.Run)
		case d.dye != nil:
			run("dye station "+id, d.dye.Run)
		}
		if d.ln == nil {
			continue
		}
		ln := d.ln
		switch {
		case d.modbus != nil:
			run("device "+id, func(ctx context.Context) error { return d.modbus.Serve(ctx, ln) })
		case d.escpos != nil:
			run("device "+id, func(ctx context.Context) error { return d.escpos.Serve(ctx, ln) })
		case d.zpl != nil:
			run("device "+id, func(ctx context.Context) error { return d.zpl.Serve(ctx, ln) })
		}
	}
	for id, l := range p.lines {
		master := l.pair.Master
		switch {
		case l.modbus != nil:
			srv := l.modbus
			run("serial line "+id, func(ctx context.Context) error {
				return srv.ServeRTU(ctx, master, modbus.RTUConfig{Baud: l.spec.Baud})
			})
		case l.printer != nil && l.printer.escpos != nil:
			run("serial line "+id, func(ctx context.Context) error { return l.printer.escpos.ServePort(ctx, master) })
		case l.printer != nil && l.printer.zpl != nil:
			run("serial line "+id, func(ctx context.Context) error { return l.printer.zpl.ServePort(ctx, master) })
		}
	}
	p.log.Info("simulated plant running", "devices", len(p.devices), "serial_lines", len(p.lines))
	<-ctx.Done()
	// Closing the terminals unblocks the serial servers' reads.
	p.Close()
	wg.Wait()
	close(errs)
	return <-errs
}

// Close releases the listeners, pseudo-terminals and links of a plant that is not running (Run
// closes them itself).
func (p *Plant) Close() error {
	var errs []error
	p.closeOnce.Do(func() {
		for _, d := range p.devices {
			if d.ln != nil {
				d.ln.Close()
			}
		}
		for _, l := range p.lines {
			if l.pair == nil {
				continue
			}
			errs = append(errs, l.pair.Close())
			if l.spec.Link != "" {
				if target, err := os.Readlink(l.spec.Link); err == nil && target == l.pair.Path {
					os.Remove(l.spec.Link)
				}
			}
		}
	})
	return errors.Join(errs...)
}
