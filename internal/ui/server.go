// Package ui is `cloudfuse ui`: a local web application to write configs,
// mount and unmount them, and watch the mounts at work. It serves plain
// HTML, CSS and a little JavaScript from the binary (no CDN, so it works
// offline) on a loopback address, behind a session token.
//
// The page never does anything the CLI does not: mounting, unmounting and
// the dry run go through Host, which runs the CLI's own commands, and the
// config is checked by the config package as a mount checks it.
package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// Mount is one cloudfuse mount on the machine, as `cloudfuse mount list`
// shows it.
type Mount struct {
	Path   string `json:"path"`
	Source string `json:"source"`
	Store  string `json:"store,omitempty"`
	Config string `json:"config,omitempty"`
	PID    int    `json:"pid,omitempty"`
	State  string `json:"state"` // "mounted", "stale" or "unknown" (no record of its daemon)
	Socket string `json:"-"`     // the daemon's health socket
	Log    string `json:"log,omitempty"`
}

// Mount states.
const (
	StateMounted = "mounted"
	StateStale   = "stale"
	StateUnknown = "unknown"
)

// Host is what the page asks of the command line.
type Host interface {
	// Mounts lists the cloudfuse mounts.
	Mounts() ([]Mount, error)
	// Run runs a cloudfuse command (args without the program name) as the
	// CLI would, returning what it printed and its error. Errors keep
	// their types: a *config.Error or a config.KeyError names the key.
	Run(ctx context.Context, args []string) (string, error)
	// NoEffect lists the keys set in cfg that change nothing here, each
	// with the reason.
	NoEffect(cfg *config.Config) []config.Warning
	// MountAtBoot sets the config file to be mounted at mountPath at boot
	// (a systemd unit on Linux, the service's list on Windows) and says
	// what it did.
	MountAtBoot(mountPath, configFile string, secure bool, passphrase string) (string, error)
}

// Options configure a Server.
type Options struct {
	Host Host
	Log  *slog.Logger
	// Opener opens a URL or a folder in the desktop's program for it
	// (xdg-open); nil when there is none.
	Opener func(target string) error
	// KDF is the cost of encrypting a config.
	KDF config.KDFParams
	// Version is shown in the page header.
	Version string
}

// Server is the web application.
type Server struct {
	opts  Options
	token string // the session token: in the printed URL, then a cookie
	csrf  string // sent by the page with every request that changes something
	hosts map[string]bool
	mux   *http.ServeMux

	mu    sync.Mutex
	prev  map[string]sample // the last stats sample of each mount, for rates
	srv   *http.Server
	addr  string
	ready chan struct{}
}

// cookieName holds the session token once the URL was opened.
const cookieName = "cloudfuse_ui"

// New returns a Server with a fresh session token.
func New(o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.KDF == (config.KDFParams{}) {
		o.KDF = config.DefaultKDF()
	}
	s := &Server{opts: o, prev: map[string]sample{}, ready: make(chan struct{})}
	var err error
	if s.token, err = randomHex(32); err != nil {
		return nil, err
	}
	if s.csrf, err = randomHex(32); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Listen binds addr ("127.0.0.1:0" for a free port). It returns the URL to
// open, with the session token in it.
func (s *Server) Listen(addr string) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listening on %s: %w", addr, err)
	}
	a := ln.Addr().(*net.TCPAddr)
	s.allowHosts(a)
	host := a.String()
	if a.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(a.Port))
	}
	s.addr = host
	return ln, "http://" + host + "/?token=" + s.token, nil
}

// allowHosts lists the Host headers a request may carry: the loopback
// names at the port, and the bound address itself. Any other name is
// refused, so a page from another site cannot reach the server through
// DNS rebinding.
func (s *Server) allowHosts(a *net.TCPAddr) {
	port := fmt.Sprint(a.Port)
	s.hosts = map[string]bool{}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		s.hosts[h+":"+port] = true
	}
	if !a.IP.IsUnspecified() {
		s.hosts[a.String()] = true
	}
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.srv.Shutdown(sctx)
	}()
	err := s.srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Token is the session token (for tests).
func (s *Server) Token() string { return s.token }

// CSRF is the token the page sends with every change (for tests).
func (s *Server) CSRF() string { return s.csrf }

// Handler is the application behind its guards.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("Cache-Control", "no-store")
		if !s.hosts[strings.ToLower(r.Host)] {
			http.Error(w, "cloudfuse ui: unexpected Host header "+r.Host+"; open the address cloudfuse ui printed", http.StatusMisdirectedRequest)
			return
		}
		if t := r.URL.Query().Get("token"); t != "" && r.Method == http.MethodGet {
			if !equal(t, s.token) {
				http.Error(w, "cloudfuse ui: wrong token; open the address cloudfuse ui printed", http.StatusForbidden)
				return
			}
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
			http.Redirect(w, r, u.String(), http.StatusSeeOther)
			return
		}
		c, err := r.Cookie(cookieName)
		if err != nil || !equal(c.Value, s.token) {
			http.Error(w, "cloudfuse ui: no session; open the address cloudfuse ui printed (it holds the token)", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" && !s.hosts[strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(o, "http://"), "https://"))] {
				http.Error(w, "cloudfuse ui: cross-site request refused", http.StatusForbidden)
				return
			}
			if !equal(r.Header.Get("X-CSRF-Token"), s.csrf) {
				http.Error(w, "cloudfuse ui: missing or wrong CSRF token; reload the page", http.StatusForbidden)
				return
			}
		}
		s.mux.ServeHTTP(w, r)
	})
}

func equal(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes the request body into v, at most 1 MiB of it.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, result{Message: "bad request: " + err.Error()})
		return false
	}
	return true
}

// result is the answer to an action: what happened, and errors by field.
type result struct {
	OK       bool              `json:"ok"`
	Message  string            `json:"message"`
	Fields   map[string]string `json:"fields,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	Saved    string            `json:"saved,omitempty"` // the config file written, when one was
}
