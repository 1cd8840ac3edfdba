package stream

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// counting records the GETs and part uploads that reach a store and how
// many run at once. With gate set, every GET body waits for it (or for
// its context) before giving bytes.
type counting struct {
	storage.Backend

	mu          sync.Mutex
	gets        []storage.GetOptions
	getsNow     int
	getsPeak    int
	cancelled   int // GET bodies that ended because their context did
	partsNow    int
	partsPeak   int
	partsTotal  int
	gate        chan struct{}
	gateBelow   int64 // with gate: only GETs starting below this wait; 0: all
	putsTotal   int
	createTotal int
	// smallReads counts first reads of a GET body that were offered less
	// than the whole body.
	smallReads int
}

func (c *counting) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	c.mu.Lock()
	c.gets = append(c.gets, opts)
	c.getsNow++
	c.getsPeak = max(c.getsPeak, c.getsNow)
	gate := c.gate
	if c.gateBelow > 0 && opts.Offset >= c.gateBelow {
		gate = nil
	}
	c.mu.Unlock()
	rc, obj, err := c.Backend.Get(ctx, key, opts)
	if err != nil {
		c.done()
		return nil, obj, err
	}
	return &countedBody{ReadCloser: rc, c: c, ctx: ctx, gate: gate, length: opts.Length}, obj, nil
}

func (c *counting) done() {
	c.mu.Lock()
	c.getsNow--
	c.mu.Unlock()
}

// getLog returns a copy of the GETs so far.
func (c *counting) getLog() []storage.GetOptions {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]storage.GetOptions(nil), c.gets...)
}

type countedBody struct {
	io.ReadCloser
	c      *counting
	ctx    context.Context
	gate   chan struct{}
	length int64
	opened bool
	closed bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	if b.gate != nil && !b.opened {
		select {
		case <-b.gate:
		case <-b.ctx.Done():
			b.c.mu.Lock()
			b.c.cancelled++
			b.c.mu.Unlock()
			return 0, b.ctx.Err()
		}
	}
	if !b.opened && b.length > 0 && int64(len(p)) < b.length {
		b.c.mu.Lock()
		b.c.smallReads++
		b.c.mu.Unlock()
	}
	b.opened = true
	return b.ReadCloser.Read(p)
}

func (b *countedBody) Close() error {
	if !b.closed {
		b.closed = true
		b.c.done()
	}
	return b.ReadCloser.Close()
}

func (c *counting) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	c.mu.Lock()
	c.putsTotal++
	c.mu.Unlock()
	return c.Backend.Put(ctx, key, body, opts)
}

func (c *counting) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	c.mu.Lock()
	c.createTotal++
	c.mu.Unlock()
	up, err := c.Backend.CreateUpload(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return &countedUpload{Upload: up, c: c}, nil
}

type countedUpload struct {
	storage.Upload
	c *counting
}

func (u *countedUpload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	u.c.mu.Lock()
	u.c.partsNow++
	u.c.partsTotal++
	u.c.partsPeak = max(u.c.partsPeak, u.c.partsNow)
	u.c.mu.Unlock()
	defer func() {
		u.c.mu.Lock()
		u.c.partsNow--
		u.c.mu.Unlock()
	}()
	return u.Upload.WritePart(ctx, n, body)
}

// newStore returns a memstore with small parts allowed and the object
// "obj" of size bytes, and the object's bytes.
func newStore(t testing.TB, size int) (*memstore.Store, storage.Object, []byte) {
	t.Helper()
	s := memstore.New(memstore.Options{MinPartSize: 1 << 10})
	t.Cleanup(func() { s.Close() })
	data := storagetest.Data(uint64(size)+1, size)
	obj := storagetest.MustPut(t, s, "obj", data)
	return s, obj, data
}

func refOf(obj storage.Object) ObjectRef {
	return ObjectRef{Key: obj.Key, ETag: obj.ETag, Size: obj.Size}
}
