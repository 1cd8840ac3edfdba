package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	rpprof "runtime/pprof"
	"strconv"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// profiler runs the debugging aids the config asks for: a CPU profile for
// the life of the mount (cpu-profile), a heap profile at exit
// (mem-profile), and Go's pprof endpoints (dynamic-profile).
type profiler struct {
	cfg *config.Config
	log *slog.Logger
	cpu *os.File
	srv *http.Server
}

func startProfiler(cfg *config.Config, log *slog.Logger) (*profiler, error) {
	p := &profiler{cfg: cfg, log: log}
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return nil, fmt.Errorf("cpu-profile: %w", unwrapPath(err))
		}
		if err := rpprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cpu-profile: %w", err)
		}
		p.cpu = f
	}
	if cfg.DynamicProfile {
		addr := net.JoinHostPort(cfg.ProfilerIP, strconv.Itoa(cfg.ProfilerPort))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("dynamic-profile: %w", err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		srv := &http.Server{Handler: mux}
		p.srv = srv
		// The goroutine keeps its own reference: stop clears p.srv.
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("dynamic profiler stopped", "err", err)
			}
		}()
		log.Info("dynamic profiler listening", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	}
	return p, nil
}

// stop ends the CPU profile, writes the heap profile and stops the
// profiling server.
func (p *profiler) stop() {
	if p.cpu != nil {
		rpprof.StopCPUProfile()
		p.cpu.Close()
		p.cpu = nil
	}
	if p.srv != nil {
		_ = p.srv.Shutdown(context.Background())
		p.srv = nil
	}
	if path := p.cfg.MemProfile; path != "" {
		f, err := os.Create(path)
		if err != nil {
			p.log.Error("mem-profile", "err", err)
			return
		}
		runtime.GC()
		if err := rpprof.WriteHeapProfile(f); err != nil {
			p.log.Error("mem-profile", "err", err)
		}
		f.Close()
	}
}
