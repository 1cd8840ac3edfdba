package vfs

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// costlyMetaStore lists like MinIO: user metadata comes only when asked
// for, and the store does not promise it (Caps.ListMetadata is false).
type costlyMetaStore struct {
	*memstore.Store
	plain, withMeta, heads atomic.Int32
}

func (s *costlyMetaStore) Caps() storage.Caps {
	c := s.Store.Caps()
	c.ListMetadata = false
	return c
}

func (s *costlyMetaStore) List(ctx context.Context, o storage.ListOptions) (storage.ListPage, error) {
	page, err := s.Store.List(ctx, o)
	if o.NoMetadata {
		s.plain.Add(1)
		for i := range page.Objects {
			page.Objects[i].Metadata = nil
		}
	} else {
		s.withMeta.Add(1)
	}
	return page, err
}

// Head counts the HEADs of files (a listed subdirectory's marker is
// looked for whatever the listing carries).
func (s *costlyMetaStore) Head(ctx context.Context, key string) (storage.Object, error) {
	if !strings.HasSuffix(key, "/") {
		s.heads.Add(1)
	}
	return s.Store.Head(ctx, key)
}

func (s *costlyMetaStore) Close() error { return nil }

// A directory of several pages on such a store is listed plainly to split
// it into ranges, and each range again with its metadata: every entry is
// there once, with the mode its metadata holds, and no file is HEADed.
func TestPipelinedListingWithCostlyMetadata(t *testing.T) {
	s := &costlyMetaStore{Store: memstore.New(memstore.Options{MinPartSize: 1 << 20, ListMetadata: true})}
	want := map[string]Kind{}
	for i := range 2600 {
		name := fmt.Sprintf("e%05d", i)
		if i%97 == 0 {
			// A subdirectory, rolled into a common prefix.
			put(t, s, "big/"+name+"/inner", "x", nil)
			want[name] = KindDir
			continue
		}
		put(t, s, "big/"+name, "data", map[string]string{metaMode: "33152"}) // regular file, 0600
		want[name] = KindFile
	}
	v := newTestFS(t, s)
	ents, err := v.ReadDir(context.Background(), "big")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(want) {
		t.Fatalf("listed %d entries, want %d", len(ents), len(want))
	}
	for i, e := range ents {
		if i > 0 && strings.Compare(ents[i-1].Name, e.Name) >= 0 {
			t.Fatalf("entries out of order at %q", e.Name)
		}
		if want[e.Name] != e.Attr.Kind {
			t.Fatalf("%s: kind %v, want %v", e.Name, e.Attr.Kind, want[e.Name])
		}
		if e.Attr.Kind == KindFile && e.Attr.Mode != 0o600 {
			t.Fatalf("%s: mode %o, not the one its metadata holds", e.Name, e.Attr.Mode)
		}
	}
	if s.heads.Load() != 0 {
		t.Fatalf("%d HEADs: the metadata did not come with the listing", s.heads.Load())
	}
	if s.plain.Load() < 2 || s.withMeta.Load() < 3 {
		t.Fatalf("%d plain and %d metadata listings: not pipelined", s.plain.Load(), s.withMeta.Load())
	}
}
