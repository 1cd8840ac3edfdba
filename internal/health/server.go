package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Handler serves a Monitor over HTTP:
//
//	GET /metrics  Prometheus text format
//	GET /stats    the Snapshot as JSON
//	POST /preload start a preload (PreloadRequest as JSON): 202, or 409
//	              with the reason
//	POST /unmount unmount: 200, or 409 with the reason (busy)
func Handler(m *Monitor) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /preload", servePreload(m.opts.StartPreload))
	mux.HandleFunc("POST /unmount", serveUnmount(m.opts.Unmount))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = WritePrometheus(w, m.Snapshot())
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(m.Snapshot())
	})
	return mux
}

// Server serves a Monitor on one listener until Close.
type Server struct {
	srv  *http.Server
	done chan struct{}
}

// Serve starts serving m on ln. Errors after the start go to log.
func Serve(ln net.Listener, m *Monitor, log *slog.Logger) *Server {
	s := &Server{
		srv:  &http.Server{Handler: Handler(m), ReadHeaderTimeout: 5 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			log.Error("health endpoint stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return s
}

// Close stops the server and waits for it.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

// Fetch asks the daemon listening on the unix socket path for its
// Snapshot.
func Fetch(ctx context.Context, socket string) (Snapshot, error) {
	tr := unixTransport(socket)
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://cloudfuse/stats", nil)
	if err != nil {
		return Snapshot{}, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return Snapshot{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Snapshot{}, fmt.Errorf("%s: %s", resp.Status, body)
	}
	var s Snapshot
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return Snapshot{}, fmt.Errorf("reading the daemon's answer: %w", err)
	}
	return s, nil
}

// unixTransport sends every request to the unix socket path.
func unixTransport(socket string) *http.Transport {
	return &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}}
}
