package dirstore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/dirstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

func newStore(t *testing.T, opts dirstore.Options) *dirstore.Store {
	t.Helper()
	s, err := dirstore.New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newStore(t, dirstore.Options{})
	})
}

// Keys that look like the store's own names or need escaping on disk.
func TestKeysThatCollideWithTheLayout(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	keys := []string{
		".cloudfuse", ".cloudfuse/x", ".cloudfuse.self", "x/.cloudfuse.self", "x/.cloudfuse.marker",
		".cloudfuse.meta.y", "y", "%", "%%", "%.", "a/./b", "a/../b", ".", "..", "../up",
		"x", "x/", "x/y/",
	}
	for _, k := range keys {
		storagetest.MustPut(t, s, k, []byte("v:"+k))
	}
	for _, k := range keys {
		storagetest.MustContain(t, s, k, []byte("v:"+k))
	}
	objs, _ := storagetest.MustListAll(t, s, storage.ListOptions{})
	want := slices.Sorted(slices.Values(keys))
	if got := storagetest.Keys(objs); !slices.Equal(got, want) {
		t.Fatalf("listing:\n got %q\nwant %q", got, want)
	}
	// Nothing escaped the root.
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Root()), "up")); err == nil {
		t.Fatal("key ../up wrote outside the root")
	}
	for _, k := range keys {
		if err := s.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	requireOnlyInternal(t, s.Root())
}

// requireOnlyInternal fails unless root holds nothing but the store's own
// staging directory: deletes prune the directories they empty.
func requireOnlyInternal(t *testing.T, root string) {
	t.Helper()
	des, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != ".cloudfuse" {
			t.Fatalf("left behind in the root: %s", de.Name())
		}
	}
}

func TestReadableLayout(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	storagetest.MustPutOpts(t, s, "photos/2024/a.jpg", []byte("jpeg"), storage.PutOptions{Metadata: map[string]string{"mode": "0644"}})
	got, err := os.ReadFile(filepath.Join(s.Root(), "photos", "2024", "a.jpg"))
	if err != nil || string(got) != "jpeg" {
		t.Fatalf("object file: %q %v", got, err)
	}
	if err := s.Delete(t.Context(), "photos/2024/a.jpg"); err != nil {
		t.Fatal(err)
	}
	requireOnlyInternal(t, s.Root())
}

// An object whose key is also a directory moves into that directory and
// back out of the way when its neighbours go.
func TestObjectAndDirectorySameName(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	storagetest.MustPutOpts(t, s, "a", []byte("file a"), storage.PutOptions{Metadata: map[string]string{"k": "v"}})
	etag := storagetest.MustHead(t, s, "a").ETag
	storagetest.MustPut(t, s, "a/b", []byte("file a/b"))
	h := storagetest.MustHead(t, s, "a")
	if h.ETag != etag || h.Metadata["k"] != "v" {
		t.Fatalf("moving a into a directory changed it: %+v", h)
	}
	storagetest.MustContain(t, s, "a", []byte("file a"))
	if err := s.Delete(t.Context(), "a/b"); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, s, "a", []byte("file a"))
	if err := s.Delete(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	requireOnlyInternal(t, s.Root())
}

