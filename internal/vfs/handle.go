package vfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/a9de3765/cloudfuse/internal/cache/block"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Handle is one open file description.
type Handle struct {
	v        *FS
	f        *file
	writable bool
	closed   bool
	// r streams the version opened, for a read-only handle on the
	// streaming data path; unused while the file has local changes.
	r *block.Reader
	// rKey and rETag name the version r reads; once the file is another
	// version (rewritten through another handle, renamed), r is unused.
	rKey, rETag string
	// retired holds readers of versions replaced in the store while the
	// handle was open (Options.RevalidateOnOpen); a read may still be
	// using one, so they are closed at release. r, rKey, rETag and
	// retired are guarded by f.mu once the handle is in use.
	retired []*block.Reader
}

// OpenFlags are the open(2) flags vfs cares about.
type OpenFlags struct {
	Write    bool // O_WRONLY or O_RDWR
	Truncate bool // O_TRUNC
	Excl     bool // O_EXCL (with create)
}

// Open opens the existing file at p.
func (v *FS) Open(ctx context.Context, p string, fl OpenFlags) (*Handle, error) {
	if (fl.Write || fl.Truncate) && v.opts.ReadOnly {
		return nil, ErrReadOnly
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return nil, err
	}
	switch n.Kind {
	case KindDir:
		return nil, ErrIsDir
	case KindSymlink:
		return nil, ErrInvalid
	}
	f := v.acquire(p, n)
	h := &Handle{v: v, f: f, writable: fl.Write || fl.Truncate}
	if v.streaming() && !h.writable && n.key != "" {
		h.r, h.rKey, h.rETag = v.newReader(n), n.key, n.etag
	}
	if fl.Truncate {
		if err := h.Truncate(ctx, 0); err != nil {
			h.Release(ctx)
			return nil, err
		}
	}
	return h, nil
}

// acquire returns the shared file for p, creating it from n if p is not
// open yet, and takes a reference.
func (v *FS) acquire(p string, n *node) *file {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f, ok := v.files[p]; ok {
		f.mu.Lock()
		f.refs++
		f.mu.Unlock()
		return f
	}
	base := *n
	f := &file{v: v, path: p, refs: 1, base: &base, attr: n.Attr, extra: userMeta(n.meta)}
	v.files[p] = f
	return f
}

// userMeta keeps the metadata keys vfs does not manage, so a rewrite
// preserves what other tools stored.
func userMeta(md map[string]string) map[string]string {
	out := map[string]string{}
	for k, val := range md {
		switch k {
		case metaMode, metaUID, metaGID, metaMtime, metaAtime, metaCtime:
		default:
			out[k] = val
		}
	}
	return out
}

// Create makes a new empty file at p and opens it. If p exists, it is
// opened instead (ErrExist with excl).
func (v *FS) Create(ctx context.Context, p string, fl OpenFlags, mode, uid, gid uint32) (*Handle, Attr, error) {
	if err := v.writable(); err != nil {
		return nil, Attr{}, err
	}
	if err := v.checkName(p); err != nil {
		return nil, Attr{}, err
	}
	if n, err := v.statForCreate(ctx, p); err == nil {
		if fl.Excl {
			return nil, Attr{}, ErrExist
		}
		if n.Kind == KindDir {
			return nil, Attr{}, ErrIsDir
		}
		h, err := v.Open(ctx, p, OpenFlags{Write: true, Truncate: fl.Truncate})
		if err != nil {
			return nil, Attr{}, err
		}
		return h, h.Attr(), nil
	} else if !isNotExist(err) {
		return nil, Attr{}, err
	}
	mode, uid, gid = v.owner(KindFile, mode, uid, gid)
	now := fsNow()
	f := &file{v: v, path: p, refs: 1, created: true,
		attr:  Attr{Kind: KindFile, Mode: mode & ModePerm, UID: uid, GID: gid, Mtime: now, Atime: now, Ctime: now},
		extra: map[string]string{}}
	if v.streaming() {
		f.startStream()
	} else {
		lf, name, err := v.cache.newDataFile()
		if err != nil {
			return nil, Attr{}, err
		}
		f.local, f.dataName, f.loaded = lf, name, true
		f.mu.Lock()
		err = f.markDirty()
		f.mu.Unlock()
		if err != nil {
			lf.Close()
			os.Remove(v.cache.dataPath(name))
			return nil, Attr{}, err
		}
	}
	v.mu.Lock()
	v.files[p] = f
	v.mu.Unlock()
	v.meta.put(p, f.node())
	v.entriesChanged(parent(p))
	return &Handle{v: v, f: f, writable: true}, f.attr, nil
}

// Streams reports whether writes through h go to an upload in progress:
// a file written afresh on the streaming data path.
func (h *Handle) Streams() bool {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.writable && h.f.stream != nil
}

// Attr returns the current attributes of the open file.
func (h *Handle) Attr() Attr {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.attr
}

