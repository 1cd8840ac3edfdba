package storagetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func errorCases() []testCase {
	return []testCase{
		{"NotFound", testErrorsNotFound},
		{"CanceledContext", testErrorsCanceled},
		{"EmptyStore", testErrorsEmptyStore},
	}
}

func testErrorsNotFound(t *testing.T, b storage.Backend) {
	ctx := t.Context()
	MustPut(t, b, "dir/present", []byte("x"))

	for _, k := range []string{"missing", "dir", "dir/", "dir/present/", "dir/pres"} {
		_, err := b.Head(ctx, k)
		RequireKind(t, err, storage.ErrNotFound)
		_, _, err = b.Get(ctx, k, storage.GetOptions{Length: -1})
		RequireKind(t, err, storage.ErrNotFound)
		_, _, err = b.Get(ctx, k, storage.GetOptions{Offset: 1, Length: 1})
		RequireKind(t, err, storage.ErrNotFound)
	}
	_, err := b.Copy(ctx, "missing", "dst", storage.CopyOptions{})
	RequireKind(t, err, storage.ErrNotFound)
	MustNotExist(t, b, "dst")

	_, _, err = b.Get(ctx, "missing", storage.GetOptions{Length: -1, IfMatch: "abc"})
	if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("get of a missing key with IfMatch: %v, want ErrNotFound or ErrPrecondition", err)
	}
}

func testErrorsCanceled(t *testing.T, b storage.Backend) {
	MustPut(t, b, "k", []byte("x"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := b.Head(ctx, "k")
	requireCanceled(t, "head", err)
	_, err = b.List(ctx, storage.ListOptions{})
	requireCanceled(t, "list", err)
	rc, _, err := b.Get(ctx, "k", storage.GetOptions{Length: -1})
	if err == nil {
		rc.Close()
	}
	requireCanceled(t, "get", err)
	_, err = b.Put(ctx, "new", bytes.NewReader([]byte("y")), storage.PutOptions{})
	requireCanceled(t, "put", err)
	MustNotExist(t, b, "new")
	_, err = b.Copy(ctx, "k", "copy", storage.CopyOptions{})
	requireCanceled(t, "copy", err)
	MustNotExist(t, b, "copy")
	requireCanceled(t, "delete", b.Delete(ctx, "k"))
	MustContain(t, b, "k", []byte("x"))
}

func requireCanceled(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%s with a canceled context: %v, want context.Canceled", op, err)
	}
}

func testErrorsEmptyStore(t *testing.T, b storage.Backend) {
	for _, opts := range []storage.ListOptions{
		{},
		{Delimiter: "/"},
		{Prefix: "nothing/", Delimiter: "/"},
		{StartAfter: "m"},
		{MaxKeys: 1},
	} {
		p, err := b.List(t.Context(), opts)
		if err != nil {
			t.Fatalf("list %+v of an empty store: %v", opts, err)
		}
		if len(p.Objects) != 0 || len(p.CommonPrefixes) != 0 || p.NextToken != "" {
			t.Fatalf("list %+v of an empty store: %+v", opts, p)
		}
	}
}
