package vfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

// reqCounter counts every request that reaches the store.
type reqCounter struct {
	storage.Backend
	n atomic.Int64
}

func (c *reqCounter) Head(ctx context.Context, key string) (storage.Object, error) {
	c.n.Add(1)
	return c.Backend.Head(ctx, key)
}

func (c *reqCounter) List(ctx context.Context, o storage.ListOptions) (storage.ListPage, error) {
	c.n.Add(1)
	return c.Backend.List(ctx, o)
}

func (c *reqCounter) Get(ctx context.Context, key string, o storage.GetOptions) (io.ReadCloser, storage.Object, error) {
	c.n.Add(1)
	return c.Backend.Get(ctx, key, o)
}

func (c *reqCounter) Put(ctx context.Context, key string, r io.ReadSeeker, o storage.PutOptions) (storage.Object, error) {
	c.n.Add(1)
	return c.Backend.Put(ctx, key, r, o)
}

func (c *reqCounter) Copy(ctx context.Context, src, dst string, o storage.CopyOptions) (storage.Object, error) {
	c.n.Add(1)
	return c.Backend.Copy(ctx, src, dst, o)
}

func head(t *testing.T, b storage.Backend, key string) storage.Object {
	t.Helper()
	obj, err := b.Head(context.Background(), key)
	if err != nil {
		t.Fatalf("head %q: %v", key, err)
	}
	return obj
}

func mustGetX(t *testing.T, v *FS, p, name string) string {
	t.Helper()
	val, err := v.Getxattr(context.Background(), p, nil, name)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", p, name, err)
	}
	return string(val)
}

func mustSetX(t *testing.T, v *FS, p, name, val string) {
	t.Helper()
	if err := v.Setxattr(context.Background(), p, nil, name, []byte(val), 0); err != nil {
		t.Fatalf("setxattr %s %s: %v", p, name, err)
	}
}

func TestXattrFormatIsS3fs(t *testing.T) {
	// What s3fs writes for {"user.a": "val", "user.b": ""}: the JSON text
	// percent-encoded with upper-case hex, base64 with padding.
	got := encodeXattrs(map[string][]byte{"user.b": {}, "user.a": []byte("val")})
	want := "%7B%22user.a%22%3A%22dmFs%22%2C%22user.b%22%3A%22%22%7D"
	if got != want {
		t.Fatalf("encoded %q, want %q", got, want)
	}
	if encodeXattrs(nil) != "" {
		t.Fatal("empty set must encode as no entry")
	}
	// Lower-case hex, missing padding, a malformed pair and spaces are
	// read the way s3fs reads them.
	in := "%7b%22user.x%22%3a%22aGk%22%2C%22broken%22%2C%22user.y%22%3A%22AAEC%22%7D"
	dec := decodeXattrs(in)
	if string(dec["user.x"]) != "hi" || !bytes.Equal(dec["user.y"], []byte{0, 1, 2}) || len(dec) != 2 {
		t.Fatalf("decoded %q", dec)
	}
	if len(decodeXattrs("not json")) != 0 || len(decodeXattrs("%7B%7D")) != 0 {
		t.Fatal("garbage must decode as no attributes")
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		m := map[string][]byte{}
		for j := rng.Intn(5); j >= 0; j-- {
			name := make([]byte, 1+rng.Intn(20))
			for k := range name {
				name[k] = byte(32 + rng.Intn(200))
				if name[k] == '"' || name[k] == ',' || name[k] == ':' {
					name[k] = '%'
				}
			}
			val := make([]byte, rng.Intn(40))
			rng.Read(val)
			m["user."+string(name)] = val
		}
		enc := encodeXattrs(m)
		for _, c := range []byte(enc) {
			if c < 0x21 || c > 0x7e || c == '"' {
				t.Fatalf("encoded value %q is not a plain header value", enc)
			}
		}
		if back := decodeXattrs(enc); !reflect.DeepEqual(normalise(back), normalise(m)) {
			t.Fatalf("round trip of %q gave %q", m, back)
		}
	}
}

