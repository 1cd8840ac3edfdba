package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ObjectRef names one version of an object: reads are pinned to ETag.
type ObjectRef struct {
	Key  string
	ETag string // "" reads whatever version is current (no pinning)
	Size int64
}

// ReaderOptions tunes a Reader. Zero values take the defaults.
type ReaderOptions struct {
	// Budget is the mount's shared memory budget. Nil gives the reader a
	// private budget of MaxWindow bytes.
	Budget *Budget
	// PartSize is the largest ranged GET of a sequential stream
	// (default 8 MiB).
	PartSize int64
	// MaxWindow caps the bytes one reader holds, read ahead or in flight
	// (default 64 MiB).
	MaxWindow int64
	// FirstRequest is the size of the first GET of a sequential stream;
	// later GETs double up to PartSize (default 1 MiB).
	FirstRequest int64
	// Prefetch is the most GETs in flight at once for one reader
	// (default MaxWindow/PartSize, at least 1).
	Prefetch int
	// RandomRead is how near a random read the next read must be to
	// start a stream there (default 128 KiB). A random read itself
	// fetches just the bytes it asks for.
	RandomRead int64
	// Retries is how often a truncated body is resumed before the read
	// fails (default 3).
	Retries int
	// ReclaimAfter is how long a reader must go unread before it gives
	// its read-ahead back to a budget someone waits on (default 1s).
	ReclaimAfter time.Duration
	// Disk, if set, is the disk tier: blocks of a pinned version are read
	// from it when there, and blocks fetched whole are kept in it.
	Disk *disktier.Tier
	// Ranges, if set, serves random reads of a pinned version from chunks
	// kept in memory, fetching each missing chunk whole (see Ranges).
	Ranges *Ranges
}

// Defaults of ReaderOptions.
const (
	DefaultPartSize     = 8 << 20
	DefaultMaxWindow    = 64 << 20
	DefaultFirstRequest = 1 << 20
	DefaultRandomRead   = 128 << 10
	DefaultRetries      = 3
	DefaultReclaimAfter = time.Second
)

// seqTolerance is how far behind the furthest read, or past the furthest
// request, a read may land and still count as part of the stream: the
// kernel reads ahead of a sequential reader in several 1 MiB requests at
// once (4 MiB on a cloudfuse mount) and they arrive in any order, so this
// covers two such windows. Data this far behind the reader is kept for
// them.
const seqTolerance = 8 << 20

// maxSideReads is how many reads in a row may land behind the stream
// before the stream counts as abandoned (see classify).
const maxSideReads = 8

func (o ReaderOptions) withDefaults() ReaderOptions {
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	if o.MaxWindow <= 0 {
		o.MaxWindow = DefaultMaxWindow
	}
	o.MaxWindow = max(o.MaxWindow, o.PartSize)
	if o.FirstRequest <= 0 {
		o.FirstRequest = DefaultFirstRequest
	}
	o.FirstRequest = min(o.FirstRequest, o.PartSize)
	if o.Prefetch <= 0 {
		o.Prefetch = max(1, int(o.MaxWindow/o.PartSize))
	}
	if o.RandomRead <= 0 {
		o.RandomRead = DefaultRandomRead
	}
	o.RandomRead = min(o.RandomRead, o.PartSize)
	if o.Retries <= 0 {
		o.Retries = DefaultRetries
	}
	if o.ReclaimAfter <= 0 {
		o.ReclaimAfter = DefaultReclaimAfter
	}
	if o.Budget == nil {
		o.Budget = NewBudget(o.MaxWindow)
	}
	return o
}

// Reader reads one version of an object through ranged GETs, prefetching
// ahead of sequential reads. It is safe for concurrent use.
type Reader struct {
	b    storage.Backend
	obj  ObjectRef
	opts ReaderOptions // defaults filled in

	ctx    context.Context // parent of every prefetch; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // running fetch goroutines

	lastRead    atomic.Int64 // when ReadAt was last called, in Unix nanoseconds
	stopReclaim func()       // unregisters from the budget

	// mu guards every field below and the bookkeeping fields of each part.
	// Lock order: Reader.mu, then part.mu or Budget.mu. Nothing waits for
	// the store or for data while holding mu.
	mu       sync.Mutex
	closed   bool
	stale    error   // set once a GET found the version gone
	parts    []*part // sorted by offset, never overlapping
	held     int64   // bytes of buffers not yet given back to the budget
	heldPeak int64   // highest held seen
	fetching int     // parts whose GET is running
	started  bool    // some read has happened
	streak   int     // sequential reads in a row; 0 after a random read
	next     int64   // end of the furthest read of the stream
	fetchEnd int64   // end of the furthest part requested for the stream
	window   int64   // bytes to keep requested ahead of next
	reqSize  int64   // size of the next prefetch GET
	// A run of reads behind the stream (see side).
	sideNext  int64 // end of the furthest read of the run
	sideBytes int64 // bytes the run has read in order
	sideReads int   // reads behind the stream since the last read in it
}

