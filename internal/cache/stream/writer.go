package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// WriterOptions tunes a Writer. Zero values take the defaults.
type WriterOptions struct {
	// Budget is the mount's shared memory budget; part buffers come from
	// it and a full budget makes WriteAt wait (backpressure). Nil gives
	// the writer a private budget of PartSize*(Concurrency+1).
	Budget *Budget
	// PartSize is the size of every part but the last (default 8 MiB),
	// raised to the store's MinPartSize and lowered to its MaxPartSize.
	// The largest file a Writer can stream is PartSize*Caps.MaxParts.
	PartSize int64
	// Concurrency is the most parts uploading at once (default 4).
	Concurrency int
	// Put carries metadata, content type and preconditions for the
	// object; they apply to the single Put or to the multipart upload.
	Put storage.PutOptions
	// Track, if set, is called with the multipart upload as soon as it
	// starts, before its first part is sent; an error fails the write and
	// aborts the upload. release is called once the upload is completed
	// or aborted, never when aborting failed, so the caller can keep a
	// durable record of every upload a crash could leave behind.
	Track func(ctx context.Context, up storage.Upload) (release func(), err error)
}

// DefaultConcurrency is the default of WriterOptions.Concurrency.
const DefaultConcurrency = 4

// cleanupTimeout bounds aborting an upload after the caller gave up.
const cleanupTimeout = 30 * time.Second

// Writer streams a file written from start to end to the store: a file
// that fits one part becomes a single Put at Close, a larger one a
// multipart upload whose full parts upload in the background while the
// caller goes on writing. Nothing becomes visible before Close succeeds.
// A Writer is safe for concurrent use, but only writes at the current end
// are taken.
type Writer struct {
	b        storage.Backend
	key      string
	opts     WriterOptions // defaults filled in
	partSize int64
	maxSize  int64

	ctx    context.Context // parent of part uploads; cancelled on failure
	cancel context.CancelFunc
	slots  chan struct{} // one token per part uploading
	wg     sync.WaitGroup

	aborting atomic.Bool // Abort was called

	// mu serialises WriteAt, Close and Abort and guards the fields below.
	mu       sync.Mutex
	size     int64
	cur      []byte // the part being filled; cap is partSize
	upload   storage.Upload
	release  func() // from Track, for upload; nil when untracked
	nextPart int
	done     bool  // closed or aborted
	result   error // what Close or the failure returned, for later calls

	// resMu guards what part uploads report.
	resMu sync.Mutex
	parts []storage.Part
	err   error // first part failure
}

// NewWriter returns a writer of key. It issues no request until a part
// fills up or Close.
func NewWriter(b storage.Backend, key string, opts WriterOptions) *Writer {
	caps := b.Caps()
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	opts.PartSize = max(opts.PartSize, caps.MinPartSize)
	if caps.MaxPartSize > 0 {
		opts.PartSize = min(opts.PartSize, caps.MaxPartSize)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Budget == nil {
		opts.Budget = NewBudget(opts.PartSize * int64(opts.Concurrency+1))
	}
	maxSize := opts.PartSize * int64(caps.MaxParts)
	if caps.MaxParts <= 0 {
		maxSize = caps.MaxPutSize
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Writer{
		b: b, key: key, opts: opts, partSize: opts.PartSize, maxSize: maxSize,
		ctx: ctx, cancel: cancel, slots: make(chan struct{}, opts.Concurrency),
	}
}

// Size is the number of bytes taken so far: the offset the next WriteAt
// must use.
func (w *Writer) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// MaxSize is the largest file this writer can stream: PartSize times the
// store's part limit. A write past it fails with storage.ErrTooLarge.
func (w *Writer) MaxSize() int64 { return w.maxSize }

// PartSize is the part size in use after the store's limits applied.
func (w *Writer) PartSize() int64 { return w.partSize }

// WriteAt appends p, which must start at the current end (off == Size());
// any other offset returns ErrNotSequential and takes nothing. It waits
// when the budget or the upload slots are full. A failed part upload
// fails this or a later WriteAt and aborts the upload; the writer is then
// done and every later call returns that error. If ctx ends while
// WriteAt waits, it returns the bytes taken so far and ctx's error, and
// the writer goes on from there.
func (w *Writer) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.check(ctx); err != nil {
		return 0, err
	}
	if off != w.size {
		return 0, fmt.Errorf("%w: write at %d, file end at %d", ErrNotSequential, off, w.size)
	}
	if w.size+int64(len(p)) > w.maxSize {
		return 0, storage.Errorf("upload", w.key, storage.ErrTooLarge, fmt.Errorf(
			"a streamed file holds at most %d bytes (%d-byte parts, at most %d parts)",
			w.maxSize, w.partSize, w.maxSize/w.partSize))
	}
	n := 0
	for len(p) > 0 {
		if int64(len(w.cur)) == w.partSize {
			if err := w.dispatch(ctx); err != nil {
				return n, w.failUnlessGaveUp(ctx, err)
			}
		}
		if err := w.room(ctx); err != nil {
			return n, w.failUnlessGaveUp(ctx, err)
		}
		c := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+c]
		p = p[c:]
		n += c
		w.size += int64(c)
	}
	return n, nil
}

