package plant

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cellforge/cellforge/firmware-sim/dye"
	"github.com/cellforge/cellforge/firmware-sim/escpos"
	"github.com/cellforge/cellforge/firmware-sim/loom"
	"github.com/cellforge/cellforge/firmware-sim/modbus"
	"github.com/cellforge/cellforge/firmware-sim/zpl"
)

// Faults are the faults a device is given through the control API. Which fields apply depends
// on the device: the link faults to Modbus devices, the printer faults to printers, the machine
// faults to looms and dye stations. Setting faults replaces the ones set before; the zero value
// is a healthy device.
type Faults struct {
	// Link faults of a Modbus device, for its unit only (others on the same line answer).
	Delay      Duration `json:"delay,omitzero"`        // hold each answer back this long
	Drop       bool     `json:"drop,omitempty"`        // answer nothing: the master times out
	Exception  int      `json:"exception,omitempty"`   // answer every request with this exception code
	CorruptCRC bool     `json:"corrupt_crc,omitempty"` // RTU answers with a wrong CRC
	CloseConn  bool     `json:"close_conn,omitempty"`  // close the TCP connection on a request

	// Machine faults. MachineFault puts the machine in fault with that code, where it stays
	// until its master resets it; HeaterStuck jams a dye station's heater on.
	MachineFault int  `json:"machine_fault,omitempty"`
	HeaterStuck  bool `json:"heater_stuck,omitempty"`

	// Printer faults.
	PaperOut  bool `json:"paper_out,omitempty"`
	NearEnd   bool `json:"near_end,omitempty"`   // ESC/POS: the roll is nearly empty
	CoverOpen bool `json:"cover_open,omitempty"` // ESC/POS
	Offline   bool `json:"offline,omitempty"`    // ESC/POS
	HeadOpen  bool `json:"head_open,omitempty"`  // ZPL
	Paused    bool `json:"paused,omitempty"`     // ZPL
	Silent    bool `json:"silent,omitempty"`     // status requests get no answer
}

// Duration is a time.Duration written as a Go duration string ("250ms") in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration string such as "250ms"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 || v > time.Minute {
		return fmt.Errorf("invalid duration %q (want 0s to 1m, such as \"250ms\")", s)
	}
	*d = Duration(v)
	return nil
}

// check reports a fault that does not apply to the device, naming its JSON field.
func (f Faults) check(d *device) error {
	isModbus := d.modbus != nil
	isPrinter := d.escpos != nil || d.zpl != nil
	type rule struct {
		set   bool
		field string
		ok    bool
		what  string
	}
	rules := []rule{
		{f.Delay != 0, "delay", isModbus, "Modbus devices"},
		{f.Drop, "drop", isModbus, "Modbus devices"},
		{f.Exception != 0, "exception", isModbus, "Modbus devices"},
		{f.CorruptCRC, "corrupt_crc", isModbus && d.line != nil, "Modbus devices on a serial line"},
		{f.CloseConn, "close_conn", isModbus && d.ln != nil, "Modbus devices over TCP"},
		{f.MachineFault != 0, "machine_fault", d.loom != nil || d.dye != nil, "looms and dye stations"},
		{f.HeaterStuck, "heater_stuck", d.dye != nil, "dye stations"},
		{f.PaperOut, "paper_out", isPrinter, "printers"},
		{f.Silent, "silent", isPrinter, "printers"},
		{f.NearEnd, "near_end", d.escpos != nil, "micro-printers"},
		{f.CoverOpen, "cover_open", d.escpos != nil, "micro-printers"},
		{f.Offline, "offline", d.escpos != nil, "micro-printers"},
		{f.HeadOpen, "head_open", d.zpl != nil, "label printers"},
		{f.Paused, "paused", d.zpl != nil, "label printers"},
	}
	for _, r := range rules {
		if r.set && !r.ok {
			return fmt.Errorf("%s: applies to %s, and %s is a %s", r.field, r.what, d.spec.ID, d.spec.Kind)
		}
	}
	if f.Exception < 0 || f.Exception > 255 {
		return fmt.Errorf("exception: %d is not a code 1..255", f.Exception)
	}
	if f.MachineFault < 0 || f.MachineFault > 65535 {
		return fmt.Errorf("machine_fault: %d is not a code 1..65535", f.MachineFault)
	}
	return nil
}

