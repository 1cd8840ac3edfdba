package vfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/cache/block"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// file is the shared state of one open (or dirty) path; every handle on the
// path points to it. Its data lives in a staged copy in the cache directory.
//
// mu guards every field below and is held across local I/O and uploads, so
// an upload never sees a half-applied write. FS.mu is taken before mu when
// both are needed.
type file struct {
	v  *FS
	mu sync.Mutex

	path     string // current path; changed by rename
	refs     int    // open handles
	unlinked bool   // removed from the namespace while open

	base  *node // what the store held at open; nil for a new file
	attr  Attr  // current attributes (size tracks the staged copy)
	extra map[string]string

	local    *os.File // staged data; nil until loaded
	dataName string   // staged file name under the cache's data dir
	loaded   bool
	// fill downloads the object in the background while reads go ahead
	// (file cache); nil when no download runs.
	fill *fill

	dirty     bool   // data or attributes differ from the store
	created   bool   // never uploaded
	journalID string // non-empty while a journal record exists

	// eager uploads the parts of a staged file written from its start
	// while it is written (file cache).
	eager *eager

	// stream uploads a file written from its start while it is written
	// (streaming data path); streamMeta is the metadata it was given.
	stream     *block.Writer
	streamMeta map[string]string
	// emptyStored is set once the store holds the stream's file while it
	// is still empty (see FlushOnClose).
	emptyStored bool
}

// node reports the file's current state as a node.
func (f *file) node() *node {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := &node{Attr: f.attr, key: f.path}
	if f.base != nil {
		n.etag = f.base.etag
		n.meta = f.base.meta
	}
	return n
}

// load stages the object's data locally if that has not happened yet.
// Caller holds f.mu.
func (f *file) load(ctx context.Context) error {
	if f.stream != nil {
		// Anything a stream cannot take (a read, a write out of order, a
		// truncate, a rename) completes the upload so far and continues
		// on a staged copy of it.
		if err := f.finishStream(ctx); err != nil {
			return err
		}
	}
	if err := f.settle(ctx); err != nil {
		return err
	}
	if f.loaded {
		return nil
	}
	c := f.v.cache
	if c == nil {
		return ErrReadOnly
	}
	if f.takeCached() {
		return nil
	}
	lf, name, err := c.newDataFile()
	if err != nil {
		return err
	}
	if f.base != nil && f.base.key != "" {
		size, err := f.v.download(ctx, f.base, lf, nil)
		if errors.Is(err, storage.ErrPrecondition) {
			err = fmt.Errorf("%w: %s", ErrStale, f.path)
		}
		if err != nil {
			lf.Close()
			os.Remove(c.dataPath(name))
			return err
		}
		f.attr.Size = size
	}
	f.local, f.dataName, f.loaded = lf, name, true
	return nil
}

// takeCached makes a clean copy of f's version kept in the cache f's
// staged copy, if there is one. Caller holds f.mu; f is not loaded.
func (f *file) takeCached() bool {
	if f.base == nil || f.v.cache == nil {
		return false
	}
	it := f.v.cache.take(f.base.key, f.base.etag)
	if it == nil {
		return false
	}
	lf, err := os.OpenFile(it.path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.local, f.dataName, f.loaded = lf, baseName(it.path), true
	f.attr.Size = it.size
	return true
}

// downloadBuffer is the copy buffer of each download chunk.
const downloadBuffer = 1 << 20

// download copies n's object into w with parallel ranged GETs pinned to
// n's ETag, so the copy is never a mix of two versions. got, if set, is
// told after each write how many bytes from the start of the chunk at off
// are written (chunks are written in order from their start).
func (v *FS) download(ctx context.Context, n *node, w io.WriterAt, got func(off, written int64)) (int64, error) {
	size := n.Size
	if size == 0 {
		obj, err := v.b.Head(ctx, n.key)
		if err != nil {
			return 0, storeErr(err)
		}
		if obj.Size == 0 {
			return 0, nil
		}
		size, n = obj.Size, &node{Attr: n.Attr, key: n.key, etag: obj.ETag}
	}
	chunk := v.opts.PartSize
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(v.opts.UploadConcurrency, 8))
	for off := int64(0); off < size; off += chunk {
		off, n := off, n
		g.Go(func() error {
			length := min(chunk, size-off)
			rc, obj, err := v.b.Get(gctx, n.key, storage.GetOptions{Offset: off, Length: length, IfMatch: n.etag})
			if err != nil {
				return storeErr(err)
			}
			defer rc.Close()
			if obj.Size != size {
				return fmt.Errorf("%w: size changed", storage.ErrPrecondition)
			}
			// Straight from the body to the file through a small buffer:
			// eight chunks in flight would otherwise hold 64 MiB. Reads
			// waiting on the chunk go ahead as its bytes are written.
			buf := make([]byte, min(length, downloadBuffer))
			var copied int64
			for copied < length {
				m, err := io.ReadFull(rc, buf[:min(int64(len(buf)), length-copied)])
				if m > 0 {
					if _, werr := w.WriteAt(buf[:m], off+copied); werr != nil {
						return fmt.Errorf("read %q at %d: %w", n.key, off, mapLocalErr(werr))
					}
					copied += int64(m)
					if got != nil {
						got(off, copied)
					}
				}
				if err != nil && copied < length {
					if errors.Is(err, io.EOF) {
						err = io.ErrUnexpectedEOF
					}
					return fmt.Errorf("read %q at %d: %w", n.key, off, mapLocalErr(err))
				}
			}
			return nil
		})
	}
	return size, g.Wait()
}

