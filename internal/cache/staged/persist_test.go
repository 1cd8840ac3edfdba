package staged

import (
	"bytes"
	"context"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// readThrough opens v in c, reads it whole and closes it, as an open,
// read and release through the mount would.
func readThrough(t *testing.T, c *Cache, v content.Version) []byte {
	t.Helper()
	f := c.OpenFile(v, content.Target{Key: v.Key})
	buf := make([]byte, v.Size)
	n, err := f.ReadAt(context.Background(), nil, buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return buf[:n]
}

func putObject(t *testing.T, b storage.Backend, key string, data []byte) content.Version {
	t.Helper()
	o, err := b.Put(context.Background(), key, bytes.NewReader(data), storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return content.Version{Key: key, ETag: o.ETag, Size: int64(len(data))}
}

// With Persist, a clean copy outlives the mount: the next mount reads it
// without a GET while the object is unchanged, and fetches the object
// again once it changed. Without Persist the copy is gone at mount.
func TestCleanCopiesOutliveTheMount(t *testing.T) {
	for _, persist := range []bool{true, false} {
		dir := t.TempDir()
		store := memstore.New(memstore.Options{})
		meter := wrap.NewMeter()
		b := wrap.Instrument(store, meter)
		first := bytes.Repeat([]byte("first "), 100000)
		v := putObject(t, store, "data/a", first)

		o := testOptions(dir, "/mnt/p")
		o.Timeout, o.Persist = 3600e9, persist
		c, err := Open(context.Background(), b, o)
		if err != nil {
			t.Fatal(err)
		}
		readThrough(t, c, v)
		c.Close()

		c, err = Open(context.Background(), b, o)
		if err != nil {
			t.Fatal(err)
		}
		before := meter.Stats()[wrap.OpGet].Requests
		if got := readThrough(t, c, v); !bytes.Equal(got, first) {
			t.Fatalf("persist=%v: remount read %d bytes, not the object", persist, len(got))
		}
		gets := meter.Stats()[wrap.OpGet].Requests - before
		if persist && gets != 0 {
			t.Errorf("persist: the remount sent %d GETs for a cached, unchanged object", gets)
		}
		if !persist && gets == 0 {
			t.Errorf("no persist: the remount read a copy an earlier mount left")
		}
		c.Close()

		// Changed behind the mount's back: fetched again, never the old copy.
		second := bytes.Repeat([]byte("second"), 50000)
		v2 := putObject(t, store, "data/a", second)
		c, err = Open(context.Background(), b, o)
		if err != nil {
			t.Fatal(err)
		}
		before = meter.Stats()[wrap.OpGet].Requests
		if got := readThrough(t, c, v2); !bytes.Equal(got, second) {
			t.Fatalf("persist=%v: a changed object read as %q...", persist, got[:12])
		}
		if meter.Stats()[wrap.OpGet].Requests == before {
			t.Errorf("persist=%v: a changed object was read without a GET", persist)
		}
		c.Close()
	}
}