// SetFaults gives device id the faults f, replacing those set before.
func (p *Plant) SetFaults(id string, f Faults) error {
	d, ok := p.devices[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownDevice, id)
	}
	if err := f.check(d); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.modbus != nil {
		d.modbus.SetUnitFaults(d.spec.UnitID, modbus.Faults{
			Delay: time.Duration(f.Delay), Drop: f.Drop, Exception: modbus.Exception(f.Exception),
			CorruptCRC: f.CorruptCRC, CloseConn: f.CloseConn,
		})
	}
	switch {
	case d.loom != nil && f.MachineFault != 0:
		d.loom.InjectFault(uint16(f.MachineFault))
	case d.dye != nil:
		if f.MachineFault != 0 {
			d.dye.InjectFault(uint16(f.MachineFault))
		}
		d.dye.StickHeater(f.HeaterStuck)
	case d.escpos != nil:
		d.escpos.SetFaults(escpos.Faults{PaperOut: f.PaperOut, NearEnd: f.NearEnd, CoverOpen: f.CoverOpen, Offline: f.Offline, Silent: f.Silent})
	case d.zpl != nil:
		d.zpl.SetFaults(zpl.Faults{PaperOut: f.PaperOut, HeadOpen: f.HeadOpen, Paused: f.Paused, Silent: f.Silent})
	}
	d.faults = f
	return nil
}

// ErrUnknownDevice is returned (wrapped) for a device the plant does not run.
var ErrUnknownDevice = errors.New("unknown device")

// DeviceStatus is what the control API shows of a device.
type DeviceStatus struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Address string `json:"address,omitempty"`
	Line    string `json:"serial_line,omitempty"`
	Port    string `json:"port,omitempty"`
	UnitID  byte   `json:"unit_id,omitempty"`
	Faults  Faults `json:"faults"`
	// Machine is the machine's state register and counters; Printed counts what a printer
	// printed.
	Machine map[string]float64 `json:"machine,omitempty"`
	Printed int                `json:"printed"`
}

// Status returns the status of every device, in spec order.
func (p *Plant) Status() []DeviceStatus {
	out := make([]DeviceStatus, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.status(p.devices[id]))
	}
	return out
}

func (p *Plant) status(d *device) DeviceStatus {
	d.mu.Lock()
	s := DeviceStatus{ID: d.spec.ID, Kind: d.spec.Kind, Address: d.addr, Faults: d.faults}
	d.mu.Unlock()
	if d.line != nil {
		s.Line, s.Port = d.line.spec.ID, d.line.pair.Path
	}
	if d.modbus != nil {
		s.UnitID = d.spec.UnitID
	}
	switch {
	case d.loom != nil:
		b := d.loom.Bank()
		jobs, made := d.loom.Counts()
		s.Machine = map[string]float64{"state": float64(b.Input(0)), "fault_code": float64(b.Input(1)),
			"units": float64(b.Input(5)), "pattern": float64(b.Input(6)), "jobs": float64(jobs), "made": float64(made)}
	case d.dye != nil:
		st := d.dye.Status()
		s.Machine = map[string]float64{"state": float64(st.State), "fault_code": float64(st.FaultCode),
			"temperature": st.Temperature, "ph": st.PH, "batches": float64(st.Batches)}
	case d.escpos != nil:
		s.Printed = len(d.escpos.Tickets())
	case d.zpl != nil:
		s.Printed = len(d.zpl.Labels())
	}
	return s
}

// Tickets returns what micro-printer id printed.
func (p *Plant) Tickets(id string) ([]escpos.Ticket, error) {
	d, ok := p.devices[id]
	if !ok || d.escpos == nil {
		return nil, fmt.Errorf("%w: no micro-printer %s", ErrUnknownDevice, id)
	}
	return d.escpos.Tickets(), nil
}

