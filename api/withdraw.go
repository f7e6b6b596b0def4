package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/book"
)

// withdrawRequest is the body of POST /orders/{order}/withdraw.
type withdrawRequest struct {
	Reason string `json:"reason"`
}

// withdrawView is the answer to a withdrawal: the withdrawal, and the order as it now stands.
type withdrawView struct {
	Withdrawal book.Withdrawal  `json:"withdrawal"`
	Order      book.OrderDetail `json:"order"`
}

// withdrawOrder takes an order none of whose operations has started out of the open work.
func (s *Server) withdrawOrder(c echo.Context) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	var req withdrawRequest
	if err := strictJSON(raw, &req); err != nil {
		return err
	}
	return s.once(c, raw, func() (int, any, error) {
		ctx := c.Request().Context()
		w, err := s.book.Withdraw(ctx, c.Param("order"), req.Reason, book.Actor(principal(c).ID))
		if err != nil {
			return 0, nil, err
		}
		d, err := s.book.OrderDetail(ctx, w.OrderID)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, withdrawView{Withdrawal: w, Order: d}, nil
	})
}
