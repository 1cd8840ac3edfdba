package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/health"
)

// sample is one reading of a mount's counters, kept to turn the next one
// into rates.
type sample struct {
	at    time.Time
	fuse  map[string]health.OpStats
	store map[string]health.OpStats
}

// stats is what a mount's charts show: rates over the time since the
// previous reading (since the mount started, for the first one), and
// levels now.
type stats struct {
	Seconds        float64 `json:"seconds"` // the interval the rates cover
	ReadBps        float64 `json:"read_bps"`
	WriteBps       float64 `json:"write_bps"`
	OpsPerSec      float64 `json:"ops_per_sec"`
	StoreReqPerSec float64 `json:"store_requests_per_sec"`
	StoreErrPerSec float64 `json:"store_errors_per_sec"`
	P50Ms          float64 `json:"p50_ms"` // of filesystem operations in the interval
	P99Ms          float64 `json:"p99_ms"`
	CacheBytes     int64   `json:"cache_bytes"`
	CacheFiles     int64   `json:"cache_files"`
	Dirty          int64   `json:"dirty"`
	RSSBytes       int64   `json:"rss_bytes"`
	OpenHandles    int64   `json:"open_handles"`
	Ops            int64   `json:"ops"`            // since the mount started
	StoreRequests  int64   `json:"store_requests"` // since the mount started
	StoreErrors    int64   `json:"store_errors"`
	UptimeSeconds  float64 `json:"uptime_seconds"`
}

// mountOf returns the listed mount at path: the page acts only on those.
func (s *Server) mountOf(path string) (Mount, error) {
	ms, err := s.opts.Host.Mounts()
	if err != nil {
		return Mount{}, err
	}
	for _, m := range ms {
		if m.Path == path {
			return m, nil
		}
	}
	return Mount{}, errors.New(path + " is not a cloudfuse mount")
}

