package storagetest

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func conditionalCases() []testCase {
	return []testCase{
		{"GetIfMatch", testCondGetIfMatch},
		{"PutIfNoneMatch", testCondPutIfNoneMatch},
		{"ExclusiveCreateRace", testCondCreateRace},
		{"PutIfMatch", testCondPutIfMatch},
	}
}

func testCondGetIfMatch(t *testing.T, b storage.Backend) {
	v1 := MustPut(t, b, "k", []byte("version one"))
	got, _, err := GetBytes(t.Context(), b, "k", storage.GetOptions{Length: -1, IfMatch: v1.ETag})
	if err != nil || string(got) != "version one" {
		t.Fatalf("get with the right ETag: %q %v", got, err)
	}
	got, _, err = GetBytes(t.Context(), b, "k", storage.GetOptions{Offset: 8, Length: 3, IfMatch: v1.ETag})
	if err != nil || string(got) != "one" {
		t.Fatalf("ranged get with the right ETag: %q %v", got, err)
	}
	_, _, err = GetBytes(t.Context(), b, "k", storage.GetOptions{Length: -1, IfMatch: "0123456789abcdef0123456789abcdef"})
	RequireKind(t, err, storage.ErrPrecondition)

	MustPut(t, b, "k", []byte("version two"))
	_, _, err = GetBytes(t.Context(), b, "k", storage.GetOptions{Length: -1, IfMatch: v1.ETag})
	RequireKind(t, err, storage.ErrPrecondition)
	_, _, err = GetBytes(t.Context(), b, "k", storage.GetOptions{Offset: 2, Length: 2, IfMatch: v1.ETag})
	RequireKind(t, err, storage.ErrPrecondition)
}

func testCondPutIfNoneMatch(t *testing.T, b storage.Backend) {
	if !b.Caps().ConditionalCreate {
		t.Skip("store does not honour IfNoneMatch")
	}
	create := storage.PutOptions{IfNoneMatch: "*"}
	MustPutOpts(t, b, "new", []byte("first"), create)
	_, err := b.Put(t.Context(), "new", bytes.NewReader([]byte("second")), create)
	RequireKind(t, err, storage.ErrPrecondition)
	MustContain(t, b, "new", []byte("first"))

	// A marker and an object sharing a prefix are different keys.
	MustPutOpts(t, b, "new/", nil, create)
	MustPutOpts(t, b, "new/child", nil, create)
}

// Of several concurrent exclusive creates of one key, exactly one wins.
func testCondCreateRace(t *testing.T, b storage.Backend) {
	if !b.Caps().ConditionalCreate {
		t.Skip("store does not honour IfNoneMatch")
	}
	const n = 6
	var wins atomic.Int32
	var g errgroup.Group
	for i := range n {
		g.Go(func() error {
			_, err := b.Put(t.Context(), "lock", bytes.NewReader([]byte{byte(i)}), storage.PutOptions{IfNoneMatch: "*"})
			switch {
			case err == nil:
				wins.Add(1)
				return nil
			case errors.Is(err, storage.ErrPrecondition):
				return nil
			default:
				return err
			}
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d of %d exclusive creates succeeded", wins.Load(), n)
	}
}

func testCondPutIfMatch(t *testing.T, b storage.Backend) {
	if !b.Caps().ConditionalWrite {
		t.Skip("store does not honour IfMatch on writes")
	}
	v1 := MustPut(t, b, "k", []byte("one"))
	v2 := MustPutOpts(t, b, "k", []byte("two"), storage.PutOptions{IfMatch: v1.ETag})
	MustContain(t, b, "k", []byte("two"))

	_, err := b.Put(t.Context(), "k", bytes.NewReader([]byte("three")), storage.PutOptions{IfMatch: v1.ETag})
	RequireKind(t, err, storage.ErrPrecondition)
	MustContain(t, b, "k", []byte("two"))

	MustPutOpts(t, b, "k", []byte("three"), storage.PutOptions{IfMatch: v2.ETag})
	MustContain(t, b, "k", []byte("three"))

	_, err = b.Put(t.Context(), "missing", bytes.NewReader([]byte("x")), storage.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, storage.ErrPrecondition) && !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("put IfMatch on a missing key: %v, want ErrPrecondition or ErrNotFound", err)
	}
	MustNotExist(t, b, "missing")
}
