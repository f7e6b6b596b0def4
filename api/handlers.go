package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/health"
)

const (
	defaultLimit = 100
	maxLimit     = 10000
	maxKeyLen    = 200
	maxJSONBody  = 64 << 10
)

func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status, code, store := "ok", http.StatusOK, "ok"
	checks := map[string]string{}
	for _, ch := range s.checks {
		name, problem := ch.Health()
		checks[name] = "ok"
		if problem != "" {
			checks[name], status = problem, "degraded"
		}
	}
	if err := s.book.Ping(ctx); err != nil {
		reqlog.Logger(ctx, s.log).Error("health check: store", "err", err)
		status, code, store = "down", http.StatusServiceUnavailable, err.Error()
	}
	checks["store"] = store
	return c.JSON(code, map[string]any{
		"status":  status,
		"version": s.version,
		"site":    s.book.Factory().Site,
		"checks":  checks,
	})
}

// cellView is a cell as the API shows it.
type cellView struct {
	ID           string       `json:"id"`
	Name         string       `json:"name,omitempty"`
	Capabilities []string     `json:"capabilities"`
	Devices      []deviceView `json:"devices"`
	// Status is what the cell's controller sees, when the daemon runs the floor.
	Status *cells.Status `json:"status,omitempty"`
}

type deviceView struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
}

func (s *Server) viewCell(c configs.Cell) cellView {
	v := cellView{ID: c.ID, Name: c.Name, Capabilities: c.Capabilities, Devices: []deviceView{}}
	for _, d := range c.Devices {
		v.Devices = append(v.Devices, deviceView{ID: d.ID, Kind: d.Kind})
	}
	if s.floor != nil {
		if st, ok := s.floor.CellStatus(c.ID); ok {
			v.Status = &st
		}
	}
	return v
}

