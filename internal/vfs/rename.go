package vfs

import (
	"context"
	"errors"
	"maps"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// RenameFlags are the renameat2(2) flags.
type RenameFlags struct {
	NoReplace bool
	Exchange  bool
}

// renameConcurrency bounds parallel copies and deletes of a directory rename.
const renameConcurrency = 16

// Rename moves old to new. Files move by server-side copy and delete (or
// an atomic store rename where the store has one); directories move key by
// key: every copy must succeed before any source is deleted, so a failure
// leaves the source whole.
func (v *FS) Rename(ctx context.Context, oldp, newp string, fl RenameFlags) error {
	if err := v.writable(); err != nil {
		return err
	}
	if fl.Exchange {
		return ErrInvalid
	}
	if err := v.checkName(newp); err != nil {
		return err
	}
	if oldp == newp {
		return nil
	}
	src, err := v.stat(ctx, oldp)
	if err != nil {
		return err
	}
	if src.Kind == KindDir && inside(newp, oldp) {
		return ErrInvalid
	}
	dst, err := v.stat(ctx, newp)
	switch {
	case err == nil:
		if fl.NoReplace {
			return ErrExist
		}
		if src.Kind == KindDir && dst.Kind != KindDir {
			return ErrNotDir
		}
		if src.Kind != KindDir && dst.Kind == KindDir {
			return ErrIsDir
		}
		if dst.Kind == KindDir {
			empty, err := v.dirEmpty(ctx, newp)
			if err != nil {
				return err
			}
			if !empty {
				return ErrNotEmpty
			}
			if err := v.deleteMarkers(ctx, newp, dst); err != nil {
				return err
			}
			v.meta.removed(newp)
			dst = nil
		}
	case isNotExist(err):
		dst = nil
	default:
		return err
	}
	if src.Kind == KindDir {
		err = v.renameDir(ctx, oldp, newp, src)
		v.dtimes.forgetTree(oldp)
	} else {
		err = v.renameFile(ctx, oldp, newp, src, dst)
	}
	if err == nil {
		v.entriesChanged(parent(oldp), parent(newp))
	}
	return err
}

// renameFile moves a file or symlink.
func (v *FS) renameFile(ctx context.Context, oldp, newp string, src, dst *node) error {
	newKey := newp
	if strings.HasSuffix(src.key, symlinkSuffix) && src.key == oldp+symlinkSuffix {
		newKey = newp + symlinkSuffix
	}
	// An open file being overwritten loses its name, like an unlink: stage
	// its data first, while its object still exists.
	if g := v.openFile(newp); g != nil {
		g.mu.Lock()
		err := g.load(ctx)
		g.mu.Unlock()
		if err != nil {
			return err
		}
	}
	v.mu.Lock()
	v.unlinkOpen(newp)
	f := v.files[oldp]
	if f != nil {
		delete(v.files, oldp)
		v.files[newp] = f
		f.mu.Lock()
		f.path = newp
		f.mu.Unlock()
	}
	v.mu.Unlock()

	var n *node
	onlyLocal := false // the moved file is not in the store yet
	if f != nil {
		f.mu.Lock()
		err := v.moveOpenFile(ctx, f, oldp, newKey)
		n = f.nodeLocked()
		onlyLocal = f.created
		f.mu.Unlock()
		if err != nil {
			return err
		}
		v.dropIdle(f)
	} else {
		// A rename changes the file's ctime, as on a disk: the copy
		// carries the new one when the store copies (a store that renames
		// in place keeps the stored metadata as it is).
		nn := *src
		var md map[string]string
		if _, atomic := v.b.(storage.Renamer); !atomic && src.meta != nil {
			md = maps.Clone(src.meta)
			nn.Ctime = fsNow()
			md[metaCtime] = formatTime(nn.Ctime, v.opts.Layout)
		}
		obj, err := v.moveObject(ctx, src.key, newKey, md)
		if err != nil {
			return err
		}
		nn.key, nn.etag, nn.meta = newKey, obj.ETag, md
		if md == nil {
			nn.meta = src.meta
		}
		n = &nn
	}
	// The replaced object goes, unless an upload already overwrote it; a
	// new file's data reaches the store with its next upload.
	if dst != nil && dst.key != "" && (dst.key != newKey || onlyLocal) {
		if err := v.b.Delete(ctx, dst.key); err != nil {
			return storeErr(err)
		}
	}
	if v.cache != nil {
		v.cache.Drop(src.key)
		v.cache.Drop(newKey)
	}
	v.meta.removed(oldp)
	v.meta.put(newp, n)
	return nil
}

// moveOpenFile moves an open file's object. A file with local changes is
// uploaded under its new key; a clean one is copied on the server. Caller
// holds f.mu; f.path is already the new path.
func (v *FS) moveOpenFile(ctx context.Context, f *file, oldp, newKey string) error {
	if bound := f.c.Bound(); bound != "" {
		// An upload started under the old name completes there; the
		// object then moves like any clean file.
		newp := f.path
		f.path = bound
		err := f.upload(ctx, false)
		f.path = newp
		if err != nil {
			return err
		}
	}
	// Parts sent under the old name are of no use: the file is uploaded
	// whole under the new one.
	if err := f.describe(); err != nil || f.created {
		return err
	}
	// A download of the old key finishes first: the move ends that key.
	if err := contentErr(f.c.Settle(ctx)); err != nil {
		return err
	}
	oldKey := oldp
	if f.base != nil && f.base.key != "" {
		oldKey = f.base.key
	}
	if f.c.Dirty() {
		// upload moves f.base to the new key: delete the old one.
		if err := f.upload(ctx, false); err != nil {
			return err
		}
		return storeErr(v.b.Delete(ctx, oldKey))
	}
	obj, err := v.moveObject(ctx, oldKey, newKey, nil)
	if err != nil {
		return err
	}
	if f.base != nil {
		nb := *f.base
		nb.key, nb.etag = newKey, obj.ETag
		f.base = &nb
		f.c.Rebase(f.version())
	}
	return nil
}

// moveObject renames one key: atomically where the store can, otherwise
// copy then delete. md, if not nil, replaces the copy's metadata.
func (v *FS) moveObject(ctx context.Context, from, to string, md map[string]string) (storage.Object, error) {
	if r, ok := v.b.(storage.Renamer); ok {
		if err := r.Rename(ctx, from, to, false); err != nil {
			return storage.Object{}, storeErr(err)
		}
		obj, err := v.b.Head(ctx, to)
		return obj, storeErr(err)
	}
	obj, err := v.b.Copy(ctx, from, to, storage.CopyOptions{Metadata: md})
	if err != nil {
		return storage.Object{}, storeErr(err)
	}
	if err := v.b.Delete(ctx, from); err != nil {
		return storage.Object{}, storeErr(err)
	}
	return obj, nil
}

// renameDir moves a directory and everything below it.
func (v *FS) renameDir(ctx context.Context, oldp, newp string, src *node) error {
	// Files with unsaved changes inside are uploaded first so the key
	// listing below sees them.
	v.mu.Lock()
	var inner []*file
	for p, f := range v.files {
		if inside(p, oldp) {
			inner = append(inner, f)
		}
	}
	v.mu.Unlock()
	for _, f := range inner {
		if err := v.flushFile(ctx, f, false); err != nil {
			return err
		}
	}
	if r, ok := v.b.(storage.Renamer); ok {
		if err := r.Rename(ctx, oldp, newp, true); err != nil {
			return storeErr(err)
		}
	} else if err := v.copyTree(ctx, oldp, newp, src); err != nil {
		return err
	}
	var moved []*file
	v.mu.Lock()
	for p, f := range v.files {
		if !inside(p, oldp) {
			continue
		}
		np := rebase(p, oldp, newp)
		delete(v.files, p)
		v.files[np] = f
		f.mu.Lock()
		f.path = np
		if f.base != nil && f.base.key != "" {
			nb := *f.base
			nb.key = rebase(nb.key, oldp, newp)
			f.base = &nb
		}
		moved = append(moved, f)
		f.mu.Unlock()
	}
	v.mu.Unlock()
	// A server-side copy may give an object a new ETag (Azure always, S3
	// for multipart objects): pin open files to the moved version, or a
	// read not staged yet would find its version gone.
	for _, f := range moved {
		v.repin(ctx, f)
	}
	v.meta.forgetTree(oldp)
	v.meta.forgetTree(newp)
	v.meta.removed(oldp)
	n := *src
	if n.key != "" {
		n.key = rebase(n.key, oldp, newp)
		if src.key == oldp+"/" {
			n.key = newp + "/"
		}
	}
	v.meta.put(newp, &n)
	return nil
}

// repin points f, just moved, at the current version of its object and
// tells its content where it goes now. If the object cannot be read now,
// the first read reports it.
func (v *FS) repin(ctx context.Context, f *file) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.describe(); err != nil {
		v.warn("rename: journal record of a moved file", "path", f.path, "err", err)
	}
	if f.base == nil || f.base.key == "" {
		return
	}
	obj, err := v.b.Head(ctx, f.base.key)
	if err == nil {
		nb := *f.base
		nb.etag = obj.ETag
		f.base = &nb
	}
	f.c.Rebase(f.version())
}

