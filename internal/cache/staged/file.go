package staged

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
)

// errFillGone tells a read waiting on a fill that the fill was dropped
// (the file was truncated, closed or changed): it tries again.
var errFillGone = errors.New("download dropped")

// File is a staged file: the content.Content of the file cache. Its data
// is a local copy, made on the first read (in the background, reads going
// ahead as their bytes arrive) or write, and uploaded whole at flush.
//
// mu guards every field and is held across local I/O and uploads, so an
// upload never sees a half-applied write; vfs takes its file lock before
// it. fill and eager have locks of their own, taken after mu, and
// goroutines that never take mu.
type File struct {
	c *Cache

	mu     sync.Mutex
	base   content.Version // what the store holds
	target content.Target  // where the data goes, as last described
	size   int64

	local  *os.File // staged data; nil until loaded
	name   string   // staged file name under data/
	loaded bool
	fill   *fill  // download running in the background, or nil
	eager  *eager // parts sent while the file is written, or nil

	dirty     bool    // data differs from the store
	finished  bool    // a flush was asked for since the last change
	closedSum *uint32 // with finished: the CRC32C recorded by Finish
	journalID string  // non-empty while a journal record exists
	abandoned bool    // unlinked or replaced: never uploaded again
	// failed is set once a change could not be staged (content.ErrLost):
	// the copy is gone and every call answers it.
	failed error
}

// OpenFile returns the staged content of version v, described by t;
// nothing is read before it is needed.
func (c *Cache) OpenFile(v content.Version, t content.Target) *File {
	return &File{c: c, base: v, target: t, size: v.Size}
}

// CreateFile returns the staged content of a new, empty file, journaled at
// once so that a crash still leaves the file.
func (c *Cache) CreateFile(t content.Target) (*File, error) {
	lf, name, err := c.newDataFile()
	if err != nil {
		return nil, err
	}
	f := &File{c: c, target: t, local: lf, name: name, loaded: true}
	if err := f.markDirty(); err != nil {
		lf.Close()
		os.Remove(c.dataPath(name))
		return nil, err
	}
	return f, nil
}

// Size is the file's size.
func (f *File) Size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size
}

// Dirty says the staged copy holds changes the store does not have.
func (f *File) Dirty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirty
}

// Bound is "": a staged copy is uploaded under whatever key it has.
func (f *File) Bound() string { return "" }

// ReadAt reads through the staged copy. A file with nothing staged starts
// downloading in the background and the read waits only for the bytes it
// asks for.
func (f *File) ReadAt(ctx context.Context, _ *content.Reads, buf []byte, off int64) (int, error) {
	for {
		n, err := f.readFill(ctx, buf, off)
		if !errors.Is(err, errFillGone) {
			return n, err
		}
	}
}