func (s *Server) listCells(c echo.Context) error {
	out := []cellView{}
	for _, cell := range s.book.Factory().Cells {
		out = append(out, s.viewCell(cell))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getCell(c echo.Context) error {
	cell, ok := s.book.Factory().Cell(c.Param("cell"))
	if !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown cell %q", c.Param("cell"))
	}
	return c.JSON(http.StatusOK, s.viewCell(cell))
}

// simulator passes a request on to the simulated plant's control API.
func (s *Server) simulator(c echo.Context) error {
	var sim http.Handler
	if s.floor != nil {
		sim = s.floor.Simulator()
	}
	if sim == nil {
		return newError(http.StatusNotFound, codeNotFound, "this factory is not simulated (simulate: false in its config)")
	}
	http.StripPrefix("/api/v1/sim", sim).ServeHTTP(c.Response(), c.Request())
	return nil
}

// resetRequest is the body of POST /api/v1/cells/{cell}/reset, which may be empty.
type resetRequest struct {
	// Note says what was done about the fault; it is recorded with the reset.
	Note string `json:"note"`
}

// resetCell clears a cell's fault: a fault a person reported, and its machine's.
func (s *Server) resetCell(c echo.Context) error {
	id := c.Param("cell")
	if _, ok := s.book.Factory().Cell(id); !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown cell %q", id)
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req resetRequest
	if err := optionalJSON(raw, &req); err != nil {
		return err
	}
	note, err := book.ResetNote(req.Note)
	if err != nil {
		return newError(http.StatusBadRequest, codeInvalid, "field \"note\": %v", err)
	}
	if s.floor == nil {
		return newError(http.StatusConflict, codeNoMachine, "this daemon drives no machines")
	}
	if err := s.floor.ResetCell(c.Request().Context(), id, principal(c).ID, note); err != nil {
		if errors.Is(err, cells.ErrManual) {
			return newError(http.StatusConflict, codeNoMachine, "cell %q has no machine to reset and no reported fault to clear", id)
		}
		if errors.Is(err, cells.ErrElsewhere) {
			return err
		}
		return newError(http.StatusBadGateway, codeDevice, "resetting the machine of cell %q: %v", id, err)
	}
	st, _ := s.floor.CellStatus(id)
	return c.JSON(http.StatusAccepted, st)
}

// listDevices shows the health of every device connection.
func (s *Server) listDevices(c echo.Context) error {
	out := []health.Snapshot{}
	if s.floor != nil {
		out = append(out, s.floor.Devices()...)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) cellQueue(c echo.Context) error {
	limit, err := intParam(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	planning := Planning(s.planner) // before the read: a plan made meanwhile may order it
	q, err := s.book.Queue(c.Request().Context(), c.Param("cell"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cell": c.Param("cell"), "queue": nonNil(q), "planning": planning})
}

// productView is a product as the API shows it.
type productView struct {
	SKU     string     `json:"sku"`
	Name    string     `json:"name,omitempty"`
	Routing []stepView `json:"routing"`
}

type stepView struct {
	Name            string          `json:"name"`
	Instructions    string          `json:"instructions,omitempty"`
	Capability      string          `json:"capability"`
	UnitTimeSeconds float64         `json:"unit_time_seconds"`
	SetupSeconds    float64         `json:"setup_seconds"`
	Changeover      *changeoverView `json:"changeover,omitempty"`
}

type changeoverView struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

func viewProduct(p configs.Product) productView {
	v := productView{SKU: p.SKU, Name: p.Name}
	for _, st := range p.Routing {
		sv := stepView{Name: st.Name, Instructions: st.Instructions, Capability: st.Capability,
			UnitTimeSeconds: st.UnitTime.Seconds(), SetupSeconds: st.Setup.Seconds()}
		if st.Changeover != nil {
			sv.Changeover = &changeoverView{Attribute: st.Changeover.Attribute, Value: st.Changeover.Value}
		}
		v.Routing = append(v.Routing, sv)
	}
	return v
}

func (s *Server) listProducts(c echo.Context) error {
	out := []productView{}
	for _, p := range s.book.Factory().Products {
		out = append(out, viewProduct(p))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getProduct(c echo.Context) error {
	p, ok := s.book.Factory().Product(c.Param("sku"))
	if !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown product %q", c.Param("sku"))
	}
	return c.JSON(http.StatusOK, viewProduct(p))
}

// dropView is a drop as the API shows it: its windows and the units ordered against them.
type dropView struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	Date    time.Time      `json:"date"`
	Windows map[string]int `json:"windows"`
	Ordered map[string]int `json:"ordered,omitempty"`
}

func (s *Server) listDrops(c echo.Context) error {
	out := []dropView{}
	for _, d := range s.book.Factory().Drops {
		out = append(out, dropView{ID: d.ID, Name: d.Name, Date: d.Date, Windows: d.Windows})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getDrop(c echo.Context) error {
	d, ok := s.book.Factory().Drop(c.Param("drop"))
	if !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown drop %q", c.Param("drop"))
	}
	units, err := s.book.DropUnits(c.Request().Context(), d.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dropView{ID: d.ID, Name: d.Name, Date: d.Date, Windows: d.Windows, Ordered: units})
}

func (s *Server) importOrders(c echo.Context) error {
	r := c.Request()
	if _, ok := s.book.Factory().Drop(c.Param("drop")); !ok {
		return newError(http.StatusNotFound, codeNotFound, "unknown drop %q", c.Param("drop"))
	}
	ct := r.Header.Get(echo.HeaderContentType)
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "text/csv" && mt != "application/csv" && mt != "application/json") {
		return newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"send the batch as text/csv or application/json, not %q", ct)
	}
	body := http.MaxBytesReader(c.Response(), r.Body, s.maxBatch)
	rows, err := intake.New(ct, body)
	if err != nil {
		return s.batchReadError(c, err)
	}
	idem, err := idempotency(c, nil)
	if err != nil {
		return err
	}
	res, err := s.book.Import(r.Context(), book.ImportRequest{
		Drop:        c.Param("drop"),
		Rows:        rows,
		Actor:       book.Actor(principal(c).ID),
		Idempotency: idem,
		MaxErrors:   s.maxErrs,
	})
	if err != nil {
		return s.batchReadError(c, err)
	}
	s.metrics.ordersImported.Add(float64(res.Created))
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	status := http.StatusOK
	if res.Created > 0 {
		status = http.StatusCreated
	}
	return c.JSON(status, res)
}

// batchReadError turns a body over the size limit into a 413, and the problems of a batch's
// header into a refusal of the batch that lists the first of them, as the book's does.
func (s *Server) batchReadError(c echo.Context, err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return BatchTooLarge(tooBig.Limit)
	}
	var header intake.RowErrors
	var batch *book.BatchError
	if !errors.As(err, &batch) && errors.As(err, &header) {
		return &book.BatchError{Drop: c.Param("drop"), Errors: header[:min(len(header), s.maxErrs)],
			Problems: len(header), BadRows: 1}
	}
	return err
}

func (s *Server) dropTurnaround(c echo.Context) error {
	t, err := s.book.Turnaround(c.Request().Context(), c.Param("drop"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Server) allTurnaround(c echo.Context) error {
	out := []book.Turnaround{}
	for _, d := range s.book.Factory().Drops {
		t, err := s.book.Turnaround(c.Request().Context(), d.ID)
		if err != nil {
			return err
		}
		out = append(out, t)
	}
	return c.JSON(http.StatusOK, out)
}

// orderView is an order as the API shows it: its work orders (its first, then its remakes),
// how its units stand, and, as before remakes, its latest work order alone.
type orderView struct {
	book.OrderDetail
	WorkOrder book.WorkOrder `json:"work_order"`
}

func (s *Server) getOrder(c echo.Context) error {
	d, err := s.book.OrderDetail(c.Request().Context(), c.Param("order"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, orderView{OrderDetail: d, WorkOrder: d.Latest()})
}

// remakeOrder makes again the units an order lacks.
func (s *Server) remakeOrder(c echo.Context) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	// No field yet: the body may be empty or {}, and anything else is refused.
	if err := optionalJSON(raw, &struct{}{}); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	res, err := s.book.Remake(c.Request().Context(), book.RemakeRequest{
		OrderID:     c.Param("order"),
		Actor:       book.Actor(principal(c).ID),
		Idempotency: idem,
	})
	if err != nil {
		return err
	}
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, res)
}

func (s *Server) listWorkOrders(c echo.Context) error {
	limit, err := intParam(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	after, err := int64Param(c, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	f := book.WorkOrderFilter{Drop: c.QueryParam("drop"), State: book.WorkOrderState(c.QueryParam("state")),
		AfterID: after, Limit: limit}
	switch f.State {
	case "", book.WorkOpen, book.WorkDone, book.WorkScrapped, book.WorkWithdrawn:
	default:
		return newError(http.StatusBadRequest, codeInvalid, "state %q: want open, done, scrapped or withdrawn", f.State)
	}
	wos, err := s.book.WorkOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"work_orders": nonNil(wos), "next_after": nextAfter(wos, limit)})
}

func nextAfter(wos []book.WorkOrder, limit int) int64 {
	if len(wos) < limit || len(wos) == 0 {
		return 0
	}
	return wos[len(wos)-1].ID
}

func (s *Server) getWorkOrder(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	d, err := s.book.WorkOrder(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) getOperation(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	op, err := s.book.Operation(ctx, id)
	if err != nil {
		return err
	}
	out := operationRecord{Operation: op, Readings: []reading{}}
	rs, err := s.book.Readings(ctx, id)
	if err != nil {
		return err
	}
	for _, r := range rs {
		out.Readings = append(out.Readings, reading{Quantity: r.Quantity, Unit: r.Unit, Samples: r.Samples, Min: r.Min, Max: r.Max,
			Held: r.Held, HeldSeconds: r.HoldSeconds(), HeldFrom: r.HeldFrom, First: r.First, Last: r.Last})
	}
	if out.People, err = s.book.OperationPeople(ctx, id); err != nil {
		return err
	}
	checks, err := s.book.Checks(ctx, id)
	if err != nil {
		return err
	}
	out.Checks = nonNil(checks)
	return c.JSON(http.StatusOK, out)
}

// operationRecord is an operation with its record: what its machine read during it and who
// acted on it.
type operationRecord struct {
	book.Operation
	Readings []reading  `json:"readings"`
	People   []book.Act `json:"people"`
	// Checks are the quality checks recorded at its completions, by time.
	Checks []book.CheckRecord `json:"checks"`
}

// reading is the summary of one quantity a machine read during an operation.
type reading struct {
	Quantity    string    `json:"quantity"`
	Unit        string    `json:"unit,omitempty"`
	Samples     int       `json:"samples"`
	Min         float64   `json:"min"`
	Max         float64   `json:"max"`
	Held        float64   `json:"held"`
	HeldSeconds float64   `json:"held_seconds"`
	HeldFrom    time.Time `json:"held_from"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
}

// actionRequest is the optional body of an action on an operation. Quantity is the units to
// scrap, or the good units a complete made (absent: every unit left).
type actionRequest struct {
	Reason   string `json:"reason"`
	Quantity *int   `json:"quantity"`
	Version  int64  `json:"version"`
	// Lots, to start, are the lots the operation consumes, by material.
	Lots map[string]string `json:"lots"`
	// Checks, to complete, answer the step's quality checklist.
	Checks []checkAnswer `json:"checks"`
}

func (s *Server) actOnOperation(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	action, err := book.ParseAction(c.Param("action"))
	if err != nil {
		return newError(http.StatusNotFound, codeNotFound, "%v", err)
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req actionRequest
	if err := optionalJSON(raw, &req); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	checks, err := checkResults(req.Checks)
	if err != nil {
		return err
	}
	tr := book.TransitionRequest{
		Operation:   id,
		Action:      action,
		Actor:       book.Actor(principal(c).ID),
		Reason:      req.Reason,
		Version:     req.Version,
		Idempotency: idem,
		Lots:        req.Lots,
		Checks:      checks,
	}
	switch {
	case req.Quantity == nil:
	case action == book.ActionComplete:
		tr.Good = req.Quantity
	default:
		tr.Quantity = *req.Quantity
	}
	res, err := s.book.Transition(c.Request().Context(), tr)
	if err != nil {
		return err
	}
	s.metrics.transitions.WithLabelValues(string(action)).Inc()
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) dispatch(c echo.Context) error {
	n, err := s.book.Dispatch(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"queued": n})
}

func (s *Server) listEvents(c echo.Context) error {
	limit, err := intParam(c, "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	var f book.EventFilter
	f.Limit = limit
	for name, dst := range map[string]*int64{"after": &f.AfterID, "work_order": &f.WorkOrder, "operation": &f.Operation} {
		v, err := int64Param(c, name, 0, 0, 1<<62)
		if err != nil {
			return err
		}
		*dst = v
	}
	f.Cell = c.QueryParam("cell")
	events, err := s.book.Events(c.Request().Context(), f)
	if err != nil {
		return err
	}
	next := int64(0)
	if len(events) == limit {
		next = events[len(events)-1].ID
	}
	return c.JSON(http.StatusOK, map[string]any{"events": nonNil(events), "next_after": next})
}

// idempotency reads the Idempotency-Key header. body, when not nil, is hashed with the method
// and path to recognise a retry of the same request; a nil body leaves the hash to the book.
func idempotency(c echo.Context, body []byte) (*book.Idempotency, error) {
	key, err := idempotencyKey(c.Request())
	if key == "" || err != nil {
		return nil, err
	}
	idem := &book.Idempotency{Principal: principal(c).ID, Key: key}
	if body != nil {
		h := sha256.New()
		fmt.Fprintf(h, "%s %s\n", c.Request().Method, c.Request().URL.Path)
		h.Write(body)
		idem.RequestHash = hex.EncodeToString(h.Sum(nil))
	}
	return idem, nil
}

// idempotencyKey returns the request's Idempotency-Key, "" when it has none; a key longer than
// maxKeyLen is refused.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxKeyLen {
		return "", newError(http.StatusBadRequest, codeInvalid, "Idempotency-Key is longer than %d characters", maxKeyLen)
	}
	return key, nil
}

func decodeJSON(c echo.Context, v any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	return strictJSON(raw, v)
}

// readBody reads a small JSON body whole, for decoding and for the idempotency hash.
func readBody(c echo.Context) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, newError(http.StatusRequestEntityTooLarge, codeTooLarge, "the request body is larger than %d bytes", maxJSONBody)
	case errors.Is(err, ErrSlowBody):
		return nil, err
	case err != nil:
		return nil, newError(http.StatusBadRequest, codeInvalid, "reading the request body: %v", err)
	}
	return raw, nil
}

// optionalJSON decodes a body that may be empty (every field then keeps its zero value).
func optionalJSON(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	return strictJSON(raw, v)
}

// strictJSON decodes one JSON object, refusing unknown fields.
func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return newError(http.StatusBadRequest, codeInvalid, "field %q: want a %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return newError(http.StatusBadRequest, codeInvalid, "request body: %v", err)
	}
	if dec.More() {
		return newError(http.StatusBadRequest, codeInvalid, "request body: more than one JSON value")
	}
	return nil
}

func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	v, err := int64Param(c, name, int64(def), int64(lo), int64(hi))
	return int(v), err
}

// int64Param is intParam for a value that may pass what an int holds on a 32-bit platform: an
// id, which counts rows for the life of a database.
func int64Param(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, newError(http.StatusBadRequest, codeInvalid, "query parameter %s=%q: want an integer from %d to %d", name, s, lo, hi)
	}
	return v, nil
}

func idParam(c echo.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, newError(http.StatusBadRequest, codeInvalid, "%s %q: want a positive integer", name, c.Param(name))
	}
	return v, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
