package wrap

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ErrInjected is in the chain of every error Faulty makes up, so tests can
// tell injected failures from real ones.
var ErrInjected = errors.New("injected fault")

// Fault describes when and how requests misbehave.
//
// A matching request (one of Ops, on a key starting with KeyPrefix)
// triggers the fault when its number among matching requests is in Calls,
// or is a multiple of Every, or a random draw falls below Prob. With none
// of the three set, every matching request triggers it. A triggered fault
// waits Delay, then fails the request with Err (or, with Truncate, cuts
// the Get body short).
type Fault struct {
	Ops       []Op   // empty: every Op
	KeyPrefix string // "": every key; for List the prefix, for Copy the source

	Calls []int   // trigger on these matching requests, counting from 1
	Every int     // trigger on every Every-th matching request
	Prob  float64 // trigger with this probability
	Limit int     // trigger at most this many times; 0: no limit

	// Delay is added before the request is sent.
	Delay time.Duration
	// Err fails the request with an error whose Kind is Err (a storage
	// sentinel such as storage.ErrThrottled, or any error) and which also
	// matches ErrInjected. With Err nil, a fault with neither Delay nor
	// Truncate fails with ErrInjected alone.
	Err error
	// AfterCall sends the request and then reports the failure anyway: the
	// store did the work but the answer was lost.
	AfterCall bool
	// Truncate makes a Get body end with io.ErrUnexpectedEOF after
	// TruncateAt bytes (if it is longer).
	Truncate   bool
	TruncateAt int64
}

// fails reports whether a triggered fault fails the request.
func (f *Fault) fails() bool {
	return f.Err != nil || (f.Delay == 0 && !f.Truncate)
}

// Faults is a set of faults with its own seeded random source and
// counters, safe for concurrent use; it may be changed while requests run.
type Faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	rules    []*rule
	injected map[Op]int
}

type rule struct {
	Fault
	matched, fired int
}

// NewFaults returns faults drawing random numbers from seed, so a failing
// test can be replayed.
func NewFaults(seed uint64, faults ...Fault) *Faults {
	f := &Faults{rng: rand.New(rand.NewPCG(seed, seed^0x5deece66d)), injected: map[Op]int{}}
	f.Set(faults...)
	return f
}

// Set replaces the faults and resets every count, Injected's included.
func (f *Faults) Set(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injected = map[Op]int{}
	f.rules = nil
	for _, fault := range faults {
		f.rules = append(f.rules, &rule{Fault: fault})
	}
}

// Add adds one fault to those in force.
func (f *Faults) Add(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &rule{Fault: fault})
}

// Injected counts triggered faults per Op.
func (f *Faults) Injected() map[Op]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[Op]int, len(f.injected))
	for op, n := range f.injected {
		out[op] = n
	}
	return out
}

// effect is what the triggered faults do to one request.
type effect struct {
	delay      time.Duration
	fail       Fault // first triggered fault that fails the request
	failing    bool
	truncate   bool
	truncateAt int64
}

// decide counts a request against every fault and returns the combined
// effect of those it triggers.
func (f *Faults) decide(op Op, key string) effect {
	f.mu.Lock()
	defer f.mu.Unlock()
	var e effect
	for _, r := range f.rules {
		if (len(r.Ops) > 0 && !slices.Contains(r.Ops, op)) || !strings.HasPrefix(key, r.KeyPrefix) {
			continue
		}
		r.matched++
		if r.Limit > 0 && r.fired >= r.Limit {
			continue
		}
		scheduled := len(r.Calls) > 0 || r.Every > 0 || r.Prob > 0
		trigger := !scheduled ||
			slices.Contains(r.Calls, r.matched) ||
			(r.Every > 0 && r.matched%r.Every == 0) ||
			(r.Prob > 0 && f.rng.Float64() < r.Prob)
		if !trigger {
			continue
		}
		r.fired++
		f.injected[op]++
		e.delay += r.Delay
		if r.Truncate && op == OpGet && (!e.truncate || r.TruncateAt < e.truncateAt) {
			e.truncate, e.truncateAt = true, r.TruncateAt
		}
		if !e.failing && r.fails() {
			e.fail, e.failing = r.Fault, true
		}
	}
	return e
}

// before applies the delay and, unless the failure comes after the call,
// the failure.
func (e effect) before(ctx context.Context, op Op, key string) error {
	if e.delay > 0 {
		t := time.NewTimer(e.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return storage.Errorf(errOp(op), key, nil, ctx.Err())
		}
	}
	if e.failing && !e.fail.AfterCall {
		return e.err(op, key)
	}
	return nil
}

// after returns the failure that comes after the call, if any.
func (e effect) after(op Op, key string) error {
	if e.failing && e.fail.AfterCall {
		return e.err(op, key)
	}
	return nil
}

func (e effect) err(op Op, key string) error {
	return storage.Errorf(errOp(op), key, e.fail.Err, ErrInjected)
}

