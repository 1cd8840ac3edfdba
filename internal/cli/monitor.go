package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/health"
)

// daemonHealth is the health side of a running mount: the unix socket
// `cloudfuse health` reads, the optional Prometheus port, the optional
// JSON lines output, and the state file that names them.
type daemonHealth struct {
	a        *app
	mnt      string
	servers  []*health.Server
	recorder *health.Recorder
	state    mountState
}

// startHealth serves mon on the mount's socket and, when configured, on
// 127.0.0.1:metrics-port and to the output file. Failures of the optional
// parts are logged and do not stop the mount; a socket that cannot be
// served only costs `cloudfuse health`.
func (a *app) startHealth(cfg *config.Config, mon *health.Monitor, s *store, mnt string, dest logDest, log *slog.Logger) *daemonHealth {
	h := &daemonHealth{a: a, mnt: mnt}
	start, _ := procStartTime(os.Getpid())
	h.state = mountState{
		Mountpoint: mnt, Source: mountSource(cfg), Store: storeText(s), Config: absPath(cfg.File()),
		PID: os.Getpid(), PIDStart: start, Started: time.Now(), Version: versionString(), Log: dest.String(),
	}
	if err := a.prepareRuntimeDir(); err != nil {
		log.Warn("health socket not available", "err", err)
	} else {
		sock := a.socketPath(mnt)
		_ = os.Remove(sock) // left by a daemon that was killed
		if ln, err := net.Listen("unix", sock); err != nil {
			log.Warn("health socket not available", "socket", sock, "err", err)
		} else {
			h.servers = append(h.servers, health.Serve(ln, mon, log))
			h.state.Socket = sock
		}
	}
	if port := cfg.HealthMonitor.MetricsPort; port > 0 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if ln, err := net.Listen("tcp", addr); err != nil {
			log.Error("metrics endpoint not available", "addr", addr, "err", err)
		} else {
			h.servers = append(h.servers, health.Serve(ln, mon, log))
			h.state.MetricsAddr = ln.Addr().String()
			log.Info("serving Prometheus metrics", "url", "http://"+h.state.MetricsAddr+"/metrics")
		}
	}
	if hm := cfg.HealthMonitor; hm.EnableMonitoring {
		dir := hm.OutputPath
		if dir == "" {
			dir = filepath.Join(workDir(cfg), "health")
		}
		r, err := mon.StartRecorder(health.RecorderOptions{
			Dir: dir, MaxSize: int64(hm.MaxFileSizeMB) << 20, Keep: hm.FileCount,
			StatsEvery: seconds(hm.StatsPollIntervalSec), ProcessEvery: seconds(hm.ProcessMonitorIntervalSec),
			Disable: hm.MonitorDisableList, Logger: log,
		})
		if err != nil {
			log.Error("health monitor output not available", "err", err)
		} else {
			h.recorder = r
			log.Info("health monitor writing", "file", r.Path)
		}
	}
	return h
}

// record writes the mount's record in the runtime directory.
func (h *daemonHealth) record(log *slog.Logger) {
	if err := h.a.writeState(h.state); err != nil {
		log.Warn("could not record the mount for mount list and health", "err", err)
	}
}

// stop ends every health service and removes the mount's record.
func (h *daemonHealth) stop() {
	if h.recorder != nil {
		h.recorder.Stop()
	}
	for _, s := range h.servers {
		_ = s.Close()
	}
	if st, ok := h.a.readState(h.mnt); ok && st.PID == os.Getpid() {
		h.a.removeState(h.mnt)
	} else if h.state.Socket != "" {
		_ = os.Remove(h.state.Socket)
	}
}

// storeText describes the store for humans: `s3 bucket "b" at URL`.
func storeText(s *store) string {
	return fmt.Sprintf("%s %q at %s", storeKind(s), s.name, s.where)
}

func storeKind(s *store) string {
	switch s.kind {
	case "bucket":
		return "s3 bucket"
	case "container":
		return "azure container"
	}
	return s.kind
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// cacheStats measures the file cache on disk: staged data, and the
// journal of files not uploaded yet. It returns nil when the mount stages
// nothing.
func cacheStats(cfg *config.Config) func() (health.Cache, error) {
	dir := cacheDir(cfg)
	if dir == "" {
		return nil
	}
	return func() (health.Cache, error) {
		c := health.Cache{Dir: dir}
		journal := filepath.Join(dir, "journal")
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			case d.IsDir():
				return nil
			}
			if filepath.Dir(p) == journal {
				c.Dirty++
				return nil
			}
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				c.Files++
				c.Bytes += info.Size()
			}
			return nil
		})
		return c, err
	}
}
