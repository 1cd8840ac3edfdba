package vfs

import (
	"context"
	"time"
)

// SetAttr lists the attribute changes of one setattr call; nil fields stay.
type SetAttr struct {
	Size  *int64
	Mode  *uint32
	UID   *uint32
	GID   *uint32
	Atime *time.Time
	Mtime *time.Time
}

func (s SetAttr) metaOnly() bool { return s.Size == nil }

// apply changes the metadata fields of a.
func (s SetAttr) apply(a *Attr) {
	if s.Mode != nil {
		a.Mode = *s.Mode & ModePerm
	}
	if s.UID != nil {
		a.UID = *s.UID
	}
	if s.GID != nil {
		a.GID = *s.GID
	}
	if s.Atime != nil {
		a.Atime = s.Atime.Truncate(time.Second)
	}
	if s.Mtime != nil {
		a.Mtime = s.Mtime.Truncate(time.Second)
	}
	a.Ctime = fsNow()
}

// handleByName returns a handle for a change by name to the open file at
// p, or nil when p is not open. While a handle that can write is open,
// the change goes to the store with that handle's close: the kernel
// truncates a file opened with O_TRUNC this way, and storing the empty
// file now would replace the last good version before the writer is done.
// Otherwise the returned handle stores it at its release, as for a file
// not open.
func (v *FS) handleByName(p string) *Handle {
	f := v.openFile(p)
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := &Handle{v: v, f: f, writable: f.writers == 0}
	f.refs.Add(1)
	if h.writable {
		f.writers++
	}
	return h
}

// Setattr changes attributes of p (truncate, chmod, chown, utimens). h may
// be the handle the change came through, or nil. Metadata changes never
// re-upload data: a clean object is updated in place on the server.
func (v *FS) Setattr(ctx context.Context, p string, h *Handle, s SetAttr) (Attr, error) {
	if err := v.writable(); err != nil {
		return Attr{}, err
	}
	if v.opts.FixedAttrs {
		// Attributes are fixed: only the size can change.
		s = SetAttr{Size: s.Size}
		if s.Size == nil {
			if h != nil {
				return h.Attr(), nil
			}
			return v.Lookup(ctx, p)
		}
	}
	if h == nil {
		if h = v.handleByName(p); h != nil {
			defer h.Release(ctx)
		}
	}
	if h != nil {
		return v.setattrOpen(ctx, h, s)
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return Attr{}, err
	}
	if s.Size != nil {
		if n.Kind == KindDir {
			return Attr{}, ErrIsDir
		}
		h, err := v.Open(ctx, p, OpenFlags{Write: true})
		if err != nil {
			return Attr{}, err
		}
		a, err := v.setattrOpen(ctx, h, s)
		if rerr := h.Release(ctx); err == nil {
			err = rerr
		}
		return a, err
	}
	a := n.Attr
	// A directory's times from changes of its entries are stored now,
	// unless this call sets them.
	v.dtimes.apply(p, &a)
	s.apply(&a)
	if n.Kind == KindDir && n.key == "" {
		// An implicit directory gains a marker to hold its attributes.
		md := v.metaFor(a, nil)
		if v.opts.Layout == LayoutAzure {
			md[metaIsFolder] = "true"
		}
		key := v.markerKey(p)
		obj, err := v.b.Put(ctx, key, emptyReader(), putOpts(md))
		if err != nil {
			return Attr{}, storeErr(err)
		}
		v.meta.put(p, &node{Attr: a, key: key, etag: obj.ETag, meta: md})
		v.dtimes.forget(p)
		return a, nil
	}
	extra := userMeta(n.meta)
	if n.meta == nil {
		// The node came from a listing; fetch the metadata we must keep.
		obj, err := v.b.Head(ctx, n.key)
		if err != nil {
			return Attr{}, storeErr(err)
		}
		extra = userMeta(obj.Metadata)
	}
	if _, err := v.setMeta(ctx, p, n, v.metaFor(a, extra)); err != nil {
		return Attr{}, err
	}
	if n.Kind == KindDir {
		v.dtimes.forget(p)
	}
	return a, nil
}

// setattrOpen applies s to an open file; the change reaches the store with
// the next upload, or at once when the file is otherwise clean.
func (v *FS) setattrOpen(ctx context.Context, h *Handle, s SetAttr) (Attr, error) {
	if s.Size != nil {
		if err := h.Truncate(ctx, *s.Size); err != nil {
			return Attr{}, err
		}
	}
	f := h.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if s.metaOnly() || s.Mode != nil || s.UID != nil || s.GID != nil || s.Atime != nil || s.Mtime != nil {
		s.apply(&f.attr)
		if f.unlinked {
			// Nothing in the store to change any more.
			return f.attr, nil
		}
		if f.created || f.c.Dirty() {
			// The journal keeps mode and owner for a crash; times need no
			// rewrite (the kernel sends one per close with its writeback
			// cache, and the upload carries the current ones anyway).
			if s.Mode != nil || s.UID != nil || s.GID != nil {
				if err := f.describe(); err != nil {
					return Attr{}, err
				}
			}
		} else if f.base != nil && f.base.key != "" {
			nb, err := v.setMeta(ctx, f.path, f.base, v.metaFor(f.attr, f.extra))
			if err != nil {
				return Attr{}, err
			}
			f.base = nb
			f.c.Rebase(f.version())
		}
	}
	return f.attr, nil
}
