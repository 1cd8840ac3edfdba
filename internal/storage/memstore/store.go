// Package memstore is an in-memory storage.Backend with S3's behaviour:
// MD5 ETags (MD5-of-MD5s with a "-N" suffix for multipart objects), S3's
// limits, conditional creates and writes, and multipart uploads that stay
// invisible until completed. It backs unit tests and `--backend mem` demos.
package memstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/internal/keyspace"
)

// DefaultMinPartSize is S3's smallest part but the last.
const DefaultMinPartSize = 5 << 20

// Options configures a Store.
type Options struct {
	// MinPartSize is the smallest allowed part but the last; 0 means
	// DefaultMinPartSize. Tests that push many uploads may lower it.
	MinPartSize int64
	// ListMetadata makes listings carry user metadata, as Azure's do.
	ListMetadata bool
	// Now is the clock for LastModified; nil means time.Now.
	Now func() time.Time
}

// Store is an in-memory object store, safe for concurrent use.
type Store struct {
	caps storage.Caps
	now  func() time.Time

	// mu guards every field below. Object data is never modified once
	// stored, so readers keep slices of it after unlocking.
	mu      sync.RWMutex
	objects map[string]*object
	keys    []string // sorted keys of objects
	uploads map[*upload]struct{}
	closed  bool
}

// object is one stored version; immutable once in the map.
type object struct {
	data        []byte
	etag        string
	modified    time.Time
	contentType string
	meta        map[string]string
}

var errClosed = errors.New("store is closed")

// New returns an empty store.
func New(opts Options) *Store {
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = DefaultMinPartSize
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{
		caps: storage.Caps{
			Name:              "mem",
			MaxKeyLen:         1024,
			MinPartSize:       opts.MinPartSize,
			MaxPartSize:       5 << 30,
			MaxParts:          10000,
			MaxPutSize:        5 << 30,
			MaxMetadataBytes:  2048,
			ConditionalCreate: true,
			ConditionalWrite:  true,
			ListMetadata:      opts.ListMetadata,
		},
		now:     opts.Now,
		objects: map[string]*object{},
		uploads: map[*upload]struct{}{},
	}
}

// Caps describes the store's limits, which follow S3's.
func (s *Store) Caps() storage.Caps { return s.caps }

// Close makes every later call fail. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.uploads = map[*upload]struct{}{}
	return nil
}

// PendingUploads counts multipart uploads neither completed nor aborted,
// so tests can check that callers never leak one.
func (s *Store) PendingUploads() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.uploads)
}

// begin checks the context, the key (except for listings, whose key is a
// prefix) and that the store is open.
func (s *Store) begin(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return storage.Errorf(op, key, nil, err)
	}
	if op != "list" {
		if err := keyspace.CheckKey(op, key, s.caps.MaxKeyLen); err != nil {
			return err
		}
	}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return storage.Errorf(op, key, nil, errClosed)
	}
	return nil
}

func (o *object) describe(key string, withMeta bool) storage.Object {
	obj := storage.Object{
		Key:          key,
		Size:         int64(len(o.data)),
		ETag:         o.etag,
		LastModified: o.modified,
		ContentType:  o.contentType,
	}
	if withMeta {
		obj.Metadata = keyspace.CloneMetadata(o.meta)
	}
	return obj
}

// set stores o at key. The caller holds s.mu for writing.
func (s *Store) set(key string, o *object) {
	if _, ok := s.objects[key]; !ok {
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	s.objects[key] = o
}

// checkWrite applies Put preconditions to the current version cur (nil when
// missing). The caller holds s.mu.
func checkWrite(op, key string, cur *object, opts storage.PutOptions) error {
	if opts.IfNoneMatch == "*" && cur != nil {
		return storage.Errorf(op, key, storage.ErrPrecondition, errors.New("key exists"))
	}
	if opts.IfMatch != "" {
		if cur == nil {
			return storage.Errorf(op, key, storage.ErrNotFound, errors.New("if-match on a missing key"))
		}
		if cur.etag != opts.IfMatch {
			return storage.Errorf(op, key, storage.ErrPrecondition, errors.New("etag does not match"))
		}
	}
	return nil
}

// Head returns the object's attributes and metadata.
func (s *Store) Head(ctx context.Context, key string) (storage.Object, error) {
	if err := s.begin(ctx, "head", key); err != nil {
		return storage.Object{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.objects[key]
	if !ok {
		return storage.Object{}, storage.Errorf("head", key, storage.ErrNotFound, nil)
	}
	return o.describe(key, true), nil
}

// Delete removes key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, "delete", key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[key]; !ok {
		return nil
	}
	delete(s.objects, key)
	if i, ok := slices.BinarySearch(s.keys, key); ok {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
	return nil
}
