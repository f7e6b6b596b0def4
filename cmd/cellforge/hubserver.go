package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	cfapi "github.com/cellforge/cellforge/api"
	hubapi "github.com/cellforge/cellforge/api/hub"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/telemetry/link"
)

// hubServer is the hub's HTTP server: the API and dashboard of api/hub (with its /healthz, the
// network's book), and /healthz/link, the state of the hub's link to the sites.
type hubServer struct {
	link *link.Link
	mux  *http.ServeMux
}

// newHubServer returns the hub's HTTP server over rules, its tokens and timings from cfg,
// reporting on lk.
func newHubServer(cfg *configs.Hub, rules *network.Rules, lk *link.Link, logger *slog.Logger) (*hubServer, error) {
	handler, err := hubapi.New(hubapi.Config{
		Hub: rules, Tokens: cfg.Tokens, OnlineWithin: cfg.OnlineWithin,
		Logger: logger.With("component", "hub-api"),
	})
	if err != nil {
		return nil, err
	}
	s := &hubServer{link: lk, mux: http.NewServeMux()}
	s.mux.Handle("/", handler)
	s.mux.Handle("GET /healthz/link", cfapi.NewHostGuard(nil, http.HandlerFunc(s.serveLinkHealth)))
	return s, nil
}

// linkStatus is the answer of GET /healthz/link.
type linkStatus struct {
	// Status is "ok" while the link is connected to the broker, "down" otherwise.
	Status string     `json:"status"`
	Link   linkHealth `json:"link"`
}

// linkHealth is the state of the hub's link, as telemetry/link reports it.
type linkHealth struct {
	Connected bool              `json:"connected"`
	Since     time.Time         `json:"since"`
	Queued    int               `json:"queued"`
	Sent      uint64            `json:"sent"`
	Applied   uint64            `json:"applied"`
	Refused   map[string]uint64 `json:"refused"`
}

// serveLinkHealth answers the state of the link: 200 while it is connected to the broker, 503 while
// it is not (what the sites sent waits at the broker meanwhile, and what the hub sent in its queue).
func (s *hubServer) serveLinkHealth(w http.ResponseWriter, _ *http.Request) {
	st := s.link.Status()
	h := linkStatus{Status: "ok", Link: linkHealth{
		Connected: st.Connected, Since: st.Since, Queued: st.Queued, Sent: st.Sent, Applied: st.Applied, Refused: st.Refused,
	}}
	code := http.StatusOK
	if !st.Connected {
		h.Status, code = "down", http.StatusServiceUnavailable
	}
	if h.Link.Refused == nil {
		h.Link.Refused = map[string]uint64{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(h)
}

// serve answers requests on ln until ctx ends; then it lets the requests under way finish for
// up to cfapi.DefaultShutdownGrace and returns.
func (s *hubServer) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfapi.DefaultShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
