package staged

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// ErrTooBig says a file is larger than the store can hold in one object.
var ErrTooBig = storage.ErrTooLarge

// downloadBuffer is the copy buffer of each download chunk.
const downloadBuffer = 1 << 20

// download copies version v into w with parallel ranged GETs pinned to
// v's ETag, so the copy is never a mix of two versions. got, if set, is
// told after each write how many bytes from the start of the chunk at off
// are written (chunks are written in order from their start). Each chunk
// copies through a buffer taken from the memory budget.
func (c *Cache) download(ctx context.Context, v content.Version, w io.WriterAt, got func(off, written int64)) (int64, error) {
	size := v.Size
	if size == 0 {
		obj, err := c.b.Head(ctx, v.Key)
		if err != nil {
			return 0, err
		}
		if obj.Size == 0 {
			return 0, nil
		}
		size, v = obj.Size, content.Version{Key: v.Key, ETag: obj.ETag, Size: obj.Size}
	}
	chunk := c.opts.PartSize
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.opts.Concurrency, 8))
	for off := int64(0); off < size; off += chunk {
		g.Go(func() error {
			return c.downloadChunk(gctx, v, w, off, min(chunk, size-off), size, got)
		})
	}
	return size, g.Wait()
}

// downloadChunk copies length bytes at off of v, an object of size bytes.
func (c *Cache) downloadChunk(ctx context.Context, v content.Version, w io.WriterAt, off, length, size int64,
	got func(off, written int64)) error {
	o := storage.GetOptions{Offset: off, Length: length, IfMatch: v.ETag}
	if off == 0 && length == size {
		o.Length = -1 // the whole object: no range for the store to serve
	}
	rc, obj, err := c.b.Get(ctx, v.Key, o)
	if err != nil {
		return err
	}
	defer rc.Close()
	if obj.Size != size {
		return fmt.Errorf("%w: size changed", storage.ErrPrecondition)
	}
	// Straight from the body to the file through a small buffer: eight
	// chunks in flight would otherwise hold 64 MiB. Reads waiting on the
	// chunk go ahead as its bytes are written.
	buf, err := c.opts.Budget.Alloc(ctx, int(min(length, downloadBuffer)))
	if err != nil {
		return err
	}
	defer c.opts.Budget.Free(buf)
	var copied int64
	for copied < length {
		m, err := io.ReadFull(rc, buf[:min(int64(len(buf)), length-copied)])
		if m > 0 {
			if _, werr := w.WriteAt(buf[:m], off+copied); werr != nil {
				return fmt.Errorf("read %q at %d: %w", v.Key, off, werr)
			}
			copied += int64(m)
			if got != nil {
				got(off, copied)
			}
		}
		if err != nil && copied < length {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read %q at %d: %w", v.Key, off, err)
		}
	}
	return nil
}

// putFile uploads size bytes of r to key: one PUT when small, otherwise a
// multipart upload with parallel parts. Nothing becomes visible unless
// every part succeeded.
func (c *Cache) putFile(ctx context.Context, key string, r io.ReaderAt, size int64, md map[string]string) (storage.Object, error) {
	if max := c.caps.MaxObjectSize(); max > 0 && size > max {
		return storage.Object{}, ErrTooBig
	}
	part := c.partSize(size)
	if size <= part || (c.caps.MaxPutSize > 0 && size <= min(c.caps.MaxPutSize, 2*part)) {
		return c.b.Put(ctx, key, io.NewSectionReader(r, 0, size), storage.PutOptions{Metadata: md})
	}
	up, release, err := c.startUpload(ctx, key, md)
	if err != nil {
		return storage.Object{}, err
	}
	return c.completeUpload(ctx, key, up, release, r, nil, 0, size, func(int) int64 { return part })
}

// startUpload creates a multipart upload of key and records it in the
// upload journal; release forgets the record once the upload is completed
// or aborted.
func (c *Cache) startUpload(ctx context.Context, key string, md map[string]string) (up storage.Upload, release func(), err error) {
	up, err = c.b.CreateUpload(ctx, key, storage.PutOptions{Metadata: md})
	if err != nil {
		return nil, nil, err
	}
	release, err = c.Track(ctx, key, up)
	if err != nil {
		c.abortUpload(ctx, key, up, func() {})
		return nil, nil, err
	}
	return up, release, nil
}

// errPartLimit says the bytes left of an upload do not fit in the parts
// the store allows.
var errPartLimit = errors.New("multipart upload: out of parts")

// completeUpload sends the bytes of r from off to end as the parts of up
// that follow sent (numbered on from len(sent)+1, partLen(n) bytes each,
// the last one shorter), a few at once, and completes the upload with
// sent and them. On failure it aborts the upload; on success it releases
// its record.
func (c *Cache) completeUpload(ctx context.Context, key string, up storage.Upload, release func(),
	r io.ReaderAt, sent []storage.Part, off, end int64, partLen func(n int) int64) (storage.Object, error) {
	// Lay the parts out first: the uploads fill in a slice that no longer
	// grows.
	var starts []int64
	for at := off; at < end; {
		l := partLen(len(sent) + len(starts) + 1)
		if l <= 0 {
			c.abortUpload(ctx, key, up, release)
			return storage.Object{}, errPartLimit
		}
		starts = append(starts, at)
		at += l
	}
	parts := append(slices.Clip(sent), make([]storage.Part, len(starts))...)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for i, at := range starts {
		n := len(sent) + i + 1
		g.Go(func() error {
			p, err := up.WritePart(gctx, n, io.NewSectionReader(r, at, min(partLen(n), end-at)))
			parts[n-1] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		c.abortUpload(ctx, key, up, release)
		return storage.Object{}, err
	}
	obj, err := up.Complete(ctx, parts)
	if err != nil {
		c.abortUpload(ctx, key, up, release)
		return storage.Object{}, err
	}
	release()
	return obj, nil
}

// abortUpload discards a failed multipart upload and, once that worked,
// its record; a record whose abort failed is retried at the next mount.
func (c *Cache) abortUpload(ctx context.Context, key string, up storage.Upload, release func()) {
	if err := up.Abort(context.WithoutCancel(ctx)); err != nil {
		c.log.Warn("abort of failed multipart upload", "path", key, "err", err)
		return
	}
	release()
}

// partSize picks a part size that keeps an upload of size bytes within the
// store's part-count limit.
func (c *Cache) partSize(size int64) int64 {
	part := max(c.opts.PartSize, c.caps.MinPartSize)
	if c.caps.MaxParts > 0 {
		need := (size + int64(c.caps.MaxParts) - 1) / int64(c.caps.MaxParts)
		if need > part {
			const mib = 1 << 20
			part = (need + mib - 1) / mib * mib
		}
	}
	return part
}
