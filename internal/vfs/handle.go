package vfs

import (
	"context"
	"errors"
	"os"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
)

// Handle is one open file description.
type Handle struct {
	v        *FS
	f        *file
	writable bool
	closed   bool
	// reads is what the file's content keeps for this handle's reads
	// (a streaming reader of the version it reads).
	reads content.Reads
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
	h.reads.Stream = !h.writable
	if h.writable {
		f.mu.Lock()
		f.writers++
		f.mu.Unlock()
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
		// Not under f.mu: a background upload may hold it, and v.mu
		// must not wait for that (dropIdle reads refs under v.mu).
		f.refs.Add(1)
		return f
	}
	base := *n
	f := &file{v: v, path: p, base: &base, attr: n.Attr, extra: userMeta(n.meta)}
	f.refs.Store(1)
	f.c = v.openContent(f)
	v.files[p] = f
	return f
}

// userMeta keeps the metadata keys vfs does not manage, so a rewrite
// preserves what other tools stored.
func userMeta(md map[string]string) map[string]string {
	out := map[string]string{}
	for k, val := range md {
		switch k {
		case metaMode, metaUID, metaGID, metaMtime, metaAtime, metaCtime, metaRdev:
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
	f := &file{v: v, path: p, writers: 1, created: true,
		attr:  Attr{Kind: KindFile, Mode: mode & ModePerm, UID: uid, GID: gid, Mtime: now, Atime: now, Ctime: now},
		extra: map[string]string{}}
	f.refs.Store(1)
	if v.streamer != nil {
		f.c = v.streamer.CreateFile(f.target())
	} else {
		c, err := v.cache.CreateFile(f.target())
		if err != nil {
			return nil, Attr{}, contentErr(err)
		}
		f.c = c
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
	return h.writable && h.f.c.Bound() != ""
}

// Attr returns the current attributes of the open file.
func (h *Handle) Attr() Attr {
	if h.f.busy.Load() {
		if n := h.f.shown.Load(); n != nil {
			return n.Attr
		}
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.attr
}

// Read reads into buf at off; it returns fewer bytes only at end of file.
// Reads of one file run in parallel: the file's lock is held only to find
// its content.
func (h *Handle) Read(ctx context.Context, buf []byte, off int64) (int, error) {
	for {
		c := h.content()
		n, err := c.ReadAt(ctx, &h.reads, buf, off)
		if !errors.Is(err, content.ErrRestage) {
			return n, contentErr(err)
		}
		if err := h.restage(ctx, c); err != nil {
			return 0, err
		}
	}
}

// ReadShared is Read without a copy where the content holds the bytes in
// memory: it returns them as slices of its buffers (or of buf), in order,
// valid until release is called. release must be called exactly once,
// also after an error.
func (h *Handle) ReadShared(ctx context.Context, buf []byte, off int64) (bufs [][]byte, release func(), err error) {
	for {
		c := h.content()
		bufs, release, err = c.ReadShared(ctx, &h.reads, buf, off)
		if !errors.Is(err, content.ErrRestage) {
			return bufs, release, contentErr(err)
		}
		release()
		if err := h.restage(ctx, c); err != nil {
			return nil, func() {}, err
		}
	}
}

// OpenLocal opens, read-only, the local file that holds all of the open
// file's bytes, when there is one (a complete staged copy): a frontend may
// let the kernel read it directly. Writes through any handle keep going to
// the same file, so such reads see them. The caller closes it.
func (h *Handle) OpenLocal() (*os.File, bool) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	lo, ok := h.f.c.(interface{ OpenLocal() (*os.File, bool) })
	if !ok {
		return nil, false
	}
	return lo.OpenLocal()
}

// content returns the file's content now.
func (h *Handle) content() content.Content {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.c
}

// restage moves the file to a staged copy if its content is still c.
func (h *Handle) restage(ctx context.Context, c content.Content) error {
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c != c {
		return nil
	}
	return f.restage(ctx)
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
	var n int
	err := f.staging(ctx, func(c content.Content) (err error) {
		n, err = c.WriteAt(ctx, data, off)
		return err
	})
	f.attr.Size = f.c.Size()
	if n > 0 {
		f.touch()
	}
	return n, f.failed(err)
}

// Truncate sets the file's size. On the streaming data path a file
// truncated to zero with no changes pending is written afresh: streamed.
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
	if size == 0 && h.v.streamer != nil && !f.c.Dirty() && !f.unlinked {
		f.c.Close()
		f.c = h.v.streamer.CreateFile(f.target())
		f.attr.Size = 0
		f.touch() // a truncate moves mtime and ctime, as O_TRUNC does on a disk
		return nil
	}
	if err := f.staging(ctx, func(c content.Content) error { return c.Truncate(ctx, size) }); err != nil {
		return f.failed(err)
	}
	f.attr.Size = f.c.Size()
	f.touch()
	return nil
}

// Flush uploads the file if it changed (close(2) and fsync(2) call it).
func (h *Handle) Flush(ctx context.Context) error {
	return h.v.flushFile(ctx, h.f, false)
}

// FlushOnClose is Flush for close(2) of one descriptor. A file being
// streamed that has no data yet keeps streaming: programs such as dd and
// shell redirections open a file, duplicate the descriptor and close the
// first one before writing, and completing the upload there would send
// every later write to a staged copy. Release completes it. The store
// gets the empty file at once all the same, as close promises: later
// writes replace it when the stream completes.
func (h *Handle) FlushOnClose(ctx context.Context) error {
	return h.v.flushFile(ctx, h.f, true)
}

func (v *FS) flushFile(ctx context.Context, f *file, keepOpen bool) error {
	f.mu.Lock()
	var err error
	if !keepOpen || !f.deferUpload() {
		err = f.upload(ctx, keepOpen)
	}
	v.settle(f, err)
	return err
}

// settle unlocks f (its caller holds f.mu) after an upload that returned
// err. A file no handle uses leaves the open table once it is clean: one
// kept only for a failed upload leaves when a retry (a flush, the
// background upload, rename, Close) succeeded.
func (v *FS) settle(f *file, err error) {
	idle := err == nil && f.refs.Load() == 0
	f.mu.Unlock()
	if idle {
		v.dropIdle(f)
	}
}

// dropIdle removes f from the open table and closes its staged copy if no
// handle uses it and it has nothing left to upload.
func (v *FS) dropIdle(f *file) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refs.Load() == 0 && (!f.c.Dirty() || f.unlinked) {
		if cur, ok := v.files[f.path]; ok && cur == f {
			delete(v.files, f.path)
		}
		f.c.Close()
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
	h.reads.Close()
	if h.v.lazy == nil {
		f.mu.Lock()
	} else if !f.mu.TryLock() {
		// A background upload (lazy-write) may hold the file for as long
		// as the store takes: the release waits for it off the kernel's
		// path. close(2) has returned already, and unmount waits for it.
		h.v.bg.Add(1)
		go func() {
			defer h.v.bg.Done()
			f.mu.Lock()
			if err := h.releaseLocked(context.Background()); err != nil {
				h.v.log.Error("upload at release failed; the file stays in the cache and is uploaded again "+
					"at its next close or fsync, at unmount or at the next mount", "path", f.path, "err", err)
			}
		}()
		return nil
	}
	return h.releaseLocked(ctx)
}

// releaseLocked is Release with f.mu held; it unlocks it.
func (h *Handle) releaseLocked(ctx context.Context) error {
	f := h.f
	var err error
	if h.writable {
		if !f.deferUpload() {
			err = f.upload(ctx, false)
		}
		f.writers--
	}
	last := f.refs.Add(-1) == 0
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
		v.cache.Drop(n.key)
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
	f.unlinked = true
	f.c.Abandon()
	if f.refs.Load() == 0 {
		f.c.Close()
	}
	delete(v.files, p)
	return f.created
}