// check returns why the writer cannot go on: done, or a part failed (which
// aborts the upload first). The caller holds w.mu.
func (w *Writer) check(ctx context.Context) error {
	if w.done {
		if w.result != nil {
			return w.result
		}
		return ErrClosed
	}
	if err := w.partErr(); err != nil {
		return w.fail(ctx, err)
	}
	return nil
}

// firstBuffer is the size a file's first part buffer starts at; it
// doubles as the file grows, up to the part size. The budget is charged a
// whole part from the first write, as for any part, so a writer never
// waits for memory while it holds some; only the memory really used grows
// with the file. Later parts, of a file known to be large, get whole part
// buffers at once.
const firstBuffer = 256 << 10

// room makes sure w.cur has room for at least one more byte. The caller
// holds w.mu.
func (w *Writer) room(ctx context.Context) error {
	switch {
	case w.cur == nil:
		if err := w.waitMemory(ctx, w.partSize); err != nil {
			return err
		}
		if w.nextPart == 0 && w.partSize > firstBuffer {
			w.cur = make([]byte, 0, firstBuffer)
		} else {
			w.cur = w.opts.Budget.buffer(int(w.partSize))[:0]
		}
	case len(w.cur) == cap(w.cur):
		// Within the part already charged: no wait.
		buf := make([]byte, len(w.cur), min(2*int64(cap(w.cur)), w.partSize))
		copy(buf, w.cur)
		w.cur = buf
	}
	return nil
}

// give returns the current buffer's charge to the budget: a whole part,
// kept for reuse when the buffer is part-sized.
func (w *Writer) give(buf []byte) {
	if int64(cap(buf)) == w.partSize {
		w.opts.Budget.Free(buf)
		return
	}
	w.opts.Budget.Release(w.partSize)
}

// waitMemory charges n bytes to the budget, waiting for room, but not
// past a part failure.
func (w *Writer) waitMemory(ctx context.Context, n int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(w.ctx, cancel)
	defer stop()
	if err := w.opts.Budget.Acquire(ctx, n); err != nil {
		if w.ctx.Err() != nil {
			return w.stopped()
		}
		return err
	}
	return nil
}

// dispatch uploads the full current part in the background, starting the
// multipart upload first if needed. The caller holds w.mu.
func (w *Writer) dispatch(ctx context.Context) error {
	if w.upload == nil {
		up, err := w.b.CreateUpload(ctx, w.key, w.opts.Put)
		if err != nil {
			return err
		}
		if w.opts.Track != nil {
			release, err := w.opts.Track(ctx, up)
			if err != nil {
				actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
				defer cancel()
				return errors.Join(err, up.Abort(actx))
			}
			w.release = release
		}
		w.upload = up
	}
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.ctx.Done():
		return w.stopped()
	}
	w.nextPart++
	n, buf, up := w.nextPart, w.cur, w.upload
	w.cur = nil
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		part, err := up.WritePart(w.ctx, n, bytes.NewReader(buf))
		if err == nil {
			w.opts.Budget.Free(buf)
		} else {
			// An HTTP transport may still read a failed request's body
			// after the call returns: never reuse this buffer.
			w.opts.Budget.Release(int64(cap(buf)))
		}
		<-w.slots
		w.resMu.Lock()
		defer w.resMu.Unlock()
		if err != nil {
			if w.err == nil {
				w.err = fmt.Errorf("upload part %d of %q: %w", n, w.key, err)
				w.cancel() // stop the other parts
			}
			return
		}
		w.parts = append(w.parts, part)
	}()
	return nil
}

