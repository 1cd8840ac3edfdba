package staged

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
)

func testOptions(dir, owner string) Options {
	return Options{Dir: dir, Timeout: 1, High: 90, Low: 80, PartSize: 1 << 20, Concurrency: 2,
		Budget: stream.NewBudget(8 << 20), Owner: owner}
}

// One live mount owns a cache directory: a second is refused, naming the
// first, until the first closes.
func TestCacheDirectoryHasOneOwner(t *testing.T) {
	dir := t.TempDir()
	b := memstore.New(memstore.Options{})
	first, err := Open(context.Background(), b, testOptions(dir, "/mnt/first"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), b, testOptions(dir, "/mnt/second"))
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "/mnt/first") {
		t.Fatalf("second mount over the same cache directory: %v", err)
	}
	first.Close()
	second, err := Open(context.Background(), b, testOptions(dir, "/mnt/second"))
	if err != nil {
		t.Fatalf("after the first mount closed: %v", err)
	}
	second.Close()
}
