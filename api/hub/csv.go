package hub

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/reqlog"
	"github.com/cellforge/cellforge/book/network"
)

// csvHeader is the header of the orders' CSV.
var csvHeader = []string{"order_id", "drop", "sku", "quantity", "customer", "priority", "due", "lat", "lon",
	"state", "site", "route", "ack_by", "promise", "made", "good", "done_at", "batch", "created_at", "updated_at"}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvRow(o network.Order) []string {
	return []string{api.CSVCell(o.OrderID), o.Drop, api.CSVCell(o.SKU), strconv.Itoa(o.Quantity), api.CSVCell(o.Customer),
		strconv.Itoa(o.Priority), csvTime(o.Due), strconv.FormatFloat(o.Location.Lat, 'f', -1, 64),
		strconv.FormatFloat(o.Location.Lon, 'f', -1, 64), string(o.State), o.Site, strconv.Itoa(o.Route),
		csvTime(o.AckBy), csvTime(o.Promise), strconv.Itoa(o.Made), strconv.Itoa(o.Good), csvTime(o.DoneAt),
		o.Batch, csvTime(o.CreatedAt), csvTime(o.UpdatedAt)}
}

// ordersCSV writes the orders f selects as CSV, reading them a page at a time (each page its
// own read of the book, by order id), so that a network of many orders is never held whole.
// With a limit it writes that many at most. A failure after the first page, once the status is
// sent, is logged and the connection cut, so that the client sees a broken transfer rather
// than a CSV that looks whole.
func (s *server) ordersCSV(c echo.Context, f network.OrderFilter) error {
	ctx := c.Request().Context()
	left := f.Limit
	f.Limit = orderPage
	if left > 0 {
		f.Limit = min(left, orderPage)
	}
	first, err := s.hub.Orders(ctx, f)
	if err != nil {
		return err
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	w.Header().Set(echo.HeaderContentDisposition, `attachment; filename="network-orders.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for page := first; ; {
		for _, o := range page {
			_ = cw.Write(csvRow(o))
		}
		cw.Flush()
		w.Flush()
		if left > 0 {
			if left -= len(page); left <= 0 {
				break
			}
			f.Limit = min(left, orderPage)
		}
		if len(page) < f.Limit || len(page) == 0 {
			break
		}
		f.AfterID = page[len(page)-1].OrderID
		if page, err = s.hub.Orders(ctx, f); err != nil {
			reqlog.Logger(c.Request().Context(), s.log).Error("orders CSV cut short", "after", f.AfterID, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	return cw.Error()
}
