package memstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// readAll reads body up to limit bytes; more is ErrTooLarge.
func readAll(ctx context.Context, op, key string, body io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, storage.Errorf(op, key, nil, err)
	}
	if int64(len(data)) > limit {
		return nil, storage.Errorf(op, key, storage.ErrTooLarge, fmt.Errorf("more than %d bytes", limit))
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.Errorf(op, key, nil, err)
	}
	return data, nil
}

func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// Put stores body as the whole object.
func (s *Store) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	if err := s.begin(ctx, "put", key); err != nil {
		return storage.Object{}, err
	}
	meta, err := keyspace.Metadata("put", key, opts.Metadata, s.caps.MaxMetadataBytes)
	if err != nil {
		return storage.Object{}, err
	}
	data, err := readAll(ctx, "put", key, body, s.caps.MaxPutSize)
	if err != nil {
		return storage.Object{}, err
	}
	o := &object{data: data, etag: md5Hex(data), contentType: opts.ContentType, meta: meta}
	return s.commit(ctx, "put", key, o, opts)
}

// commit stores o at key if the preconditions in opts hold.
func (s *Store) commit(ctx context.Context, op, key string, o *object, opts storage.PutOptions) (storage.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.Object{}, storage.Errorf(op, key, nil, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf(op, key, nil, err)
	}
	if err := checkWrite(op, key, s.objects[key], opts); err != nil {
		return storage.Object{}, err
	}
	o.modified = s.now()
	s.set(key, o)
	return o.describe(key, true), nil
}

// Get opens a range of the object. The reader sees the version current at
// the call even if the key is overwritten while reading.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return nil, storage.Object{}, err
	}
	s.mu.RLock()
	o, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrNotFound, nil)
	}
	if opts.IfMatch != "" && opts.IfMatch != o.etag {
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrPrecondition, errors.New("etag does not match"))
	}
	start, end, err := keyspace.Clip(int64(len(o.data)), opts)
	if err != nil {
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrInvalidRange, err)
	}
	return io.NopCloser(bytes.NewReader(o.data[start:end])), o.describe(key, true), nil
}

// Copy copies src to dst in memory; the copy shares src's ETag because it
// has the same data.
func (s *Store) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	if err := s.begin(ctx, "copy", src); err != nil {
		return storage.Object{}, err
	}
	if err := keyspace.CheckKey("copy", dst, s.caps.MaxKeyLen); err != nil {
		return storage.Object{}, err
	}
	var meta map[string]string
	if opts.Metadata != nil {
		var err error
		if meta, err = keyspace.Metadata("copy", dst, opts.Metadata, s.caps.MaxMetadataBytes); err != nil {
			return storage.Object{}, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[src]
	if !ok {
		return storage.Object{}, storage.Errorf("copy", src, storage.ErrNotFound, nil)
	}
	if opts.IfMatch != "" && opts.IfMatch != o.etag {
		return storage.Object{}, storage.Errorf("copy", src, storage.ErrPrecondition, errors.New("etag does not match"))
	}
	c := &object{data: o.data, etag: o.etag, modified: s.now(), contentType: o.contentType, meta: o.meta}
	if opts.Metadata != nil {
		c.meta = meta
	}
	if opts.ContentType != "" {
		c.contentType = opts.ContentType
	}
	s.set(dst, c)
	return c.describe(dst, true), nil
}
