package api

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book/margin"
)

// MarginCSVHeader is the header row of margins as CSV: one row per SKU of each drop and a
// total row per drop, predicted and then actual, amounts in the currency's units with two
// decimals, a margin % left empty where there is no revenue.
var MarginCSVHeader = []string{"drop", "sku", "currency", "price",
	"predicted units", "predicted revenue", "predicted time cost", "predicted material cost", "predicted hours", "predicted margin", "predicted margin %",
	"actual units", "actual revenue", "actual time cost", "actual material cost", "actual scrap cost", "actual hours", "actual margin", "actual margin %"}

// dropMargin returns the margin of a drop, as JSON or, when asked (?format=csv, or an Accept
// that prefers text/csv), as CSV: a row per SKU and a total row.
func (s *Server) dropMargin(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	m, err := s.book.Margin(c.Request().Context(), c.Param("drop"))
	if err != nil {
		return err
	}
	if !asCSV {
		return c.JSON(http.StatusOK, m)
	}
	return writeMarginCSV(c, "margin-"+fileSafe(m.Drop)+".csv", []margin.Margin{m})
}

// margins is every drop's margin, in the config's order of drops.
type margins struct {
	Currency string          `json:"currency"`
	Drops    []margin.Margin `json:"drops"`
}

// allMargins returns the margin of every drop, as JSON or CSV as dropMargin does.
func (s *Server) allMargins(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	f := s.book.Factory()
	out := margins{Currency: f.Currency, Drops: make([]margin.Margin, 0, len(f.Drops))}
	for _, d := range f.Drops {
		m, err := s.book.Margin(c.Request().Context(), d.ID)
		if err != nil {
			return err
		}
		out.Drops = append(out.Drops, m)
	}
	if !asCSV {
		return c.JSON(http.StatusOK, out)
	}
	return writeMarginCSV(c, "margins.csv", out.Drops)
}

// writeMarginCSV answers with the rows of ms under MarginCSVHeader.
func writeMarginCSV(c echo.Context, file string, ms []margin.Margin) error {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, file))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(MarginCSVHeader)
	for _, m := range ms {
		_ = w.WriteAll(MarginRows(m)) // the client went away if this fails; nothing to tell it
	}
	return nil
}

// MarginRows returns the CSV rows of a drop's margin under MarginCSVHeader: one per SKU, by
// SKU, then the total, whose SKU cell says "total". Text cells that a spreadsheet would take
// for a formula start with a quote.
func MarginRows(m margin.Margin) [][]string {
	rows := make([][]string, 0, len(m.Lines)+1)
	row := func(sku, price string, l margin.Line) []string {
		p, a := l.Predicted, l.Actual
		return []string{cell(m.Drop), cell(sku), m.Currency, price,
			strconv.Itoa(p.Units), p.Revenue.String(), p.TimeCost.String(), p.MaterialCost.String(), hours(p.Hours), p.Margin.String(), percent(p.MarginPct),
			strconv.Itoa(a.Units), a.Revenue.String(), a.TimeCost.String(), a.MaterialCost.String(), a.ScrapCost.String(), hours(a.Hours), a.Margin.String(), percent(a.MarginPct)}
	}
	for _, l := range m.Lines {
		rows = append(rows, row(l.SKU, l.Price.String(), l))
	}
	return append(rows, row("total", "", m.Total))
}

func hours(h float64) string { return strconv.FormatFloat(h, 'f', 2, 64) }

// percent formats a margin %, empty when there is none (no revenue).
func percent(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}
