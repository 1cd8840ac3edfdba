package staged

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// eager uploads a staged file written afresh while it is still being
// written (file cache): each part goes to a multipart upload once every
// byte of it and of one more part after it has been written, so the close
// of a large file only waits for its last parts. Writes may arrive a
// little out of order (the kernel's write-back sends several at once): a
// part waits until the holes before its end are filled. The staged copy
// stays the file's data: a write or truncate that touches bytes already
// sent abandons the upload, and the file is uploaded whole at its next
// flush, as without eager.
//
// Parts are read from the staged file, so eager holds no buffers. The
// first 1000 parts have the configured part size and every following
// thousand twice the size of the one before, which keeps a file of unknown
// length within the store's part-count limit.
//
// The upload is created with the file's metadata but without its times:
// they change with every write, and S3 fixes metadata when an upload
// starts. Times the writes set themselves are then the object's
// Last-Modified; any other change is applied after completion (vfs
// reconciles the metadata, see content.Stored.Since).
//
// The part goroutines never take file.mu; mu guards the fields below it.
type eager struct {
	c     *Cache
	key   string
	local *os.File
	base  int64     // size of the first parts
	start time.Time // when the file's first write came
	md    map[string]string

	ctx    context.Context // parent of part uploads
	cancel context.CancelFunc

	mu       sync.Mutex
	partDone *sync.Cond
	up       storage.Upload
	release  func()
	parts    []storage.Part // by number - 1; filled in as parts finish
	next     int64          // end of the bytes sent or being sent
	// written is the end of the bytes written from the start without a
	// hole; ahead holds the ranges written past it, sorted and apart.
	written  int64
	ahead    []extent
	inflight int
	err      error // first failure; the upload is then of no use
}

// extent is a range of bytes, [start, end).
type extent struct{ start, end int64 }

const (
	// eagerGroup is how many parts in a row share one size.
	eagerGroup = 1000
	// eagerMaxAhead bounds the ranges written out of order that eager
	// tracks; a file written all over the place is uploaded whole.
	eagerMaxAhead = 1024
)

// startEager starts tracking f, whose first write (at offset 0 of an empty
// file) just happened. No request is made until a part is ready. Caller
// holds f.mu.
func (f *File) startEager() {
	md := content.WithoutTimes(f.target.Meta)
	ctx, cancel := context.WithCancel(context.Background())
	e := &eager{c: f.c, key: f.target.Key, local: f.local, base: f.c.partSize(0), start: time.Now().Truncate(time.Second),
		md: md, ctx: ctx, cancel: cancel}
	e.partDone = sync.NewCond(&e.mu)
	f.eager = e
}

// trackWrite tells an eager upload of f about the write of [off, end),
// starting one for the first write of an empty file and abandoning it for
// a write into bytes already sent. Caller holds f.mu.
func (f *File) trackWrite(off, end, sizeBefore int64) {
	if f.eager == nil {
		if sizeBefore != 0 || f.abandoned || !f.loaded || f.c.opts.Lazy {
			return
		}
		f.startEager()
	}
	if !f.eager.wrote(off, end) {
		f.dropEager()
	}
}

// trackTruncate is trackWrite for a truncate to size. Caller holds f.mu.
func (f *File) trackTruncate(size int64) {
	if f.eager != nil && !f.eager.truncated(size) {
		f.dropEager()
	}
}

// dropEager abandons f's eager upload, if any, and aborts what it sent.
// Caller holds f.mu.
func (f *File) dropEager() {
	if e := f.eager; e != nil {
		f.eager = nil
		e.abort()
	}
}

// wrote records the write of [off, end) and sends the parts it made
// ready. It reports false when the write touched bytes already sent, or
// the upload is of no use for another reason.
func (e *eager) wrote(off, end int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if off < e.next || e.err != nil {
		return false
	}
	if off > e.written {
		e.ahead = addExtent(e.ahead, extent{off, end})
		return len(e.ahead) <= eagerMaxAhead
	}
	e.written = max(e.written, end)
	for len(e.ahead) > 0 && e.ahead[0].start <= e.written {
		e.written = max(e.written, e.ahead[0].end)
		e.ahead = e.ahead[1:]
	}
	e.pump()
	return e.err == nil
}

// truncated records a truncate to size: bytes past it are no longer
// written (an extension reads as zeros and is sent at finish as it is).
func (e *eager) truncated(size int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if size < e.next || e.err != nil {
		return false
	}
	e.written = min(e.written, size)
	kept := e.ahead[:0]
	for _, x := range e.ahead {
		if x.start < size {
			kept = append(kept, extent{x.start, min(x.end, size)})
		}
	}
	e.ahead = kept
	return true
}

