package wrap

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Prefix shows the keys of b under prefix as a store of their own, the way
// a mount of a subdirectory (--subdirectory) sees them: keys gain the
// prefix on the way in and lose it on the way out, in listings' objects,
// common prefixes and StartAfter too. Surrounding slashes in prefix do not
// matter: "a/b", "/a/b/" and "a/b/" all mean the keys under "a/b/". The
// directory marker of the prefix itself ("a/b/") is not an object of the
// view and never listed. An empty prefix returns b unchanged.
func Prefix(b storage.Backend, prefix string) storage.Backend {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return b
	}
	p := &prefixed{b: b, prefix: prefix + "/"}
	rename := func(ctx context.Context, src, dst string, dir bool) error {
		if err := p.check("rename", src); err != nil {
			return err
		}
		if err := p.check("rename", dst); err != nil {
			return err
		}
		return b.(storage.Renamer).Rename(ctx, p.prefix+src, p.prefix+dst, dir)
	}
	var lister storage.UploadLister
	if inner := innerLister(b); inner != nil {
		lister = uploadLister{
			list: func(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
				ups, err := inner.ListUploads(ctx, p.prefix+prefix)
				for i := range ups {
					ups[i].Key = strings.TrimPrefix(ups[i].Key, p.prefix)
				}
				return ups, err
			},
			abort: func(ctx context.Context, key, id string) error {
				if err := p.check("upload", key); err != nil {
					return err
				}
				return inner.AbortUpload(ctx, p.prefix+key, id)
			},
		}
	}
	return Extend(p, b, Extras{Rename: rename, Uploads: lister})
}

type prefixed struct {
	b      storage.Backend
	prefix string // ends with "/"
}

var errEmptyKey = errors.New("empty key")

// check rejects the empty key, which would name the prefix's own marker.
func (p *prefixed) check(op, key string) error {
	if key == "" {
		return storage.Errorf(op, key, storage.ErrInvalidKey, errEmptyKey)
	}
	return nil
}

func (p *prefixed) strip(obj storage.Object) storage.Object {
	obj.Key = strings.TrimPrefix(obj.Key, p.prefix)
	return obj
}

func (p *prefixed) Head(ctx context.Context, key string) (storage.Object, error) {
	if err := p.check("head", key); err != nil {
		return storage.Object{}, err
	}
	obj, err := p.b.Head(ctx, p.prefix+key)
	return p.strip(obj), err
}

func (p *prefixed) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	opts.Prefix = p.prefix + opts.Prefix
	if opts.StartAfter != "" {
		opts.StartAfter = p.prefix + opts.StartAfter
	}
	page, err := p.b.List(ctx, opts)
	if err != nil {
		return storage.ListPage{}, err
	}
	objs := page.Objects[:0]
	for _, o := range page.Objects {
		if o.Key == p.prefix {
			continue // the marker of the view's root
		}
		objs = append(objs, p.strip(o))
	}
	page.Objects = objs
	for i, cp := range page.CommonPrefixes {
		page.CommonPrefixes[i] = strings.TrimPrefix(cp, p.prefix)
	}
	return page, nil
}

func (p *prefixed) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	if err := p.check("get", key); err != nil {
		return nil, storage.Object{}, err
	}
	rc, obj, err := p.b.Get(ctx, p.prefix+key, opts)
	return rc, p.strip(obj), err
}

func (p *prefixed) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	if err := p.check("put", key); err != nil {
		return storage.Object{}, err
	}
	obj, err := p.b.Put(ctx, p.prefix+key, body, opts)
	return p.strip(obj), err
}

func (p *prefixed) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	if err := p.check("upload", key); err != nil {
		return nil, err
	}
	up, err := p.b.CreateUpload(ctx, p.prefix+key, opts)
	if err != nil {
		return nil, err
	}
	return prefixedUpload{Upload: up, p: p}, nil
}

type prefixedUpload struct {
	storage.Upload
	p *prefixed
}

// UploadID is the wrapped upload's ID: upload IDs need no prefix.
func (u prefixedUpload) UploadID() string { return storage.UploadIDOf(u.Upload) }

func (u prefixedUpload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	obj, err := u.Upload.Complete(ctx, parts)
	return u.p.strip(obj), err
}

func (p *prefixed) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	if err := p.check("copy", src); err != nil {
		return storage.Object{}, err
	}
	if err := p.check("copy", dst); err != nil {
		return storage.Object{}, err
	}
	obj, err := p.b.Copy(ctx, p.prefix+src, p.prefix+dst, opts)
	return p.strip(obj), err
}

func (p *prefixed) Delete(ctx context.Context, key string) error {
	if err := p.check("delete", key); err != nil {
		return err
	}
	return p.b.Delete(ctx, p.prefix+key)
}

// Caps are b's, with room for the prefix taken from the key length.
func (p *prefixed) Caps() storage.Caps {
	c := p.b.Caps()
	c.MaxKeyLen -= len(p.prefix)
	return c
}

// Close closes b: the view owns the store it wraps.
func (p *prefixed) Close() error { return p.b.Close() }
