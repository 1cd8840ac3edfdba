package wrap

import (
	"context"
	"io"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// keyMap is a view of b under other names: every key going to b passes
// down, every key coming back passes up. Prefix and Names are keyMaps.
type keyMap struct {
	b storage.Backend
	// down is the key of b for key, or an error for a key the view does
	// not accept.
	down func(op, key string) (string, error)
	// up is the view's key for a key of b.
	up func(key string) string
	// hide, if set, leaves an object of b out of listings.
	hide func(key string) bool
	// caps adjusts b's capabilities.
	caps func(storage.Caps) storage.Caps
}

// extend adds the optional interfaces b implements, through the map.
func (m *keyMap) extend() storage.Backend {
	rename := func(ctx context.Context, src, dst string, dir bool) error {
		s, err := m.down("rename", src)
		if err != nil {
			return err
		}
		d, err := m.down("rename", dst)
		if err != nil {
			return err
		}
		return m.b.(storage.Renamer).Rename(ctx, s, d, dir)
	}
	var lister storage.UploadLister
	if inner := innerLister(m.b); inner != nil {
		lister = uploadLister{
			list: func(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
				p, err := m.down("uploads", prefix)
				if err != nil && prefix != "" {
					return nil, err
				}
				ups, err := inner.ListUploads(ctx, p)
				for i := range ups {
					ups[i].Key = m.up(ups[i].Key)
				}
				return ups, err
			},
			abort: func(ctx context.Context, key, id string) error {
				k, err := m.down("upload", key)
				if err != nil {
					return err
				}
				return inner.AbortUpload(ctx, k, id)
			},
		}
	}
	return Extend(m, m.b, Extras{Rename: rename, Uploads: lister})
}

func (m *keyMap) obj(obj storage.Object) storage.Object {
	obj.Key = m.up(obj.Key)
	return obj
}

func (m *keyMap) Head(ctx context.Context, key string) (storage.Object, error) {
	k, err := m.down("head", key)
	if err != nil {
		return storage.Object{}, err
	}
	obj, err := m.b.Head(ctx, k)
	return m.obj(obj), err
}

func (m *keyMap) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	var err error
	if opts.Prefix, err = m.down("list", opts.Prefix); err != nil {
		return storage.ListPage{}, err
	}
	if opts.StartAfter != "" {
		if opts.StartAfter, err = m.down("list", opts.StartAfter); err != nil {
			return storage.ListPage{}, err
		}
	}
	page, err := m.b.List(ctx, opts)
	if err != nil {
		return storage.ListPage{}, err
	}
	objs := page.Objects[:0]
	for _, o := range page.Objects {
		if m.hide != nil && m.hide(o.Key) {
			continue
		}
		objs = append(objs, m.obj(o))
	}
	page.Objects = objs
	for i, cp := range page.CommonPrefixes {
		page.CommonPrefixes[i] = m.up(cp)
	}
	return page, nil
}

func (m *keyMap) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	k, err := m.down("get", key)
	if err != nil {
		return nil, storage.Object{}, err
	}
	rc, obj, err := m.b.Get(ctx, k, opts)
	return rc, m.obj(obj), err
}

func (m *keyMap) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	k, err := m.down("put", key)
	if err != nil {
		return storage.Object{}, err
	}
	obj, err := m.b.Put(ctx, k, body, opts)
	return m.obj(obj), err
}

func (m *keyMap) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	k, err := m.down("upload", key)
	if err != nil {
		return nil, err
	}
	up, err := m.b.CreateUpload(ctx, k, opts)
	if err != nil {
		return nil, err
	}
	return mappedUpload{Upload: up, m: m}, nil
}

type mappedUpload struct {
	storage.Upload
	m *keyMap
}

// UploadID is the wrapped upload's ID: upload IDs are not keys.
func (u mappedUpload) UploadID() string { return storage.UploadIDOf(u.Upload) }

func (u mappedUpload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	obj, err := u.Upload.Complete(ctx, parts)
	return u.m.obj(obj), err
}

func (m *keyMap) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	s, err := m.down("copy", src)
	if err != nil {
		return storage.Object{}, err
	}
	d, err := m.down("copy", dst)
	if err != nil {
		return storage.Object{}, err
	}
	obj, err := m.b.Copy(ctx, s, d, opts)
	return m.obj(obj), err
}

func (m *keyMap) Delete(ctx context.Context, key string) error {
	k, err := m.down("delete", key)
	if err != nil {
		return err
	}
	return m.b.Delete(ctx, k)
}

func (m *keyMap) Caps() storage.Caps {
	if m.caps == nil {
		return m.b.Caps()
	}
	return m.caps(m.b.Caps())
}

// Close closes b: the view owns the store it wraps.
func (m *keyMap) Close() error { return m.b.Close() }

// mapSegments applies f to every "/"-separated segment of key.
func mapSegments(key string, f func(string) string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = f(s)
	}
	return strings.Join(segs, "/")
}
