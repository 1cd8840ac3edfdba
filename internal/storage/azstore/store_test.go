package azstore

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// onlyReader hides io.ReaderAt, so Put has to buffer blocks.
type onlyReader struct{ io.ReadSeeker }

func TestPutStagedBlocks(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	s.putLimit = 100 << 10
	s.cfg.BlockSize = 64 << 10
	data := storagetest.Data(1, 300<<10+17) // 5 blocks, the last short
	md := map[string]string{"mode": "0644"}
	for _, c := range []struct {
		key  string
		body io.ReadSeeker
	}{
		{"direct", bytes.NewReader(data)},
		{"buffered", onlyReader{bytes.NewReader(data)}},
	} {
		obj, err := s.Put(ctx, c.key, c.body, storage.PutOptions{Metadata: md, ContentType: "text/x-test"})
		if err != nil {
			t.Fatalf("put %s: %v", c.key, err)
		}
		h := storagetest.MustHead(t, s, c.key)
		if h.Size != int64(len(data)) || h.ETag != obj.ETag || h.ContentType != "text/x-test" || h.Metadata["mode"] != "0644" {
			t.Fatalf("head %+v after put %+v", h, obj)
		}
		storagetest.MustContain(t, s, c.key, data)
	}
	// A staged Put honours conditions too.
	_, err := s.Put(ctx, "direct", bytes.NewReader(data), storage.PutOptions{IfNoneMatch: "*"})
	storagetest.RequireKind(t, err, storage.ErrPrecondition)
}

