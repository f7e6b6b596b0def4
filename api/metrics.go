package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cellforge/cellforge/book"
)

type metrics struct {
	requests       *prometheus.HistogramVec
	ordersImported prometheus.Counter
	transitions    *prometheus.CounterVec
	signInFailures prometheus.Counter
	refused        *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, b *book.Book) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cellforge_http_request_duration_seconds",
			Help:    "Time to answer API requests, by route, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method", "code"}),
		ordersImported: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cellforge_orders_imported_total",
			Help: "Orders new to the book from accepted batches.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellforge_operation_transitions_total",
			Help: "Actions applied to operations, by action.",
		}, []string{"action"}),
		signInFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cellforge_signin_failures_total",
			Help: "Failed sign-in attempts.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cellforge_http_refused_total",
			Help: "Requests and connections refused before the API or the pages saw them, by reason: host (a Host the daemon does not serve), slow_body (a request body that came too slowly), connections (a client over its connection limit), capacity (a connection past the daemon's limit of connections in all).",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.ordersImported, m.transitions, m.signInFailures, m.refused, bookCollector{b}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// refusedBy returns a function that counts a refusal for reason.
func (m *metrics) refusedBy(reason string) func() {
	c := m.refused.WithLabelValues(reason)
	return c.Inc
}

func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		code := c.Response().Status
		if err != nil {
			code, _ = classify(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(code)).Observe(time.Since(start).Seconds())
		return err
	}
}

func metricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// bookCollector reports the book's work orders and operations by state at each scrape.
type bookCollector struct{ b *book.Book }

var (
	workOrdersDesc = prometheus.NewDesc("cellforge_work_orders", "Work orders by state.", []string{"state"}, nil)
	operationsDesc = prometheus.NewDesc("cellforge_operations", "Operations by state.", []string{"state"}, nil)
	cellLoadDesc   = prometheus.NewDesc("cellforge_cell_load_seconds",
		"Standard time of the operations queued, running or paused at a cell.", []string{"cell"}, nil)
)

func (bookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- workOrdersDesc
	ch <- operationsDesc
	ch <- cellLoadDesc
}

func (c bookCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	wos, ops, err := c.b.Counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(workOrdersDesc, err)
		return
	}
	for _, s := range []book.WorkOrderState{book.WorkOpen, book.WorkDone, book.WorkScrapped, book.WorkWithdrawn} {
		ch <- prometheus.MustNewConstMetric(workOrdersDesc, prometheus.GaugeValue, float64(wos[s]), string(s))
	}
	for _, s := range []book.State{book.Pending, book.Ready, book.Queued, book.Running, book.Paused, book.Done, book.Scrapped, book.Withdrawn} {
		ch <- prometheus.MustNewConstMetric(operationsDesc, prometheus.GaugeValue, float64(ops[s]), string(s))
	}
	loads, err := c.b.CellLoads(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(cellLoadDesc, err)
		return
	}
	for cell, load := range loads {
		ch <- prometheus.MustNewConstMetric(cellLoadDesc, prometheus.GaugeValue, load.Seconds(), cell)
	}
}

// RegisterRuntime adds the Go runtime and process collectors to reg.
func RegisterRuntime(reg *prometheus.Registry) error {
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
