package health

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RecorderOptions configures the periodic JSON lines output.
type RecorderOptions struct {
	// Dir receives monitor_<pid>.jsonl.
	Dir string
	// MaxSize and Keep rotate the file (see RotatingFile).
	MaxSize int64
	Keep    int
	// StatsEvery is the interval of "stats" lines (operations, handles,
	// cache); ProcessEvery of "process" lines (CPU and memory).
	StatsEvery, ProcessEvery time.Duration
	// Disable lists monitors to leave out, by Cloudfuse's names:
	// cloudfuse_stats (or blobfuse_stats) drops the operation counters,
	// file_cache_monitor the cache, cpu_profiler the CPU time and
	// memory_profiler the memory. network_profiler is accepted and has
	// nothing to turn off.
	Disable []string
	Logger  *slog.Logger
}

// Line is one line of the JSON lines output.
type Line struct {
	Time       time.Time          `json:"time"`
	Kind       string             `json:"kind"` // "stats" or "process"
	Mountpoint string             `json:"mountpoint"`
	Fuse       map[string]OpStats `json:"fuse,omitempty"`
	Store      map[string]OpStats `json:"store,omitempty"`
	Handles    *int64             `json:"open_handles,omitempty"`
	Cache      *Cache             `json:"cache,omitempty"`
	// Process lines: CPU time in total and as a share of one core over
	// the interval, and resident memory.
	CPUSeconds *float64 `json:"cpu_seconds,omitempty"`
	CPUPercent *float64 `json:"cpu_percent,omitempty"`
	RSSBytes   *int64   `json:"rss_bytes,omitempty"`
	Goroutines int      `json:"goroutines,omitempty"`
}

// Recorder writes a Monitor's numbers to a file at intervals.
type Recorder struct {
	cancel context.CancelFunc
	done   chan struct{}
	Path   string // the file written
}

// StartRecorder opens the output file and writes a first line of each
// kind at once, then one per interval until Stop.
func (m *Monitor) StartRecorder(o RecorderOptions) (*Recorder, error) {
	path := filepath.Join(o.Dir, fmt.Sprintf("monitor_%d.jsonl", os.Getpid()))
	f, err := OpenRotating(path, o.MaxSize, o.Keep, 0o600)
	if err != nil {
		return nil, fmt.Errorf("health monitor output: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{cancel: cancel, done: make(chan struct{}), Path: path}
	go func() {
		defer close(r.done)
		defer f.Close()
		m.record(ctx, f, o)
	}()
	return r, nil
}

// Stop writes a last stats line, stops the recorder and closes the file.
func (r *Recorder) Stop() {
	r.cancel()
	<-r.done
}

func (m *Monitor) record(ctx context.Context, w io.Writer, o RecorderOptions) {
	off := map[string]bool{}
	for _, d := range o.Disable {
		off[strings.ToLower(d)] = true
	}
	off["cloudfuse_stats"] = off["cloudfuse_stats"] || off["blobfuse_stats"]
	statsEvery, procEvery := max(o.StatsEvery, 10*time.Millisecond), max(o.ProcessEvery, 10*time.Millisecond)
	statsT, procT := time.NewTicker(statsEvery), time.NewTicker(procEvery)
	defer statsT.Stop()
	defer procT.Stop()

	enc := json.NewEncoder(w)
	write := func(l Line) {
		if err := enc.Encode(l); err != nil && o.Logger != nil {
			o.Logger.Error("health monitor output", "err", err)
		}
	}
	lastCPU, lastAt := sampleProcess().CPUSeconds, time.Now()
	process := func() {
		if off["cpu_profiler"] && off["memory_profiler"] {
			return
		}
		p, now := sampleProcess(), time.Now()
		l := Line{Time: now, Kind: "process", Mountpoint: m.opts.Mount.Mountpoint, Goroutines: p.Goroutines}
		if !off["cpu_profiler"] {
			pct := 0.0
			if d := now.Sub(lastAt).Seconds(); d > 0 {
				pct = 100 * (p.CPUSeconds - lastCPU) / d
			}
			l.CPUSeconds, l.CPUPercent = &p.CPUSeconds, &pct
		}
		if !off["memory_profiler"] {
			l.RSSBytes = &p.RSSBytes
		}
		lastCPU, lastAt = p.CPUSeconds, now
		write(l)
	}
	stats := func() {
		if off["cloudfuse_stats"] && off["file_cache_monitor"] {
			return
		}
		s := m.Snapshot()
		l := Line{Time: s.Time, Kind: "stats", Mountpoint: s.Mount.Mountpoint}
		if !off["cloudfuse_stats"] {
			l.Fuse, l.Store, l.Handles = s.Fuse, s.Store, &s.OpenHandles
		}
		if !off["file_cache_monitor"] {
			l.Cache = s.Cache
		}
		write(l)
	}
	stats()
	process()
	for {
		select {
		case <-ctx.Done():
			stats()
			return
		case <-statsT.C:
			stats()
		case <-procT.C:
			process()
		}
	}
}