// NewReader returns a reader of obj. It issues no request until the
// first ReadAt.
func NewReader(b storage.Backend, obj ObjectRef, opts ReaderOptions) *Reader {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reader{
		b: b, obj: obj, opts: opts, ctx: ctx, cancel: cancel,
		window: opts.FirstRequest, reqSize: opts.FirstRequest,
	}
	r.lastRead.Store(time.Now().UnixNano())
	r.stopReclaim = opts.Budget.onWait(r.reclaim)
	return r
}

// reclaim gives back the read-ahead nobody is reading if the reader has
// been idle for ReclaimAfter. The stream restarts small on the next read.
func (r *Reader) reclaim() {
	if time.Since(time.Unix(0, r.lastRead.Load())) < r.opts.ReclaimAfter {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropAll()
	r.fetchEnd = r.next
	r.window, r.reqSize = r.opts.FirstRequest, r.opts.FirstRequest
}

// Size is the size of the object version being read.
func (r *Reader) Size() int64 { return r.obj.Size }

// ReadAt reads len(p) bytes at off, like io.ReaderAt: it returns fewer
// only at the end of the object, with io.EOF. Reads at or past the end
// return 0, io.EOF. ctx bounds this call's wait only; prefetches it
// started go on for later reads. A changed object fails with an error
// matching ErrStale, and so does every later read.
func (r *Reader) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	bufs, release, err := r.ReadShared(ctx, p, off)
	defer release()
	n := 0
	for _, b := range bufs {
		if len(b) > 0 && &b[0] != &p[n] { // bytes read into p are in place
			copy(p[n:], b)
		}
		n += len(b)
	}
	return n, err
}

// usable returns ErrClosed or the stale error once either applies.
func (r *Reader) usable() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	return r.stale
}

// direct reads dst at pos outside the stream: from the chunks Ranges
// keeps, or with one pinned GET, without buffering.
func (r *Reader) direct(ctx context.Context, dst []byte, pos int64) (int, error) {
	if c := r.opts.Ranges; c != nil {
		if n, ok, err := c.read(ctx, r, dst, pos); ok {
			if err != nil {
				return n, r.failed(err)
			}
			return n, nil
		}
	}
	n, err := r.getInto(ctx, dst, pos, nil)
	if err != nil {
		return n, r.failed(err)
	}
	return n, nil
}

// failed records a stale error for every later read and returns err.
func (r *Reader) failed(err error) error {
	if !errors.Is(err, ErrStale) {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale == nil {
		r.stale = err
		r.dropAll()
	}
	return err
}

// Close cancels every prefetch and gives its memory back to the budget.
// Buffers that a concurrent ReadAt is still copying from are given back
// when that call returns. Close is idempotent.
func (r *Reader) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.dropAll()
	r.mu.Unlock()
	r.stopReclaim()
	r.cancel()
	r.wg.Wait()
	return nil
}

// getInto fills dst with the object's bytes at pos, from the disk tier
// where it has them and through pinned GETs for the rest, which leave on
// the tier the blocks they fetched whole. progress, if
// set, is told how many bytes of dst are filled as they arrive, in order.
func (r *Reader) getInto(ctx context.Context, dst []byte, pos int64, progress func(int64)) (int, error) {
	if r.opts.Disk == nil || r.obj.ETag == "" {
		return r.getStore(ctx, dst, pos, progress)
	}
	return r.getTiered(ctx, dst, pos, progress)
}

// getStore fills dst with the object's bytes at pos through pinned GETs,
// resuming a truncated body up to Retries times. progress is as for
// getInto.
func (r *Reader) getStore(ctx context.Context, dst []byte, pos int64, progress func(int64)) (int, error) {
	var got int64
	size := int64(len(dst))
	for tries := 0; ; tries++ {
		rc, _, err := r.b.Get(ctx, r.obj.Key, storage.GetOptions{
			Offset: pos + got, Length: size - got, IfMatch: r.obj.ETag,
		})
		if err != nil {
			return int(got), classify(err)
		}
		told := got
		for got < size && err == nil {
			// Each read is offered the whole rest of dst: the HTTP
			// client's buffered reader then hands large reads to the
			// socket directly instead of copying through its buffer.
			var n int
			n, err = rc.Read(dst[got:])
			got += int64(n)
			if progress != nil && got-told >= progressChunk {
				progress(got)
				told = got
			}
		}
		if progress != nil && got > told {
			progress(got)
		}
		_ = rc.Close()
		switch {
		case got == size:
			return int(got), nil
		case ctx.Err() != nil:
			return int(got), ctx.Err()
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			if tries < r.opts.Retries {
				continue
			}
			err = io.ErrUnexpectedEOF
		}
		return int(got), fmt.Errorf("read %q at %d: body ended after %d of %d bytes: %w",
			r.obj.Key, pos, got, size, err)
	}
}

// progressChunk is how many bytes a GET fills between two wake-ups of the
// reads waiting on it.
const progressChunk = 256 << 10