// Faulty makes requests to b misbehave as faults say.
func Faulty(b storage.Backend, faults *Faults) storage.Backend {
	fb := &faulty{b: b, f: faults}
	rename := func(ctx context.Context, src, dst string, dir bool) error {
		return run0(ctx, fb.f, OpRename, src, func() error {
			return b.(storage.Renamer).Rename(ctx, src, dst, dir)
		})
	}
	var lister storage.UploadLister
	if inner := innerLister(b); inner != nil {
		// Listing uploads misbehaves as a list, aborting one as an abort.
		lister = uploadLister{
			list: func(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
				return run1(ctx, fb.f, OpList, prefix, func() ([]storage.PendingUpload, error) {
					return inner.ListUploads(ctx, prefix)
				})
			},
			abort: func(ctx context.Context, key, id string) error {
				return run0(ctx, fb.f, OpAbort, key, func() error { return inner.AbortUpload(ctx, key, id) })
			},
		}
	}
	return Extend(fb, b, Extras{Rename: rename, Uploads: lister})
}

type faulty struct {
	b storage.Backend
	f *Faults
}

// run1 wraps a call returning a value and an error.
func run1[T any](ctx context.Context, f *Faults, op Op, key string, call func() (T, error)) (T, error) {
	var zero T
	e := f.decide(op, key)
	if err := e.before(ctx, op, key); err != nil {
		return zero, err
	}
	v, err := call()
	if err != nil {
		return v, err
	}
	if err := e.after(op, key); err != nil {
		return zero, err
	}
	return v, nil
}

func run0(ctx context.Context, f *Faults, op Op, key string, call func() error) error {
	_, err := run1(ctx, f, op, key, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

func (fb *faulty) Head(ctx context.Context, key string) (storage.Object, error) {
	return run1(ctx, fb.f, OpHead, key, func() (storage.Object, error) { return fb.b.Head(ctx, key) })
}

func (fb *faulty) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	return run1(ctx, fb.f, OpList, opts.Prefix, func() (storage.ListPage, error) { return fb.b.List(ctx, opts) })
}

func (fb *faulty) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	e := fb.f.decide(OpGet, key)
	if err := e.before(ctx, OpGet, key); err != nil {
		return nil, storage.Object{}, err
	}
	rc, obj, err := fb.b.Get(ctx, key, opts)
	if err != nil {
		return nil, obj, err
	}
	if err := e.after(OpGet, key); err != nil {
		rc.Close()
		return nil, storage.Object{}, err
	}
	if e.truncate {
		rc = &truncatedBody{ReadCloser: rc, left: e.truncateAt}
	}
	return rc, obj, nil
}

// truncatedBody ends with io.ErrUnexpectedEOF after left bytes.
type truncatedBody struct {
	io.ReadCloser
	left int64
}

func (t *truncatedBody) Read(p []byte) (int, error) {
	if t.left <= 0 {
		// End early only if the real body had more to give.
		var one [1]byte
		if n, _ := io.ReadFull(t.ReadCloser, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, io.ErrUnexpectedEOF
	}
	if int64(len(p)) > t.left {
		p = p[:t.left]
	}
	n, err := t.ReadCloser.Read(p)
	t.left -= int64(n)
	return n, err
}

func (fb *faulty) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	return run1(ctx, fb.f, OpPut, key, func() (storage.Object, error) { return fb.b.Put(ctx, key, body, opts) })
}

func (fb *faulty) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	up, err := run1(ctx, fb.f, OpCreateUpload, key, func() (storage.Upload, error) { return fb.b.CreateUpload(ctx, key, opts) })
	if err != nil {
		return nil, err
	}
	return &faultyUpload{up: up, f: fb.f, key: key}, nil
}

type faultyUpload struct {
	up  storage.Upload
	f   *Faults
	key string
}

func (u *faultyUpload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	return run1(ctx, u.f, OpWritePart, u.key, func() (storage.Part, error) { return u.up.WritePart(ctx, n, body) })
}

// UploadID is the wrapped upload's ID, or "".
func (u *faultyUpload) UploadID() string { return storage.UploadIDOf(u.up) }

func (u *faultyUpload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	return run1(ctx, u.f, OpComplete, u.key, func() (storage.Object, error) { return u.up.Complete(ctx, parts) })
}

func (u *faultyUpload) Abort(ctx context.Context) error {
	return run0(ctx, u.f, OpAbort, u.key, func() error { return u.up.Abort(ctx) })
}

func (fb *faulty) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	return run1(ctx, fb.f, OpCopy, src, func() (storage.Object, error) { return fb.b.Copy(ctx, src, dst, opts) })
}

func (fb *faulty) Delete(ctx context.Context, key string) error {
	return run0(ctx, fb.f, OpDelete, key, func() error { return fb.b.Delete(ctx, key) })
}

func (fb *faulty) Caps() storage.Caps { return fb.b.Caps() }
func (fb *faulty) Close() error       { return fb.b.Close() }
