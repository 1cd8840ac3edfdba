package health

import (
	"context"
	"io"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// Store returns b instrumented for this monitor: wrap.Instrument counts
// requests, errors and bytes, and a timing layer fills the latency
// histograms. Wrap the store once, below any Prefix.
func (m *Monitor) Store(b storage.Backend) storage.Backend {
	return timeRequests(wrap.Instrument(b, m.meter), m.storeLat)
}

// timeRequests records the latency of every request to b in t, under the
// names wrap uses for the ops. It counts nothing else.
func timeRequests(b storage.Backend, t *opTable) storage.Backend {
	tb := &timedBackend{b: b, t: t}
	var x wrap.Extras
	if r, ok := b.(storage.Renamer); ok {
		x.Rename = func(ctx context.Context, src, dst string, dir bool) error {
			defer tb.since(wrap.OpRename, time.Now())
			return r.Rename(ctx, src, dst, dir)
		}
	}
	if l, ok := b.(storage.UploadLister); ok {
		x.Uploads = timedLister{tb: tb, l: l}
	}
	return wrap.Extend(tb, b, x)
}

type timedBackend struct {
	b storage.Backend
	t *opTable
}

func (tb *timedBackend) since(op wrap.Op, start time.Time) {
	tb.t.get(string(op)).lat.observe(time.Since(start))
}

func (tb *timedBackend) Head(ctx context.Context, key string) (storage.Object, error) {
	defer tb.since(wrap.OpHead, time.Now())
	return tb.b.Head(ctx, key)
}

func (tb *timedBackend) List(ctx context.Context, opts storage.ListOptions) (storage.ListPage, error) {
	defer tb.since(wrap.OpList, time.Now())
	return tb.b.List(ctx, opts)
}

func (tb *timedBackend) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	defer tb.since(wrap.OpGet, time.Now())
	return tb.b.Get(ctx, key, opts)
}

func (tb *timedBackend) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	defer tb.since(wrap.OpPut, time.Now())
	return tb.b.Put(ctx, key, body, opts)
}

func (tb *timedBackend) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	defer tb.since(wrap.OpCreateUpload, time.Now())
	up, err := tb.b.CreateUpload(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &timedUpload{up: up, tb: tb}, nil
}

func (tb *timedBackend) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	defer tb.since(wrap.OpCopy, time.Now())
	return tb.b.Copy(ctx, src, dst, opts)
}

func (tb *timedBackend) Delete(ctx context.Context, key string) error {
	defer tb.since(wrap.OpDelete, time.Now())
	return tb.b.Delete(ctx, key)
}

func (tb *timedBackend) Caps() storage.Caps { return tb.b.Caps() }
func (tb *timedBackend) Close() error       { return tb.b.Close() }

type timedUpload struct {
	up storage.Upload
	tb *timedBackend
}

func (u *timedUpload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	defer u.tb.since(wrap.OpWritePart, time.Now())
	return u.up.WritePart(ctx, n, body)
}

func (u *timedUpload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	defer u.tb.since(wrap.OpComplete, time.Now())
	return u.up.Complete(ctx, parts)
}

func (u *timedUpload) Abort(ctx context.Context) error {
	defer u.tb.since(wrap.OpAbort, time.Now())
	return u.up.Abort(ctx)
}
