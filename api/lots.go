package api

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
)

// lotsRequest is the body of POST /operations/{id}/lots: lot ids by material.
type lotsRequest struct {
	Lots map[string]string `json:"lots"`
}

// recordLots records or corrects the lots an operation consumed.
func (s *Server) recordLots(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req lotsRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	idem, err := idempotency(c, raw)
	if err != nil {
		return err
	}
	lots, err := s.book.RecordLots(c.Request().Context(), book.RecordLotsRequest{
		Operation: id, Lots: req.Lots, Actor: book.Actor(principal(c).ID), Idempotency: idem})
	if err != nil {
		return err
	}
	if lots.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusOK, lots)
}

// getLots returns the lots of an operation.
func (s *Server) getLots(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	lots, err := s.book.Lots(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, lots)
}

// TraceCSVHeader is the header row of a lot's trace as CSV: one row per unit of each work
// order the lot touched.
var TraceCSVHeader = []string{"lot", "role", "material", "serial", "unit state", "order", "customer", "drop", "sku", "work order", "work order state"}

// lotTrace returns where a lot came from and every work order it touched, with their units,
// as JSON or, when asked (?format=csv, or an Accept that prefers text/csv), as CSV.
func (s *Server) lotTrace(c echo.Context) error {
	lot := c.Param("lot")
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	tr, err := s.book.LotTrace(c.Request().Context(), lot)
	if err != nil {
		return err
	}
	if !asCSV {
		return c.JSON(http.StatusOK, tr)
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="trace-%s.csv"`, fileSafe(lot)))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(TraceCSVHeader)
	_ = w.WriteAll(TraceRows(tr)) // the client went away if this fails; nothing to tell it
	return nil
}

// TraceRows returns the CSV rows of a trace under TraceCSVHeader: one per unit of each traced
// work order, by work order and number, and one with no serial for a work order that has made
// no unit yet. A work order that used the lot at several operations has their roles and
// materials joined with "; ". Text cells that a spreadsheet would take for a formula start
// with a quote.
func TraceRows(tr book.LotTrace) [][]string {
	rows := make([][]string, 0, len(tr.WorkOrders))
	for _, wo := range tr.WorkOrders {
		var roles, materials []string
		for _, u := range wo.Uses {
			roles = appendNew(roles, string(u.Role))
			if u.Material != "" {
				materials = appendNew(materials, u.Material)
			}
		}
		row := func(serial, state string) []string {
			return []string{cell(tr.Lot), strings.Join(roles, "; "), strings.Join(materials, "; "), cell(serial), cell(state),
				cell(wo.OrderID), cell(wo.Customer), wo.Drop, wo.SKU, strconv.FormatInt(wo.ID, 10), string(wo.State)}
		}
		if len(wo.Units) == 0 {
			rows = append(rows, row("", ""))
		}
		for _, u := range wo.Units {
			rows = append(rows, row(u.Serial, UnitStateText(u.State, u.Scrapped)))
		}
	}
	return rows
}

// UnitStateText says a unit's state in a word, and for a scrapped unit where and why:
// "scrapped at operation 12: broken warp".
func UnitStateText(state book.UnitState, scrap *book.UnitScrap) string {
	if state != book.UnitScrapped || scrap == nil {
		return string(state)
	}
	if scrap.Reason == "" {
		return fmt.Sprintf("scrapped at operation %d", scrap.Operation)
	}
	return fmt.Sprintf("scrapped at operation %d: %s", scrap.Operation, scrap.Reason)
}

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// cell guards a text cell against a spreadsheet's formulas: one starting with =, +, -, @, a
// tab or a carriage return gets a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// fileSafe keeps the letters, digits, '.', '_' and '-' of s for a file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// wantsCSV reports whether a request asks for CSV: ?format=csv, or an Accept naming text/csv
// before application/json.
func wantsCSV(c echo.Context) (bool, error) {
	switch f := c.QueryParam("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, newError(http.StatusBadRequest, codeInvalid, "format %q: want csv or json", f)
	}
	for _, part := range strings.Split(c.Request().Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true, nil
		case "application/json", "*/*":
			return false, nil
		}
	}
	return false, nil
}