// addExtent inserts x into the sorted, disjoint list xs, merging it with
// the ranges it overlaps or touches.
func addExtent(xs []extent, x extent) []extent {
	out := make([]extent, 0, len(xs)+1)
	for _, y := range xs {
		switch {
		case y.end < x.start:
			out = append(out, y)
		case x.end < y.start:
			out = append(out, x)
			x = y
		default:
			x = extent{min(x.start, y.start), max(x.end, y.end)}
		}
	}
	return append(out, x)
}

// partLen is the size of part n (1-based), or 0 past the store's limit.
func (e *eager) partLen(n int) int64 {
	caps := e.c.caps
	if caps.MaxParts > 0 && n > caps.MaxParts {
		return 0
	}
	l := e.base << min((n-1)/eagerGroup, 20)
	if caps.MaxPartSize > 0 {
		l = min(l, caps.MaxPartSize)
	}
	return l
}

// pump sends every part that is ready while upload slots are free: a part
// is ready once it and a whole base part after it are written, so a
// program that goes back a little to rewrite what it just wrote still
// finds those bytes unsent. Caller holds e.mu.
func (e *eager) pump() {
	for e.err == nil && e.inflight < e.c.opts.Concurrency {
		n := len(e.parts) + 1
		l := e.partLen(n)
		if l == 0 || e.written < e.next+l+e.base {
			return
		}
		if e.up == nil {
			// One request per large file, before anything runs in the
			// background: the write that crossed the first part waits
			// for it.
			up, release, err := e.c.startUpload(e.ctx, e.key, e.md)
			if err != nil {
				e.err = err
				return
			}
			e.up, e.release = up, release
		}
		off := e.next
		e.next += l
		e.parts = append(e.parts, storage.Part{})
		e.inflight++
		go e.send(n, off, l)
	}
}

// send uploads part n, the l bytes of the staged file at off.
func (e *eager) send(n int, off, l int64) {
	p, err := e.up.WritePart(e.ctx, n, io.NewSectionReader(e.local, off, l))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight--
	if err != nil && e.err == nil {
		e.err = err
	}
	if err == nil {
		e.parts[n-1] = p
	}
	e.pump()
	e.partDone.Broadcast()
}

// wait returns once no part is being sent. Caller holds e.mu.
func (e *eager) wait() {
	for e.inflight > 0 {
		e.partDone.Wait()
	}
}

// abort stops the upload and discards what it sent.
func (e *eager) abort() {
	e.cancel()
	e.mu.Lock()
	e.wait()
	up, release := e.up, e.release
	e.up = nil
	e.mu.Unlock()
	if up != nil {
		e.c.abortUpload(context.Background(), e.key, up, release)
	}
}

// finish completes the upload with the file's bytes from where the sent
// parts end to size, and returns the object. used is false when the
// upload cannot make the file (nothing sent yet, a part failed, the file
// moved): it is then aborted and the caller uploads the file whole. On an
// error with used set, the upload is aborted and the data stays staged.
func (e *eager) finish(ctx context.Context, key string, size int64) (obj storage.Object, used bool, err error) {
	e.mu.Lock()
	e.wait()
	ok := e.up != nil && e.err == nil && key == e.key && size >= e.next
	e.mu.Unlock()
	if !ok {
		e.abort()
		return storage.Object{}, false, nil
	}
	// Nothing runs in the background any more: the upload is ours.
	up, release := e.up, e.release
	e.up = nil
	e.cancel()
	obj, err = e.c.completeUpload(ctx, e.key, up, release, e.local, e.parts, e.next, size, e.partLen)
	if errors.Is(err, errPartLimit) {
		return storage.Object{}, false, nil
	}
	return obj, true, err
}

// finishEager completes f's eager upload, if it has one that can make the
// file, and returns what it stored. Caller holds f.mu. When used is false
// the caller uploads f whole. The upload was started without the file's
// times (Stored.Since): vfs shows the object's own instead, or writes
// the file's when they are older.
func (f *File) finishEager(ctx context.Context) (st content.Stored, used bool, err error) {
	e := f.eager
	if e == nil {
		return st, false, nil
	}
	f.eager = nil
	obj, used, err := e.finish(ctx, f.target.Key, f.size)
	if !used || err != nil {
		return st, used, err
	}
	return content.Stored{Object: obj, Meta: e.md, Since: e.start}, true, nil
}