// Labels returns what label printer id printed.
func (p *Plant) Labels(id string) ([]zpl.Label, error) {
	d, ok := p.devices[id]
	if !ok || d.zpl == nil {
		return nil, fmt.Errorf("%w: no label printer %s", ErrUnknownDevice, id)
	}
	return d.zpl.Labels(), nil
}

// Loom returns the simulated loom id, for tests that drive it directly.
func (p *Plant) Loom(id string) *loom.Loom {
	if d, ok := p.devices[id]; ok {
		return d.loom
	}
	return nil
}

// DyeStation returns the simulated dye station id.
func (p *Plant) DyeStation(id string) *dye.Station {
	if d, ok := p.devices[id]; ok {
		return d.dye
	}
	return nil
}

// maxControlBody bounds a control request.
const maxControlBody = 64 << 10

// Handler serves the control API:
//
//	GET /devices                 every device and its status
//	GET /devices/{id}            one device
//	PUT /devices/{id}/faults     set the device's faults (a Faults object; {} clears them)
//	GET /devices/{id}/printed    what a printer printed
//
// Errors are JSON objects {"error": "..."} with status 400 (bad request) or 404 (no such
// device).
func (p *Plant) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /devices", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, p.Status())
	})
	mux.HandleFunc("GET /devices/{id}", func(w http.ResponseWriter, r *http.Request) {
		d, ok := p.devices[r.PathValue("id")]
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("%w: %s", ErrUnknownDevice, r.PathValue("id")))
			return
		}
		writeJSON(w, http.StatusOK, p.status(d))
	})
	mux.HandleFunc("PUT /devices/{id}/faults", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, ok := p.devices[id]; !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("%w: %s", ErrUnknownDevice, id))
			return
		}
		f, err := decodeFaults(http.MaxBytesReader(w, r.Body, maxControlBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		if err := p.SetFaults(id, f); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		p.log.Info("faults set", "device", id, "faults", fmt.Sprintf("%+v", f))
		writeJSON(w, http.StatusOK, p.status(p.devices[id]))
	})
	mux.HandleFunc("GET /devices/{id}/printed", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if t, err := p.Tickets(id); err == nil {
			writeJSON(w, http.StatusOK, t)
			return
		}
		if l, err := p.Labels(id); err == nil {
			writeJSON(w, http.StatusOK, l)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Errorf("%w: no printer %s", ErrUnknownDevice, id))
	})
	return mux
}

// decodeFaults decodes a Faults object strictly: an unknown field or a bad value is an error
// that names the field.
func decodeFaults(r io.Reader) (Faults, error) {
	dec := json.NewDecoder(r)
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return Faults{}, fmt.Errorf("faults: want a JSON object: %w", err)
	}
	if dec.More() {
		return Faults{}, errors.New("faults: one JSON object expected")
	}
	known := faultFields()
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var f Faults
	for _, k := range names {
		if !slices.Contains(known, k) {
			return Faults{}, fmt.Errorf("unknown fault %q (known: %s)", k, strings.Join(known, ", "))
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if err := json.Unmarshal(one, &f); err != nil {
			var ute *json.UnmarshalTypeError
			if errors.As(err, &ute) {
				return Faults{}, fmt.Errorf("%s: want a %s, got a JSON %s", k, ute.Type, ute.Value)
			}
			return Faults{}, fmt.Errorf("%s: %w", k, err)
		}
	}
	return f, nil
}

func faultFields() []string {
	b, _ := json.Marshal(Faults{Delay: 1, Drop: true, Exception: 1, CorruptCRC: true, CloseConn: true, MachineFault: 1,
		HeaterStuck: true, PaperOut: true, NearEnd: true, CoverOpen: true, Offline: true, HeadOpen: true, Paused: true, Silent: true})
	var m map[string]any
	json.Unmarshal(b, &m)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}
