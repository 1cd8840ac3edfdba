package wrap_test

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

func TestInstrumentConformance(t *testing.T) {
	m := wrap.NewMeter()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return wrap.Instrument(memstore.New(memstore.Options{MinPartSize: 64 << 10}), m)
	})
	if s := m.Stats(); s[wrap.OpList].Requests == 0 || s[wrap.OpWritePart].Bytes == 0 {
		t.Fatalf("the suite's requests were not counted: %+v", s)
	}
}

func TestInstrumentCounts(t *testing.T) {
	ctx := t.Context()
	m := wrap.NewMeter()
	b := wrap.Instrument(memstore.New(memstore.Options{MinPartSize: 4}), m)

	storagetest.MustPut(t, b, "a", []byte("hello"))
	body := strings.NewReader("skip|put")
	body.Seek(5, io.SeekStart)
	if _, err := b.Put(ctx, "b", body, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, b, "a", []byte("hello"))
	if _, err := b.Head(ctx, "missing"); err == nil {
		t.Fatal("head of a missing key succeeded")
	}
	rc, _, err := b.Get(ctx, "a", storage.GetOptions{Offset: 1, Length: 2})
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(rc)
	rc.Close()
	storagetest.MustUpload(t, b, "mp", [][]byte{[]byte("1234"), []byte("56")}, storage.PutOptions{})
	if _, err := b.Copy(ctx, "a", "c", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.List(ctx, storage.ListOptions{}); err != nil {
		t.Fatal(err)
	}

	s := m.Stats()
	check := func(op wrap.Op, requests, errs, notFound, bytes int64) {
		t.Helper()
		got := s[op]
		if got.Requests != requests || got.Errors != errs || got.NotFound != notFound || got.Bytes != bytes {
			t.Errorf("%s: %+v, want requests %d errors %d notfound %d bytes %d", op, got, requests, errs, notFound, bytes)
		}
		if requests > 0 && got.Latency <= 0 {
			t.Errorf("%s: no latency recorded", op)
		}
	}
	check(wrap.OpPut, 2, 0, 0, 5+3)
	check(wrap.OpHead, 1, 1, 1, 0)
	check(wrap.OpGet, 2, 0, 0, 5+2)
	check(wrap.OpCreateUpload, 1, 0, 0, 0)
	check(wrap.OpWritePart, 2, 0, 0, 6)
	check(wrap.OpComplete, 1, 0, 0, 0)
	check(wrap.OpCopy, 1, 0, 0, 0)
	check(wrap.OpDelete, 1, 0, 0, 0)
	check(wrap.OpList, 1, 0, 0, 0)
	check(wrap.OpAbort, 0, 0, 0, 0)
	if tot := s.Total(); tot.Requests != 12 || tot.Bytes != 5+3+5+2+6 {
		t.Errorf("total %+v", tot)
	}

	before := m.Stats()
	storagetest.MustHead(t, b, "a")
	if d := m.Stats().Sub(before); d[wrap.OpHead].Requests != 1 || d.Total().Requests != 1 {
		t.Errorf("delta %+v", d)
	}
	m.Reset()
	if tot := m.Stats().Total(); tot != (wrap.OpStats{}) {
		t.Errorf("after reset: %+v", tot)
	}
}

// A listing of many objects with a delimiter costs one request per page:
// what `ls -l` tests will assert through vfs.
func TestInstrumentCountsListPages(t *testing.T) {
	inner := memstore.New(memstore.Options{})
	keys := make([]string, 2500)
	for i := range keys {
		keys[i] = fmt.Sprintf("dir/%05d", i)
	}
	storagetest.MustPutMany(t, inner, keys)
	m := wrap.NewMeter()
	b := wrap.Instrument(inner, m)
	objs, _ := storagetest.MustListAll(t, b, storage.ListOptions{Prefix: "dir/", Delimiter: "/"})
	if len(objs) != len(keys) {
		t.Fatalf("listed %d", len(objs))
	}
	if s := m.Stats(); s[wrap.OpList].Requests != 3 || s.Total().Requests != 3 {
		t.Fatalf("listing 2500 keys took %d LISTs and %d requests in all", s[wrap.OpList].Requests, s.Total().Requests)
	}
}

func TestInstrumentCountsBodyErrors(t *testing.T) {
	m := wrap.NewMeter()
	faults := wrap.NewFaults(1, wrap.Fault{Ops: []wrap.Op{wrap.OpGet}, Truncate: true, TruncateAt: 2})
	inner := memstore.New(memstore.Options{})
	b := wrap.Instrument(wrap.Faulty(inner, faults), m)
	storagetest.MustPut(t, b, "k", []byte("hello"))
	_, _, err := storagetest.GetBytes(t.Context(), b, "k", storage.GetOptions{Length: -1})
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("read of a cut body: %v", err)
	}
	if s := m.Stats()[wrap.OpGet]; s.Requests != 1 || s.Errors != 1 || s.Bytes != 2 {
		t.Fatalf("get stats %+v", s)
	}
}

func TestMeterConcurrent(t *testing.T) {
	m := wrap.NewMeter()
	b := wrap.Instrument(memstore.New(memstore.Options{}), m)
	storagetest.MustPut(t, b, "k", []byte("x"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Head(t.Context(), "k")
				m.Stats()
			}
		})
	}
	wg.Wait()
	if n := m.Stats()[wrap.OpHead].Requests; n != 800 {
		t.Fatalf("counted %d heads", n)
	}
}
