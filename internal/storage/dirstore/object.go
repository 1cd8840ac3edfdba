package dirstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeTemp copies at most limit bytes of body into a new temporary file
// and returns its path and the MD5 of its content. On error nothing is
// left behind.
func (s *Store) writeTemp(ctx context.Context, dir, op, key string, body io.Reader, limit int64) (path, sum string, err error) {
	f, err := os.CreateTemp(dir, "data-")
	if err != nil {
		return "", "", wrapErr(op, key, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, body}, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", wrapErr(op, key, err)
	}
	if n > limit {
		return "", "", storage.Errorf(op, key, storage.ErrTooLarge, fmt.Errorf("more than %d bytes", limit))
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// commit moves the finished temporary data file tmp into place as key with
// sidecar sc, if the preconditions in opts hold; tmp is gone afterwards
// either way. fi describes tmp.
func (s *Store) commit(ctx context.Context, op, key, tmp string, fi fs.FileInfo, sc sidecar, opts storage.PutOptions) (storage.Object, error) {
	obj, err := s.commitLocked(ctx, op, key, tmp, fi, sc, opts)
	if err != nil {
		_ = os.Remove(tmp)
	}
	return obj, err
}

func (s *Store) commitLocked(ctx context.Context, op, key, tmp string, fi fs.FileInfo, sc sidecar, opts storage.PutOptions) (storage.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.Object{}, storage.Errorf(op, key, nil, errClosed)
	}
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf(op, key, nil, err)
	}
	if opts.IfNoneMatch == "*" || opts.IfMatch != "" {
		if err := s.checkWrite(op, key, opts); err != nil {
			return storage.Object{}, err
		}
	}
	l, err := s.prepare(key)
	if err != nil {
		return storage.Object{}, wrapErr(op, key, err)
	}
	if err := os.Rename(tmp, l.data); err != nil {
		return storage.Object{}, wrapErr(op, key, err)
	}
	if err := s.writeSidecar(l.meta, sc); err != nil {
		return storage.Object{}, wrapErr(op, key, err)
	}
	return describe(key, fi, sc), nil
}

// checkWrite applies Put preconditions. The caller holds s.mu.
func (s *Store) checkWrite(op, key string, opts storage.PutOptions) error {
	fi, sc, err := statObject(op, key, s.locate(key))
	exists := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if opts.IfNoneMatch == "*" && exists {
		return storage.Errorf(op, key, storage.ErrPrecondition, errors.New("key exists"))
	}
	if opts.IfMatch != "" {
		if !exists {
			return storage.Errorf(op, key, storage.ErrNotFound, errors.New("if-match on a missing key"))
		}
		if describe(key, fi, sc).ETag != opts.IfMatch {
			return storage.Errorf(op, key, storage.ErrPrecondition, errors.New("etag does not match"))
		}
	}
	return nil
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
	tmp, sum, err := s.writeTemp(ctx, s.tmpDir, "put", key, body, s.caps.MaxPutSize)
	if err != nil {
		return storage.Object{}, err
	}
	return s.commitNew(ctx, "put", key, tmp, sidecar{ETag: sum, ContentType: opts.ContentType, Metadata: meta}, opts)
}

// commitNew stamps tmp with the current time, completes sc with its size
// and time, and commits it.
func (s *Store) commitNew(ctx context.Context, op, key, tmp string, sc sidecar, opts storage.PutOptions) (storage.Object, error) {
	fi, err := stamp(tmp, time.Now())
	if err != nil {
		_ = os.Remove(tmp)
		return storage.Object{}, wrapErr(op, key, err)
	}
	sc.Size, sc.MTime = fi.Size(), fi.ModTime().UnixNano()
	return s.commit(ctx, op, key, tmp, fi, sc, opts)
}