// copyTree copies every key of directory oldp to newp, then deletes the
// sources. If any copy fails, the copies made so far are removed and the
// source is left as it was.
func (v *FS) copyTree(ctx context.Context, oldp, newp string, src *node) error {
	var keys []string
	if src.key != "" {
		keys = append(keys, src.key)
	}
	if v.listingOff() {
		return ErrListingOff
	}
	opts := storage.ListOptions{Prefix: oldp + "/"}
	for {
		page, err := v.b.List(ctx, opts)
		if err != nil {
			return storeErr(err)
		}
		for _, o := range page.Objects {
			if o.Key != src.key {
				keys = append(keys, o.Key)
			}
		}
		if page.NextToken == "" {
			break
		}
		opts.ContinuationToken = page.NextToken
	}
	target := func(k string) string {
		if k == oldp {
			return newp
		}
		return newp + strings.TrimPrefix(k, oldp)
	}
	copied := make([]bool, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(renameConcurrency)
	for i, k := range keys {
		g.Go(func() error {
			if _, err := v.b.Copy(gctx, k, target(k), storage.CopyOptions{}); err != nil {
				return storeErr(err)
			}
			copied[i] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		undo, uctx := errgroup.WithContext(context.WithoutCancel(ctx))
		undo.SetLimit(renameConcurrency)
		for i, k := range keys {
			if copied[i] {
				undo.Go(func() error { return v.b.Delete(uctx, target(k)) })
			}
		}
		if uerr := undo.Wait(); uerr != nil {
			v.warn("rename: cleanup of partial copy failed", "err", uerr)
		}
		return err
	}
	del, dctx := errgroup.WithContext(ctx)
	del.SetLimit(renameConcurrency)
	for _, k := range keys {
		del.Go(func() error { return v.b.Delete(dctx, k) })
	}
	if err := del.Wait(); err != nil {
		return errors.Join(errors.New("rename: copied, but some source objects remain"), storeErr(err))
	}
	return nil
}
