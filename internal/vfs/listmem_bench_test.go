package vfs

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

var listEntries = flag.Int("list-entries", 200000, "objects in the directory BenchmarkListMemory lists")

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkListMemory lists a directory of -list-entries objects (stored
// as on S3, without listing metadata) and reports the live heap it costs:
// per listed entry while the listing is held (what a directory stream
// keeps, with the cache), and per cached entry afterwards (what the
// metadata cache keeps, within its bound of 500,000 entries). A listing's
// entries are what `ls -f` and `ls -l` of a huge directory hold in the
// daemon.
//
//	go test ./internal/vfs -run '^$' -bench ListMemory -benchtime 1x -list-entries 1000000
func BenchmarkListMemory(b *testing.B) {
	n := *listEntries
	s := memstore.New(memstore.Options{MinPartSize: 1 << 20})
	ctx := context.Background()
	for i := range n {
		if _, err := s.Put(ctx, fmt.Sprintf("big/file-%08d", i), strings.NewReader(""), storage.PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		v, err := testNew(ctx, openStore{s}, Options{CacheDir: b.TempDir(), AttrTTL: time.Hour, NegativeTTL: time.Hour, PartSize: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		ents, err := v.ReadDir(ctx, "big")
		if err != nil {
			b.Fatal(err)
		}
		if len(ents) != n {
			b.Fatalf("listed %d entries, want %d", len(ents), n)
		}
		held := heapInUse()
		runtime.KeepAlive(ents)
		ents = nil
		cached := heapInUse()
		kept := v.meta.len()
		b.ReportMetric(float64(held-before)/float64(n), "B/entry-listed")
		b.ReportMetric(float64(cached-before)/float64(kept), "B/entry-cached")
		b.ReportMetric(float64(kept), "cached-entries")
		v.Close(ctx)
	}
}

// len is the number of names the cache holds.
func (c *metaCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