// Read reads into buf at off; it returns fewer bytes only at end of file.
func (h *Handle) Read(ctx context.Context, buf []byte, off int64) (int, error) {
	if r := h.streamReader(); r != nil {
		n, err := r.ReadAt(ctx, buf, off)
		return n, streamReadErr(err)
	}
	for {
		n, err := h.readFill(ctx, buf, off)
		if !errors.Is(err, errFillGone) {
			return n, err
		}
	}
}

// readFill is Read through the file cache. A file with nothing staged
// starts downloading in the background and the read waits only for the
// bytes it asks for; a read that finds the download dropped returns
// errFillGone and is tried again.
func (h *Handle) readFill(ctx context.Context, buf []byte, off int64) (int, error) {
	f := h.f
	f.mu.Lock()
	if off >= f.attr.Size {
		f.mu.Unlock()
		return 0, nil
	}
	if f.canFill() && !f.takeCached() {
		if err := f.startFill(); err != nil {
			f.mu.Unlock()
			return 0, err
		}
	}
	if fl := f.fill; fl != nil {
		fl.use()
		f.mu.Unlock()
		defer fl.unuse()
		if rest := fl.size - off; int64(len(buf)) > rest {
			buf = buf[:rest]
		}
		return fl.read(ctx, buf, off)
	}
	defer f.mu.Unlock()
	if err := f.load(ctx); err != nil {
		return 0, err
	}
	if rest := f.attr.Size - off; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	n, err := f.local.ReadAt(buf, off)
	if errors.Is(err, io.EOF) {
		// The staged copy is shorter than the size (sparse extension).
		for i := n; i < len(buf); i++ {
			buf[i] = 0
		}
		n, err = len(buf), nil
	}
	return n, err
}

// ReadShared is Read without a copy where the streaming reader holds the
// bytes: it returns them as slices of the reader's buffers (or of buf),
// in order, valid until release is called. release must be called exactly
// once, also after an error.
func (h *Handle) ReadShared(ctx context.Context, buf []byte, off int64) (bufs [][]byte, release func(), err error) {
	if r := h.streamReader(); r != nil {
		bufs, release, err = r.ReadShared(ctx, buf, off)
		return bufs, release, streamReadErr(err)
	}
	n, err := h.Read(ctx, buf, off)
	return [][]byte{buf[:n]}, func() {}, err
}

// streamReader returns the streaming reader reads of h go to, or nil: it
// is used while the version opened is still the file's and nothing staged
// or written replaces it. Concurrent reads of one handle then proceed in
// parallel. With Options.RevalidateOnOpen, a file whose object another
// client replaced (seen by a later open) is read from a new reader of the
// new version.
func (h *Handle) streamReader() *block.Reader {
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.r == nil || f.loaded || f.dirty || f.stream != nil || f.base == nil {
		return nil
	}
	if f.base.key != h.rKey || f.base.etag != h.rETag {
		if !h.v.opts.RevalidateOnOpen || f.base.key == "" {
			return nil
		}
		h.retired = append(h.retired, h.r)
		h.r, h.rKey, h.rETag = h.v.newReader(f.base), f.base.key, f.base.etag
	}
	return h.r
}

// streamReadErr maps a streaming reader's error for vfs callers.
func streamReadErr(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, block.ErrStale):
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	return err
}