// markDirty records that the file must be uploaded, writing its journal
// record first. Caller holds f.mu.
func (f *file) markDirty() error {
	f.attr.Mtime = fsNow()
	f.attr.Ctime = f.attr.Mtime
	f.dirty = true
	// An unlinked file is never uploaded: a record would bring it back.
	if f.journalID == "" && f.v.cache != nil && f.dataName != "" && !f.unlinked {
		f.journalID = f.dataName
		return f.writeJournal(false)
	}
	return nil
}

// writeJournal (re)writes the journal record. Caller holds f.mu.
func (f *file) writeJournal(sync bool) error {
	rec := journalRecord{Key: f.path, Data: f.dataName, Created: f.created, Time: time.Now(),
		Meta: metaFor(f.attr, f.extra)}
	if f.base != nil {
		rec.BaseETag = f.base.etag
	}
	return f.v.cache.writeJournal(f.journalID, rec, sync)
}

// upload writes the staged copy to the store if it is dirty. Caller holds
// f.mu. On failure the data and its journal record stay on disk.
func (f *file) upload(ctx context.Context) error {
	if f.stream != nil && !f.unlinked {
		return f.finishStream(ctx)
	}
	if !f.dirty || f.unlinked {
		return nil
	}
	if !f.loaded {
		// Only attributes changed: rewrite metadata in place. A download
		// running meanwhile would find its version gone: drop it.
		f.dropFill()
		nb, err := f.v.setMeta(ctx, f.path, f.base, metaFor(f.attr, f.extra))
		if err == nil {
			f.base, f.dirty = nb, false
		}
		return err
	}
	obj, used, err := f.finishEager(ctx)
	stored := metaFor(f.attr, f.extra)
	if used && err == nil {
		stored = obj.Metadata
	}
	if !used {
		obj, err = f.v.putFile(ctx, f.path, f.local, f.attr.Size, stored)
	}
	if err != nil {
		f.v.log.Error("upload failed; data kept in cache", "path", f.path,
			"cache_file", f.v.cache.dataPath(f.dataName), "err", err)
		// Keep the data safe on local disk until a retry succeeds.
		if serr := f.local.Sync(); serr != nil {
			f.v.log.Error("sync of cached data failed", "path", f.path, "err", serr)
		} else if f.journalID != "" {
			if jerr := f.writeJournal(true); jerr != nil {
				f.v.log.Error("journal write failed", "path", f.path, "err", jerr)
			}
		}
		return err
	}
	f.dirty, f.created = false, false
	f.base = &node{Attr: f.attr, key: f.path, etag: obj.ETag, meta: stored}
	if f.journalID != "" {
		f.v.cache.removeJournal(f.journalID)
		f.journalID = ""
	}
	f.v.meta.put(f.path, f.nodeLocked())
	return nil
}

func (f *file) nodeLocked() *node {
	n := &node{Attr: f.attr, key: f.path}
	if f.base != nil {
		n.etag, n.meta = f.base.etag, f.base.meta
	}
	return n
}

