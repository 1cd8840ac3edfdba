package vfs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ErrListingOff is returned by operations that need a listing of the store
// (rmdir, directory rename) while listings are off after mount
// (Options.NoListFor). fusefs maps it to EBUSY.
var ErrListingOff = errors.New("directory listings are off for a while after mount")

// listWindow remembers, while listings are off after mount, every name this
// mount has seen exist (looked up, created, renamed to), so a directory read
// can show them without a List request. Names seen to be missing are
// dropped. Once the window is over the names are forgotten and everything
// lists as usual.
//
// mu guards known; it is never held across a store request.
type listWindow struct {
	until time.Time
	now   func() time.Time
	over  atomic.Bool // set once the window has passed

	mu    sync.Mutex
	known map[string]map[string]struct{} // directory -> child names
}

func newListWindow(start time.Time, d time.Duration, now func() time.Time) *listWindow {
	if d <= 0 {
		return nil
	}
	return &listWindow{until: start.Add(d), now: now, known: map[string]map[string]struct{}{}}
}

// active reports whether listings are still off; it forgets the names once
// the window is over. A nil window is never active.
func (w *listWindow) active() bool {
	if w == nil || w.over.Load() {
		return false
	}
	if w.now().Before(w.until) {
		return true
	}
	w.mu.Lock()
	w.known = nil
	w.mu.Unlock()
	w.over.Store(true)
	return false
}

// seen records that p exists (exists) or is gone (!exists).
func (w *listWindow) seen(p string, exists bool) {
	if w == nil || p == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known == nil {
		return
	}
	dir, name := parent(p), base(p)
	names := w.known[dir]
	if !exists {
		delete(names, name)
		return
	}
	if names == nil {
		names = map[string]struct{}{}
		w.known[dir] = names
	}
	names[name] = struct{}{}
	// The directories above p exist too.
	for d := dir; d != ""; d = parent(d) {
		up := w.known[parent(d)]
		if up == nil {
			up = map[string]struct{}{}
			w.known[parent(d)] = up
		}
		if _, ok := up[base(d)]; ok {
			break
		}
		up[base(d)] = struct{}{}
	}
}

// names returns the child names of dir seen so far.
func (w *listWindow) names(dir string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.known[dir]))
	for name := range w.known[dir] {
		out = append(out, name)
	}
	return out
}

// listingOff reports whether List requests are off (Options.NoListFor).
func (v *FS) listingOff() bool { return v.window.active() }

// knownChildren builds the children of dir from what this mount has seen,
// without a List request: each remembered name is looked up again (from
// the attribute cache, or by HEAD), and names that are gone are dropped.
func (v *FS) knownChildren(ctx context.Context, dir string) (map[string]*node, error) {
	children := map[string]*node{}
	for _, name := range v.window.names(dir) {
		p := join(dir, name)
		n, err := v.stat(ctx, p)
		if isNotExist(err) {
			v.window.seen(p, false)
			continue
		}
		if err != nil {
			return nil, err
		}
		children[name] = n
	}
	return children, nil
}

// dropImplicit keeps only the subdirectories of dir that have a marker
// object (Options.NoImplicitDirs). A listing rolls an S3 "name/" marker
// into its common prefix, so each such subdirectory costs one HEAD (two
// when the store's listings carry no metadata and it has no "name/"
// marker) unless the attribute cache already knows its marker.
func (v *FS) dropImplicit(ctx context.Context, dir string, children map[string]*node) error {
	var names []string
	for name, n := range children {
		if n.Kind != KindDir || n.key != "" {
			continue
		}
		if full := v.meta.known(join(dir, name), n); full != nil && full.key != "" {
			children[name] = full
			continue
		}
		names = append(names, name)
	}
	found := make([]*node, len(names))
	err := v.headEach(ctx, len(names), func(ctx context.Context, i int) error {
		p := join(dir, names[i])
		obj, err := v.b.Head(ctx, p+"/")
		if errors.Is(err, storage.ErrNotFound) && !v.caps.ListMetadata {
			// An Azure-style marker "name" looks like a file in a
			// listing without metadata.
			obj, err = v.b.Head(ctx, p)
			if err == nil && !isFolderMarker(obj) {
				err = storage.ErrNotFound
			}
		}
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr(err)
		}
		found[i] = v.dirNode(obj)
		return nil
	})
	if err != nil {
		return err
	}
	for i, name := range names {
		if found[i] == nil {
			delete(children, name)
		} else {
			children[name] = found[i]
		}
	}
	return nil
}

// waitListingOn blocks until listings are allowed again (at once without a
// window); it returns false if the filesystem is closed first. Background
// work that lists (the sweep of stale multipart uploads, a LIST-priced
// request too) waits for it.
func (v *FS) waitListingOn() bool {
	if v.window == nil {
		return true
	}
	t := time.NewTimer(time.Until(v.window.until))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-v.stop:
		return false
	}
}
