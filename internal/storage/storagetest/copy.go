package storagetest

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func copyCases() []testCase {
	return []testCase{
		{"KeepMetadata", testCopyKeepMetadata},
		{"NewMetadata", testCopyNewMetadata},
		{"OntoItself", testCopyOntoItself},
		{"Overwrite", testCopyOverwrite},
		{"InterestingKeys", testCopyInterestingKeys},
		{"IfMatch", testCopyIfMatch},
		{"Multipart", testCopyMultipart},
	}
}

var copyMeta = map[string]string{"mode": "0100644", "mtime": "1700000000"}

func testCopyKeepMetadata(t *testing.T, b storage.Backend) {
	data := Data(70, 3000)
	MustPutOpts(t, b, "src", data, storage.PutOptions{Metadata: copyMeta, ContentType: "text/x-src"})
	obj, err := b.Copy(t.Context(), "src", "dir/dst", storage.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := MustHead(t, b, "dir/dst")
	if obj.Key != "dir/dst" || obj.ETag == "" || obj.ETag != h.ETag {
		t.Fatalf("copy returned %+v, head %+v", obj, h)
	}
	if h.Size != int64(len(data)) || !EqualMetadata(h.Metadata, copyMeta) || h.ContentType != "text/x-src" {
		t.Fatalf("copy without new metadata: %+v", h)
	}
	MustContain(t, b, "dir/dst", data)
	MustContain(t, b, "src", data)
	if h := MustHead(t, b, "src"); !EqualMetadata(h.Metadata, copyMeta) {
		t.Fatalf("copy changed the source's metadata: %v", h.Metadata)
	}
}

func testCopyNewMetadata(t *testing.T, b storage.Backend) {
	data := Data(71, 100)
	MustPutOpts(t, b, "src", data, storage.PutOptions{Metadata: copyMeta})
	newMeta := map[string]string{"uid": "42"}
	if _, err := b.Copy(t.Context(), "src", "dst", storage.CopyOptions{Metadata: newMeta}); err != nil {
		t.Fatal(err)
	}
	if h := MustHead(t, b, "dst"); !EqualMetadata(h.Metadata, newMeta) {
		t.Fatalf("copy with new metadata: got %v, want exactly %v", h.Metadata, newMeta)
	}
	MustContain(t, b, "dst", data)
	if h := MustHead(t, b, "src"); !EqualMetadata(h.Metadata, copyMeta) {
		t.Fatalf("copy changed the source's metadata: %v", h.Metadata)
	}

	// An empty, non-nil map clears the metadata.
	if _, err := b.Copy(t.Context(), "src", "cleared", storage.CopyOptions{Metadata: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if h := MustHead(t, b, "cleared"); len(h.Metadata) != 0 {
		t.Fatalf("copy with empty metadata kept %v", h.Metadata)
	}
}

// Copying a key onto itself with new metadata changes the metadata and
// keeps the data: this is how chmod and utimes reach the store.
func testCopyOntoItself(t *testing.T, b storage.Backend) {
	data := Data(72, 5000)
	MustPutOpts(t, b, "self", data, storage.PutOptions{Metadata: copyMeta})
	newMeta := map[string]string{"mode": "0100755", "mtime": "1800000000"}
	obj, err := b.Copy(t.Context(), "self", "self", storage.CopyOptions{Metadata: newMeta})
	if err != nil {
		t.Fatal(err)
	}
	h := MustHead(t, b, "self")
	if !EqualMetadata(h.Metadata, newMeta) || h.Size != int64(len(data)) || h.ETag != obj.ETag {
		t.Fatalf("after copy onto itself: %+v (copy returned %+v)", h, obj)
	}
	MustContain(t, b, "self", data)
}

func testCopyOverwrite(t *testing.T, b storage.Backend) {
	MustPut(t, b, "src", []byte("new"))
	old := MustPutOpts(t, b, "dst", []byte("old and longer"), storage.PutOptions{Metadata: copyMeta})
	obj, err := b.Copy(t.Context(), "src", "dst", storage.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := MustHead(t, b, "dst")
	if h.ETag == old.ETag || h.ETag != obj.ETag || h.Size != 3 || len(h.Metadata) != 0 {
		t.Fatalf("copy over an existing key: %+v", h)
	}
	MustContain(t, b, "dst", []byte("new"))
}

// Copy sources travel in a header or URL of their own, a classic place for
// escaping bugs.
func testCopyInterestingKeys(t *testing.T, b storage.Backend) {
	pairs := [][2]string{
		{"src with space+plus%.txt", "dst ü#?&=.txt"},
		{"ünïcödé/日本語.txt", "emoji-😀/x"},
		{"a%2Fb", "a+b c"},
	}
	for i, p := range pairs {
		data := Data(uint64(80+i), 64)
		MustPut(t, b, p[0], data)
		if _, err := b.Copy(t.Context(), p[0], p[1], storage.CopyOptions{}); err != nil {
			t.Fatalf("copy %q -> %q: %v", p[0], p[1], err)
		}
		MustContain(t, b, p[1], data)
	}
}

func testCopyIfMatch(t *testing.T, b storage.Backend) {
	src := MustPut(t, b, "src", []byte("data"))
	if _, err := b.Copy(t.Context(), "src", "good", storage.CopyOptions{IfMatch: src.ETag}); err != nil {
		t.Fatalf("copy with the right ETag: %v", err)
	}
	MustContain(t, b, "good", []byte("data"))

	_, err := b.Copy(t.Context(), "src", "bad", storage.CopyOptions{IfMatch: "0123456789abcdef0123456789abcdef"})
	RequireKind(t, err, storage.ErrPrecondition)
	MustNotExist(t, b, "bad")

	MustPut(t, b, "src", []byte("changed"))
	_, err = b.Copy(t.Context(), "src", "stale", storage.CopyOptions{IfMatch: src.ETag})
	RequireKind(t, err, storage.ErrPrecondition)
	MustNotExist(t, b, "stale")
}

func testCopyMultipart(t *testing.T, b storage.Backend) {
	parts := multipartParts(b, 90, 2)
	MustUpload(t, b, "mp-src", parts, storage.PutOptions{Metadata: copyMeta})
	if _, err := b.Copy(t.Context(), "mp-src", "mp-dst", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, p := range parts {
		want = append(want, p...)
	}
	MustContain(t, b, "mp-dst", want)
	if h := MustHead(t, b, "mp-dst"); !EqualMetadata(h.Metadata, copyMeta) {
		t.Fatalf("copy of a multipart object lost its metadata: %v", h.Metadata)
	}
}