func (s *Server) apiMounts(w http.ResponseWriter, _ *http.Request) {
	ms, err := s.opts.Host.Mounts()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, result{Message: err.Error()})
		return
	}
	if ms == nil {
		ms = []Mount{}
	}
	writeJSON(w, http.StatusOK, ms)
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) {
	m, err := s.mountOf(r.URL.Query().Get("path"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, result{Message: err.Error()})
		return
	}
	if m.State != StateMounted || m.Socket == "" {
		writeJSON(w, http.StatusConflict, result{Message: m.Path + ": no live daemon to ask"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	snap, err := health.Fetch(ctx, m.Socket)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, result{Message: m.Path + ": asking the daemon: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.rates(m.Path, snap))
}

// rates turns a snapshot into stats against the previous one of the same
// mount.
func (s *Server) rates(path string, snap health.Snapshot) stats {
	now := sample{at: snap.Time, fuse: snap.Fuse, store: snap.Store}
	s.mu.Lock()
	prev, ok := s.prev[path]
	s.prev[path] = now
	s.mu.Unlock()
	fuse, store := snap.Fuse, snap.Store
	secs := snap.UptimeSeconds
	if ok && now.at.After(prev.at) {
		fuse, store = health.Sub(snap.Fuse, prev.fuse), health.Sub(snap.Store, prev.store)
		secs = now.at.Sub(prev.at).Seconds()
	}
	secs = max(secs, 0.001)
	var lat health.Latency
	for _, o := range fuse {
		lat = addLatency(lat, o.Latency)
	}
	ft, st, all, allStore := health.Total(fuse), health.Total(store), health.Total(snap.Fuse), health.Total(snap.Store)
	out := stats{
		Seconds:        secs,
		ReadBps:        float64(fuse["read"].Bytes) / secs,
		WriteBps:       float64(fuse["write"].Bytes) / secs,
		OpsPerSec:      float64(ft.Count) / secs,
		StoreReqPerSec: float64(st.Count) / secs,
		StoreErrPerSec: float64(st.Errors-st.NotFound) / secs,
		P50Ms:          finiteMs(lat.Quantile(0.5)),
		P99Ms:          finiteMs(lat.Quantile(0.99)),
		OpenHandles:    snap.OpenHandles,
		Ops:            all.Count,
		StoreRequests:  allStore.Count,
		StoreErrors:    allStore.Errors - allStore.NotFound,
		UptimeSeconds:  snap.UptimeSeconds,
	}
	if snap.Cache != nil {
		out.CacheBytes, out.CacheFiles, out.Dirty = snap.Cache.Bytes, snap.Cache.Files, snap.Cache.Dirty
	}
	if snap.Process != nil {
		out.RSSBytes = snap.Process.RSSBytes
	}
	return out
}

func addLatency(a, b health.Latency) health.Latency {
	if len(a.Buckets) < len(b.Buckets) {
		a.Buckets = append(a.Buckets, make([]int64, len(b.Buckets)-len(a.Buckets))...)
	}
	for i, c := range b.Buckets {
		a.Buckets[i] += c
	}
	a.SumSeconds += b.SumSeconds
	return a
}

// finiteMs is seconds as milliseconds; the histogram's open last bucket
// shows as its lower bound.
func finiteMs(sec float64) float64 {
	if sec > 1e9 {
		b := health.LatencyBounds()
		return b[len(b)-1] * 1000
	}
	return sec * 1000
}

type pathRequest struct {
	Path string `json:"path"`
	Lazy bool   `json:"lazy"`
}

func (s *Server) apiUnmount(w http.ResponseWriter, r *http.Request) {
	var req pathRequest
	if !readJSON(w, r, &req) {
		return
	}
	if _, err := s.mountOf(req.Path); err != nil {
		writeJSON(w, http.StatusNotFound, result{Message: err.Error()})
		return
	}
	args := []string{"unmount", req.Path}
	if req.Lazy {
		args = append(args, "--lazy")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	out, err := s.opts.Host.Run(ctx, args)
	if err != nil {
		writeJSON(w, http.StatusOK, result{Message: err.Error()})
		return
	}
	s.mu.Lock()
	delete(s.prev, req.Path)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, result{OK: true, Message: firstLine(out, "unmounted "+req.Path)})
}

// logTail is how much of a log file the page shows.
const logTail = 64 << 10

func (s *Server) apiLog(w http.ResponseWriter, r *http.Request) {
	m, err := s.mountOf(r.URL.Query().Get("path"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, result{Message: err.Error()})
		return
	}
	switch m.Log {
	case "":
		writeJSON(w, http.StatusOK, result{Message: "the daemon did not record where it logs"})
		return
	case "syslog":
		writeJSON(w, http.StatusOK, result{Message: "this mount logs to the system log: journalctl -t cloudfuse"})
		return
	case "none":
		writeJSON(w, http.StatusOK, result{Message: "this mount does not log (logging.type silent or level LOG_OFF)"})
		return
	}
	text, err := tailFile(m.Log, logTail)
	if err != nil {
		writeJSON(w, http.StatusOK, result{Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, result{OK: true, Message: m.Log, Warnings: []string{text}})
}

// tailFile returns the last n bytes of path, from a line start.
func tailFile(path string, n int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	off := max(st.Size()-n, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return "", err
	}
	if off > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	return string(buf), nil
}

func (s *Server) apiOpen(w http.ResponseWriter, r *http.Request) {
	var req pathRequest
	if !readJSON(w, r, &req) {
		return
	}
	m, err := s.mountOf(req.Path)
	if err != nil {
		writeJSON(w, http.StatusNotFound, result{Message: err.Error()})
		return
	}
	if s.opts.Opener == nil {
		writeJSON(w, http.StatusOK, result{Message: "no program to open folders here; the mount is at " + m.Path})
		return
	}
	if err := s.opts.Opener(m.Path); err != nil {
		writeJSON(w, http.StatusOK, result{Message: "opening " + m.Path + ": " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, result{OK: true, Message: "opened " + m.Path})
}

// firstLine is the first line of out, or def when out is empty.
func firstLine(out, def string) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return def
	}
	l, _, _ := strings.Cut(out, "\n")
	return l
}