func normalise(m map[string][]byte) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func TestXattrSetGetListRemove(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	ctx := context.Background()
	writeFile(t, v, "f", "data")
	before := head(t, b, "f")

	mustSetX(t, v, "f", "user.one", "1")
	mustSetX(t, v, "f", "user.two", "\x00binary\xff")
	if got := mustGetX(t, v, "f", "user.two"); got != "\x00binary\xff" {
		t.Fatalf("got %q", got)
	}
	names, err := v.Listxattr(ctx, "f", nil)
	if err != nil || !reflect.DeepEqual(names, []string{"user.one", "user.two"}) {
		t.Fatalf("list %v %v", names, err)
	}
	if err := v.Setxattr(ctx, "f", nil, "user.one", []byte("x"), XattrCreate); !errors.Is(err, ErrExist) {
		t.Fatalf("create of existing: %v", err)
	}
	if err := v.Setxattr(ctx, "f", nil, "user.three", []byte("x"), XattrReplace); !errors.Is(err, ErrNoAttr) {
		t.Fatalf("replace of missing: %v", err)
	}
	if err := v.Setxattr(ctx, "f", nil, "user.one", []byte("uno"), XattrReplace); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Getxattr(ctx, "f", nil, "user.nope"); !errors.Is(err, ErrNoAttr) {
		t.Fatalf("missing: %v", err)
	}

	// Stored as the s3fs entry, next to the mode, without a new upload.
	obj := head(t, b, "f")
	attrs := decodeXattrs(obj.Metadata[metaXattr])
	if string(attrs["user.one"]) != "uno" || len(attrs) != 2 {
		t.Fatalf("stored %q", obj.Metadata)
	}
	if obj.Metadata[metaMode] != before.Metadata[metaMode] || obj.Size != 4 {
		t.Fatalf("other metadata or data changed: %v", obj)
	}
	if data, _ := get(t, b, "f"); data != "data" {
		t.Fatalf("data %q", data)
	}

	if err := v.Removexattr(ctx, "f", nil, "user.one"); err != nil {
		t.Fatal(err)
	}
	if err := v.Removexattr(ctx, "f", nil, "user.one"); !errors.Is(err, ErrNoAttr) {
		t.Fatalf("second remove: %v", err)
	}
	if err := v.Removexattr(ctx, "f", nil, "user.two"); err != nil {
		t.Fatal(err)
	}
	if md := head(t, b, "f").Metadata; md[metaXattr] != "" || md[metaMode] == "" {
		t.Fatalf("after removing all: %v", md)
	}
	if names, _ := v.Listxattr(ctx, "f", nil); len(names) != 0 {
		t.Fatalf("list %v", names)
	}
}