// readFill is one try of ReadAt; a read that finds the download dropped
// returns errFillGone and is tried again.
func (f *File) readFill(ctx context.Context, buf []byte, off int64) (int, error) {
	f.mu.Lock()
	if f.failed != nil {
		f.mu.Unlock()
		return 0, f.failed
	}
	if off >= f.size {
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
	if rest := f.size - off; int64(len(buf)) > rest {
		buf = buf[:rest]
	}
	n, err := f.local.ReadAt(buf, off)
	if errors.Is(err, io.EOF) {
		// The staged copy is shorter than the size (sparse extension).
		clear(buf[n:])
		n, err = len(buf), nil
	}
	return n, err
}

// ReadShared is ReadAt: the bytes are on disk, not in memory.
func (f *File) ReadShared(ctx context.Context, rd *content.Reads, buf []byte, off int64) ([][]byte, func(), error) {
	n, err := f.ReadAt(ctx, rd, buf, off)
	return [][]byte{buf[:n]}, func() {}, err
}

// WriteAt writes to the staged copy, staging it first.
func (f *File) WriteAt(ctx context.Context, data []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed != nil {
		return 0, f.failed
	}
	if err := f.load(ctx); err != nil {
		return 0, err
	}
	n, err := f.local.WriteAt(data, off)
	if errors.Is(err, syscall.ENOSPC) && f.c.evictAll() {
		// Clean copies made room: write again, whole.
		n, err = f.local.WriteAt(data, off)
	}
	if err != nil {
		return n, f.fail(err)
	}
	before, end := f.size, off+int64(len(data))
	f.size = max(f.size, end)
	f.trackWrite(off, end, before)
	return n, f.markDirty()
}

// Truncate sets the size of the staged copy; a truncate to zero stages
// nothing from the store.
func (f *File) Truncate(ctx context.Context, size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed != nil {
		return f.failed
	}
	if size == 0 {
		f.dropFill() // its data is about to be discarded
		if !f.loaded {
			lf, name, err := f.c.newDataFile()
			if err != nil {
				return err
			}
			f.local, f.name, f.loaded = lf, name, true
		}
	}
	if err := f.load(ctx); err != nil {
		return err
	}
	f.trackTruncate(size)
	if err := f.local.Truncate(size); err != nil {
		return f.fail(err)
	}
	f.size = size
	return f.markDirty()
}

// OpenLocal opens a new read-only descriptor of the staged copy when it
// holds the whole file now: staged already, or a clean copy of the
// version kept in the cache, with no download running. A frontend hands it
// to the kernel, which then reads the file without the daemon (FUSE
// passthrough); writes keep coming through WriteAt to the same copy. The
// caller closes it. ok is false when the bytes are not all local.
func (f *File) OpenLocal() (lf *os.File, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failed != nil || f.abandoned || f.fill != nil {
		return nil, false
	}
	if !f.loaded && !f.takeCached() {
		return nil, false
	}
	lf, err := os.Open(f.c.dataPath(f.name))
	if err != nil {
		return nil, false
	}
	if st, err := lf.Stat(); err != nil || st.Size() != f.size {
		// Shorter than the file (a sparse extension) or changed under us:
		// reads must fill the gap, so they stay with the daemon.
		lf.Close()
		return nil, false
	}
	return lf, true
}

// Load stages the whole object if it is not staged yet.
func (f *File) Load(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load(ctx)
}

// Settle waits for a running download and keeps its copy.
func (f *File) Settle(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settle(ctx)
}

// load stages the object's data locally if that has not happened yet.
// Caller holds f.mu.
func (f *File) load(ctx context.Context) error {
	if err := f.settle(ctx); err != nil {
		return err
	}
	if f.loaded || f.takeCached() {
		return nil
	}
	if f.base.Key != "" {
		if err := f.c.room(f.base.Size); err != nil {
			return err
		}
	}
	lf, name, err := f.c.newDataFile()
	if err != nil {
		return err
	}
	if f.base.Key != "" {
		size, err := f.c.download(ctx, f.base, lf, nil)
		if err != nil {
			lf.Close()
			os.Remove(f.c.dataPath(name))
			return err
		}
		f.size = size
	}
	f.local, f.name, f.loaded = lf, name, true
	return nil
}

// takeCached makes a clean copy of f's version kept in the cache f's
// staged copy, if there is one. Caller holds f.mu; f is not loaded.
func (f *File) takeCached() bool {
	if f.base.Key == "" {
		return false
	}
	it := f.c.take(f.base.Key, f.base.ETag)
	if it == nil {
		return false
	}
	lf, err := os.OpenFile(it.path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.local, f.name, f.loaded = lf, filepath.Base(it.path), true
	f.size = it.size
	return true
}

// fail drops the staged copy after a change could not be made to it (the
// cache disk is full): what it holds lacks that change, so it is never
// uploaded, and it must not hold the cache's space. The store keeps its
// version. Caller holds f.mu.
func (f *File) fail(err error) error {
	f.failed = fmt.Errorf("%w: %w", content.ErrLost, err)
	f.c.log.Error("a write could not be staged in the file cache; the file's unsaved changes are dropped "+
		"and the stored version is kept", "path", f.target.Key, "cache_dir", f.c.opts.Dir, "err", err)
	f.dropEager()
	f.dropFill()
	f.dropJournal()
	if f.local != nil {
		f.local.Close()
		os.Remove(f.c.dataPath(f.name))
	}
	f.local, f.name, f.loaded, f.dirty = nil, "", false, false
	f.size = f.base.Size
	return f.failed
}

// dropJournal removes f's journal record, if it has one. Caller holds
// f.mu.
func (f *File) dropJournal() {
	if f.journalID != "" {
		f.c.removeJournal(f.journalID)
		f.journalID = ""
	}
}

// markDirty records that the file must be uploaded, writing its journal
// record first. Caller holds f.mu.
func (f *File) markDirty() error {
	f.dirty = true
	// An abandoned file is never uploaded: a record would bring it back.
	if f.abandoned || f.name == "" {
		return nil
	}
	switch {
	case f.journalID == "":
		f.journalID, f.finished, f.closedSum = f.name, false, nil
		return f.writeJournal(false)
	case f.finished:
		// Changed after a flush: what is staged may be torn again.
		f.finished, f.closedSum = false, nil
		return f.writeJournal(false)
	}
	return nil
}

// writeJournal (re)writes the journal record. Caller holds f.mu.
func (f *File) writeJournal(sync bool) error {
	t := f.target
	rec := journalRecord{Key: t.Key, Data: f.name, Created: t.Created, BaseETag: t.BaseETag,
		Meta: t.Meta, Unfinished: !f.finished, Time: time.Now()}
	if f.finished && f.closedSum != nil {
		rec.Size, rec.CRC32C = f.size, f.closedSum
	}
	return f.c.writeJournal(f.journalID, rec, sync)
}

// Finish records that the application closed the file complete, leaving
// its upload to a later Flush (lazy-write): the journal record says the
// staged copy may be published under its name, with the copy's size and
// checksum, so that after a machine stop a copy the disk did not keep
// whole is never published as the file. deferred is false when there is
// nothing to upload.
func (f *File) Finish(t content.Target) (deferred bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setTarget(t)
	if f.failed != nil {
		return false, f.failed
	}
	if !f.dirty || f.abandoned || !f.loaded || f.journalID == "" {
		return false, nil
	}
	if f.finished && f.closedSum != nil {
		return true, nil // recorded at an earlier close, unchanged since
	}
	sum, err := checksum(f.local)
	if err != nil {
		return false, err
	}
	f.finished, f.closedSum = true, &sum
	if err := f.writeJournal(false); err != nil {
		f.finished, f.closedSum = false, nil
		return false, err
	}
	return true, nil
}

// setTarget records where the file goes; parts sent under another key are
// of no use any more. Caller holds f.mu.
func (f *File) setTarget(t content.Target) {
	if t.Key != f.target.Key {
		f.dropEager()
	}
	f.target = t
}

// Describe records where the file goes.
func (f *File) Describe(t content.Target) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setTarget(t)
	if f.journalID != "" {
		return f.writeJournal(false)
	}
	return nil
}

// Flush uploads the staged copy if it is dirty. On failure the data and
// its journal record stay on disk for the next flush or mount.
func (f *File) Flush(ctx context.Context, t content.Target, _ bool) (content.Stored, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setTarget(t)
	if f.failed != nil {
		return content.Stored{}, false, f.failed
	}
	if !f.dirty || f.abandoned || !f.loaded {
		return content.Stored{}, false, nil
	}
	if !f.finished && f.journalID != "" {
		// The application says the file is complete: from now on a
		// crash publishes it under its name.
		f.finished, f.closedSum = true, nil
		if err := f.writeJournal(false); err != nil {
			f.finished = false
			return content.Stored{}, false, err
		}
	}
	st, used, err := f.finishEager(ctx)
	if !used {
		st.Meta = t.Meta
		st.Object, err = f.c.putFile(ctx, t.Key, f.local, f.size, t.Meta)
	}
	if err != nil {
		f.c.log.Error("upload failed; data kept in cache", "path", t.Key,
			"cache_file", f.c.dataPath(f.name), "err", err)
		// Keep the data safe on local disk until a retry succeeds.
		if serr := f.local.Sync(); serr != nil {
			f.c.log.Error("sync of cached data failed", "path", t.Key, "err", serr)
		} else if f.journalID != "" {
			if jerr := f.writeJournal(true); jerr != nil {
				f.c.log.Error("journal write failed", "path", t.Key, "err", jerr)
			}
		}
		return content.Stored{}, false, err
	}
	f.dirty = false
	f.base = content.Version{Key: t.Key, ETag: st.Object.ETag, Size: f.size}
	f.dropJournal()
	return st, true, nil
}

// Rebase points f at another version with the same bytes. A download of
// the old one is dropped: it may be gone.
func (f *File) Rebase(v content.Version) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v != f.base {
		f.dropFill()
	}
	f.base = v
}

// Abandon drops the journal record and any upload in progress: the file
// is never uploaded again. Close removes the staged copy.
func (f *File) Abandon() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned, f.dirty = true, false
	f.dropEager()
	f.dropFill()
	f.dropJournal()
}

// Close closes the staged copy: a clean one is kept for reopening, a
// dirty one stays with its journal record for the retry.
func (f *File) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.endFill()
	if f.local == nil || f.dirty {
		return
	}
	f.dropEager()
	f.local.Close()
	f.local, f.loaded = nil, false
	path := f.c.dataPath(f.name)
	switch {
	case f.abandoned:
		os.Remove(path)
	case f.base.Key != "":
		f.c.put(f.base.Key, f.base.ETag, path, f.size)
	default:
		os.Remove(path)
	}
	f.name = ""
}

var _ content.Content = (*File)(nil)