// The body is read from where the caller left it, also on a retry.
func TestPutFromBodyPosition(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	for _, limit := range []int64{singleShotLimit, 10} {
		s.putLimit = limit
		s.cfg.BlockSize = 4
		r := strings.NewReader("skipped|kept part")
		if _, err := r.Seek(8, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Put(ctx, "k", r, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		storagetest.MustContain(t, s, "k", []byte("kept part"))
	}
}

func TestMetadataCaseAndReplace(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	storagetest.MustPutOpts(t, s, "m", []byte("x"), storage.PutOptions{
		Metadata: map[string]string{"Mode": "0755", "hdi_isfolder": "true", "MTime": "1700000000"},
	})
	want := map[string]string{"mode": "0755", "hdi_isfolder": "true", "mtime": "1700000000"}
	if h := storagetest.MustHead(t, s, "m"); !storagetest.EqualMetadata(h.Metadata, want) {
		t.Fatalf("head metadata %v", h.Metadata)
	}
	objs, _ := storagetest.MustListAll(t, s, storage.ListOptions{})
	if len(objs) != 1 || !storagetest.EqualMetadata(objs[0].Metadata, want) {
		t.Fatalf("listed metadata %+v", objs)
	}
	_, err := s.Put(ctx, "bad", strings.NewReader("x"), storage.PutOptions{Metadata: map[string]string{"content-type": "x"}})
	storagetest.RequireKind(t, err, storage.ErrNotSupported)
}

func TestCopyMetadataAndContentType(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	src := storagetest.MustPutOpts(t, s, "src", []byte("payload"), storage.PutOptions{
		Metadata: map[string]string{"a": "1", "b": "2"}, ContentType: "text/plain",
	})

	// An empty, non-nil set clears the metadata (Copy Blob alone would
	// keep the source's).
	obj, err := s.Copy(ctx, "src", "cleared", storage.CopyOptions{Metadata: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if h := storagetest.MustHead(t, s, "cleared"); len(h.Metadata) != 0 || h.ETag != obj.ETag || h.ContentType != "text/plain" {
		t.Fatalf("copy with empty metadata: head %+v, copy %+v", h, obj)
	}

	// A new content type keeps the rest.
	obj, err = s.Copy(ctx, "src", "typed", storage.CopyOptions{ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	h := storagetest.MustHead(t, s, "typed")
	if h.ContentType != "application/json" || h.Metadata["a"] != "1" || h.ETag != obj.ETag {
		t.Fatalf("copy with content type: head %+v, copy %+v", h, obj)
	}
	storagetest.MustContain(t, s, "typed", []byte("payload"))

	// In place: metadata and content type change, data and size stay,
	// and a stale ETag is refused.
	obj, err = s.Copy(ctx, "src", "src", storage.CopyOptions{
		Metadata: map[string]string{"c": "3"}, ContentType: "text/x-new", IfMatch: src.ETag,
	})
	if err != nil {
		t.Fatal(err)
	}
	if obj.ETag == src.ETag || obj.Size != src.Size || obj.ContentType != "text/x-new" ||
		!storagetest.EqualMetadata(obj.Metadata, map[string]string{"c": "3"}) {
		t.Fatalf("in-place copy returned %+v", obj)
	}
	storagetest.MustContain(t, s, "src", []byte("payload"))
	_, err = s.Copy(ctx, "src", "src", storage.CopyOptions{Metadata: map[string]string{"d": "4"}, IfMatch: src.ETag})
	storagetest.RequireKind(t, err, storage.ErrPrecondition)

	_, err = s.Copy(ctx, "missing", "dst", storage.CopyOptions{})
	storagetest.RequireKind(t, err, storage.ErrNotFound)
}

// Two uploads to one blob stage blocks under different IDs, so the data of
// one never ends up in the other.
func TestConcurrentUploadsDoNotMix(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	a, err := s.CreateUpload(ctx, "same", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateUpload(ctx, "same", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pa, pb []storage.Part
	for i := 1; i <= 2; i++ {
		p, err := a.WritePart(ctx, i, bytes.NewReader(bytes.Repeat([]byte{'a'}, 10*i)))
		if err != nil {
			t.Fatal(err)
		}
		pa = append(pa, p)
		p, err = b.WritePart(ctx, i, bytes.NewReader(bytes.Repeat([]byte{'b'}, 7*i)))
		if err != nil {
			t.Fatal(err)
		}
		pb = append(pb, p)
	}
	if pa[0].ETag == pb[0].ETag {
		t.Fatal("two uploads use the same block id")
	}
	if _, err := a.Complete(ctx, pa); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, s, "same", bytes.Repeat([]byte{'a'}, 30))
	// Parts of one upload are refused by the other.
	if _, err := b.Complete(ctx, pa); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("completing with another upload's parts: %v", err)
	}
	// Committing a dropped b's staged blocks (the service drops every
	// uncommitted block of a blob on commit), so b fails cleanly instead of
	// committing a mix.
	if _, err := b.Complete(ctx, pb); err == nil || !strings.Contains(err.Error(), "staged blocks are gone") {
		t.Fatalf("second complete: %v", err)
	}
	storagetest.MustContain(t, s, "same", bytes.Repeat([]byte{'a'}, 30))
}

func TestUploadEmptyPartsAndNoParts(t *testing.T) {
	s := newServerStore(t)
	ctx := testCtx(t)
	up, err := s.CreateUpload(ctx, "e", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := up.WritePart(ctx, 1, strings.NewReader("data"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := up.WritePart(ctx, 2, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := up.Complete(ctx, []storage.Part{p2, p1})
	if err != nil || obj.Size != 4 {
		t.Fatalf("complete: %+v %v", obj, err)
	}
	storagetest.MustContain(t, s, "e", []byte("data"))

	up, err = s.CreateUpload(ctx, "none", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obj, err := up.Complete(ctx, nil); err != nil || obj.Size != 0 {
		t.Fatalf("complete without parts: %+v %v", obj, err)
	}
	storagetest.MustContain(t, s, "none", nil)
	if _, err := up.WritePart(ctx, 1, strings.NewReader("late")); err == nil {
		t.Fatal("write after complete succeeded")
	}
}

func TestListStartAfterInsidePrefix(t *testing.T) {
	s := newServerStore(t)
	storagetest.MustPutMany(t, s, []string{"a/a", "a/c", "b/x", "c"})
	_, cps := storagetest.MustListAll(t, s, storage.ListOptions{Delimiter: "/", StartAfter: "a/b"})
	objs, _ := storagetest.MustListAll(t, s, storage.ListOptions{Delimiter: "/", StartAfter: "a/b"})
	if !slices.Equal(cps, []string{"a/", "b/"}) || !slices.Equal(storagetest.Keys(objs), []string{"c"}) {
		t.Fatalf("after a/b: %q %q", cps, storagetest.Keys(objs))
	}
	_, cps = storagetest.MustListAll(t, s, storage.ListOptions{Delimiter: "/", StartAfter: "a/d"})
	if !slices.Equal(cps, []string{"b/"}) {
		t.Fatalf("after a/d: %q", cps)
	}
	_, cps = storagetest.MustListAll(t, s, storage.ListOptions{Delimiter: "/", StartAfter: "a/"})
	if !slices.Equal(cps, []string{"b/"}) {
		t.Fatalf("after a/: %q", cps)
	}
}

func TestContainerErrors(t *testing.T) {
	o := serverOptions(t)
	ctx := testCtx(t)
	o.Container = randomName("cf-missing-")
	s, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	storagetest.RequireKind(t, s.CheckContainer(ctx), storage.ErrNoBucket)
	_, err = s.Head(ctx, "k")
	storagetest.RequireKind(t, err, storage.ErrNoBucket)
	_, err = s.Put(ctx, "k", strings.NewReader("x"), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrNoBucket)

	good := newServerStore(t)
	if err := good.CheckContainer(ctx); err != nil {
		t.Fatalf("check of an existing container: %v", err)
	}
	o.Container = good.cfg.Container
	o.AccountKey = "d3Jvbmcga2V5" // "wrong key"
	bad, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	storagetest.RequireKind(t, bad.CheckContainer(ctx), storage.ErrPermission)
	_, err = bad.Head(ctx, "k")
	storagetest.RequireKind(t, err, storage.ErrPermission)

	names, err := ListContainers(ctx, serverOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, good.cfg.Container) {
		t.Fatalf("ListContainers %q lacks %q", names, good.cfg.Container)
	}
}
