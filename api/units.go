package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
)

// UnitGenealogy is a unit's genealogy as GET /api/v1/units/{serial} answers it, for the
// studio's staff: it names the customer and the people who made the unit.
type UnitGenealogy struct {
	Unit      book.Unit      `json:"unit"`
	State     book.UnitState `json:"state"`
	Order     book.Order     `json:"order"`
	WorkOrder book.WorkOrder `json:"work_order"`
	// Replaced are the scrapped units a remake's unit makes up for; Remakes the work orders
	// that make up for its work order's lost units.
	Replaced []book.Unit      `json:"replaced"`
	Remakes  []book.WorkOrder `json:"remakes"`
	Steps    []UnitStep       `json:"steps"`
	Notes    []book.Note      `json:"notes"`
	Photos   []book.Photo     `json:"photos"`
	// Certificate says how many revisions the unit's certificate has, when the newest was
	// issued and where its public page is.
	Certificate UnitCertificate `json:"certificate"`
}

// UnitStep is one operation that made a unit: who acted on it, what its machine read and
// the lots it made and consumed.
type UnitStep struct {
	Operation book.Operation        `json:"operation"`
	Acts      []book.Act            `json:"acts"`
	Readings  []book.ReadingSummary `json:"readings"`
	Lots      []book.OperationLot   `json:"lots"`
	// Checks are the step's quality checks (results, who, when); NonConformances the failed
	// ones with their decisions.
	Checks          []book.CheckRecord    `json:"checks"`
	NonConformances []book.NonConformance `json:"nonconformances"`
}

// UnitCertificate is what a genealogy says of the unit's certificate.
type UnitCertificate struct {
	Revisions  int        `json:"revisions"`
	LastIssued *time.Time `json:"last_issued,omitempty"`
	// Page is the address of the unit's public page, on this daemon.
	Page string `json:"page"`
}

// GenealogyOf returns g as the API answers it: every list present, empty rather than null.
func GenealogyOf(g book.Genealogy) UnitGenealogy {
	out := UnitGenealogy{Unit: g.Unit, State: g.State, Order: g.Order, WorkOrder: g.WorkOrder,
		Replaced: nonNil(g.Replaced), Remakes: nonNil(g.Remakes), Steps: make([]UnitStep, 0, len(g.Steps)),
		Notes: nonNil(g.Notes), Photos: nonNil(g.Photos),
		Certificate: UnitCertificate{Revisions: g.Revisions, Page: "/u/" + url.PathEscape(g.Unit.Serial)}}
	for _, s := range g.Steps {
		out.Steps = append(out.Steps, UnitStep{Operation: s.Operation, Acts: nonNil(s.Acts), Readings: nonNil(s.Readings), Lots: nonNil(s.Lots),
			Checks: nonNil(s.Checks), NonConformances: nonNil(s.NonConformances)})
	}
	if g.Revisions > 0 {
		at := g.LastIssued
		out.Certificate.LastIssued = &at
	}
	return out
}

// getUnit answers a unit's genealogy.
func (s *Server) getUnit(c echo.Context) error {
	g, err := s.book.Genealogy(c.Request().Context(), c.Param("serial"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, GenealogyOf(g))
}
