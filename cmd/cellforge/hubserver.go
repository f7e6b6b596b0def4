package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/telemetry/link"
)

// hubServer is the hub's HTTP server: its health, with the state of its link to the sites.
type hubServer struct {
	link *link.Link
	mux  *http.ServeMux
}

// newHubServer returns the hub's HTTP server reporting on lk.
func newHubServer(lk *link.Link) *hubServer {
	s := &hubServer{link: lk, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.health)
	return s
}

// hubHealth is the answer of GET /healthz.
type hubHealth struct {
	// Status is "ok" while the link is connected to the broker, "degraded" otherwise.
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

func (s *hubServer) health(w http.ResponseWriter, _ *http.Request) {
	st := s.link.Status()
	h := hubHealth{Status: "ok", Link: linkHealth{
		Connected: st.Connected, Since: st.Since, Queued: st.Queued, Sent: st.Sent, Applied: st.Applied, Refused: st.Refused,
	}}
	if !st.Connected {
		h.Status = "degraded"
	}
	if h.Link.Refused == nil {
		h.Link.Refused = map[string]uint64{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(h)
}

// serve answers requests on ln until ctx ends; then it lets the requests under way finish for
// up to api.DefaultShutdownGrace and returns.
func (s *hubServer) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), api.DefaultShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
