package wrap

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/filter"
)

// errFiltered says why a name that exists in the store is not shown.
var errFiltered = errors.New("hidden by the blob filter")

// Filter shows only the objects of b that match e (a blob filter): the
// others are left out of listings and are not found by Head and Get.
// Directory markers (keys ending in "/") always pass, so directories stay
// reachable. Keys are matched as b names them: wrap the store itself, so
// a regex sees full names and b's tags are at hand. A tag condition asks
// b for each candidate's tags (storage.Tagger); a store without tags has
// none.
func Filter(b storage.Backend, e *filter.Expr) storage.Backend {
	return Extend(filtered{Backend: b, e: e}, b, passThrough(b))
}

type filtered struct {
	storage.Backend
	e *filter.Expr
}

// shows says whether obj, at key, passes the filter.
func (f filtered) shows(ctx context.Context, key string, obj storage.Object) (bool, error) {
	if strings.HasSuffix(key, "/") {
		return true, nil
	}
	fo := filter.Object{Key: key, Size: obj.Size, ModTime: obj.LastModified}
	if t, ok := f.Backend.(storage.Tagger); ok {
		fo.Tags = func() (map[string]string, error) { return t.Tags(ctx, key) }
	}
	return f.e.Match(fo)
}

func (f filtered) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	page, err := f.Backend.List(ctx, opts)
	if err != nil {
		return page, err
	}
	kept := page.Objects[:0]
	for _, o := range page.Objects {
		ok, err := f.shows(ctx, o.Key, o)
		if err != nil {
			return storage.ListPage{}, storage.Errorf("list", o.Key, nil, err)
		}
		if ok {
			kept = append(kept, o)
		}
	}
	page.Objects = kept
	return page, nil
}

func (f filtered) Head(ctx context.Context, key string) (storage.Object, error) {
	obj, err := f.Backend.Head(ctx, key)
	if err != nil {
		return obj, err
	}
	if ok, err := f.shows(ctx, key, obj); err != nil || !ok {
		return storage.Object{}, hidden("head", key, err)
	}
	return obj, nil
}

func (f filtered) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	rc, obj, err := f.Backend.Get(ctx, key, opts)
	if err != nil {
		return rc, obj, err
	}
	if ok, err := f.shows(ctx, key, obj); err != nil || !ok {
		rc.Close()
		return nil, storage.Object{}, hidden("get", key, err)
	}
	return rc, obj, nil
}

// hidden is the error for a name the filter hides, or the error that
// kept the filter from deciding.
func hidden(op, key string, err error) error {
	if err != nil {
		return storage.Errorf(op, key, nil, err)
	}
	return storage.Errorf(op, key, storage.ErrNotFound, errFiltered)
}
