package wrap

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// OpStats counts one kind of request.
type OpStats struct {
	Requests int64
	// Errors counts failed requests, including ErrNotFound and canceled
	// ones, plus Get bodies that failed while being read.
	Errors int64
	// NotFound counts the failures that were ErrNotFound (a lookup miss is
	// routine, not a sign of trouble).
	NotFound int64
	// Bytes counts payload: bytes read from Get bodies, and the body sizes
	// of successful Puts and parts.
	Bytes int64
	// Latency sums the time requests took to return (for Get, until the
	// body is ready, not until it is read).
	Latency time.Duration
}

// Stats is a snapshot of a Meter, with an entry for every Op.
type Stats map[Op]OpStats

// Total adds up every Op.
func (s Stats) Total() OpStats {
	var t OpStats
	for _, o := range s {
		t.Requests += o.Requests
		t.Errors += o.Errors
		t.NotFound += o.NotFound
		t.Bytes += o.Bytes
		t.Latency += o.Latency
	}
	return t
}

// Sub returns what happened between the snapshot prev and s.
func (s Stats) Sub(prev Stats) Stats {
	out := make(Stats, len(s))
	for op, o := range s {
		p := prev[op]
		out[op] = OpStats{
			Requests: o.Requests - p.Requests,
			Errors:   o.Errors - p.Errors,
			NotFound: o.NotFound - p.NotFound,
			Bytes:    o.Bytes - p.Bytes,
			Latency:  o.Latency - p.Latency,
		}
	}
	return out
}

// Meter collects request counts; safe for concurrent use. One Meter may
// serve several instrumented stores.
type Meter struct {
	// mu makes Reset and Stats see all counters of one moment; recording
	// holds it shared, since the counters themselves are atomic.
	mu  sync.RWMutex
	ops map[Op]*counters // fixed at construction
}

type counters struct {
	requests, errors, notFound, bytes, nanos atomic.Int64
}

// NewMeter returns a Meter with every counter at zero.
func NewMeter() *Meter {
	m := &Meter{ops: map[Op]*counters{}}
	for _, op := range Ops() {
		m.ops[op] = &counters{}
	}
	return m
}

// Stats returns a snapshot of the counters.
func (m *Meter) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := make(Stats, len(m.ops))
	for op, c := range m.ops {
		s[op] = OpStats{
			Requests: c.requests.Load(),
			Errors:   c.errors.Load(),
			NotFound: c.notFound.Load(),
			Bytes:    c.bytes.Load(),
			Latency:  time.Duration(c.nanos.Load()),
		}
	}
	return s
}

// Reset sets every counter to zero.
func (m *Meter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.ops {
		for _, v := range []*atomic.Int64{&c.requests, &c.errors, &c.notFound, &c.bytes, &c.nanos} {
			v.Store(0)
		}
	}
}

// record counts one finished request.
func (m *Meter) record(op Op, start time.Time, bytes int64, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.ops[op]
	c.requests.Add(1)
	c.nanos.Add(int64(time.Since(start)))
	if err != nil {
		c.errors.Add(1)
		if errors.Is(err, storage.ErrNotFound) {
			c.notFound.Add(1)
		}
		return
	}
	c.bytes.Add(bytes)
}

// addBytes counts payload that arrives after the request returned.
func (m *Meter) addBytes(op Op, n int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ops[op].bytes.Add(n)
}

// addError counts a failure that happens after the request returned.
func (m *Meter) addError(op Op) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	m.ops[op].errors.Add(1)
}

// Instrument counts every request to b in m.
func Instrument(b storage.Backend, m *Meter) storage.Backend {
	in := &instrumented{b: b, m: m}
	rename := func(ctx context.Context, src, dst string, dir bool) error {
		start := time.Now()
		err := b.(storage.Renamer).Rename(ctx, src, dst, dir)
		m.record(OpRename, start, 0, err)
		return err
	}
	var lister storage.UploadLister
	if inner := innerLister(b); inner != nil {
		// Listing uploads counts as a list, aborting one as an abort.
		lister = uploadLister{
			list: func(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
				start := time.Now()
				ups, err := inner.ListUploads(ctx, prefix)
				m.record(OpList, start, 0, err)
				return ups, err
			},
			abort: func(ctx context.Context, key, id string) error {
				start := time.Now()
				err := inner.AbortUpload(ctx, key, id)
				m.record(OpAbort, start, 0, err)
				return err
			},
		}
	}
	return Extend(in, b, Extras{Rename: rename, Uploads: lister})
}

type instrumented struct {
	b storage.Backend
	m *Meter
}

// remaining is how many bytes a body will give from its position on.
func remaining(body io.Seeker) int64 {
	pos, err := body.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	end, err := body.Seek(0, io.SeekEnd)
	if _, serr := body.Seek(pos, io.SeekStart); err != nil || serr != nil {
		return 0
	}
	return end - pos
}

func (in *instrumented) Head(ctx context.Context, key string) (storage.Object, error) {
	start := time.Now()
	obj, err := in.b.Head(ctx, key)
	in.m.record(OpHead, start, 0, err)
	return obj, err
}

func (in *instrumented) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	start := time.Now()
	page, err := in.b.List(ctx, opts)
	in.m.record(OpList, start, 0, err)
	return page, err
}

func (in *instrumented) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	start := time.Now()
	rc, obj, err := in.b.Get(ctx, key, opts)
	in.m.record(OpGet, start, 0, err)
	if err != nil {
		return nil, obj, err
	}
	return &countingBody{ReadCloser: rc, m: in.m}, obj, nil
}

// countingBody counts the bytes read from a Get body, and its failure.
type countingBody struct {
	io.ReadCloser
	m      *Meter
	failed bool
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.m.addBytes(OpGet, int64(n))
	if err != nil && err != io.EOF && !c.failed {
		c.failed = true
		c.m.addError(OpGet)
	}
	return n, err
}

func (in *instrumented) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	n := remaining(body)
	start := time.Now()
	obj, err := in.b.Put(ctx, key, body, opts)
	in.m.record(OpPut, start, n, err)
	return obj, err
}

func (in *instrumented) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	start := time.Now()
	up, err := in.b.CreateUpload(ctx, key, opts)
	in.m.record(OpCreateUpload, start, 0, err)
	if err != nil {
		return nil, err
	}
	return &instrumentedUpload{up: up, m: in.m}, nil
}

type instrumentedUpload struct {
	up storage.Upload
	m  *Meter
}

func (u *instrumentedUpload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	size := remaining(body)
	start := time.Now()
	p, err := u.up.WritePart(ctx, n, body)
	u.m.record(OpWritePart, start, size, err)
	return p, err
}

// UploadID is the wrapped upload's ID, or "".
func (u *instrumentedUpload) UploadID() string { return storage.UploadIDOf(u.up) }

func (u *instrumentedUpload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	start := time.Now()
	obj, err := u.up.Complete(ctx, parts)
	u.m.record(OpComplete, start, 0, err)
	return obj, err
}

func (u *instrumentedUpload) Abort(ctx context.Context) error {
	start := time.Now()
	err := u.up.Abort(ctx)
	u.m.record(OpAbort, start, 0, err)
	return err
}

func (in *instrumented) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	start := time.Now()
	obj, err := in.b.Copy(ctx, src, dst, opts)
	in.m.record(OpCopy, start, 0, err)
	return obj, err
}

func (in *instrumented) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := in.b.Delete(ctx, key)
	in.m.record(OpDelete, start, 0, err)
	return err
}

func (in *instrumented) Caps() storage.Caps { return in.b.Caps() }
func (in *instrumented) Close() error       { return in.b.Close() }
