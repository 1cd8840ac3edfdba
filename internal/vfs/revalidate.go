package vfs

import (
	"context"
	"strings"
)

// headAgain asks the store about a file seen before (Options.
// RevalidateOnOpen) with one HEAD of its key. It fails for a missing name,
// an implicit directory or an object that is no longer a plain file or
// symlink; the caller then looks the name up in full.
func (v *FS) headAgain(ctx context.Context, n *node) (*node, error) {
	if n == nil || n.key == "" || n.Kind == KindDir {
		return nil, ErrNotExist
	}
	obj, err := v.b.Head(ctx, n.key)
	if err != nil {
		return nil, storeErr(err)
	}
	if isFolderMarker(obj) {
		return nil, ErrNotExist
	}
	kind := KindFile
	if !v.opts.NoSymlinks && (isSymlinkObject(obj) || strings.HasSuffix(n.key, symlinkSuffix)) {
		kind = KindSymlink
	}
	fresh := v.objNode(kind, obj) // a special file's kind comes from its metadata
	if fresh.Kind != n.Kind {
		return nil, ErrNotExist
	}
	return fresh, nil
}

// refreshOpen makes an open file that has no local changes follow its
// object in the store (Options.RevalidateOnOpen): if another client
// replaced the object, the staged copy of the old version is dropped, so
// the next read of any handle fetches the new one.
func (v *FS) refreshOpen(ctx context.Context, f *file) {
	f.mu.Lock()
	if f.created || f.unlinked || f.c.Dirty() || f.base == nil || f.base.key == "" {
		f.mu.Unlock()
		return
	}
	key, etag := f.base.key, f.base.etag
	f.mu.Unlock()
	obj, err := v.b.Head(ctx, key)
	if err != nil {
		// Gone or unreachable: the open file keeps what it has; a new
		// lookup reports the name's state.
		return
	}
	if obj.ETag == etag {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.c.Dirty() || f.base == nil || f.base.key != key || f.base.etag != etag {
		return // changed meanwhile by this mount
	}
	// The copy of the old version goes; the next read fetches the new.
	f.c.Abandon()
	f.c.Close()
	nb := v.objNode(f.base.Kind, obj)
	f.base, f.attr, f.extra = nb, nb.Attr, userMeta(nb.meta)
	f.c = v.openContent(f)
	v.log.Debug("open file changed in the store; reading the new version", "path", f.path)
}
