package vfs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

func newTestFS(t *testing.T, b storage.Backend, mut ...func(*Options)) *FS {
	t.Helper()
	opts := Options{CacheDir: t.TempDir(), AttrTTL: time.Minute, NegativeTTL: time.Minute, PartSize: 1 << 20}
	for _, m := range mut {
		m(&opts)
	}
	v, err := testNew(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

func newMem() *memstore.Store { return memstore.New(memstore.Options{MinPartSize: 1 << 20}) }

func put(t *testing.T, b storage.Backend, key, data string, md map[string]string) {
	t.Helper()
	if _, err := b.Put(context.Background(), key, strings.NewReader(data), storage.PutOptions{Metadata: md}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, b storage.Backend, key string) (string, storage.Object) {
	t.Helper()
	rc, obj, err := b.Get(context.Background(), key, storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), obj
}

func writeFile(t *testing.T, v *FS, p, data string) {
	t.Helper()
	ctx := context.Background()
	h, _, err := v.Create(ctx, p, OpenFlags{Write: true, Truncate: true}, 0o644, 1000, 1000)
	if err != nil {
		t.Fatalf("create %q: %v", p, err)
	}
	if _, err := h.Write(ctx, []byte(data), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, v *FS, p string) string {
	t.Helper()
	ctx := context.Background()
	h, err := v.Open(ctx, p, OpenFlags{})
	if err != nil {
		t.Fatalf("open %q: %v", p, err)
	}
	defer h.Release(ctx)
	var out bytes.Buffer
	buf := make([]byte, 7)
	for off := int64(0); ; {
		n, err := h.Read(ctx, buf, off)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		out.Write(buf[:n])
		off += int64(n)
	}
	return out.String()
}

func names(t *testing.T, v *FS, dir string) []string {
	t.Helper()
	ents, err := v.ReadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name+":"+e.Attr.Kind.String())
	}
	return out
}

func TestCreateWriteReadUploads(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	writeFile(t, v, "a.txt", "hello world")
	data, obj := get(t, b, "a.txt")
	if data != "hello world" {
		t.Fatalf("store has %q", data)
	}
	if obj.Metadata["uid"] != "1000" || obj.Metadata["mode"] != "33188" {
		t.Fatalf("metadata %v", obj.Metadata)
	}
	if got := readFile(t, v, "a.txt"); got != "hello world" {
		t.Fatalf("read %q", got)
	}
	a, err := v.Lookup(context.Background(), "a.txt")
	if err != nil || a.Size != 11 || a.UID != 1000 || a.Mode != 0o644 {
		t.Fatalf("attr %+v %v", a, err)
	}
}

func TestLargeFileMultipart(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	data := bytes.Repeat([]byte("0123456789abcdef"), 300000) // ~4.6 MiB, 5 parts
	writeFile(t, v, "big", string(data))
	got, _ := get(t, b, "big")
	if got != string(data) {
		t.Fatal("multipart content differs")
	}
	// Reopen with a cold cache: staged by parallel ranged reads.
	v2 := newTestFS(t, b)
	if readFile(t, v2, "big") != string(data) {
		t.Fatal("read back differs")
	}
}

func TestDirectoriesMarkersAndPrefixes(t *testing.T) {
	b := newMem()
	put(t, b, "implicit/x/y.txt", "y", nil)
	put(t, b, "marker/", "", nil)
	put(t, b, "azdir", "", map[string]string{"hdi_isfolder": "true"})
	put(t, b, "top.txt", "t", nil)
	v := newTestFS(t, b)
	got := strings.Join(names(t, v, ""), " ")
	want := "azdir:dir implicit:dir marker:dir top.txt:file"
	if !b.Caps().ListMetadata {
		// Without metadata in listings an Azure marker looks like a file
		// until it is looked up.
		want = "azdir:file implicit:dir marker:dir top.txt:file"
	}
	if got != want {
		t.Fatalf("root: got %q want %q", got, want)
	}
	for _, p := range []string{"implicit", "implicit/x", "marker", "azdir"} {
		v2 := newTestFS(t, b) // no cache: lookup must ask the store
		a, err := v2.Lookup(context.Background(), p)
		if err != nil || a.Kind != KindDir {
			t.Fatalf("lookup %q: %+v %v", p, a, err)
		}
	}
	ctx := context.Background()
	if _, err := v.Mkdir(ctx, "newdir", 0o750, 5, 6); err != nil {
		t.Fatal(err)
	}
	if _, obj := get(t, b, "newdir/"); obj.Metadata["mode"] != "16872" {
		t.Fatalf("marker metadata %v", obj.Metadata)
	}
	if _, err := v.Mkdir(ctx, "newdir", 0o750, 5, 6); !errors.Is(err, ErrExist) {
		t.Fatalf("mkdir twice: %v", err)
	}
	v3 := newTestFS(t, b)
	a, err := v3.Lookup(ctx, "newdir")
	if err != nil || a.Mode != 0o750 || a.UID != 5 {
		t.Fatalf("empty dir after remount: %+v %v", a, err)
	}
	if err := v.Rmdir(ctx, "implicit"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("rmdir non-empty: %v", err)
	}
	if err := v.Rmdir(ctx, "newdir"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Lookup(ctx, "newdir"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("after rmdir: %v", err)
	}
}

func TestRenameFileAndDir(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	ctx := context.Background()
	writeFile(t, v, "f1", "one")
	if err := v.Rename(ctx, "f1", "f2", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Head(ctx, "f1"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("old key remains: %v", err)
	}
	if readFile(t, v, "f2") != "one" {
		t.Fatal("renamed content")
	}
	if _, err := v.Mkdir(ctx, "d", 0o755, 0, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		writeFile(t, v, "d/sub/"+string(rune('a'+i%26))+strings.Repeat("x", i), "data")
	}
	if err := v.Rename(ctx, "d", "e", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	page, _ := b.List(ctx, storage.ListOptions{Prefix: "d/"})
	if len(page.Objects) != 0 {
		t.Fatalf("source keys remain: %d", len(page.Objects))
	}
	page, _ = b.List(ctx, storage.ListOptions{Prefix: "e/"})
	if len(page.Objects) != 31 {
		t.Fatalf("dest keys: %d", len(page.Objects))
	}
	if err := v.Rename(ctx, "e", "e/inner", RenameFlags{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rename into itself: %v", err)
	}
	writeFile(t, v, "g", "g")
	if err := v.Rename(ctx, "f2", "g", RenameFlags{NoReplace: true}); !errors.Is(err, ErrExist) {
		t.Fatalf("noreplace: %v", err)
	}
	if err := v.Rename(ctx, "f2", "e", RenameFlags{}); !errors.Is(err, ErrIsDir) {
		t.Fatalf("file over dir: %v", err)
	}
}

func TestRenameOpenDirtyFile(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b)
	ctx := context.Background()
	h, _, err := v.Create(ctx, "tmp", OpenFlags{Write: true}, 0o600, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("pending"), 0)
	if err := v.Rename(ctx, "tmp", "final", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	if data, _ := get(t, b, "final"); data != "pending" {
		t.Fatalf("final has %q", data)
	}
	if _, err := b.Head(ctx, "tmp"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("tmp was uploaded")
	}
}

func TestEditInPlaceTruncateAppend(t *testing.T) {
	b := newMem()
	put(t, b, "doc", "0123456789", nil)
	v := newTestFS(t, b)
	ctx := context.Background()
	h, err := v.Open(ctx, "doc", OpenFlags{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("AB"), 4)
	h.Write(ctx, []byte("tail"), 10)
	h.Flush(ctx)
	h.Release(ctx)
	if data, _ := get(t, b, "doc"); data != "0123AB6789tail" {
		t.Fatalf("edit: %q", data)
	}
	sz := int64(3)
	if _, err := v.Setattr(ctx, "doc", nil, SetAttr{Size: &sz}); err != nil {
		t.Fatal(err)
	}
	if data, _ := get(t, b, "doc"); data != "012" {
		t.Fatalf("shrink: %q", data)
	}
	sz = 6
	if _, err := v.Setattr(ctx, "doc", nil, SetAttr{Size: &sz}); err != nil {
		t.Fatal(err)
	}
	if data, _ := get(t, b, "doc"); data != "012\x00\x00\x00" {
		t.Fatalf("extend: %q", data)
	}
}

func TestChmodKeepsDataAndMetadata(t *testing.T) {
	b := newMem()
	put(t, b, "f", "content", map[string]string{"owner-note": "keep"})
	v := newTestFS(t, b)
	ctx := context.Background()
	mode := uint32(0o600)
	mt := time.Unix(1500000000, 0)
	if _, err := v.Setattr(ctx, "f", nil, SetAttr{Mode: &mode, Mtime: &mt}); err != nil {
		t.Fatal(err)
	}
	data, obj := get(t, b, "f")
	if data != "content" || obj.Metadata["owner-note"] != "keep" || obj.Metadata["mtime"] != "1500000000" {
		t.Fatalf("after chmod: %q %v", data, obj.Metadata)
	}
	v2 := newTestFS(t, b)
	a, _ := v2.Lookup(ctx, "f")
	if a.Mode != 0o600 || !a.Mtime.Equal(mt) {
		t.Fatalf("attr %+v", a)
	}
}

func TestS3fsMetadataIsRead(t *testing.T) {
	b := newMem()
	put(t, b, "s3fs-file", "x", map[string]string{"mode": "33261", "uid": "1001", "gid": "1002", "mtime": "1600000000"})
	v := newTestFS(t, b)
	a, err := v.Lookup(context.Background(), "s3fs-file")
	if err != nil || a.Mode != 0o755 || a.UID != 1001 || a.GID != 1002 || a.Mtime.Unix() != 1600000000 {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestSymlinkLayouts(t *testing.T) {
	ctx := context.Background()
	b := newMem()
	v := newTestFS(t, b)
	if _, err := v.Symlink(ctx, "../target", "link", 0, 0); err != nil {
		t.Fatal(err)
	}
	if data, _ := get(t, b, "link.rclonelink"); data != "../target" {
		t.Fatalf("s3 layout: %q", data)
	}
	if got := names(t, newTestFS(t, b), ""); strings.Join(got, " ") != "link:symlink" {
		t.Fatalf("listing %v", got)
	}
	if tgt, err := newTestFS(t, b).Readlink(ctx, "link"); err != nil || tgt != "../target" {
		t.Fatalf("readlink %q %v", tgt, err)
	}
	az := newMem()
	va := newTestFS(t, az, func(o *Options) { o.Layout = LayoutAzure })
	if _, err := va.Symlink(ctx, "t", "l", 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, obj := get(t, az, "l"); obj.Metadata["is_symlink"] != "true" {
		t.Fatalf("azure layout metadata %v", obj.Metadata)
	}
	if err := v.Unlink(ctx, "link"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Head(ctx, "link.rclonelink"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatal("symlink object remains")
	}
}

func TestUnlinkWhileOpen(t *testing.T) {
	b := newMem()
	put(t, b, "f", "still readable", nil)
	v := newTestFS(t, b)
	ctx := context.Background()
	h, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	h.Read(ctx, buf, 0)
	if err := v.Unlink(ctx, "f"); err != nil {
		t.Fatal(err)
	}
	n, err := h.Read(ctx, buf, 6)
	if err != nil || string(buf[:n]) != "reada" {
		t.Fatalf("read after unlink %q %v", buf[:n], err)
	}
	h.Release(ctx)
	if _, err := v.Lookup(ctx, "f"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("lookup after unlink: %v", err)
	}
}

func TestChangedBehindOurBack(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b, func(o *Options) { o.AttrTTL = 0; o.NegativeTTL = 0 })
	put(t, b, "x", "v1", nil)
	if readFile(t, v, "x") != "v1" {
		t.Fatal("v1")
	}
	put(t, b, "x", "version2", nil)
	if got := readFile(t, v, "x"); got != "version2" {
		t.Fatalf("after external change: %q", got)
	}
	b.Delete(context.Background(), "x")
	if _, err := v.Lookup(context.Background(), "x"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("after external delete: %v", err)
	}
}

func TestDirtyFileSurvivesCrash(t *testing.T) {
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
	// The application flushes while the store is down: the file is
	// complete, and kept.
	faults.Set(wrap.Fault{})
	if err := h.Flush(ctx); err == nil {
		t.Fatal("flush during an outage reported success")
	}
	faults.Set()
	// Simulate a killed daemon: no Close. A new instance over the same
	// cache directory finishes the upload.
	v2, err := testNew(ctx, b, Options{CacheDir: killed(t, dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close(ctx)
	if data, _ := get(t, mem, "unsaved"); data != "precious" {
		t.Fatalf("recovered %q", data)
	}
}

// A file written but never closed or synced when the daemon was killed may
// be torn: it never replaces the stored version, and what was written is
// kept as a copy beside it.
func TestUnfinishedFileIsNotPublishedAfterCrash(t *testing.T) {
	for _, existed := range []bool{false, true} {
		b := newMem()
		dir := t.TempDir()
		ctx := context.Background()
		if existed {
			put(t, b, "ckpt", "last good", nil)
		}
		v, err := testNew(ctx, keepOpen{b}, Options{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v.Create(ctx, "ckpt", OpenFlags{Write: true, Truncate: true}, 0o644, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(ctx, []byte("half writ"), 0); err != nil {
			t.Fatal(err)
		}
		v2, err := testNew(ctx, keepOpen{b}, Options{CacheDir: killed(t, dir)})
		if err != nil {
			t.Fatal(err)
		}
		v2.Close(ctx)
		keys := storeKeys(t, b)
		want := 1
		if existed {
			want = 2
			if data, _ := get(t, b, "ckpt"); data != "last good" {
				t.Fatalf("existed: the stored version became %q", data)
			}
		}
		if len(keys) != want || !strings.HasPrefix(keys[len(keys)-1], "ckpt.conflict-") {
			t.Fatalf("existed=%v: store keys %q", existed, keys)
		}
		if data, _ := get(t, b, keys[len(keys)-1]); data != "half writ" {
			t.Fatalf("existed=%v: recovered copy holds %q", existed, data)
		}
	}
}

func TestReadOnly(t *testing.T) {
	b := newMem()
	put(t, b, "f", "x", nil)
	v := newTestFS(t, b, func(o *Options) { o.ReadOnly = true })
	ctx := context.Background()
	if _, _, err := v.Create(ctx, "g", OpenFlags{Write: true}, 0o644, 0, 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("create: %v", err)
	}
	if _, err := v.Open(ctx, "f", OpenFlags{Write: true}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("open for write: %v", err)
	}
	if readFile(t, v, "f") != "x" {
		t.Fatal("read")
	}
}

func newStreamFS(t *testing.T, b storage.Backend) *FS {
	return newTestFS(t, b, func(o *Options) {
		o.Budget = stream.NewBudget(64 << 20)
		o.Stream = &StreamOptions{PartSize: 1 << 20, UploadConcurrency: 2}
	})
}

func TestStreamingWriteAndRead(t *testing.T) {
	b := newMem()
	v := newStreamFS(t, b)
	ctx := context.Background()
	data := bytes.Repeat([]byte("streaming-data-"), 300000) // ~4.5 MiB, several parts
	h, _, err := v.Create(ctx, "s.bin", OpenFlags{Write: true}, 0o640, 7, 8)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 100000 {
		end := min(off+100000, len(data))
		if _, err := h.Write(ctx, data[off:end], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	if a := h.Attr(); a.Size != int64(len(data)) {
		t.Fatalf("size while streaming %d", a.Size)
	}
	if _, err := b.Head(ctx, "s.bin"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("object visible before close: %v", err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	got, obj := get(t, b, "s.bin")
	if got != string(data) || obj.Metadata["uid"] != "7" {
		t.Fatalf("stored %d bytes, metadata %v", len(got), obj.Metadata)
	}
	if readFile(t, newStreamFS(t, b), "s.bin") != string(data) {
		t.Fatal("streamed read differs")
	}
}

func TestStreamingFallsBackOnRandomWrite(t *testing.T) {
	b := newMem()
	v := newStreamFS(t, b)
	ctx := context.Background()
	h, _, err := v.Create(ctx, "zip", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, bytes.Repeat([]byte{'a'}, 3<<20), 0)
	h.Write(ctx, []byte("HEADER"), 0) // a writer going back to patch its header
	h.Write(ctx, []byte("tail"), 3<<20)
	buf := make([]byte, 6)
	if n, err := h.Read(ctx, buf, 0); err != nil || string(buf[:n]) != "HEADER" {
		t.Fatalf("read back %q %v", buf[:n], err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	got, _ := get(t, b, "zip")
	want := "HEADER" + strings.Repeat("a", 3<<20-6) + "tail"
	if got != want {
		t.Fatalf("content differs: len %d want %d", len(got), len(want))
	}
}

func TestStreamingTruncateOpenAndRename(t *testing.T) {
	b := newMem()
	put(t, b, "old", "previous content", nil)
	v := newStreamFS(t, b)
	ctx := context.Background()
	h, err := v.Open(ctx, "old", OpenFlags{Write: true, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("new"), 0)
	if err := v.Rename(ctx, "old", "moved", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte(" and more"), 3)
	h.Flush(ctx)
	h.Release(ctx)
	if got, _ := get(t, b, "moved"); got != "new and more" {
		t.Fatalf("moved has %q", got)
	}
	if _, err := b.Head(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("old remains: %v", err)
	}
}

func TestFixedAttrsIgnoreMetadataAndTrustListings(t *testing.T) {
	b := newMem()
	put(t, b, "d/f", "x", map[string]string{"mode": "33152", "uid": "5"})
	meter := &headCounter{Backend: b}
	v := newTestFS(t, meter, func(o *Options) {
		o.FixedAttrs = true
		o.DefaultUID, o.DefaultGID, o.DefaultFileMode = 42, 43, 0o640
	})
	ctx := context.Background()
	ents, err := v.ReadDir(ctx, "d")
	if err != nil || len(ents) != 1 || ents[0].Attr.Mode != 0o640 || ents[0].Attr.UID != 42 {
		t.Fatalf("listing %+v %v", ents, err)
	}
	a, err := v.Lookup(ctx, "d/f")
	if err != nil || a.Mode != 0o640 || a.UID != 42 {
		t.Fatalf("lookup %+v %v", a, err)
	}
	if meter.heads != 0 {
		t.Fatalf("%d HEADs for a listing with fixed attributes", meter.heads)
	}
	mode := uint32(0o777)
	if a, err := v.Setattr(ctx, "d/f", nil, SetAttr{Mode: &mode}); err != nil || a.Mode != 0o640 {
		t.Fatalf("chmod: %+v %v", a, err)
	}
	if _, obj := get(t, b, "d/f"); obj.Metadata["mode"] != "33152" {
		t.Fatalf("chmod changed stored metadata: %v", obj.Metadata)
	}
}

// headCounter counts HEAD requests.
type headCounter struct {
	storage.Backend
	heads int
}

func (h *headCounter) Head(ctx context.Context, key string) (storage.Object, error) {
	h.heads++
	return h.Backend.Head(ctx, key)
}

// dd and shell redirections open a file, duplicate the descriptor and
// close the first one before writing: that close must not end the stream,
// or every later write would go to a staged copy on disk.
func TestStreamingSurvivesCloseOfDuplicateBeforeWrites(t *testing.T) {
	b := newMem()
	v := newStreamFS(t, b)
	ctx := context.Background()
	h, _, err := v.Create(ctx, "dd.bin", OpenFlags{Write: true, Truncate: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.FlushOnClose(ctx); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := h.Write(ctx, data[off:off+1<<20], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	staged, err := os.ReadDir(filepath.Join(v.opts.CacheDir, "data"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if len(staged) != 0 {
		t.Fatalf("%d files staged on disk; the write should have streamed", len(staged))
	}
	if err := h.FlushOnClose(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, b, "dd.bin"); got != string(data) {
		t.Fatalf("stored %d bytes, want %d", len(got), len(data))
	}
	h.Release(ctx)
}

// A file created and closed without data still exists once released.
func TestStreamingEmptyFileCreatedAtRelease(t *testing.T) {
	b := newMem()
	v := newStreamFS(t, b)
	ctx := context.Background()
	h, _, err := v.Create(ctx, "empty", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.FlushOnClose(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, b, "empty"); got != "" {
		t.Fatalf("stored %q", got)
	}
}

// testNew is New with what the config layer gives every mount, for the
// fields a test leaves zero.
func testNew(ctx context.Context, b storage.Backend, o Options) (*FS, error) {
	if o.Budget == nil {
		o.Budget = stream.NewBudget(16 << 20)
	}
	if o.PartSize == 0 {
		o.PartSize = 8 << 20
	}
	if o.UploadConcurrency == 0 {
		o.UploadConcurrency = 4
	}
	if o.HighDiskThreshold == 0 {
		o.HighDiskThreshold, o.LowDiskThreshold = 90, 80
	}
	if o.CacheTimeout == 0 {
		o.CacheTimeout = 120 * time.Second
	}
	if o.DefaultFileMode == 0 {
		o.DefaultFileMode = 0o644
	}
	if o.DefaultDirMode == 0 {
		o.DefaultDirMode = 0o755
	}
	return New(ctx, b, o)
}

// noClose shares a backend between successive mounts (FS.Close closes
// its backend).
type noClose struct{ storage.Backend }

func (noClose) Close() error { return nil }

// killed is the cache directory dir as a killed daemon leaves it: a copy
// taken now, which the daemon, still running here, does not hold.
func killed(t *testing.T, dir string) string {
	t.Helper()
	snap := t.TempDir()
	if err := os.CopyFS(snap, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return snap
}

// On Azure times are stored as rclone stores them there (RFC 3339), and
// both that form and s3fs's seconds are read on either store.
func TestAzureTimesAreRFC3339(t *testing.T) {
	b := newMem()
	v := newTestFS(t, b, func(o *Options) { o.Layout = LayoutAzure })
	ctx := context.Background()
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	h, _, err := v.Create(ctx, "ours", OpenFlags{Write: true}, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(ctx, []byte("x"), 0)
	if _, err := v.Setattr(ctx, "ours", h, SetAttr{Mtime: &mt}); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	_, obj := get(t, b, "ours")
	if got, err := time.Parse(time.RFC3339Nano, obj.Metadata["mtime"]); err != nil || !got.Equal(mt) {
		t.Fatalf("stored mtime %q (%v), want %s in RFC 3339", obj.Metadata["mtime"], err, mt)
	}
	put(t, b, "rclone", "y", map[string]string{"mtime": "2023-01-02T03:04:05.5Z"})
	put(t, b, "s3fs", "z", map[string]string{"mtime": "1700000000"})
	put(t, b, "1960", "z", map[string]string{"mtime": "-300000000"})
	for name, want := range map[string]time.Time{
		"rclone": time.Date(2023, 1, 2, 3, 4, 5, 5e8, time.UTC),
		"s3fs":   time.Unix(1700000000, 0),
		"1960":   time.Unix(-300000000, 0),
	} {
		a, err := v.Lookup(ctx, name)
		if err != nil || !a.Mtime.Equal(want) {
			t.Errorf("%s: mtime %s (%v), want %s", name, a.Mtime, err, want)
		}
	}
}

// reserved is a store that changes '\' in keys, as Azure does.
type reserved struct{ storage.Backend }

func (r reserved) Caps() storage.Caps {
	c := r.Backend.Caps()
	c.ReservedChars = `\`
	return c
}

// A name the store would turn into another (a backslash on Azure) is
// refused with EINVAL by every call that makes a name.
func TestNameWithReservedCharacterRefused(t *testing.T) {
	b := newMem()
	v := newTestFS(t, reserved{b})
	ctx := context.Background()
	if _, _, err := v.Create(ctx, `back\slash.txt`, OpenFlags{Write: true}, 0o644, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("create: %v, want ErrInvalid", err)
	}
	if _, err := v.Mkdir(ctx, `a\b`, 0o755, 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("mkdir: %v, want ErrInvalid", err)
	}
	put(t, b, "plain", "x", nil)
	if err := v.Rename(ctx, "plain", `pl\ain`, RenameFlags{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("rename: %v, want ErrInvalid", err)
	}
	if keys := storeKeys(t, b); len(keys) != 1 || keys[0] != "plain" {
		t.Errorf("store keys %q", keys)
	}
	// The store would answer a lookup for another name (a/b).
	put(t, b, "a/b", "in a directory", nil)
	if _, err := v.Lookup(ctx, `a\b`); !errors.Is(err, ErrNotExist) {
		t.Errorf(`lookup a\b: %v, want ErrNotExist`, err)
	}
}

// A directory that lists empty but holds keys no name can show is not
// removed, and the log names those keys.
func TestRmdirNamesHiddenKeys(t *testing.T) {
	b := newMem()
	var logs syncBuffer
	v := newTestFS(t, b, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	ctx := context.Background()
	put(t, b, "d/", "", nil)
	put(t, b, "d/./x", "hidden", nil)
	if ents, err := v.ReadDir(ctx, "d"); err != nil || len(ents) != 0 {
		t.Fatalf("readdir d: %v %v, want empty", ents, err)
	}
	if err := v.Rmdir(ctx, "d"); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("rmdir: %v, want ErrNotEmpty", err)
	}
	if !strings.Contains(logs.String(), "d/./x") {
		t.Fatalf("the log does not name the hidden key:\n%s", logs.String())
	}
}

// A rename moves the file's ctime on, in the cache and in the stored
// copy, as on a disk; everything else of its metadata stays.
func TestRenameMovesCtime(t *testing.T) {
	b := newMem()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	put(t, b, "f", "x", map[string]string{metaCtime: strconv.FormatInt(old.Unix(), 10), "user.k": "v", metaMode: strconv.Itoa(0o100600)})
	v := newTestFS(t, b)
	ctx := context.Background()
	if a, err := v.Lookup(ctx, "f"); err != nil || !a.Ctime.Equal(old) {
		t.Fatalf("before: %v %v", a.Ctime, err)
	}
	if err := v.Rename(ctx, "f", "g", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	a, err := v.Lookup(ctx, "g")
	if err != nil || !a.Ctime.After(old) || a.Mode != 0o600 {
		t.Fatalf("after: ctime %v mode %o %v", a.Ctime, a.Mode, err)
	}
	_, obj := get(t, b, "g")
	if obj.Metadata[metaCtime] == strconv.FormatInt(old.Unix(), 10) || obj.Metadata["user.k"] != "v" || obj.Metadata[metaMode] != strconv.Itoa(0o100600) {
		t.Fatalf("stored metadata %v", obj.Metadata)
	}
}

// Two runs killed while writing the same file, recovered in the same
// second, keep both recovered copies: the second never replaces the
// first.
func TestSecondRecoveredCopyKeepsTheFirst(t *testing.T) {
	b := newMem()
	dir := t.TempDir()
	ctx := context.Background()
	for _, data := range []string{"first run", "second run"} {
		v, err := testNew(ctx, keepOpen{b}, Options{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v.Create(ctx, "ckpt", OpenFlags{Write: true, Truncate: true}, 0o644, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(ctx, []byte(data), 0); err != nil {
			t.Fatal(err)
		}
		dir = killed(t, dir)
	}
	v, err := testNew(ctx, keepOpen{b}, Options{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v.Close(ctx)
	var copies []string
	for _, k := range storeKeys(t, b) {
		data, _ := get(t, b, k)
		copies = append(copies, data)
	}
	slices.Sort(copies)
	if len(copies) != 2 || copies[0] != "first run" || copies[1] != "second run" {
		t.Fatalf("recovered copies %q", copies)
	}
}
