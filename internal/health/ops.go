package health

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// OpStats are the numbers of one filesystem operation or store request.
type OpStats struct {
	Count int64 `json:"count"`
	// Errors counts failures; NotFound the part of them that were ENOENT
	// (filesystem) or ErrNotFound (store), which lookups of missing names
	// cause routinely.
	Errors   int64 `json:"errors"`
	NotFound int64 `json:"not_found"`
	// Bytes is data moved: read and written by applications for the
	// filesystem, downloaded and uploaded for the store.
	Bytes   int64   `json:"bytes"`
	Latency Latency `json:"latency"`
	// Errnos counts filesystem failures by errno name ("EIO": 2).
	Errnos map[string]int64 `json:"errnos,omitempty"`
}

// opCounters are the live counters behind one OpStats.
type opCounters struct {
	count, errors, notFound, bytes atomic.Int64
	lat                            histogram

	mu     sync.Mutex // guards errnos
	errnos map[syscall.Errno]int64
}

// opTable holds counters by operation name, created on first use.
type opTable struct {
	mu  sync.RWMutex
	ops map[string]*opCounters
}

func newOpTable() *opTable { return &opTable{ops: map[string]*opCounters{}} }

func (t *opTable) get(op string) *opCounters {
	t.mu.RLock()
	c := t.ops[op]
	t.mu.RUnlock()
	if c != nil {
		return c
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c = t.ops[op]; c == nil {
		c = &opCounters{}
		t.ops[op] = c
	}
	return c
}

func (t *opTable) done(op string, d time.Duration) {
	c := t.get(op)
	c.count.Add(1)
	c.lat.observe(d)
}

func (t *opTable) failed(op string, errno syscall.Errno) {
	c := t.get(op)
	c.errors.Add(1)
	if errno == syscall.ENOENT {
		c.notFound.Add(1)
	}
	c.mu.Lock()
	if c.errnos == nil {
		c.errnos = map[syscall.Errno]int64{}
	}
	c.errnos[errno]++
	c.mu.Unlock()
}

func (t *opTable) addBytes(op string, n int64) { t.get(op).bytes.Add(n) }

// snapshot copies every counter.
func (t *opTable) snapshot() map[string]OpStats {
	t.mu.RLock()
	names := make([]string, 0, len(t.ops))
	for name := range t.ops {
		names = append(names, name)
	}
	t.mu.RUnlock()
	out := make(map[string]OpStats, len(names))
	for _, name := range names {
		c := t.get(name)
		s := OpStats{
			Count:    c.count.Load(),
			Errors:   c.errors.Load(),
			NotFound: c.notFound.Load(),
			Bytes:    c.bytes.Load(),
			Latency:  c.lat.snapshot(),
		}
		c.mu.Lock()
		if len(c.errnos) > 0 {
			s.Errnos = make(map[string]int64, len(c.errnos))
			for e, n := range c.errnos {
				s.Errnos[errnoName(e)] += n
			}
		}
		c.mu.Unlock()
		out[name] = s
	}
	return out
}

// errnoName is the symbolic name of an errno ("ENOENT"), or its number.
func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames()[e]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

func errnoNames() map[syscall.Errno]string {
	return map[syscall.Errno]string{
		syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EIO: "EIO", syscall.EBADF: "EBADF",
		syscall.EAGAIN: "EAGAIN", syscall.ENOMEM: "ENOMEM", syscall.EACCES: "EACCES", syscall.EBUSY: "EBUSY",
		syscall.EEXIST: "EEXIST", syscall.EXDEV: "EXDEV", syscall.ENOTDIR: "ENOTDIR", syscall.EISDIR: "EISDIR",
		syscall.EINVAL: "EINVAL", syscall.EFBIG: "EFBIG", syscall.ENOSPC: "ENOSPC", syscall.EROFS: "EROFS",
		syscall.EMLINK: "EMLINK", syscall.ERANGE: "ERANGE", syscall.ENAMETOOLONG: "ENAMETOOLONG",
		syscall.ENOSYS: "ENOSYS", syscall.ENOTEMPTY: "ENOTEMPTY", syscall.ELOOP: "ELOOP",
		syscall.ENODATA: "ENODATA", syscall.ENOTSUP: "ENOTSUP", syscall.EINTR: "EINTR",
		syscall.ETIMEDOUT: "ETIMEDOUT", syscall.ECANCELED: "ECANCELED", syscall.ESTALE: "ESTALE",
	}
}

// sortedOps returns the names of ops in a stable order: by count, highest
// first, then by name.
func sortedOps(ops map[string]OpStats) []string {
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := ops[names[i]], ops[names[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return names[i] < names[j]
	})
	return names
}
