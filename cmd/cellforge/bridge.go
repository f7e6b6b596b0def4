package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/cellforge/cellforge/telemetry/bridge"
	"github.com/cellforge/cellforge/telemetry/buffer"
)

// runBridge runs the MQTT-to-InfluxDB bridge on its own: at a central site it gathers the
// telemetry of every micro-factory publishing to the broker.
func runBridge(ctx context.Context, args []string, e *env) error {
	fs := newFlagSet("bridge", "bridge --broker URL --influx-url URL [--bucket DB/RP] [--data DIR] [--listen ADDR]", e)
	broker := fs.String("broker", "", "MQTT broker `url` (tcp://host:port or ssl://host:port)")
	clientID := fs.String("client-id", "cellforge-bridge", "the bridge's persistent session at the broker; keep it across restarts")
	username := fs.String("username", "", "MQTT user name")
	password := fs.String("password", "", "MQTT password")
	influxURL := fs.String("influx-url", "", "InfluxDB `url` (http://host:8086)")
	token := fs.String("token", "", "InfluxDB token (\"user:password\" for InfluxDB 1.8, empty without auth)")
	org := fs.String("org", "", "InfluxDB organization (empty for InfluxDB 1.8)")
	bucket := fs.String("bucket", "cellforge/autogen", "InfluxDB bucket (database/retention-policy for InfluxDB 1.8)")
	batch := fs.Int("batch", 5000, "most points per write")
	linger := fs.Duration("linger", 100*time.Millisecond, "least time between two writes that are not full: points arriving meanwhile go in one write")
	gzipLevel := fs.Int("gzip-level", 0, "gzip level of the writes to InfluxDB, 1 to 9, for a slow link; 0 sends them uncompressed")
	dataDir := fs.String("data", "./bridge-data", "`directory` of the on-disk queue that holds points while InfluxDB is away")
	maxBytes := fs.Int64("buffer-max-bytes", 1<<30, "bound of the on-disk queue in `bytes`; the oldest points are dropped beyond it")
	listen := fs.String("listen", "", "`address` to serve /metrics and /healthz on (none when empty)")
	logs := addLogFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *broker == "" || *influxURL == "" {
		fmt.Fprintln(e.stderr, "cellforge bridge: --broker and --influx-url are required")
		fs.Usage()
		return errUsage
	}
	spec, err := logs.check()
	if err != nil {
		return err
	}
	logger := spec.logger(e.stderr)
	q, err := buffer.Open(filepath.Join(*dataDir, "bridge"), buffer.Options{MaxBytes: *maxBytes})
	if err != nil {
		return fmt.Errorf("opening the bridge queue: %w", err)
	}
	defer func() {
		if err := q.Close(); err != nil {
			logger.Error("closing the bridge queue", "err", err)
		}
	}()
	br, err := bridge.New(bridge.Config{
		Broker: *broker, ClientID: *clientID, Username: *username, Password: *password,
		InfluxURL: *influxURL, Token: *token, Org: *org, Bucket: *bucket, BatchLines: *batch,
		Linger: *linger, GzipLevel: *gzipLevel, Queue: q, Logger: logger,
	})
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return br.Run(ctx) })
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("listening: %w", err)
		}
		fmt.Fprintf(e.stdout, "cellforge bridge serving metrics on http://%s\n", ln.Addr())
		srv := &http.Server{Handler: bridgeHandler(br, q), ReadHeaderTimeout: 5 * time.Second}
		g.Go(func() error {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(sctx)
		})
	}
	logger.Info("bridge running", "broker", *broker, "influx", *influxURL, "bucket", *bucket)
	return g.Wait()
}

// bridgeHandler serves the bridge's counters on /metrics and its state on /healthz.
func bridgeHandler(br *bridge.Bridge, q *buffer.Queue) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(queueCollectors("bridge", q)...)
	reg.MustRegister(bridgeCollectors(br)...)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		st := br.Stats()
		w.Header().Set("Content-Type", "application/json")
		status := "ok"
		if !st.Connected || (!st.Writing && q.Stats().Records > 0) {
			status = "degraded"
		}
		fmt.Fprintf(w, `{"status":%q,"broker_connected":%t,"writing":%t,"queued":%d}`+"\n", status, st.Connected, st.Writing, q.Stats().Records)
	})
	return mux
}
