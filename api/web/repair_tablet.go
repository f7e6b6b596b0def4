package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// The tablet at a cell that runs diagnoses: the job in hand, when it is a repair's diagnosis,
// shows the repair (the item, what the customer said and showed), and its Diagnose dialog
// picks the services with a live estimate (GET /tablet/{cell}/estimate) before it posts the
// diagnosis to the API.

// repairJob is the repair a diagnosis job is for, as the tablet shows it.
type repairJob struct {
	book.Repair
	// Product is the name of the unit's product; empty for an item not made here.
	Product  string
	KindName string
	Answers  []tabletAnswer
	// Services are the studio's services for the repair's kind, which the diagnosis picks from.
	Services []configs.Service
}

// tabletAnswer is a checklist question with the customer's answer: Checked for a box, Text
// for a written one.
type tabletAnswer struct {
	Label   string
	Checked bool
	Text    string
}

// PhotoURL is the address of a customer's photo of the repair, or of its thumbnail: the
// repair's own photo route, which serves staff the photos the repair names.
func (r repairJob) PhotoURL(ph book.RepairPhoto, thumb bool) string {
	return repairDetail{Repair: r.Repair}.PhotoURL(ph, thumb)
}

// repairOf returns the repair whose diagnosis or work operation op is; nil when op is none.
func (p *Pages) repairOf(ctx context.Context, op int64) (*repairJob, error) {
	fac := p.factory()
	r, err := p.book.RepairForOperation(ctx, op)
	if errors.Is(err, book.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a := fac.Aftercare
	rj := &repairJob{Repair: r, KindName: r.Kind}
	if r.Serial != "" {
		u, err := p.book.Unit(ctx, r.Serial)
		if err != nil && !errors.Is(err, book.ErrUnknownUnit) {
			return nil, err
		}
		rj.Product = u.SKU
		if pr, ok := fac.Product(u.SKU); ok && pr.Name != "" {
			rj.Product = pr.Name
		}
	}
	if k, ok := a.Kind(r.Kind); ok {
		rj.KindName = k.Name
		for _, it := range k.Checklist {
			v, ok := r.Checklist[it.ID]
			if !ok {
				continue
			}
			if it.Input == configs.CheckText {
				rj.Answers = append(rj.Answers, tabletAnswer{Label: it.Label, Text: v})
			} else {
				rj.Answers = append(rj.Answers, tabletAnswer{Label: it.Label, Checked: v == "yes"})
			}
		}
	}
	if a != nil {
		for _, s := range a.Services {
			for _, k := range s.Kinds {
				if k == r.Kind {
					rj.Services = append(rj.Services, s)
					break
				}
			}
		}
	}
	return rj, nil
}

// repairEstimate is the live estimate of the Diagnose dialog.
type repairEstimate struct {
	Estimate *book.Estimate
	// Problem says why there is no estimate (no service chosen yet, the plan being made...).
	Problem string
}

// tabletEstimate answers the Diagnose dialog's live estimate of ?repair= with ?services= (in
// the order of the work): the lines, the standard and express dates and totals, as HTML.
func (p *Pages) tabletEstimate(c echo.Context) error {
	if _, err := p.cellParam(c); err != nil {
		return err
	}
	l := p.lang(c)
	services := api.ServicesParam(c)
	var out repairEstimate
	if len(services) == 0 {
		out.Problem = l.T("Pick the services the repair needs.")
		return p.render(c, http.StatusOK, "repair_estimate", out)
	}
	ctx := c.Request().Context()
	id := c.QueryParam("repair")
	var pl api.RepairPlanner
	if p.cfg.Planner != nil {
		pl = p.cfg.Planner
	}
	w, err := api.RepairPromise(ctx, p.book, pl, id, services)
	var e book.Estimate
	if err == nil {
		e, err = p.book.PreviewEstimate(ctx, id, services, w.Standard, w.Express)
	}
	var fe *book.FieldError
	switch {
	case errors.Is(err, api.ErrPlanning):
		out.Problem = l.T("The plan is being made: the estimate comes in a moment.")
	case errors.Is(err, api.ErrNoPlanner):
		out.Problem = l.T("This studio's daemon does not plan the floor: it cannot promise dates.")
	case errors.As(err, &fe), errors.Is(err, book.ErrRepairState):
		out.Problem = err.Error()
	case errors.Is(err, book.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, l.T("There is no repair %q.", id))
	case err != nil:
		return err
	default:
		out.Estimate = &e
	}
	return p.render(c, http.StatusOK, "repair_estimate", out)
}