// putFile uploads size bytes of r to key: one PUT when small, otherwise a
// multipart upload with parallel parts. Nothing becomes visible unless
// every part succeeded.
func (v *FS) putFile(ctx context.Context, key string, r io.ReaderAt, size int64, md map[string]string) (storage.Object, error) {
	if max := v.caps.MaxObjectSize(); max > 0 && size > max {
		return storage.Object{}, ErrFileTooBig
	}
	part := v.partSize(size)
	if size <= part || (v.caps.MaxPutSize > 0 && size <= min(v.caps.MaxPutSize, 2*part)) {
		obj, err := v.b.Put(ctx, key, io.NewSectionReader(r, 0, size), storage.PutOptions{Metadata: md})
		return obj, storeErr(err)
	}
	up, release, err := v.startUpload(ctx, key, md)
	if err != nil {
		return storage.Object{}, err
	}
	return v.completeUpload(ctx, key, up, release, r, nil, 0, size, func(int) int64 { return part })
}

// startUpload creates a multipart upload of key and records it in the
// upload journal; release forgets the record once the upload is completed
// or aborted.
func (v *FS) startUpload(ctx context.Context, key string, md map[string]string) (up storage.Upload, release func(), err error) {
	up, err = v.b.CreateUpload(ctx, key, storage.PutOptions{Metadata: md})
	if err != nil {
		return nil, nil, storeErr(err)
	}
	release, err = v.trackUpload(ctx, key, up)
	if err != nil {
		v.abortUpload(ctx, key, up, func() {})
		return nil, nil, err
	}
	return up, release, nil
}

// errPartLimit says the bytes left of an upload do not fit in the parts
// the store allows.
var errPartLimit = errors.New("multipart upload: out of parts")

// completeUpload sends the bytes of r from off to end as the parts of up
// that follow sent (numbered on from len(sent)+1, partLen(n) bytes each,
// the last one shorter), a few at once, and completes the upload with
// sent and them. On failure it aborts the upload; on success it releases
// its record.
func (v *FS) completeUpload(ctx context.Context, key string, up storage.Upload, release func(),
	r io.ReaderAt, sent []storage.Part, off, end int64, partLen func(n int) int64) (storage.Object, error) {
	// Lay the parts out first: the uploads fill in a slice that no longer
	// grows.
	var starts []int64
	for at := off; at < end; {
		l := partLen(len(sent) + len(starts) + 1)
		if l <= 0 {
			v.abortUpload(ctx, key, up, release)
			return storage.Object{}, errPartLimit
		}
		starts = append(starts, at)
		at += l
	}
	parts := append(slices.Clip(sent), make([]storage.Part, len(starts))...)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.opts.UploadConcurrency)
	for i, at := range starts {
		n := len(sent) + i + 1
		g.Go(func() error {
			p, err := up.WritePart(gctx, n, io.NewSectionReader(r, at, min(partLen(n), end-at)))
			parts[n-1] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		v.abortUpload(ctx, key, up, release)
		return storage.Object{}, storeErr(err)
	}
	obj, err := up.Complete(ctx, parts)
	if err != nil {
		v.abortUpload(ctx, key, up, release)
		return storage.Object{}, storeErr(err)
	}
	release()
	return obj, nil
}

// abortUpload discards a failed multipart upload and, once that worked,
// its record; a record whose abort failed is retried at the next mount.
func (v *FS) abortUpload(ctx context.Context, key string, up storage.Upload, release func()) {
	if err := up.Abort(context.WithoutCancel(ctx)); err != nil {
		v.log.Warn("abort of failed multipart upload", "path", key, "err", err)
		return
	}
	release()
}

// partSize picks a part size that keeps an upload of size bytes within the
// store's part-count limit.
func (v *FS) partSize(size int64) int64 {
	part := max(v.opts.PartSize, v.caps.MinPartSize)
	if v.caps.MaxParts > 0 {
		need := (size + int64(v.caps.MaxParts) - 1) / int64(v.caps.MaxParts)
		if need > part {
			const mib = 1 << 20
			part = (need + mib - 1) / mib * mib
		}
	}
	return part
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

// release closes the staged copy: a clean one is kept for reopening, a
// dirty one stays with its journal record. Caller holds f.mu.
func (f *file) release() {
	f.endFill()
	if f.local == nil || (f.dirty && !f.unlinked) {
		// A dirty copy stays open and in the table for the retry on the
		// next flush, Close or mount.
		return
	}
	f.dropEager()
	f.local.Close()
	f.local, f.loaded = nil, false
	path := f.v.cache.dataPath(f.dataName)
	switch {
	case f.unlinked:
		if f.journalID != "" {
			f.v.cache.removeJournal(f.journalID)
			f.journalID = ""
		}
		os.Remove(path)
	case f.base != nil:
		f.v.cache.put(f.base.key, f.base.etag, path, f.attr.Size)
	default:
		os.Remove(path)
	}
	f.dataName = ""
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
