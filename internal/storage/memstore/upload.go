package memstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// upload is a multipart upload held in memory until Complete.
type upload struct {
	s         *Store
	key       string
	id        string             // what ListUploads shows and AbortUpload takes
	initiated time.Time          // by the store's clock
	opts      storage.PutOptions // metadata already normalised

	// mu guards parts and done. Lock order: upload.mu before Store.mu.
	mu    sync.Mutex
	parts map[int]uploadedPart
	done  bool // completed or aborted
}

type uploadedPart struct {
	data []byte
	etag string
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
	u := &upload{s: s, key: key, id: newUploadID(), initiated: s.now(), opts: opts,
		parts: map[int]uploadedPart{}}
	s.mu.Lock()
	s.uploads[u] = struct{}{}
	s.mu.Unlock()
	return u, nil
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
	data, err := readAll(ctx, "upload", u.key, body, u.s.caps.MaxPartSize)
	if err != nil {
		return storage.Part{}, err
	}
	p := uploadedPart{data: data, etag: md5Hex(data)}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return storage.Part{}, storage.Errorf("upload", u.key, storage.ErrNotFound, errNoUpload)
	}
	u.parts[n] = p
	return storage.Part{Number: n, ETag: p.etag, Size: int64(len(data))}, nil
}

// Complete assembles the listed parts, sorted by number, into the object.
// Like S3 it checks the parts' ETags and that every part but the last has
// at least MinPartSize bytes; a failed precondition leaves the upload open.
func (u *upload) Complete(ctx context.Context, parts []storage.Part) (storage.Object, error) {
	if err := ctx.Err(); err != nil {
		return storage.Object{}, storage.Errorf("upload", u.key, nil, err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return storage.Object{}, storage.Errorf("upload", u.key, storage.ErrNotFound, errNoUpload)
	}
	data, etag, err := u.assemble(parts)
	if err != nil {
		return storage.Object{}, storage.Errorf("upload", u.key, nil, err)
	}
	o := &object{data: data, etag: etag, contentType: u.opts.ContentType, meta: u.opts.Metadata}
	obj, err := u.s.commit(ctx, "upload", u.key, o, u.opts)
	if err != nil {
		return storage.Object{}, err
	}
	u.finish()
	return obj, nil
}

// assemble joins the listed parts and computes the S3 multipart ETag. The
// caller holds u.mu.
func (u *upload) assemble(parts []storage.Part) ([]byte, string, error) {
	if len(parts) == 0 {
		return nil, "", errors.New("no parts")
	}
	sorted := slices.SortedFunc(slices.Values(parts), func(a, b storage.Part) int { return a.Number - b.Number })
	var buf bytes.Buffer
	sums := md5.New()
	for i, p := range sorted {
		if i > 0 && p.Number == sorted[i-1].Number {
			return nil, "", fmt.Errorf("part %d listed twice", p.Number)
		}
		got, ok := u.parts[p.Number]
		if !ok || got.etag != p.ETag {
			return nil, "", fmt.Errorf("part %d was not uploaded with ETag %q", p.Number, p.ETag)
		}
		if i < len(sorted)-1 && int64(len(got.data)) < u.s.caps.MinPartSize {
			return nil, "", fmt.Errorf("part %d has %d bytes, less than the minimum %d", p.Number, len(got.data), u.s.caps.MinPartSize)
		}
		buf.Write(got.data)
		raw, _ := hex.DecodeString(got.etag)
		sums.Write(raw)
	}
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(sorted))
	return buf.Bytes(), etag, nil
}

// Abort discards the parts. Aborting a finished upload does nothing.
func (u *upload) Abort(ctx context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.done {
		u.finish()
	}
	return nil
}

// finish drops the parts and forgets the upload. The caller holds u.mu.
func (u *upload) finish() {
	u.done = true
	u.parts = nil
	u.s.mu.Lock()
	delete(u.s.uploads, u)
	u.s.mu.Unlock()
}
