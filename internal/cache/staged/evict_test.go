package staged

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

// One eviction pass removes at most MaxEviction copies (BlobFuse2's
// file_cache.max-eviction); the next passes take the rest.
func TestEvictionPassIsBounded(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(dir, "/mnt/evict")
	o.Timeout = time.Minute
	o.MaxEviction = 3
	c, err := Open(context.Background(), memstore.New(memstore.Options{}), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	old := time.Now().Add(-time.Hour)
	c.mu.Lock()
	for i := range 7 {
		key := fmt.Sprintf("f%d", i)
		p := filepath.Join(dir, "copy-"+key)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.setItem(&cacheItem{key: key, path: p, size: 1, lastUse: old})
	}
	c.mu.Unlock()
	for _, want := range []int{4, 1, 0} {
		c.evict(time.Now())
		c.mu.Lock()
		n := len(c.items)
		c.mu.Unlock()
		if n != want {
			t.Fatalf("after a pass: %d copies left, want %d", n, want)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "copy-*"))
	if len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}