// stopped says why w.ctx was cancelled: a part failure or Abort.
func (w *Writer) stopped() error {
	if err := w.partErr(); err != nil {
		return err
	}
	return ErrClosed
}

// partErr is the first part failure, or nil.
func (w *Writer) partErr() error {
	w.resMu.Lock()
	defer w.resMu.Unlock()
	return w.err
}

// failUnlessGaveUp fails the writer with err, except when err only says
// that the caller's ctx ended: then the writer stays as it was (what was
// taken stays taken) and the caller may go on or Abort. The caller holds
// w.mu.
func (w *Writer) failUnlessGaveUp(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && w.ctx.Err() == nil && errors.Is(err, cerr) {
		return err
	}
	return w.fail(ctx, err)
}

// fail ends the writer with err (see stop) and returns err, joined with
// the abort's own failure if any. The caller holds w.mu.
func (w *Writer) fail(ctx context.Context, err error) error {
	if w.aborting.Load() && !errors.Is(err, ErrClosed) {
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
	w.done = true
	w.result = err
	if aerr := w.stop(ctx); aerr != nil {
		w.result = errors.Join(err, aerr)
	}
	return w.result
}

// stop cancels and waits for the part uploads, gives every buffer back
// and aborts the multipart upload so nothing becomes visible. The caller
// holds w.mu.
func (w *Writer) stop(ctx context.Context) error {
	w.cancel()
	w.wg.Wait()
	if w.cur != nil {
		w.give(w.cur)
		w.cur = nil
	}
	if w.upload == nil {
		return nil
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err := w.upload.Abort(actx)
	w.upload = nil
	if err != nil {
		return fmt.Errorf("abort upload of %q: %w", w.key, err)
	}
	w.released()
	return nil
}

// released calls and forgets the Track release of the upload, which is
// finished. The caller holds w.mu.
func (w *Writer) released() {
	if w.release != nil {
		w.release()
		w.release = nil
	}
}

// Close uploads what is left and makes the object visible: one Put for a
// file that fits one part (an empty file included), else the last part
// and Complete. On any failure the upload is aborted and nothing becomes
// visible; later calls return the same error, or ErrClosed after success.
// If ctx ends first, Close returns ctx's error and leaves the writer as it
// was: call Close again (with a live context) or Abort.
func (w *Writer) Close(ctx context.Context) (storage.Object, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.check(ctx); err != nil {
		return storage.Object{}, err
	}
	if w.upload == nil {
		obj, err := w.b.Put(ctx, w.key, bytes.NewReader(w.cur), w.opts.Put)
		if err != nil {
			return storage.Object{}, w.failUnlessGaveUp(ctx, err)
		}
		w.finish()
		return obj, nil
	}
	if len(w.cur) > 0 {
		if err := w.dispatch(ctx); err != nil {
			return storage.Object{}, w.failUnlessGaveUp(ctx, err)
		}
	}
	if err := w.wait(ctx); err != nil {
		return storage.Object{}, w.failUnlessGaveUp(ctx, err)
	}
	w.resMu.Lock()
	parts := slices.SortedFunc(slices.Values(w.parts), func(a, b storage.Part) int { return a.Number - b.Number })
	w.resMu.Unlock()
	obj, err := w.upload.Complete(ctx, parts)
	if err != nil {
		return storage.Object{}, w.failUnlessGaveUp(ctx, err)
	}
	w.upload = nil
	w.released()
	w.finish()
	return obj, nil
}

// wait waits for every part upload and returns the first failure.
func (w *Writer) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return w.partErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish marks a successful Close. The caller holds w.mu.
func (w *Writer) finish() {
	w.done = true
	w.cancel()
	if w.cur != nil {
		w.give(w.cur)
		w.cur = nil
	}
}

// Abort stops the upload, discards every part and gives the memory back.
// Nothing becomes visible; later calls return ErrClosed. Aborting a closed
// writer does nothing. It returns the store's error if discarding failed.
func (w *Writer) Abort(ctx context.Context) error {
	// Wake a WriteAt blocked on the budget or a slot before taking w.mu.
	w.aborting.Store(true)
	w.cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	w.result = ErrClosed
	return w.stop(ctx)
}
