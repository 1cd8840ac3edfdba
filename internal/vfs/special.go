package vfs

import (
	"bytes"
	"context"
)

// Mknod makes a fifo, a socket or a device node at p, or an empty regular
// file: a zero-length object whose type and permissions are in its stored
// mode (s3fs's convention, so s3fs shows ours and we show its) and, for a
// device, whose device number is in "rdev". The kernel, not the mount,
// serves opens of fifos, sockets and devices.
func (v *FS) Mknod(ctx context.Context, p string, kind Kind, mode, rdev, uid, gid uint32) (Attr, error) {
	if kind == KindDir || kind == KindSymlink {
		return Attr{}, ErrInvalid
	}
	if kind.Special() && v.opts.FixedAttrs && !v.opts.ReadOnly {
		// No mode is kept, so the type could not be read back.
		return Attr{}, ErrNotSupp
	}
	if err := v.canCreate(ctx, p); err != nil {
		return Attr{}, err
	}
	mode, uid, gid = v.owner(kind, mode, uid, gid)
	now := fsNow()
	a := Attr{Kind: kind, Mode: mode & ModePerm, UID: uid, GID: gid, Mtime: now, Atime: now, Ctime: now}
	if kind == KindCharDev || kind == KindBlockDev {
		a.Rdev = rdev
	}
	md := v.metaFor(a, nil)
	obj, err := v.b.Put(ctx, p, bytes.NewReader(nil), putOpts(md))
	if err != nil {
		return Attr{}, storeErr(err)
	}
	v.meta.put(p, &node{Attr: a, key: p, etag: obj.ETag, meta: md})
	v.entriesChanged(parent(p))
	return a, nil
}

// canCreate checks that a new entry may be made at p: a writable mount, a
// valid name, and nothing there yet (ErrExist).
func (v *FS) canCreate(ctx context.Context, p string) error {
	if err := v.writable(); err != nil {
		return err
	}
	if err := v.checkName(p); err != nil {
		return err
	}
	if _, err := v.statForCreate(ctx, p); err == nil {
		return ErrExist
	} else if !isNotExist(err) {
		return err
	}
	return nil
}
