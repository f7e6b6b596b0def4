package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
)

// BenchmarkOEEAPI measures the server time of GET /api/v1/oee (by shift and by day), of
// /api/v1/oee/losses and of /api/v1/oee/pareto over a year of 20 cells (250 working days of 8
// hours, 30 stops a cell a day, 40 units a cell a day counted one by one, one scrapped), through
// the API's HTTP handler on loopback with a kept-alive connection, beside the peer GET
// /api/v1/cells/{cell}/queue of a cell with 50 queued operations on the same server. The book is
// the daemon's: the figures of closed buckets are kept after the first request; "cold" makes a
// new book for every request, so that each reads the whole year. Each reports its p99 besides.
func BenchmarkOEEAPI(b *testing.B) {
	const cells, stopsPerDay, unitsPerDay = 20, 30, 40
	f := booktest.Parse(b, "bench.yaml", []byte(booktest.OEEYearFactory(cells)))
	st, _ := booktest.Store(b, "api.db")
	ctx := context.Background()
	workdays := booktest.FillOEEYear(b, st, cells, booktest.OEEYearDays(), stopsPerDay, unitsPerDay)
	last := workdays[len(workdays)-1]
	now := last.Add(12 * time.Hour) // the last day open
	// The peer's queue: 50 operations queued at cell-00.
	if err := st.Write(ctx, func(tx book.Tx) error {
		for i := range 50 {
			orderID := fmt.Sprintf("Q-%02d", i)
			if err := tx.InsertOrder(book.Order{OrderID: orderID, Drop: "big", SKU: "SCARF", Quantity: 2, Due: last.AddDate(0, 0, 7), IntakeAt: now}); err != nil {
				return err
			}
			wo := book.WorkOrder{OrderID: orderID, Drop: "big", SKU: "SCARF", Quantity: 2, Due: last.AddDate(0, 0, 7), State: book.WorkOpen, IntakeAt: now}
			if err := tx.InsertWorkOrder(&wo, []book.Operation{{Seq: 0, Name: "weave", Capability: "weave", Quantity: 2, UnitTime: 10 * time.Minute,
				State: book.Queued, Cell: "cell-00"}}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	clock := func() time.Time { return now }
	serve := func() (*httptest.Server, *Server) {
		bk := book.New(book.Config{Store: st, Factory: f, Now: clock})
		srv, err := New(Config{Book: bk, Sessions: st, Lockouts: st, BcryptCost: 4, Now: clock, Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		return httptest.NewServer(srv.Handler()), srv
	}
	hs, _ := serve()
	defer hs.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func(b *testing.B, base, path string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer manager-token-0000000001")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			b.Fatalf("GET %s: %d %.300s", path, res.StatusCode, body)
		}
	}
	year := "from=" + workdays[0].Format(time.DateOnly) + "&to=" + last.AddDate(0, 0, 1).Format(time.DateOnly)
	// p99 reports the 99th percentile of the requests' times, in ms.
	p99 := func(b *testing.B, took []time.Duration) {
		slices.Sort(took)
		b.ReportMetric(float64(took[(len(took)*99+99)/100-1])/1e6, "p99-ms")
	}
	for _, c := range []struct{ name, path string }{
		{"oee-year-by-shift", "/api/v1/oee?by=shift&" + year},
		{"oee-year-by-day", "/api/v1/oee?by=day&" + year},
		{"losses-year", "/api/v1/oee/losses?" + year},
		{"pareto-year", "/api/v1/oee/pareto?" + year},
		{"oee-last-7-days", "/api/v1/oee"},
		{"peer-api-queue", "/api/v1/cells/cell-00/queue"},
	} {
		b.Run(c.name, func(b *testing.B) {
			get(b, hs.URL, c.path) // the closed buckets kept, as a daemon that served it once
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				get(b, hs.URL, c.path)
				took = append(took, time.Since(t0))
			}
			p99(b, took)
		})
	}
	b.Run("oee-year-by-shift-cold", func(b *testing.B) {
		var took []time.Duration
		for b.Loop() {
			b.StopTimer()
			cold, _ := serve()
			b.StartTimer()
			t0 := time.Now()
			get(b, cold.URL, "/api/v1/oee?by=shift&"+year)
			took = append(took, time.Since(t0))
			b.StopTimer()
			cold.Close()
			b.StartTimer()
		}
		p99(b, took)
	})
}
