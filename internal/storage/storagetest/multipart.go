package storagetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func multipartCases() []testCase {
	return []testCase{
		{"OutOfOrderConcurrent", testMultipartOutOfOrder},
		{"ExactMinPartSize", testMultipartExactMin},
		{"SinglePart", testMultipartSinglePart},
		{"InvisibleUntilComplete", testMultipartInvisible},
		{"Abort", testMultipartAbort},
		{"RewritePart", testMultipartRewritePart},
		{"Metadata", testMultipartMetadata},
	}
}

// multipartParts returns full parts of the store's part size and a short
// last part.
func multipartParts(b storage.Backend, seed uint64, full int) [][]byte {
	size := PartSize(b.Caps())
	parts := make([][]byte, 0, full+1)
	for i := range full {
		parts = append(parts, Data(seed+uint64(i), size))
	}
	return append(parts, Data(seed+99, size/3+7))
}

func testMultipartOutOfOrder(t *testing.T, b storage.Backend) {
	ctx := t.Context()
	parts := multipartParts(b, 10, 3)
	want := bytes.Join(parts, nil)

	up, err := b.CreateUpload(ctx, "mp", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make([]storage.Part, len(parts))
	var g errgroup.Group
	for _, i := range []int{3, 1, 0, 2} {
		g.Go(func() error {
			p, err := up.WritePart(ctx, i+1, bytes.NewReader(parts[i]))
			if err != nil {
				return fmt.Errorf("part %d: %w", i+1, err)
			}
			if p.Number != i+1 || p.ETag == "" || p.Size != int64(len(parts[i])) {
				return fmt.Errorf("part %d described as %+v", i+1, p)
			}
			done[i] = p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		_ = up.Abort(ctx)
		t.Fatal(err)
	}
	// Complete sorts the parts itself.
	shuffled := []storage.Part{done[2], done[0], done[3], done[1]}
	obj, err := up.Complete(ctx, shuffled)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Key != "mp" || obj.ETag == "" {
		t.Fatalf("complete returned %+v", obj)
	}
	h := MustHead(t, b, "mp")
	if h.Size != int64(len(want)) || h.ETag != obj.ETag {
		t.Fatalf("head %+v after complete returned %+v (want size %d)", h, obj, len(want))
	}
	MustContain(t, b, "mp", want)
	objs, _ := MustListAll(t, b, storage.ListOptions{})
	if len(objs) != 1 || objs[0].Size != int64(len(want)) {
		t.Fatalf("listing after complete: %+v", objs)
	}
}

func testMultipartExactMin(t *testing.T, b storage.Backend) {
	size := PartSize(b.Caps())
	parts := [][]byte{Data(20, size), Data(21, size)}
	MustUpload(t, b, "exact", parts, storage.PutOptions{})
	MustContain(t, b, "exact", bytes.Join(parts, nil))
}

func testMultipartSinglePart(t *testing.T, b storage.Backend) {
	MustUpload(t, b, "one", [][]byte{[]byte("tiny single part")}, storage.PutOptions{})
	MustContain(t, b, "one", []byte("tiny single part"))
}

func testMultipartInvisible(t *testing.T, b storage.Backend) {
	ctx := t.Context()
	old := MustPut(t, b, "over", []byte("old content"))

	for _, key := range []string{"over", "fresh"} {
		up, err := b.CreateUpload(ctx, key, storage.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		parts := multipartParts(b, 30, 1)
		var done []storage.Part
		for i, p := range parts {
			part, err := up.WritePart(ctx, i+1, bytes.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			done = append(done, part)
		}
		if key == "fresh" {
			MustNotExist(t, b, "fresh")
		} else {
			if h := MustHead(t, b, "over"); h.ETag != old.ETag || h.Size != old.Size {
				t.Fatalf("upload in progress changed the object: %+v", h)
			}
			MustContain(t, b, "over", []byte("old content"))
		}
		objs, _ := MustListAll(t, b, storage.ListOptions{})
		if got := Keys(objs); !slices.Equal(got, []string{"over"}) {
			t.Fatalf("listing during the upload: %q", got)
		}
		if _, err := up.Complete(ctx, done); err != nil {
			t.Fatal(err)
		}
		MustContain(t, b, key, bytes.Join(parts, nil))
	}
}

func testMultipartAbort(t *testing.T, b storage.Backend) {
	ctx := t.Context()
	MustPut(t, b, "kept", []byte("kept"))
	for _, key := range []string{"gone", "kept"} {
		up, err := b.CreateUpload(ctx, key, storage.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		parts := multipartParts(b, 40, 1)
		var done []storage.Part
		for i, p := range parts {
			part, err := up.WritePart(ctx, i+1, bytes.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			done = append(done, part)
		}
		if err := up.Abort(ctx); err != nil {
			t.Fatalf("abort: %v", err)
		}
		if _, err := up.Complete(ctx, done); err == nil {
			t.Fatal("complete after abort succeeded")
		}
	}
	MustNotExist(t, b, "gone")
	MustContain(t, b, "kept", []byte("kept"))
	objs, prefixes := MustListAll(t, b, storage.ListOptions{})
	if got := Keys(objs); !slices.Equal(got, []string{"kept"}) || len(prefixes) != 0 {
		t.Fatalf("listing after abort: %q %q", got, prefixes)
	}

	// Aborting an upload with no parts is fine too.
	up, err := b.CreateUpload(ctx, "empty-upload", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Abort(ctx); err != nil {
		t.Fatalf("abort without parts: %v", err)
	}
	MustNotExist(t, b, "empty-upload")
}

// Writing a part number again replaces the part (a retried part upload).
func testMultipartRewritePart(t *testing.T, b storage.Backend) {
	ctx := t.Context()
	size := PartSize(b.Caps())
	first, second, last := Data(50, size), Data(51, size), []byte("the end")
	up, err := b.CreateUpload(ctx, "rw", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.WritePart(ctx, 1, bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	p1, err := up.WritePart(ctx, 1, bytes.NewReader(second))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := up.WritePart(ctx, 2, bytes.NewReader(last))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Complete(ctx, []storage.Part{p1, p2}); err != nil {
		t.Fatal(err)
	}
	MustContain(t, b, "rw", append(slices.Clone(second), last...))
}

func testMultipartMetadata(t *testing.T, b storage.Backend) {
	meta := map[string]string{"mode": "0100600", "uid": "1000"}
	parts := multipartParts(b, 60, 1)
	obj := MustUpload(t, b, "meta", parts, storage.PutOptions{Metadata: meta, ContentType: "application/x-test"})
	h := MustHead(t, b, "meta")
	if !EqualMetadata(h.Metadata, meta) || h.ContentType != "application/x-test" {
		t.Fatalf("head after multipart: metadata %v type %q", h.Metadata, h.ContentType)
	}
	if h.ETag != obj.ETag {
		t.Fatalf("complete returned ETag %q, head %q", obj.ETag, h.ETag)
	}
}
