package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// file is the shared state of one open (or dirty) path; every handle on the
// path points to it. vfs keeps its name, identity and attributes; c holds
// its bytes (see package content), staged in the cache directory or
// streamed.
//
// mu guards every field below and is held across calls on c but reads, so
// an upload never sees a half-applied write. FS.mu is taken before mu when
// both are needed; the content's own locks are taken after mu.
type file struct {
	v  *FS
	mu sync.Mutex

	path     string       // current path; changed by rename
	refs     atomic.Int32 // open handles; acquire adds under v.mu alone
	writers  int          // open handles that may write
	unlinked bool         // removed from the namespace while open
	created  bool         // never stored
	// lazyQueued says a background upload of f is waiting (lazy.go).
	lazyQueued bool
	// busy is set while a background upload holds mu (lazy.go); shown is
	// then what node() answers, exact since nothing changes meanwhile.
	busy  atomic.Bool
	shown atomic.Pointer[node]

	base  *node // what the store holds; nil for a new file
	attr  Attr  // current attributes (Size follows c)
	extra map[string]string

	c content.Content
}

// node reports the file's current state as a node.
func (f *file) node() *node {
	if f.busy.Load() {
		if n := f.shown.Load(); n != nil {
			return n
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nodeLocked()
}

func (f *file) nodeLocked() *node {
	n := &node{Attr: f.attr, key: f.path}
	if f.base != nil {
		n.etag, n.meta = f.base.etag, f.base.meta
	}
	return n
}

// version is what the store holds for f. Caller holds f.mu.
func (f *file) version() content.Version {
	if f.base == nil {
		return content.Version{}
	}
	return content.Version{Key: f.base.key, ETag: f.base.etag, Size: f.base.Size}
}

// target is where and how f's bytes are stored. Caller holds f.mu.
func (f *file) target() content.Target {
	t := content.Target{Key: f.path, Meta: f.v.metaFor(f.attr, f.extra), Created: f.created}
	if f.base != nil {
		t.BaseETag = f.base.etag
	}
	return t
}

// describe tells the content where it goes now. Caller holds f.mu.
func (f *file) describe() error {
	return contentErr(f.c.Describe(f.target()))
}

// openContent picks the content of an existing file: streamed on the
// streaming data path, staged otherwise.
func (v *FS) openContent(f *file) content.Content {
	if v.streamer != nil && f.base != nil && f.base.key != "" {
		return v.streamer.OpenFile(f.version(), f.target())
	}
	return v.stagedContent(f)
}

// stagedContent is f's bytes staged in the cache directory (without one,
// on a read-only mount, reads only).
func (v *FS) stagedContent(f *file) content.Content {
	if v.cache == nil {
		return noCache{size: f.attr.Size}
	}
	return v.cache.OpenFile(f.version(), f.target())
}

// restage completes a stream f is written through and moves f to a staged
// copy of what the store holds: the one-way switch a stream asks for with
// content.ErrRestage. Caller holds f.mu.
func (f *file) restage(ctx context.Context) error {
	switch {
	case f.c.Dirty() && f.unlinked:
		f.c.Abandon()
	case f.c.Dirty():
		if err := f.upload(ctx, false); err != nil {
			return err
		}
	}
	f.c.Close()
	f.c = f.v.stagedContent(f)
	return nil
}

// staging runs op on f's content, and again on a staged copy when the
// content answers content.ErrRestage. Caller holds f.mu.
func (f *file) staging(ctx context.Context, op func(content.Content) error) error {
	for {
		err := op(f.c)
		if !errors.Is(err, content.ErrRestage) {
			return err
		}
		if err := f.restage(ctx); err != nil {
			return err
		}
	}
}

// load makes f's bytes local (before its object is deleted). Caller holds
// f.mu.
func (f *file) load(ctx context.Context) error {
	return contentErr(f.staging(ctx, func(c content.Content) error { return c.Load(ctx) }))
}

// touch sets the times a change of the data sets. Caller holds f.mu.
func (f *file) touch() {
	f.attr.Mtime = fsNow()
	f.attr.Ctime = f.attr.Mtime
}

// upload makes the store hold f's bytes if they changed, then brings the
// object's metadata up to date. Caller holds f.mu. On failure a staged
// file keeps its data and journal record on disk.
func (f *file) upload(ctx context.Context, keepOpen bool) error {
	if f.unlinked {
		return nil
	}
	st, stored, err := f.c.Flush(ctx, f.target(), keepOpen)
	f.attr.Size = f.c.Size()
	if err != nil || !stored {
		return f.failed(err)
	}
	f.created = false
	if st.Object.Key == "" {
		st.Object.Key = f.path
	}
	if st.Object.Key != f.path {
		// Completed under the name the upload was started with.
		f.base = &node{Attr: f.attr, key: st.Object.Key, etag: st.Object.ETag, meta: st.Meta}
		return f.describe()
	}
	f.base = &node{Attr: f.attr, key: f.path, etag: st.Object.ETag, meta: st.Meta}
	if err := f.reconcile(ctx, st); err != nil {
		return err
	}
	f.v.meta.put(f.path, f.nodeLocked())
	// Later changes replace this version.
	return f.describe()
}

// reconcile brings the metadata of the object just stored up to date with
// f's attributes. Caller holds f.mu; f.base is the stored object.
//
// A content that started its upload before the file's times were final
// (Stored.Since) stored it without them or with older ones: when nothing
// but the times differs and the times are the writes' own, the file shows
// the object's times (those stored, else its Last-Modified, read back with
// a HEAD so the times shown now are the ones shown after a remount);
// anything else is rewritten.
func (f *file) reconcile(ctx context.Context, st content.Stored) error {
	md := f.v.metaFor(f.attr, f.extra)
	own := !st.Since.IsZero() && !f.attr.Mtime.Before(st.Since) && !f.attr.Ctime.Before(st.Since)
	if own && maps.Equal(content.WithoutTimes(md), content.WithoutTimes(st.Meta)) {
		if _, ok := st.Meta[metaMtime]; ok {
			a := f.attr
			applyMeta(&a, st.Meta)
			f.attr.Mtime, f.attr.Atime, f.attr.Ctime = a.Mtime, a.Atime, a.Ctime
		} else {
			head, err := f.v.b.Head(ctx, f.path)
			if err != nil {
				return storeErr(err)
			}
			if head.ETag == st.Object.ETag {
				t := head.LastModified.Truncate(time.Second)
				f.attr.Mtime, f.attr.Ctime, f.attr.Atime = t, t, t
			}
		}
		f.base.Attr = f.attr
		return nil
	}
	if maps.Equal(md, st.Meta) {
		return nil
	}
	nb, err := f.v.setMeta(ctx, f.path, f.base, md)
	if err != nil {
		return err
	}
	f.base = nb
	f.c.Rebase(f.version())
	return nil
}

// setMeta rewrites the metadata of the object behind n without touching
// its data: a server-side copy onto itself (S3) or a metadata update. It
// returns n updated; on Azure the object gets a new ETag, which an open
// file must adopt or its next staging would be refused as stale.
func (v *FS) setMeta(ctx context.Context, p string, n *node, md map[string]string) (*node, error) {
	if n == nil || n.key == "" {
		return n, nil
	}
	obj, err := v.b.Copy(ctx, n.key, n.key, storage.CopyOptions{Metadata: md})
	if err != nil {
		return n, storeErr(err)
	}
	nn := *n
	nn.etag, nn.meta = obj.ETag, md
	applyMeta(&nn.Attr, md)
	v.meta.put(p, &nn)
	return &nn, nil
}

// failed maps err from f's content to a vfs error; when the content lost
// its unsaved changes (content.ErrLost), the name shows the stored version
// again, or nothing for a file never stored. Caller holds f.mu.
func (f *file) failed(err error) error {
	if errors.Is(err, content.ErrLost) {
		f.attr.Size = f.c.Size()
		switch {
		case f.unlinked:
		case f.created:
			f.v.meta.removed(f.path)
			f.v.entriesChanged(parent(f.path))
		case f.base != nil:
			f.v.meta.put(f.path, f.base)
		}
	}
	return contentErr(err)
}

// contentErr maps what a content returns to vfs errors; an error mapped
// already passes as it is.
func contentErr(err error) error {
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, ErrNoSpace), errors.Is(err, ErrFileTooBig), errors.Is(err, ErrStale), errors.Is(err, ErrNotExist):
		return err // mapped already (a restage's upload)
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	case errors.Is(err, storage.ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrFileTooBig, err)
	case errors.Is(err, stream.ErrStale), errors.Is(err, storage.ErrPrecondition):
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	return storeErr(err)
}

// noCache is the content of a file on a mount without a cache directory
// (read-only, streaming): it is read through a stream or not at all.
type noCache struct{ size int64 }

func (n noCache) Size() int64                 { return n.size }
func (noCache) Dirty() bool                   { return false }
func (noCache) Bound() string                 { return "" }
func (noCache) Close()                        {}
func (noCache) Abandon()                      {}
func (noCache) Rebase(content.Version)        {}
func (noCache) Load(context.Context) error    { return ErrReadOnly }
func (noCache) Settle(context.Context) error  { return nil }
func (noCache) Describe(content.Target) error { return nil }
func (noCache) ReadAt(context.Context, *content.Reads, []byte, int64) (int, error) {
	return 0, ErrReadOnly
}
func (noCache) ReadShared(context.Context, *content.Reads, []byte, int64) ([][]byte, func(), error) {
	return nil, func() {}, ErrReadOnly
}
func (noCache) WriteAt(context.Context, []byte, int64) (int, error) { return 0, ErrReadOnly }
func (noCache) Truncate(context.Context, int64) error               { return ErrReadOnly }
func (noCache) Flush(context.Context, content.Target, bool) (content.Stored, bool, error) {
	return content.Stored{}, false, nil
}