func TestXattrNamesAndNamespaces(t *testing.T) {
	c := &reqCounter{Backend: newMem()}
	v := newTestFS(t, c)
	ctx := context.Background()
	writeFile(t, v, "f", "x")
	before := c.n.Load()
	for _, name := range []string{"security.capability", "security.selinux", "system.posix_acl_access", "trusted.x"} {
		if _, err := v.Getxattr(ctx, "f", nil, name); !errors.Is(err, ErrNoAttr) {
			t.Fatalf("get %s: %v", name, err)
		}
		if _, err := v.Getxattr(ctx, "missing/path", nil, name); !errors.Is(err, ErrNoAttr) {
			t.Fatalf("get %s on a missing path: %v", name, err)
		}
		if err := v.Setxattr(ctx, "f", nil, name, []byte("v"), 0); !errors.Is(err, ErrNotSupp) {
			t.Fatalf("set %s: %v", name, err)
		}
		if err := v.Removexattr(ctx, "f", nil, name); !errors.Is(err, ErrNoAttr) {
			t.Fatalf("remove %s: %v", name, err)
		}
	}
	if n := c.n.Load() - before; n != 0 {
		t.Fatalf("other namespaces cost %d store requests", n)
	}
	// Reads of user names come from the cached node.
	mustSetX(t, v, "f", "user.k", "v")
	before = c.n.Load()
	for i := 0; i < 10; i++ {
		mustGetX(t, v, "f", "user.k")
		v.Listxattr(ctx, "f", nil)
	}
	if n := c.n.Load() - before; n != 0 {
		t.Fatalf("cached reads cost %d store requests", n)
	}

	long := "user." + strings.Repeat("n", 251)
	if err := v.Setxattr(ctx, "f", nil, long, []byte("v"), 0); !errors.Is(err, ErrAttrRange) {
		t.Fatalf("long name: %v", err)
	}
	for _, bad := range []string{"user.", `user.a"b`, "user.a,b", "user.a:b"} {
		if err := v.Setxattr(ctx, "f", nil, bad, []byte("v"), 0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("name %q: %v", bad, err)
		}
	}
	if err := v.Setxattr(ctx, "nope", nil, "user.k", []byte("v"), 0); !errors.Is(err, ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestXattrHeadOnlyWhenNotLoaded(t *testing.T) {
	b := newMem()
	put(t, b, "d/f", "x", map[string]string{metaXattr: encodeXattrs(map[string][]byte{"user.s3fs": []byte("yes")})})
	c := &reqCounter{Backend: b}
	v := newTestFS(t, c)
	if _, err := v.ReadDir(context.Background(), "d"); err != nil {
		t.Fatal(err)
	}
	before := c.n.Load()
	if got := mustGetX(t, v, "d/f", "user.s3fs"); got != "yes" {
		t.Fatalf("got %q", got)
	}
	if n := c.n.Load() - before; n > 1 {
		t.Fatalf("getxattr after a listing cost %d requests, want at most one HEAD", n)
	}
}

func TestXattrOnOpenFiles(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	ctx := context.Background()

	// A new file with unflushed data: the attribute goes with the upload.
	h, _, err := v.Create(ctx, "new", OpenFlags{Write: true}, 0o600, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("hello"), 0)
	mustSetX(t, v, "new", "user.early", "1")
	if _, err := b.Head(ctx, "new"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("uploaded before flush: %v", err)
	}
	if got := mustGetX(t, v, "new", "user.early"); got != "1" {
		t.Fatalf("open file shows %q", got)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	obj := head(t, b, "new")
	if string(decodeXattrs(obj.Metadata[metaXattr])["user.early"]) != "1" || obj.Metadata[metaMode] != "33152" {
		t.Fatalf("uploaded metadata %v", obj.Metadata)
	}
	if data, _ := get(t, b, "new"); data != "hello" {
		t.Fatalf("data %q", data)
	}

	// An existing file open for writing and edited: same, and an
	// attribute set on a clean open file is stored at once.
	h, err = v.Open(ctx, "new", OpenFlags{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	mustSetX(t, v, "new", "user.clean", "c")
	if string(decodeXattrs(head(t, b, "new").Metadata[metaXattr])["user.clean"]) != "c" {
		t.Fatal("attribute on a clean open file not stored at once")
	}
	h.Write(ctx, []byte("HELLO"), 0)
	if err := v.Removexattr(ctx, "new", nil, "user.early"); err != nil {
		t.Fatal(err)
	}
	mustSetX(t, v, "new", "user.late", "2")
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	attrs := decodeXattrs(head(t, b, "new").Metadata[metaXattr])
	if !reflect.DeepEqual(normalise(attrs), map[string]string{"user.clean": "c", "user.late": "2"}) {
		t.Fatalf("after upload: %q", attrs)
	}
	if data, _ := get(t, b, "new"); data != "HELLO" {
		t.Fatalf("data %q", data)
	}

	// An inode unlinked while open keeps answering through its handle.
	h, err = v.Open(ctx, "new", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if err := v.Unlink(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if val, err := v.Getxattr(ctx, "", h, "user.late"); err != nil || string(val) != "2" {
		t.Fatalf("unlinked: %q %v", val, err)
	}
	if err := v.Setxattr(ctx, "", h, "user.gone", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
}

func TestXattrDirtyFileSurvivesCrash(t *testing.T) {
	mem := newMem()
	faults := wrap.NewFaults(1)
	b := noClose{wrap.Faulty(mem, faults)}
	dir := t.TempDir()
	ctx := context.Background()
	v, err := testNew(ctx, b, Options{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v.Create(ctx, "unsaved", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("precious"), 0)
	faults.Set(wrap.Fault{})
	if err := h.Flush(ctx); err == nil {
		t.Fatal("flush during an outage reported success")
	}
	faults.Set()
	mustSetX(t, v, "unsaved", "user.tag", "kept")
	v2, err := testNew(ctx, b, Options{CacheDir: killed(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close(ctx)
	if got := mustGetX(t, v2, "unsaved", "user.tag"); got != "kept" {
		t.Fatalf("recovered attribute %q", got)
	}
}

func TestXattrDirectories(t *testing.T) {
	for _, layout := range []DirLayout{LayoutS3, LayoutAzure} {
		b := newMem()
		v := newTestFS(t, b, func(o *Options) { o.Layout = layout })
		ctx := context.Background()
		if _, err := v.Mkdir(ctx, "made", 0o755, 0, 0); err != nil {
			t.Fatal(err)
		}
		mustSetX(t, v, "made", "user.d", "1")
		marker := v.markerKey("made")
		if string(decodeXattrs(head(t, b, marker).Metadata[metaXattr])["user.d"]) != "1" {
			t.Fatalf("layout %d: marker %q lacks the attribute", layout, marker)
		}

		put(t, b, "implicit/child", "x", nil)
		mustSetX(t, v, "implicit", "user.i", "2")
		marker = v.markerKey("implicit")
		md := head(t, b, marker).Metadata
		if string(decodeXattrs(md[metaXattr])["user.i"]) != "2" {
			t.Fatalf("layout %d: implicit directory gained no marker with the attribute: %v", layout, md)
		}
		if layout == LayoutAzure && md[metaIsFolder] != "true" {
			t.Fatalf("Azure marker without hdi_isfolder: %v", md)
		}
		if a, err := v.Lookup(ctx, "implicit"); err != nil || a.Kind != KindDir {
			t.Fatalf("implicit dir is now %v %v", a, err)
		}
		// The root has no object to hold attributes.
		if err := v.Setxattr(ctx, "", nil, "user.r", []byte("x"), 0); !errors.Is(err, ErrNotSupp) {
			t.Fatalf("root: %v", err)
		}
		if _, err := v.Getxattr(ctx, "", nil, "user.r"); !errors.Is(err, ErrNoAttr) {
			t.Fatalf("root get: %v", err)
		}

		// Survives a remount and a directory rename.
		v2 := newTestFS(t, b, func(o *Options) { o.Layout = layout })
		if got := mustGetX(t, v2, "made", "user.d"); got != "1" {
			t.Fatalf("after remount %q", got)
		}
		if err := v2.Rename(ctx, "made", "moved", RenameFlags{}); err != nil {
			t.Fatal(err)
		}
		if got := mustGetX(t, v2, "moved", "user.d"); got != "1" {
			t.Fatalf("after rename %q", got)
		}
	}
}

func TestXattrRenameAndRemount(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	ctx := context.Background()
	writeFile(t, v, "a", "data")
	mustSetX(t, v, "a", "user.k", "v")
	if err := v.Rename(ctx, "a", "b", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if got := mustGetX(t, v, "b", "user.k"); got != "v" {
		t.Fatalf("after rename %q", got)
	}
	v2 := newTestFS(t, b)
	if got := mustGetX(t, v2, "b", "user.k"); got != "v" {
		t.Fatalf("after remount %q", got)
	}
	// Data rewrites keep the attributes too.
	h, err := v2.Open(ctx, "b", OpenFlags{Write: true, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("new"), 0)
	h.Release(ctx)
	if string(decodeXattrs(head(t, b, "b").Metadata[metaXattr])["user.k"]) != "v" {
		t.Fatal("rewrite dropped the attribute")
	}
}

func TestXattrStoreLimit(t *testing.T) {
	b := newMem() // 2 KiB of metadata, as S3
	v := newTestFS(t, b)
	ctx := context.Background()
	writeFile(t, v, "f", "x")
	if err := v.Setxattr(ctx, "f", nil, "user.big", bytes.Repeat([]byte("a"), 1800), 0); !errors.Is(err, ErrAttrTooBig) {
		t.Fatalf("1800-byte value: %v", err)
	}
	var err error
	i := 0
	for ; i < 20 && err == nil; i++ {
		err = v.Setxattr(ctx, "f", nil, "user.k"+string(rune('a'+i)), bytes.Repeat([]byte("b"), 300), 0)
	}
	if !errors.Is(err, ErrAttrNoSpace) || i < 3 {
		t.Fatalf("after %d values: %v", i, err)
	}
	// Nothing half-written: the store holds exactly the ones that fit.
	stored := decodeXattrs(head(t, b, "f").Metadata[metaXattr])
	if len(stored) != i-1 {
		t.Fatalf("store holds %d attributes, %d were accepted", len(stored), i-1)
	}
	names, _ := v.Listxattr(ctx, "f", nil)
	if len(names) != i-1 {
		t.Fatalf("list shows %d", len(names))
	}
	// Removal always works, and makes room again.
	if err := v.Removexattr(ctx, "f", nil, "user.ka"); err != nil {
		t.Fatal(err)
	}
	if err := v.Setxattr(ctx, "f", nil, "user.again", bytes.Repeat([]byte("c"), 300), 0); err != nil {
		t.Fatal(err)
	}
}

func TestXattrFixedAttrsAndReadOnly(t *testing.T) {
	b := newMem()
	put(t, b, "f", "x", map[string]string{metaXattr: encodeXattrs(map[string][]byte{"user.k": []byte("v")})})
	v := newTestFS(t, b, func(o *Options) { o.FixedAttrs = true })
	ctx := context.Background()
	if err := v.Setxattr(ctx, "f", nil, "user.k", []byte("w"), 0); !errors.Is(err, ErrNotSupp) {
		t.Fatalf("set: %v", err)
	}
	if _, err := v.Getxattr(ctx, "f", nil, "user.k"); !errors.Is(err, ErrNotSupp) {
		t.Fatalf("get: %v", err)
	}
	if names, err := v.Listxattr(ctx, "f", nil); err != nil || len(names) != 0 {
		t.Fatalf("list %v %v", names, err)
	}
	ro := newTestFS(t, b, func(o *Options) { o.ReadOnly = true })
	if got := mustGetX(t, ro, "f", "user.k"); got != "v" {
		t.Fatalf("read-only get %q", got)
	}
	if err := ro.Setxattr(ctx, "f", nil, "user.k", []byte("w"), 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only set: %v", err)
	}
}

func TestXattrSymlink(t *testing.T) {
	v := newTestFS(t, newMem())
	ctx := context.Background()
	if _, err := v.Symlink(ctx, "target", "link", 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := v.Setxattr(ctx, "link", nil, "user.k", []byte("v"), 0); !errors.Is(err, ErrPerm) {
		t.Fatalf("set on symlink: %v", err)
	}
	if _, err := v.Getxattr(ctx, "link", nil, "user.k"); !errors.Is(err, ErrNoAttr) {
		t.Fatalf("get on symlink: %v", err)
	}
	if names, err := v.Listxattr(ctx, "link", nil); err != nil || len(names) != 0 {
		t.Fatalf("list on symlink: %v %v", names, err)
	}
}

func TestXattrStreamingWrite(t *testing.T) {
	b := newMem()
	v := newStreamFS(t, b)
	ctx := context.Background()
	h, _, err := v.Create(ctx, "s", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("streamed"), 0)
	mustSetX(t, v, "s", "user.s", "1")
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if string(decodeXattrs(head(t, b, "s").Metadata[metaXattr])["user.s"]) != "1" {
		t.Fatal("streamed upload lost the attribute")
	}
}