// Files written by other programs are objects without metadata; changing
// them changes their ETag.
func TestForeignFiles(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	dir := filepath.Join(s.Root(), "ext")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "readme.txt")
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := storagetest.MustHead(t, s, "ext/readme.txt")
	if h.Size != 5 || h.ETag == "" || len(h.Metadata) != 0 {
		t.Fatalf("foreign file: %+v", h)
	}
	objs, _ := storagetest.MustListAll(t, s, storage.ListOptions{})
	if got := storagetest.Keys(objs); !slices.Equal(got, []string{"ext/readme.txt"}) {
		t.Fatalf("listing: %q", got)
	}

	// Rewritten in place with the same size: a new ETag all the same.
	later := time.Now().Add(time.Second)
	if err := os.WriteFile(path, []byte("HELLO"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if h2 := storagetest.MustHead(t, s, "ext/readme.txt"); h2.ETag == h.ETag {
		t.Fatal("ETag did not change when the file did")
	}

	// A file the store wrote, then changed behind its back, keeps its
	// metadata but not its ETag.
	put := storagetest.MustPutOpts(t, s, "ext/readme.txt", []byte("store"), storage.PutOptions{Metadata: map[string]string{"mode": "0600"}})
	if err := os.WriteFile(path, []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, later.Add(time.Second), later.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	h3 := storagetest.MustHead(t, s, "ext/readme.txt")
	if h3.ETag == put.ETag || h3.Metadata["mode"] != "0600" {
		t.Fatalf("after a change behind the store's back: %+v (put %+v)", h3, put)
	}
	storagetest.MustContain(t, s, "ext/readme.txt", []byte("other"))

	// Names with a stray escape character are not shown.
	if err := os.WriteFile(filepath.Join(dir, "%plain"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	objs, _ = storagetest.MustListAll(t, s, storage.ListOptions{Prefix: "ext/"})
	if got := storagetest.Keys(objs); !slices.Equal(got, []string{"ext/readme.txt"}) {
		t.Fatalf("listing with a stray escaped name: %q", got)
	}
}

func TestPersistsAcrossStores(t *testing.T) {
	root := t.TempDir()
	s1, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := storagetest.MustPutOpts(t, s1, "k/v", []byte("kept"), storage.PutOptions{Metadata: map[string]string{"a": "b"}, ContentType: "text/plain"})
	s1.Close()

	s2, err := dirstore.New(root, dirstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	h := storagetest.MustHead(t, s2, "k/v")
	if h.ETag != put.ETag || h.Metadata["a"] != "b" || h.ContentType != "text/plain" {
		t.Fatalf("after reopening: %+v, put %+v", h, put)
	}
}

func TestInFlightUploadIsHidden(t *testing.T) {
	s := newStore(t, dirstore.Options{MinPartSize: 4})
	up, err := s.CreateUpload(t.Context(), "big", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.WritePart(t.Context(), 1, bytes.NewReader([]byte("part"))); err != nil {
		t.Fatal(err)
	}
	objs, prefixes := storagetest.MustListAll(t, s, storage.ListOptions{})
	if len(objs)+len(prefixes) != 0 {
		t.Fatalf("staging shows in listings: %q %q", storagetest.Keys(objs), prefixes)
	}
	if err := up.Abort(t.Context()); err != nil {
		t.Fatal(err)
	}
	des, err := os.ReadDir(filepath.Join(s.Root(), ".cloudfuse", "uploads"))
	if err != nil || len(des) != 0 {
		t.Fatalf("abort left %v (%v)", des, err)
	}
}

func TestLongSegmentRejected(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	_, err := s.Put(t.Context(), "d/"+strings.Repeat("x", 250), bytes.NewReader(nil), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrInvalidKey)
	storagetest.MustPut(t, s, "d/"+strings.Repeat("x", 200), nil)
}

func TestReaderKeepsVersion(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	storagetest.MustPut(t, s, "k", []byte("old"))
	rc, _, err := s.Get(t.Context(), "k", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	storagetest.MustPut(t, s, "k", []byte("new"))
	if err := s.Delete(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, _ := rc.Read(buf)
	if string(buf[:n]) != "old" {
		t.Fatalf("reader read %q", buf[:n])
	}
}

// A link made by someone else where the store needs a directory is left
// alone.
func TestSymlinkInTheWay(t *testing.T) {
	s := newStore(t, dirstore.Options{})
	target := t.TempDir()
	link := filepath.Join(s.Root(), "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(t.Context(), "link/x", bytes.NewReader(nil), storage.PutOptions{})
	storagetest.RequireKind(t, err, storage.ErrNotSupported)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was moved: %v %v", fi, err)
	}
}