// Head returns the object's attributes and metadata.
func (s *Store) Head(ctx context.Context, key string) (storage.Object, error) {
	if err := s.begin(ctx, "head", key); err != nil {
		return storage.Object{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	fi, sc, err := statObject("head", key, s.locate(key))
	if err != nil {
		return storage.Object{}, err
	}
	return describe(key, fi, sc), nil
}

// open opens the current version of key for reading.
func (s *Store) open(op, key string) (*os.File, storage.Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.locate(key)
	f, err := os.Open(l.data)
	if err != nil {
		return nil, storage.Object{}, wrapErr(op, key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = storage.Errorf(op, key, storage.ErrNotFound, errors.New("not a regular file"))
	}
	if err != nil {
		f.Close()
		return nil, storage.Object{}, wrapErr(op, key, err)
	}
	return f, describe(key, fi, readSidecar(l.meta)), nil
}

// fileReader reads a range of an open file and closes it.
type fileReader struct {
	io.Reader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

// Get opens a range of the object. The reader keeps the version it opened
// even if the key is overwritten meanwhile.
func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	if err := s.begin(ctx, "get", key); err != nil {
		return nil, storage.Object{}, err
	}
	f, obj, err := s.open("get", key)
	if err != nil {
		return nil, storage.Object{}, err
	}
	if opts.IfMatch != "" && opts.IfMatch != obj.ETag {
		f.Close()
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrPrecondition, errors.New("etag does not match"))
	}
	start, end, err := keyspace.Clip(obj.Size, opts)
	if err != nil {
		f.Close()
		return nil, storage.Object{}, storage.Errorf("get", key, storage.ErrInvalidRange, err)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		f.Close()
		return nil, storage.Object{}, wrapErr("get", key, err)
	}
	return &fileReader{Reader: io.LimitReader(f, end-start), f: f}, obj, nil
}

// Copy copies src to dst. The copy keeps src's ETag: it has the same data.
func (s *Store) Copy(ctx context.Context, src, dst string, opts storage.CopyOptions) (storage.Object, error) {
	if err := s.begin(ctx, "copy", src); err != nil {
		return storage.Object{}, err
	}
	if err := s.checkKey("copy", dst); err != nil {
		return storage.Object{}, err
	}
	meta, err := keyspace.Metadata("copy", dst, opts.Metadata, s.caps.MaxMetadataBytes)
	if err != nil {
		return storage.Object{}, err
	}
	if src == dst {
		return s.copyInPlace(ctx, src, meta, opts)
	}
	f, obj, err := s.open("copy", src)
	if err != nil {
		return storage.Object{}, err
	}
	defer f.Close()
	if opts.IfMatch != "" && opts.IfMatch != obj.ETag {
		return storage.Object{}, storage.Errorf("copy", src, storage.ErrPrecondition, errors.New("etag does not match"))
	}
	tmp, _, err := s.writeTemp(ctx, s.tmpDir, "copy", dst, f, s.caps.MaxPutSize)
	if err != nil {
		return storage.Object{}, err
	}
	return s.commitNew(ctx, "copy", dst, tmp, copySidecar(obj, meta, opts), storage.PutOptions{})
}

// copySidecar is the sidecar of a copy of obj.
func copySidecar(obj storage.Object, meta map[string]string, opts storage.CopyOptions) sidecar {
	sc := sidecar{ETag: obj.ETag, ContentType: obj.ContentType, Metadata: obj.Metadata}
	if opts.Metadata != nil {
		sc.Metadata = meta
	}
	if opts.ContentType != "" {
		sc.ContentType = opts.ContentType
	}
	return sc
}

// copyInPlace changes only the sidecar: the data stays, and so does its
// ETag.
func (s *Store) copyInPlace(ctx context.Context, key string, meta map[string]string, opts storage.CopyOptions) (storage.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf("copy", key, nil, err)
	}
	l := s.locate(key)
	fi, sc, err := statObject("copy", key, l)
	if err != nil {
		return storage.Object{}, err
	}
	obj := describe(key, fi, sc)
	if opts.IfMatch != "" && opts.IfMatch != obj.ETag {
		return storage.Object{}, storage.Errorf("copy", key, storage.ErrPrecondition, errors.New("etag does not match"))
	}
	nsc := copySidecar(obj, meta, opts)
	nsc.Size, nsc.MTime = fi.Size(), fi.ModTime().UnixNano()
	if err := s.writeSidecar(l.meta, nsc); err != nil {
		return storage.Object{}, wrapErr("copy", key, err)
	}
	return describe(key, fi, nsc), nil
}

// Delete removes key and the directories it leaves empty; a missing key is
// not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, "delete", key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return storage.Errorf("delete", key, nil, errClosed)
	}
	l := s.locate(key)
	fi, err := os.Lstat(l.data)
	if err != nil && kindOf(err) == storage.ErrNotFound {
		return nil
	}
	if err != nil {
		return wrapErr("delete", key, err)
	}
	if fi.IsDir() {
		return nil
	}
	if err := os.Remove(l.data); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrapErr("delete", key, err)
	}
	_ = os.Remove(l.meta)
	s.prune(filepath.Dir(l.data))
	return nil
}
