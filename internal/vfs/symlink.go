package vfs

import (
	"bytes"
	"context"
	"io"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func emptyReader() io.ReadSeeker { return bytes.NewReader(nil) }

func putOpts(md map[string]string) storage.PutOptions { return storage.PutOptions{Metadata: md} }

// Symlink creates a symbolic link at p pointing to target: on S3 as
// "p.rclonelink" holding the target (Cloudfuse, rclone), on Azure as "p"
// with metadata is_symlink=true (BlobFuse2).
func (v *FS) Symlink(ctx context.Context, target, p string, uid, gid uint32) (Attr, error) {
	if v.opts.NoSymlinks && !v.opts.ReadOnly {
		return Attr{}, ErrNotSupp
	}
	if err := v.canCreate(ctx, p); err != nil {
		return Attr{}, err
	}
	_, uid, gid = v.owner(KindSymlink, 0, uid, gid)
	now := fsNow()
	a := Attr{Kind: KindSymlink, Size: int64(len(target)), Mode: 0o777, UID: uid, GID: gid,
		Mtime: now, Atime: now, Ctime: now}
	key, md := p+symlinkSuffix, v.metaFor(a, nil)
	if v.opts.Layout == LayoutAzure {
		key = p
		md[metaSymlink] = "true"
	}
	obj, err := v.b.Put(ctx, key, bytes.NewReader([]byte(target)), putOpts(md))
	if err != nil {
		return Attr{}, keyTooLong(p, err)
	}
	v.meta.put(p, &node{Attr: a, key: key, etag: obj.ETag, meta: md})
	v.entriesChanged(parent(p))
	return a, nil
}

// Readlink returns the target of the symlink at p.
func (v *FS) Readlink(ctx context.Context, p string) (string, error) {
	n, err := v.stat(ctx, p)
	if err != nil {
		return "", err
	}
	if n.Kind != KindSymlink {
		return "", ErrInvalid
	}
	rc, _, err := v.b.Get(ctx, n.key, storage.GetOptions{Length: -1})
	if err != nil {
		return "", storeErr(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
