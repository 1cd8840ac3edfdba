package dirstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// upload keeps its parts as files in a staging directory of its own until
// Complete joins them into the object.
type upload struct {
	s    *Store
	key  string
	opts storage.PutOptions // metadata already normalised
	dir  string

	// mu guards parts and done, and orders renames of part files.
	mu    sync.Mutex
	parts map[int]partInfo
	done  bool // completed or aborted
}

type partInfo struct {
	etag string
	size int64
}

var errNoUpload = errors.New("upload was completed or aborted")

// CreateUpload starts a multipart upload of key.
func (s *Store) CreateUpload(ctx context.Context, key string, opts storage.PutOptions) (storage.Upload, error) {
	if err := s.begin(ctx, "upload", key); err != nil {
		return nil, err
	}
	meta, err := keyspace.Metadata("upload", key, opts.Metadata, s.caps.MaxMetadataBytes)
	if err != nil {
		return nil, err
	}
	opts.Metadata = meta
	dir, err := os.MkdirTemp(s.uploadsDir, "up-")
	if err != nil {
		return nil, wrapErr("upload", key, err)
	}
	return &upload{s: s, key: key, opts: opts, dir: dir, parts: map[int]partInfo{}}, nil
}

func (u *upload) partPath(n int) string {
	return filepath.Join(u.dir, fmt.Sprintf("part-%05d", n))
}

// WritePart stores part n, replacing an earlier part with that number.
func (u *upload) WritePart(ctx context.Context, n int, body io.ReadSeeker) (storage.Part, error) {
	if err := ctx.Err(); err != nil {
		return storage.Part{}, storage.Errorf("upload", u.key, nil, err)
	}
	if n < 1 || n > u.s.caps.MaxParts {
		return storage.Part{}, storage.Errorf("upload", u.key, nil,
			fmt.Errorf("part number %d outside 1..%d", n, u.s.caps.MaxParts))
	}
	tmp, sum, err := u.s.writeTemp(ctx, u.dir, "upload", u.key, body, u.s.caps.MaxPartSize)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return storage.Part{}, storage.Errorf("upload", u.key, storage.ErrNotFound, errNoUpload)
		}
		return storage.Part{}, err
	}
	fi, err := os.Stat(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return storage.Part{}, wrapErr("upload", u.key, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		_ = os.Remove(tmp)
		return storage.Part{}, storage.Errorf("upload", u.key, storage.ErrNotFound, errNoUpload)
	}
	if err := os.Rename(tmp, u.partPath(n)); err != nil {
		_ = os.Remove(tmp)
		return storage.Part{}, wrapErr("upload", u.key, err)
	}
	u.parts[n] = partInfo{etag: sum, size: fi.Size()}
	return storage.Part{Number: n, ETag: sum, Size: fi.Size()}, nil
}

// Complete joins the listed parts, sorted by number, into the object. Like
// S3 it checks the parts' ETags and that every part but the last has at
// least MinPartSize bytes; a failed precondition leaves the upload open.
func (u *upload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf("upload", u.key, nil, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return storage.Object{}, storage.Errorf("upload", u.key, storage.ErrNotFound, errNoUpload)
	}
	sorted, etag, err := u.check(parts)
	if err != nil {
		return storage.Object{}, storage.Errorf("upload", u.key, nil, err)
	}
	tmp, err := u.join(ctx, sorted)
	if err != nil {
		return storage.Object{}, err
	}
	sc := sidecar{ETag: etag, ContentType: u.opts.ContentType, Metadata: u.opts.Metadata}
	obj, err := u.s.commitNew(ctx, "upload", u.key, tmp, sc, u.opts)
	if err != nil {
		return storage.Object{}, err
	}
	u.finish()
	return obj, nil
}

// check validates the part list and computes the S3 multipart ETag. The
// caller holds u.mu.
func (u *upload) check(parts []storage.Part) ([]storage.Part, string, error) {
	if len(parts) == 0 {
		return nil, "", errors.New("no parts")
	}
	sorted := slices.SortedFunc(slices.Values(parts), func(a, b storage.Part) int { return a.Number - b.Number })
	sums := md5.New()
	for i, p := range sorted {
		if i > 0 && p.Number == sorted[i-1].Number {
			return nil, "", fmt.Errorf("part %d listed twice", p.Number)
		}
		got, ok := u.parts[p.Number]
		if !ok || got.etag != p.ETag {
			return nil, "", fmt.Errorf("part %d was not uploaded with ETag %q", p.Number, p.ETag)
		}
		if i < len(sorted)-1 && got.size < u.s.caps.MinPartSize {
			return nil, "", fmt.Errorf("part %d has %d bytes, less than the minimum %d", p.Number, got.size, u.s.caps.MinPartSize)
		}
		raw, _ := hex.DecodeString(got.etag)
		sums.Write(raw)
	}
	return sorted, fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(sorted)), nil
}

// join concatenates the part files into a temporary data file.
func (u *upload) join(ctx context.Context, parts []storage.Part) (string, error) {
	out, err := os.CreateTemp(u.s.tmpDir, "data-")
	if err != nil {
		return "", wrapErr("upload", u.key, err)
	}
	err = func() error {
		for _, p := range parts {
			if err := ctx.Err(); err != nil {
				return err
			}
			in, err := os.Open(u.partPath(p.Number))
			if err != nil {
				return err
			}
			_, err = io.Copy(out, in)
			in.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(out.Name())
		return "", storage.Errorf("upload", u.key, nil, err)
	}
	return out.Name(), nil
}

// Abort discards the parts. Aborting a finished upload does nothing.
func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.finish()
	return nil
}

// finish removes the staging directory. The caller holds u.mu.
func (u *upload) finish() {
	u.done = true
	u.parts = nil
	_ = os.RemoveAll(u.dir)
}
