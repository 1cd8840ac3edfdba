package vfs

import (
	"context"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
)

// Lazy write (Options.LazyWrite, BlobFuse2's lazy-write): the last close of
// a changed file on the file cache returns once the staged copy is
// recorded in the journal as complete, with its size and checksum; the
// upload runs in the background. fsync still uploads before it returns, a
// later open sees the staged copy, a crash uploads the closed file at the
// next mount (its checksum shows it whole), and Close (unmount) waits for
// every upload.

// lazyRunning bounds the background uploads running at once; lazyQueued
// bounds those waiting, so a close blocks when that many files are
// closed and not yet uploaded, and the cache never holds more of them.
const (
	lazyRunning = 16
	lazyQueued  = 1024
)

// lazyUploads runs the background uploads of one FS.
type lazyUploads struct {
	queued  chan struct{}
	running chan struct{}
}

func newLazyUploads() *lazyUploads {
	return &lazyUploads{queued: make(chan struct{}, lazyQueued), running: make(chan struct{}, lazyRunning)}
}

// deferUpload records f as closed complete and leaves its upload to the
// background, if the mount writes lazily and f's content can wait: it
// returns false when f must be uploaded now (nothing to defer, a content
// that streams its upload, or a record that could not be written, whose
// error the upload then reports). Caller holds f.mu.
func (f *file) deferUpload() bool {
	v := f.v
	if v.lazy == nil || f.unlinked {
		return false
	}
	fin, ok := f.c.(interface {
		Finish(content.Target) (bool, error)
	})
	if !ok {
		return false
	}
	deferred, err := fin.Finish(f.target())
	if err != nil || !deferred {
		return false
	}
	if !f.lazyQueued {
		f.lazyQueued = true
		v.lazy.queued <- struct{}{}
		v.bg.Add(1)
		go v.lazyUpload(f)
	}
	return true
}

// lazyUpload uploads f in the background. A failed upload leaves f dirty
// in the open table with its journal record: its next close, an fsync,
// the unmount or the next mount tries again.
func (v *FS) lazyUpload(f *file) {
	defer v.bg.Done()
	defer func() { <-v.lazy.queued }()
	v.lazy.running <- struct{}{}
	defer func() { <-v.lazy.running }()
	// The upload holds f.mu, so nothing changes the file meanwhile (a
	// write, rename or unlink waits for it); stat and listings answer
	// from shown instead of waiting.
	f.mu.Lock()
	f.lazyQueued = false
	f.shown.Store(f.nodeLocked())
	f.busy.Store(true)
	err := f.upload(context.Background(), false)
	f.busy.Store(false)
	v.settle(f, err)
	if err != nil {
		v.log.Error("background upload failed (lazy-write); the file stays in the cache and is uploaded again "+
			"at its next close or fsync, at unmount or at the next mount", "path", f.path, "err", err)
	}
}
