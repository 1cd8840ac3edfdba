package staged

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// OpenLocal gives a descriptor only when the staged copy holds the whole
// file: not before the first read staged it, and again from the cache
// after the file was closed and opened anew. Later writes reach it.
func TestOpenLocalOnlyWhenComplete(t *testing.T) {
	ctx := context.Background()
	s := memstore.New(memstore.Options{})
	obj, err := s.Put(ctx, "k", strings.NewReader("hello world"), storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, s, testOptions(t.TempDir(), "/mnt/local"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v := content.Version{Key: "k", ETag: obj.ETag, Size: obj.Size}
	f := c.OpenFile(v, content.Target{Key: "k"})
	if lf, ok := f.OpenLocal(); ok {
		lf.Close()
		t.Fatal("a file never read has a complete local copy")
	}
	buf := make([]byte, 11)
	if _, err := f.ReadAt(ctx, nil, buf, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	f.Close()

	g := c.OpenFile(v, content.Target{Key: "k"})
	defer g.Close()
	lf, ok := g.OpenLocal()
	if !ok {
		t.Fatal("no local copy of a file read whole before")
	}
	defer lf.Close()
	if _, err := g.WriteAt(ctx, []byte("W"), 0); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(lf)
	if err != nil || string(got) != "Wello world" {
		t.Fatalf("the local descriptor reads %q, %v", got, err)
	}
}
