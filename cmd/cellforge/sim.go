package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/firmware-sim/plant"
	"github.com/cellforge/cellforge/firmware-sim/pty"
)

// defaultSimSpeed is how much faster than the wall clock simulated machines run in the daemon,
// so that the demo factory shows hours of work in minutes.
const defaultSimSpeed = 60

// plantSpec turns the devices of a factory into a simulated plant. With inProcess, every TCP
// device listens on a free loopback port and serial lines get no link; otherwise devices listen
// on their configured addresses (host replaced by host when set) and each serial line's
// pseudo-terminal is linked at the line's configured port.
func plantSpec(f *configs.Factory, inProcess bool, host string) (plant.Spec, error) {
	var spec plant.Spec
	if err := simulableLines(f, pty.Supported, runtime.GOOS); err != nil {
		return spec, err
	}
	for _, l := range f.SerialLines {
		pl := plant.Line{ID: l.ID, Baud: l.Baud}
		if !inProcess {
			pl.Link = l.Port
		}
		spec.Lines = append(spec.Lines, pl)
	}
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			kind, ok := deviceKinds[d.Kind]
			if !ok {
				return plant.Spec{}, fmt.Errorf("device %s: no simulator for kind %q", d.ID, d.Kind)
			}
			pd := plant.Device{ID: d.ID, Kind: kind.sim, Line: d.SerialLine, UnitID: byte(d.UnitID)}
			if d.SerialLine == "" {
				pd.Listen = "127.0.0.1:0"
				if !inProcess && d.Address != "" {
					pd.Listen = d.Address
					if host != "" {
						_, port, err := net.SplitHostPort(d.Address)
						if err != nil {
							return plant.Spec{}, fmt.Errorf("device %s: %w", d.ID, err)
						}
						pd.Listen = net.JoinHostPort(host, port)
					}
				}
			}
			spec.Devices = append(spec.Devices, pd)
		}
	}
	return spec, nil
}

// simulableLines refuses a factory whose simulated devices are on a serial line where the
// platform has no pseudo-terminal to carry the line (ptys false: Windows). It names every such
// device: the daemon does not start a floor without some of its machines, and a Windows user
// simulates the factory with TCP addresses for them, or drives the real machines on their real
// serial ports (which Windows has) without the simulator.
func simulableLines(f *configs.Factory, ptys bool, goos string) error {
	if ptys {
		return nil
	}
	var on []string
	for _, c := range f.Cells {
		for _, d := range c.Devices {
			if d.SerialLine != "" {
				on = append(on, fmt.Sprintf("device %s of cell %s (serial line %s)", d.ID, c.ID, d.SerialLine))
			}
		}
	}
	if len(on) == 0 {
		return nil
	}
	return fmt.Errorf("simulate: %s has no pseudo-terminal to simulate a serial line on, so it cannot simulate %s: "+
		"give these devices an address (Modbus TCP, a network printer) instead of a serial_line, "+
		"or set simulate: false to drive the real machines on their serial ports", goos, strings.Join(on, ", "))
}

func simulate(ctx context.Context, args []string, e *env) error {
	if len(args) > 0 && args[0] == "fault" {
		return simFault(ctx, args[1:], e)
	}
	fs := newFlagSet("sim", "sim --config FILE [--control ADDR] [--host HOST] [--speed N]\n       cellforge sim fault [--control ADDR] DEVICE [FAULT[=VALUE]...]", e)
	configPath := fs.String("config", "configs/demo.yaml", "factory configuration `file` whose devices to simulate")
	control := fs.String("control", "127.0.0.1:8091", "`address` of the fault control API")
	host := fs.String("host", "", "serve every TCP device on this `host` instead of its configured one (for example 127.0.0.1)")
	speed := fs.Float64("speed", 1, "run the machines' clocks this many `times` faster than the wall clock")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "cellforge sim: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	factory, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	spec, err := plantSpec(factory, false, *host)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	p, err := plant.New(spec, plant.Config{Logger: logger, Speed: *speed})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		p.Close()
		return fmt.Errorf("control API: %w", err)
	}
	for _, s := range p.Status() {
		where := s.Address
		if s.Line != "" {
			where = fmt.Sprintf("serial line %s (%s)", s.Line, s.Port)
			if d, _, _ := factory.Device(s.ID); deviceKinds[d.Kind].profiled {
				where = fmt.Sprintf("serial line %s (%s), unit %d", s.Line, s.Port, s.UnitID)
			}
		}
		fmt.Fprintf(e.stdout, "%-12s %-14s %s\n", s.ID, s.Kind, where)
	}
	fmt.Fprintf(e.stdout, "fault control API on http://%s/devices\n", ln.Addr())
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 5 * time.Second}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return p.Run(ctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// simFault sets a simulated device's faults through the control API.
func simFault(ctx context.Context, args []string, e *env) error {
	fs := newFlagSet("sim fault", "sim fault [--control ADDR] DEVICE [FAULT[=VALUE]...]\n\n"+
		"Replaces the device's faults with those given; none clears them. Faults: delay=250ms, drop,\n"+
		"exception=4, corrupt_crc, close_conn, machine_fault=1, heater_stuck, paper_out, near_end,\n"+
		"cover_open, offline, head_open, paused, silent.", e)
	control := fs.String("control", "127.0.0.1:8091", "`address` of the simulator's fault control API")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errUsage
	}
	device := fs.Arg(0)
	faults := map[string]any{}
	for _, a := range fs.Args()[1:] {
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case !hasValue:
			faults[name] = true
		case value == "true" || value == "false":
			faults[name] = value == "true"
		default:
			if n, err := strconv.Atoi(value); err == nil {
				faults[name] = n
			} else {
				faults[name] = value
			}
		}
	}
	body, _ := json.Marshal(faults)
	url := fmt.Sprintf("http://%s/devices/%s/faults", *control, device)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reaching the simulator: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var apiErr struct{ Error string }
		if json.Unmarshal(out, &apiErr) == nil && apiErr.Error != "" {
			return fmt.Errorf("%s: %s", device, apiErr.Error)
		}
		return fmt.Errorf("%s: %s", device, resp.Status)
	}
	_, err = e.stdout.Write(out)
	return err
}