// Write writes data at off, growing the file as needed.
func (h *Handle) Write(ctx context.Context, data []byte, off int64) (int, error) {
	if !h.writable {
		return 0, ErrBadHandle
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + int64(len(data))
	if max := h.v.caps.MaxObjectSize(); max > 0 && end > max {
		return 0, ErrFileTooBig
	}
	if f.stream != nil {
		if n, ok, err := f.streamWrite(ctx, data, off); ok {
			return n, err
		}
	}
	if err := f.load(ctx); err != nil {
		return 0, err
	}
	n, err := f.local.WriteAt(data, off)
	if err != nil {
		return n, mapLocalErr(err)
	}
	before := f.attr.Size
	if end > f.attr.Size {
		f.attr.Size = end
	}
	f.trackWrite(off, end, before)
	if err := f.markDirty(); err != nil {
		return n, err
	}
	return n, nil
}

// Truncate sets the file's size.
func (h *Handle) Truncate(ctx context.Context, size int64) error {
	if h.v.opts.ReadOnly {
		return ErrReadOnly
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if max := h.v.caps.MaxObjectSize(); max > 0 && size > max {
		return ErrFileTooBig
	}
	if f.stream != nil && size == f.stream.Size() {
		return nil
	}
	if size == 0 {
		f.dropFill() // its data is about to be discarded
	}
	if size == 0 && !f.loaded && h.v.streaming() {
		// Written afresh: stream it.
		if f.stream != nil {
			if err := f.stream.Abort(ctx); err != nil {
				h.v.warn("abort of a streamed upload", "path", f.path, "err", err)
			}
		}
		f.startStream()
		return nil
	}
	if size == 0 && !f.loaded {
		// No need to fetch data that is about to be discarded.
		lf, name, err := h.v.cache.newDataFile()
		if err != nil {
			return err
		}
		f.local, f.dataName, f.loaded = lf, name, true
	}
	if err := f.load(ctx); err != nil {
		return err
	}
	f.trackTruncate(size)
	if err := f.local.Truncate(size); err != nil {
		return mapLocalErr(err)
	}
	f.attr.Size = size
	return f.markDirty()
}

// Flush uploads the file if it changed (close(2) and fsync(2) call it).
func (h *Handle) Flush(ctx context.Context) error {
	return h.v.flushFile(ctx, h.f)
}

// FlushOnClose is Flush for close(2) of one descriptor. A file being
// streamed that has no data yet keeps streaming: programs such as dd and
// shell redirections open a file, duplicate the descriptor and close the
// first one before writing, and completing the upload there would send
// every later write to a staged copy. Release completes it. The store
// gets the empty file at once all the same, as close promises: later
// writes replace it when the stream completes.
func (h *Handle) FlushOnClose(ctx context.Context) error {
	f := h.f
	f.mu.Lock()
	if f.stream != nil && f.stream.Size() == 0 && !f.unlinked {
		defer f.mu.Unlock()
		return f.storeEmpty(ctx)
	}
	f.mu.Unlock()
	return h.Flush(ctx)
}

// storeEmpty puts the empty file being streamed to the store, once.
// Caller holds f.mu.
func (f *file) storeEmpty(ctx context.Context) error {
	if f.emptyStored {
		return nil
	}
	md := metaFor(f.attr, f.extra)
	if _, err := f.v.b.Put(ctx, f.path, bytes.NewReader(nil), storage.PutOptions{Metadata: md}); err != nil {
		return storeErr(err)
	}
	f.emptyStored, f.created = true, false
	return nil
}

func (v *FS) flushFile(ctx context.Context, f *file) error {
	f.mu.Lock()
	err := f.upload(ctx)
	idle := err == nil && f.refs == 0
	f.mu.Unlock()
	if idle {
		// A file kept only for a failed upload leaves the table once
		// the retry (rename, Close) succeeded.
		v.dropIdle(f)
	}
	return err
}

// dropIdle removes f from the open table and closes its staged copy if no
// handle uses it and it has nothing left to upload.
func (v *FS) dropIdle(f *file) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refs == 0 && (!f.dirty || f.unlinked) {
		if cur, ok := v.files[f.path]; ok && cur == f {
			delete(v.files, f.path)
		}
		f.release()
	}
}

// Release closes the handle. The last close of a clean file lets the file
// leave the open table; a dirty one stays until an upload succeeds.
func (h *Handle) Release(ctx context.Context) error {
	if h.closed {
		return nil
	}
	h.closed = true
	f := h.f
	f.mu.Lock()
	readers := append(h.retired, h.r)
	h.retired = nil
	f.mu.Unlock()
	for _, r := range readers {
		if r != nil {
			r.Close()
		}
	}
	var err error
	f.mu.Lock()
	if h.writable {
		err = f.upload(ctx)
	}
	f.refs--
	last := f.refs == 0
	f.mu.Unlock()
	if last {
		h.v.dropIdle(f)
	}
	return err
}

// Unlink removes the file or symlink at p. Open handles keep reading and
// writing their copy; it is discarded at the last close.
func (v *FS) Unlink(ctx context.Context, p string) error {
	if err := v.writable(); err != nil {
		return err
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return err
	}
	if n.Kind == KindDir {
		return ErrIsDir
	}
	// An open file keeps its data after the name is gone: stage it before
	// the object is deleted.
	if f := v.openFile(p); f != nil {
		f.mu.Lock()
		err := f.load(ctx)
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	v.mu.Lock()
	created := v.unlinkOpen(p)
	v.mu.Unlock()
	if !created && n.key != "" {
		if err := v.b.Delete(ctx, n.key); err != nil {
			return storeErr(err)
		}
	}
	if v.cache != nil {
		v.cache.drop(n.key)
	}
	v.meta.removed(p)
	v.entriesChanged(parent(p))
	return nil
}

// unlinkOpen detaches the open or dirty file at p from its name: its
// changes are never uploaded, its journal record and any upload started
// while writing are dropped, and its staged copy goes once no handle uses
// it. It reports whether the file was never uploaded. Caller holds v.mu.
func (v *FS) unlinkOpen(p string) (created bool) {
	f, ok := v.files[p]
	if !ok {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unlinked, f.dirty = true, false
	f.dropEager()
	if f.journalID != "" {
		v.cache.removeJournal(f.journalID)
		f.journalID = ""
	}
	if f.refs == 0 {
		f.release()
	}
	delete(v.files, p)
	return f.created
}
