package wrap_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/filter"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// tagged is a memstore with tags, as S3 and Azure keep them.
type tagged struct {
	*memstore.Store
	tags map[string]map[string]string
}

func (t tagged) Tags(_ context.Context, key string) (map[string]string, error) {
	return t.tags[key], nil
}

// Objects that do not match are left out of listings and not found by
// Head and Get; directory markers stay.
func TestFilterHidesWhatDoesNotMatch(t *testing.T) {
	inner := tagged{Store: memstore.New(memstore.Options{MinPartSize: 4}),
		tags: map[string]map[string]string{"d/keep.bin": {"split": "train"}}}
	for _, k := range []string{"d/", "d/a.csv", "d/b.parquet", "d/keep.bin", "top.csv"} {
		storagetest.MustPut(t, inner, k, []byte("x"))
	}
	e, err := filter.Parse("format=csv || tag=split:train")
	if err != nil {
		t.Fatal(err)
	}
	b := wrap.Filter(inner, e)
	ctx := t.Context()
	page, err := b.List(ctx, storage.ListOptions{Prefix: "d/"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
	}
	if strings.Join(got, " ") != "d/ d/a.csv d/keep.bin" {
		t.Errorf("listing %v", got)
	}
	if _, err := b.Head(ctx, "d/b.parquet"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("head of a hidden object: %v", err)
	}
	if _, _, err := b.Get(ctx, "d/b.parquet", storage.GetOptions{Length: -1}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("get of a hidden object: %v", err)
	}
	if got := storagetest.MustGet(t, b, "top.csv"); string(got) != "x" {
		t.Errorf("get of a shown object: %q", got)
	}
	if _, err := b.Head(ctx, "d/"); err != nil {
		t.Errorf("head of a marker: %v", err)
	}
}
