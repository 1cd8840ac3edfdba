package storagetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Data returns n deterministic pseudo-random bytes; different seeds give
// different contents.
func Data(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	out := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(out)
	return out
}

// MustPut stores data at key and fails the test on error.
func MustPut(t testing.TB, b storage.Backend, key string, data []byte) storage.Object {
	t.Helper()
	return MustPutOpts(t, b, key, data, storage.PutOptions{})
}

// MustPutOpts stores data at key with options and fails the test on error.
func MustPutOpts(t testing.TB, b storage.Backend, key string, data []byte, opts storage.PutOptions) storage.Object {
	t.Helper()
	obj, err := b.Put(t.Context(), key, bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return obj
}

// MustPutMany stores every key concurrently (a few at a time); the content
// of each key is the key itself.
func MustPutMany(t testing.TB, b storage.Backend, keys []string) {
	t.Helper()
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(32)
	for _, k := range keys {
		g.Go(func() error {
			if _, err := b.Put(ctx, k, bytes.NewReader([]byte(k)), storage.PutOptions{}); err != nil {
				return fmt.Errorf("put %q: %w", k, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// MustHead returns the object's attributes and fails the test on error.
func MustHead(t testing.TB, b storage.Backend, key string) storage.Object {
	t.Helper()
	obj, err := b.Head(t.Context(), key)
	if err != nil {
		t.Fatalf("head %q: %v", key, err)
	}
	return obj
}

// GetBytes reads a range of an object into memory.
func GetBytes(ctx context.Context, b storage.Backend, key string, opts storage.GetOptions) ([]byte, storage.Object, error) {
	rc, obj, err := b.Get(ctx, key, opts)
	if err != nil {
		return nil, obj, err
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return data, obj, err
}

// MustGet reads the whole object and fails the test on error.
func MustGet(t testing.TB, b storage.Backend, key string) []byte {
	t.Helper()
	data, _, err := GetBytes(t.Context(), b, key, storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return data
}

// MustContain fails the test unless key holds exactly want.
func MustContain(t testing.TB, b storage.Backend, key string, want []byte) {
	t.Helper()
	got := MustGet(t, b, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("get %q: got %d bytes %s, want %d bytes %s", key, len(got), short(got), len(want), short(want))
	}
}

// MustNotExist fails the test unless Head and Get of key report ErrNotFound.
func MustNotExist(t testing.TB, b storage.Backend, key string) {
	t.Helper()
	_, err := b.Head(t.Context(), key)
	RequireKind(t, err, storage.ErrNotFound)
	_, _, err = GetBytes(t.Context(), b, key, storage.GetOptions{Length: -1})
	RequireKind(t, err, storage.ErrNotFound)
}

// RequireKind fails the test unless err is a *storage.Error that matches
// kind with errors.Is.
func RequireKind(t testing.TB, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one matching %v", err, kind)
	}
	var se *storage.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *storage.Error", err, err)
	}
}

// ListAll follows continuation tokens to the end of a listing. It fails
// when a store repeats a token or never ends.
func ListAll(ctx context.Context, b storage.Backend, opts storage.ListOptions) ([]storage.Object, []string, error) {
	var objs []storage.Object
	var prefixes []string
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page > 100000 {
			return nil, nil, errors.New("listing did not end after 100000 pages")
		}
		p, err := b.List(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, p.Objects...)
		prefixes = append(prefixes, p.CommonPrefixes...)
		if p.NextToken == "" {
			return objs, prefixes, nil
		}
		if seen[p.NextToken] {
			return nil, nil, fmt.Errorf("listing repeated continuation token %q", p.NextToken)
		}
		seen[p.NextToken] = true
		opts.ContinuationToken = p.NextToken
		opts.StartAfter = ""
	}
}

// MustListAll is ListAll that fails the test on error.
func MustListAll(t testing.TB, b storage.Backend, opts storage.ListOptions) ([]storage.Object, []string) {
	t.Helper()
	objs, prefixes, err := ListAll(t.Context(), b, opts)
	if err != nil {
		t.Fatalf("list %+v: %v", opts, err)
	}
	return objs, prefixes
}

// Keys returns the keys of objs in order.
func Keys(objs []storage.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}

// MustUpload builds key from parts with a multipart upload, writing the
// parts concurrently, and fails the test on error.
func MustUpload(t testing.TB, b storage.Backend, key string, parts [][]byte, opts storage.PutOptions) storage.Object {
	t.Helper()
	ctx := t.Context()
	up, err := b.CreateUpload(ctx, key, opts)
	if err != nil {
		t.Fatalf("create upload %q: %v", key, err)
	}
	done := make([]storage.Part, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range parts {
		g.Go(func() error {
			part, err := up.WritePart(gctx, i+1, bytes.NewReader(p))
			if err != nil {
				return fmt.Errorf("write part %d of %q: %w", i+1, key, err)
			}
			done[i] = part
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		_ = up.Abort(ctx)
		t.Fatal(err)
	}
	obj, err := up.Complete(ctx, done)
	if err != nil {
		_ = up.Abort(ctx)
		t.Fatalf("complete upload %q: %v", key, err)
	}
	return obj
}

// PartSize is the part size the suite uses for full parts: the store's
// MinPartSize, or 64 KiB where the store has no minimum.
func PartSize(c storage.Caps) int {
	if c.MinPartSize <= 0 {
		return 64 << 10
	}
	return int(c.MinPartSize)
}

// EqualMetadata reports whether two metadata maps hold the same entries; a
// nil and an empty map are equal.
func EqualMetadata(a, b map[string]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.Equal(a, b)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func short(b []byte) string {
	if len(b) > 32 {
		return fmt.Sprintf("%q...", b[:32])
	}
	return fmt.Sprintf("%q", b)
}
