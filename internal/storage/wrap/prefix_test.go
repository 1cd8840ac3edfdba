package wrap_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// newNeighbourhood returns a memory store already holding keys around
// "mnt/sub/" that a view of that prefix must never show.
func newNeighbourhood(t testing.TB) *memstore.Store {
	t.Helper()
	inner := memstore.New(memstore.Options{MinPartSize: 64 << 10})
	for _, k := range []string{"mnt/sub", "mnt/sub/", "mnt/subx", "mnt/su", "mnt/", "a", "zzz/mnt/sub/x"} {
		storagetest.MustPut(t, inner, k, []byte("outside"))
	}
	return inner
}

func TestPrefixConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b := wrap.Prefix(newNeighbourhood(t), "mnt/sub")
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func TestPrefixMapsKeys(t *testing.T) {
	inner := newNeighbourhood(t)
	for _, p := range []string{"mnt/sub", "/mnt/sub/", "mnt/sub/"} {
		v := wrap.Prefix(inner, p)
		storagetest.MustPut(t, v, "d/f", []byte("in view"))
		storagetest.MustContain(t, inner, "mnt/sub/d/f", []byte("in view"))
		if h := storagetest.MustHead(t, v, "d/f"); h.Key != "d/f" {
			t.Fatalf("prefix %q: head key %q", p, h.Key)
		}
		objs, prefixes := storagetest.MustListAll(t, v, storage.ListOptions{Delimiter: "/"})
		if len(objs) != 0 || !slices.Equal(prefixes, []string{"d/"}) {
			t.Fatalf("prefix %q: root listing %q %q", p, storagetest.Keys(objs), prefixes)
		}
		objs, _ = storagetest.MustListAll(t, v, storage.ListOptions{StartAfter: "a"})
		if got := storagetest.Keys(objs); !slices.Equal(got, []string{"d/f"}) {
			t.Fatalf("prefix %q: listing after a: %q", p, got)
		}
		objs, _ = storagetest.MustListAll(t, v, storage.ListOptions{StartAfter: "d/f"})
		if len(objs) != 0 {
			t.Fatalf("prefix %q: listing after d/f: %q", p, storagetest.Keys(objs))
		}
		if _, err := v.Copy(t.Context(), "d/f", "d/g", storage.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		storagetest.MustContain(t, inner, "mnt/sub/d/g", []byte("in view"))
		for _, k := range []string{"d/f", "d/g"} {
			if err := v.Delete(t.Context(), k); err != nil {
				t.Fatal(err)
			}
		}
	}
	up, err := wrap.Prefix(inner, "mnt/sub").CreateUpload(t.Context(), "mp", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := up.WritePart(t.Context(), 1, strings.NewReader("part"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := up.Complete(t.Context(), []storage.Part{p})
	if err != nil || obj.Key != "mp" {
		t.Fatalf("complete: %+v %v", obj, err)
	}
	storagetest.MustContain(t, inner, "mnt/sub/mp", []byte("part"))

	if c := wrap.Prefix(inner, "mnt/sub").Caps(); c.MaxKeyLen != inner.Caps().MaxKeyLen-len("mnt/sub/") {
		t.Fatalf("MaxKeyLen %d", c.MaxKeyLen)
	}
	_, err = wrap.Prefix(inner, "mnt/sub").Head(t.Context(), "")
	storagetest.RequireKind(t, err, storage.ErrInvalidKey)
	if wrap.Prefix(inner, "/") != storage.Backend(inner) {
		t.Fatal("an empty prefix should return the store itself")
	}
}

// renamingStore is a memory store that records renames.
type renamingStore struct {
	*memstore.Store
	mu    sync.Mutex
	calls [][2]string
}

func (r *renamingStore) Rename(ctx context.Context, src, dst string, dir bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, [2]string{src, dst})
	return nil
}

func TestDecoratorsKeepRenamer(t *testing.T) {
	plain := memstore.New(memstore.Options{})
	inner := &renamingStore{Store: plain}
	m := wrap.NewMeter()
	faults := wrap.NewFaults(1)
	stacks := map[string]func(storage.Backend) storage.Backend{
		"prefix":     func(b storage.Backend) storage.Backend { return wrap.Prefix(b, "p") },
		"instrument": func(b storage.Backend) storage.Backend { return wrap.Instrument(b, m) },
		"faulty":     func(b storage.Backend) storage.Backend { return wrap.Faulty(b, faults) },
		"all": func(b storage.Backend) storage.Backend {
			return wrap.Faulty(wrap.Instrument(wrap.Prefix(b, "p"), m), faults)
		},
	}
	for name, wrapFn := range stacks {
		if _, ok := wrapFn(plain).(storage.Renamer); ok {
			t.Fatalf("%s: claims to rename over a store that cannot", name)
		}
		r, ok := wrapFn(inner).(storage.Renamer)
		if !ok {
			t.Fatalf("%s: lost the Renamer", name)
		}
		if err := r.Rename(t.Context(), "a", "b", false); err != nil {
			t.Fatal(err)
		}
	}
	want := [][2]string{{"p/a", "p/b"}, {"a", "b"}, {"a", "b"}, {"p/a", "p/b"}}
	got := slices.Clone(inner.calls)
	slices.SortFunc(got, func(a, b [2]string) int { return cmpPair(a, b) })
	slices.SortFunc(want, func(a, b [2]string) int { return cmpPair(a, b) })
	if !slices.Equal(got, want) {
		t.Fatalf("renames reached the store as %q, want %q", got, want)
	}
	if n := m.Stats()[wrap.OpRename].Requests; n != 2 {
		t.Fatalf("instrumented renames: %d", n)
	}
}

func cmpPair(a, b [2]string) int {
	return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
}
