package wrap_test

import (
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

func TestContentTypesConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return wrap.ContentTypes(memstore.New(memstore.Options{MinPartSize: 64 << 10}))
	})
}

// Objects written through ContentTypes carry their extension's type; the
// writer's own choice and unknown extensions are left alone, and a rename
// to another extension takes the new one's type.
func TestContentTypesFromTheName(t *testing.T) {
	inner := memstore.New(memstore.Options{MinPartSize: 4})
	b := wrap.ContentTypes(inner)
	ctx := t.Context()
	put := func(key, ct string) {
		t.Helper()
		if _, err := b.Put(ctx, key, strings.NewReader("x"), storage.PutOptions{ContentType: ct}); err != nil {
			t.Fatal(err)
		}
	}
	typeOf := func(key string) string {
		t.Helper()
		o, err := inner.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return o.ContentType
	}
	put("a/report.json", "")
	put("page.html", "")
	put("mine.json", "text/x-mine")
	put("data.unknownext", "")
	up, err := b.CreateUpload(ctx, "big.png", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := up.WritePart(ctx, 1, strings.NewReader("png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Complete(ctx, []storage.Part{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, "a/report.json", "report.txt", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Copy(ctx, "mine.json", "mine2.json", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"a/report.json": "application/json", "page.html": "text/html; charset=utf-8",
		"mine.json": "text/x-mine", "big.png": "image/png", "report.txt": "text/plain; charset=utf-8",
		"mine2.json": "text/x-mine",
	} {
		if got := typeOf(key); got != want {
			t.Errorf("%s: content type %q, want %q", key, got, want)
		}
	}
	if got := typeOf("data.unknownext"); got == "application/json" || strings.HasPrefix(got, "text/") {
		t.Errorf("unknown extension got %q", got)
	}
}
