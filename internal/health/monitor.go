package health

import (
	"sync/atomic"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// MountInfo describes the mount a Monitor measures.
type MountInfo struct {
	Mountpoint string    `json:"mountpoint"`
	Source     string    `json:"source"` // as in the mount table: "cloudfuse:bucket"
	Store      string    `json:"store"`  // e.g. `s3 bucket "b" at http://127.0.0.1:9000`
	Config     string    `json:"config"` // the config file, "" if none
	Version    string    `json:"version"`
	Started    time.Time `json:"started"`
}

// Cache is the file cache's use of local disk.
type Cache struct {
	Dir   string `json:"dir"`
	Bytes int64  `json:"bytes"` // staged file data
	Files int64  `json:"files"` // staged copies
	Dirty int64  `json:"dirty"` // files with changes not yet uploaded
	// Evictions counts copies dropped to stay within the cache limits;
	// nil when the cache does not report it.
	Evictions *int64 `json:"evictions,omitempty"`
}

// Options configures a Monitor.
type Options struct {
	Mount MountInfo
	// Cache, if set, reports the file cache's use; it may do I/O and is
	// called once per snapshot.
	Cache func() (Cache, error)
	// Preload, if set, reports the running or last preload (false: none).
	Preload func() (Preload, bool)
	// DiskTier, if set, reports the disk tier (false: none).
	DiskTier func() (DiskTier, bool)
	// StartPreload, if set, starts a preload (POST /preload).
	StartPreload func(PreloadRequest) error
	// Unmount, if set, unmounts the mount (POST /unmount); it fails while
	// the mount is busy.
	Unmount func() error
}

// Monitor collects the numbers of one mount. It is the fusefs.Observer of
// the mount and wraps its store (Store). Safe for concurrent use.
type Monitor struct {
	opts     Options
	fuse     *opTable
	meter    *wrap.Meter
	storeLat *opTable // latency histograms only; counts come from meter
	passing  atomic.Int64
}

// New returns a Monitor with every counter at zero.
func New(o Options) *Monitor {
	if o.Mount.Started.IsZero() {
		o.Mount.Started = time.Now()
	}
	return &Monitor{opts: o, fuse: newOpTable(), meter: wrap.NewMeter(), storeLat: newOpTable()}
}

// FuseOp counts one finished filesystem operation (fusefs.Observer).
func (m *Monitor) FuseOp(op string, d time.Duration) { m.fuse.done(op, d) }

// FuseError counts a failed filesystem operation (fusefs.Observer).
func (m *Monitor) FuseError(op string, errno syscall.Errno) { m.fuse.failed(op, errno) }

// FuseBytes counts data read or written (fusefs.Observer).
func (m *Monitor) FuseBytes(op string, n int) { m.fuse.addBytes(op, int64(n)) }

// PassthroughHandles changes the count of open handles the kernel reads
// without the daemon (fusefs.Observer).
func (m *Monitor) PassthroughHandles(delta int) { m.passing.Add(int64(delta)) }

// Snapshot is everything a Monitor knows at one moment.
type Snapshot struct {
	Time          time.Time          `json:"time"`
	Mount         MountInfo          `json:"mount"`
	UptimeSeconds float64            `json:"uptime_seconds"`
	LatencyBounds []float64          `json:"latency_bounds_seconds"`
	Fuse          map[string]OpStats `json:"fuse"`
	Store         map[string]OpStats `json:"store"`
	// OpenHandles counts open file handles: successful opens and creates
	// not yet released.
	OpenHandles int64 `json:"open_handles"`
	// PassthroughHandles counts the open handles whose reads the kernel
	// takes from the local copy without the daemon (FUSE passthrough).
	PassthroughHandles int64     `json:"passthrough_handles"`
	Cache              *Cache    `json:"cache,omitempty"`
	Preload            *Preload  `json:"preload,omitempty"`
	DiskTier           *DiskTier `json:"disk_tier,omitempty"`
	CacheError         string    `json:"cache_error,omitempty"`
	Process            *Process  `json:"process,omitempty"`
}

// Snapshot reads every counter, the cache and the process.
func (m *Monitor) Snapshot() Snapshot {
	now := time.Now()
	s := Snapshot{
		Time:          now,
		Mount:         m.opts.Mount,
		UptimeSeconds: now.Sub(m.opts.Mount.Started).Seconds(),
		LatencyBounds: LatencyBounds(),
		Fuse:          m.fuse.snapshot(),
		Store:         m.storeStats(),
	}
	s.OpenHandles = openHandles(s.Fuse)
	s.PassthroughHandles = m.passing.Load()
	if m.opts.Cache != nil {
		c, err := m.opts.Cache()
		if err != nil {
			s.CacheError = err.Error()
		} else {
			s.Cache = &c
		}
	}
	if m.opts.Preload != nil {
		if p, ok := m.opts.Preload(); ok {
			s.Preload = &p
		}
	}
	if m.opts.DiskTier != nil {
		if d, ok := m.opts.DiskTier(); ok {
			s.DiskTier = &d
		}
	}
	p := sampleProcess()
	s.Process = &p
	return s
}

// storeStats joins the meter's counts with the latency histograms.
func (m *Monitor) storeStats() map[string]OpStats {
	lat := m.storeLat.snapshot()
	out := map[string]OpStats{}
	for op, st := range m.meter.Stats() {
		if st.Requests == 0 && lat[string(op)].Latency.Count() == 0 {
			continue
		}
		out[string(op)] = OpStats{
			Count:    st.Requests,
			Errors:   st.Errors,
			NotFound: st.NotFound,
			Bytes:    st.Bytes,
			Latency:  lat[string(op)].Latency,
		}
	}
	return out
}

// openHandles is successful opens and creates minus releases.
func openHandles(fuse map[string]OpStats) int64 {
	o, c, r := fuse["open"], fuse["create"], fuse["release"]
	n := (o.Count - o.Errors) + (c.Count - c.Errors) - r.Count
	// A failure is counted just before its operation; a snapshot between
	// the two must not show a negative number.
	return max(n, 0)
}

// Total adds up the counts of every op.
func Total(ops map[string]OpStats) OpStats {
	var t OpStats
	for _, o := range ops {
		t.Count += o.Count
		t.Errors += o.Errors
		t.NotFound += o.NotFound
		t.Bytes += o.Bytes
		t.Latency.SumSeconds += o.Latency.SumSeconds
	}
	return t
}

// Sub returns what happened to ops between prev and s.
func Sub(s, prev map[string]OpStats) map[string]OpStats {
	out := make(map[string]OpStats, len(s))
	for op, o := range s {
		p := prev[op]
		d := OpStats{
			Count:    o.Count - p.Count,
			Errors:   o.Errors - p.Errors,
			NotFound: o.NotFound - p.NotFound,
			Bytes:    o.Bytes - p.Bytes,
			Latency:  o.Latency.sub(p.Latency),
		}
		if d.Count != 0 || d.Errors != 0 || d.Bytes != 0 {
			out[op] = d
		}
	}
	return out
}
