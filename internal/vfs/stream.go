package vfs

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/a9de3765/cloudfuse/internal/cache/block"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// StreamOptions turns on the streaming data path (block_cache, stream):
// files opened for reading are read through parallel ranged GETs, and new
// or truncated files written from start to end upload as a multipart
// upload while the application writes, all in memory bounded by Budget.
// Anything else (an edit in place, a write out of order, a read of a file
// being written) falls back to staging the file in the cache directory.
type StreamOptions struct {
	Budget            *block.Budget // shared by every reader and writer
	PartSize          int64         // read request and upload part size
	MaxWindow         int64         // read-ahead one open file may hold
	UploadConcurrency int           // parts of one file uploading at once
}

// streaming reports whether the streaming data path is on.
func (v *FS) streaming() bool { return v.opts.Stream != nil }

// newReader opens a streaming reader of the version n describes.
func (v *FS) newReader(n *node) *block.Reader {
	s := v.opts.Stream
	return block.NewReader(v.b, block.ObjectRef{Key: n.key, ETag: n.etag, Size: n.Size},
		block.ReaderOptions{Budget: s.Budget, PartSize: s.PartSize, MaxWindow: s.MaxWindow})
}

// startStream makes f an empty file whose data streams to the store as it
// is written. Caller holds f.mu; f has no staged copy.
func (f *file) startStream() {
	s := f.v.opts.Stream
	f.streamMeta = metaFor(f.attr, f.extra)
	key := f.path
	f.stream = block.NewWriter(f.v.b, key, block.WriterOptions{Budget: s.Budget,
		PartSize: s.PartSize, Concurrency: s.UploadConcurrency,
		Put: storage.PutOptions{Metadata: f.streamMeta},
		Track: func(ctx context.Context, up storage.Upload) (func(), error) {
			return f.v.trackUpload(ctx, key, up)
		}})
	f.attr.Size = 0
	f.dirty = true
	f.emptyStored = false
}

// streamWrite writes at the stream's end. ok is false when the write is
// not sequential and nothing was taken. Caller holds f.mu.
func (f *file) streamWrite(ctx context.Context, data []byte, off int64) (n int, ok bool, err error) {
	n, err = f.stream.WriteAt(ctx, data, off)
	if errors.Is(err, block.ErrNotSequential) {
		return 0, false, nil
	}
	if size := f.stream.Size(); size > f.attr.Size {
		f.attr.Size = size
	}
	if errors.Is(err, storage.ErrTooLarge) {
		err = fmt.Errorf("%w: %w", ErrFileTooBig, err)
	}
	return n, true, err
}

// finishStream completes the streamed upload: the object becomes visible
// with what was written. Attributes changed while streaming (chmod, chown,
// utimens) are applied to the stored object afterwards. Caller holds f.mu.
func (f *file) finishStream(ctx context.Context) error {
	w := f.stream
	f.stream = nil
	f.dirty = false
	obj, err := w.Close(ctx)
	if err != nil {
		f.v.log.Error("streamed upload failed; the data written to this file is lost", "path", f.path, "err", err)
		f.attr.Size = 0
		return storeErr(err)
	}
	f.created = false
	md := metaFor(f.attr, f.extra)
	f.base = &node{Attr: f.attr, key: f.path, etag: obj.ETag, meta: md}
	if !maps.Equal(md, f.streamMeta) {
		nb, err := f.v.setMeta(ctx, f.path, f.base, md)
		if err != nil {
			return err
		}
		f.base = nb
	}
	f.streamMeta = nil
	f.v.meta.put(f.path, f.nodeLocked())
	return nil
}
