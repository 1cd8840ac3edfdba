//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

func storeGet(t *testing.T, b storage.Backend, key string) (string, error) {
	t.Helper()
	rc, _, err := b.Get(context.Background(), key, storage.GetOptions{Length: -1})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return string(data), err
}

func storePut(t *testing.T, b storage.Backend, key, data string) {
	t.Helper()
	if _, err := b.Put(context.Background(), key, strings.NewReader(data), storage.PutOptions{}); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

func mustWrite(t *testing.T, p, data string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func listNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestEveryOperation(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		// mkdir, create, write, read, stat
		if err := os.Mkdir(m.path("dir"), 0o755); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, m.path("dir/hello.txt"), "hello, world\n")
		if got := mustRead(t, m.path("dir/hello.txt")); got != "hello, world\n" {
			t.Fatalf("read back %q", got)
		}
		if got, err := storeGet(t, m.Store, "dir/hello.txt"); err != nil || got != "hello, world\n" {
			t.Fatalf("store has %q, %v", got, err)
		}
		st, err := os.Stat(m.path("dir/hello.txt"))
		if err != nil || st.Size() != 13 || !st.Mode().IsRegular() {
			t.Fatalf("stat %v %v", st, err)
		}
		// readdir
		if got := listNames(t, m.path("dir")); strings.Join(got, ",") != "hello.txt" {
			t.Fatalf("readdir %v", got)
		}
		// rename file
		if err := os.Rename(m.path("dir/hello.txt"), m.path("dir/renamed.txt")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(m.path("dir/hello.txt")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("old name still there: %v", err)
		}
		// truncate shrink and extend
		if err := os.Truncate(m.path("dir/renamed.txt"), 5); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, m.path("dir/renamed.txt")); got != "hello" {
			t.Fatalf("after shrink %q", got)
		}
		if err := os.Truncate(m.path("dir/renamed.txt"), 8); err != nil {
			t.Fatal(err)
		}
		if got := mustRead(t, m.path("dir/renamed.txt")); got != "hello\x00\x00\x00" {
			t.Fatalf("after extend %q", got)
		}
		// chmod and utimens
		if err := os.Chmod(m.path("dir/renamed.txt"), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := os.Chtimes(m.path("dir/renamed.txt"), mt, mt); err != nil {
			t.Fatal(err)
		}
		// symlink
		if err := os.Symlink("renamed.txt", m.path("dir/link")); err != nil {
			t.Fatal(err)
		}
		if tgt, err := os.Readlink(m.path("dir/link")); err != nil || tgt != "renamed.txt" {
			t.Fatalf("readlink %q %v", tgt, err)
		}
		if got := mustRead(t, m.path("dir/link")); got != "hello\x00\x00\x00" {
			t.Fatalf("read through link %q", got)
		}
		// statfs
		var sfs syscall.Statfs_t
		if err := syscall.Statfs(m.Dir, &sfs); err != nil || sfs.Namelen != 255 || sfs.Blocks == 0 {
			t.Fatalf("statfs %+v %v", sfs, err)
		}
		// rmdir of a non-empty directory is refused
		if err := os.Remove(m.path("dir")); !errors.Is(err, syscall.ENOTEMPTY) {
			t.Fatalf("rmdir non-empty: %v", err)
		}
		// empty directory survives a remount; attributes too
		if err := os.Mkdir(m.path("empty"), 0o700); err != nil {
			t.Fatal(err)
		}
		m.remount()
		st, err = os.Stat(m.path("empty"))
		if err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
			t.Fatalf("empty dir after remount: %v %v", st, err)
		}
		st, err = os.Stat(m.path("dir/renamed.txt"))
		if err != nil || st.Mode().Perm() != 0o600 || !st.ModTime().Equal(mt) {
			t.Fatalf("attributes after remount: %v %v", st, err)
		}
		if fi, err := os.Lstat(m.path("dir/link")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("symlink after remount: %v %v", fi, err)
		}
		// unlink and rmdir
		for _, p := range []string{"dir/link", "dir/renamed.txt"} {
			if err := os.Remove(m.path(p)); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range []string{"dir", "empty"} {
			if err := os.Remove(m.path(p)); err != nil {
				t.Fatal(err)
			}
		}
		if got := listNames(t, m.Dir); len(got) != 0 {
			t.Fatalf("root not empty: %v", got)
		}
		// hard links are refused clearly
		mustWrite(t, m.path("f"), "x")
		if err := os.Link(m.path("f"), m.path("g")); err == nil {
			t.Fatal("hard link succeeded")
		}
	})
}

func TestEditExistingObject(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		storePut(t, m.Store, "doc.txt", "0123456789")
		f, err := os.OpenFile(m.path("doc.txt"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("AB"), 4); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		af, err := os.OpenFile(m.path("doc.txt"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := af.Write([]byte("-tail")); err != nil {
			t.Fatal(err)
		}
		if err := af.Close(); err != nil {
			t.Fatal(err)
		}
		if got, _ := storeGet(t, m.Store, "doc.txt"); got != "0123AB6789-tail" {
			t.Fatalf("store after edits %q", got)
		}
		if err := os.Truncate(m.path("doc.txt"), 4); err != nil {
			t.Fatal(err)
		}
		if got, _ := storeGet(t, m.Store, "doc.txt"); got != "0123" {
			t.Fatalf("store after truncate %q", got)
		}
	})
}

func TestObjectsWrittenBehindTheMount(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		// No markers at all: directories come from prefixes.
		storePut(t, m.Store, "a/b/c/deep.txt", "deep")
		storePut(t, m.Store, "a/top.txt", "top")
		time.Sleep(1100 * time.Millisecond) // kernel negative-entry window
		if got := mustRead(t, m.path("a/b/c/deep.txt")); got != "deep" {
			t.Fatalf("deep %q", got)
		}
		if got := listNames(t, m.path("a")); strings.Join(got, ",") != "b,top.txt" {
			t.Fatalf("listing %v", got)
		}
		st, err := os.Stat(m.path("a/b"))
		if err != nil || !st.IsDir() {
			t.Fatalf("implicit dir %v %v", st, err)
		}
	})
}

func TestRenameDirectoryOf500Files(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		src := m.path("src")
		if err := os.Mkdir(src, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 500; i++ {
			mustWrite(t, filepath.Join(src, fmt.Sprintf("f%03d", i)), fmt.Sprintf("file %d", i))
		}
		if err := os.Rename(src, m.path("dst")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("source remains: %v", err)
		}
		if n := len(listNames(t, m.path("dst"))); n != 500 {
			t.Fatalf("dst has %d entries", n)
		}
		page, err := m.Store.List(context.Background(), storage.ListOptions{Prefix: "src/"})
		if err != nil || len(page.Objects) != 0 {
			t.Fatalf("source keys remain: %d %v", len(page.Objects), err)
		}
		m.remount()
		if got := mustRead(t, m.path("dst/f321")); got != "file 321" {
			t.Fatalf("after remount %q", got)
		}
	})
}

// makeTree writes n small files in nested directories under dir.
func makeTree(t *testing.T, dir string, n int) {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%02d/s%d/file%04d.dat", i%40, i%7, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, rng.Intn(3000))
		rng.Read(buf)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCopyTreeAndTarRoundTrip(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		local := t.TempDir()
		makeTree(t, filepath.Join(local, "tree"), 2000)
		start := time.Now()
		run(t, local, "cp", "-r", "tree", m.Dir+"/")
		t.Logf("cp -r of 2000 files: %v", time.Since(start))
		run(t, local, "diff", "-r", "tree", m.path("tree"))

		// tar x into the mount, tar c out of it, compare listings and data.
		run(t, local, "tar", "cf", "in.tar", "tree")
		if err := os.Mkdir(m.path("untar"), 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, m.path("untar"), "tar", "xf", filepath.Join(local, "in.tar"))
		run(t, m.path("untar"), "tar", "cf", filepath.Join(local, "out.tar"), "tree")
		if err := os.Mkdir(filepath.Join(local, "back"), 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, filepath.Join(local, "back"), "tar", "xf", filepath.Join(local, "out.tar"))
		run(t, local, "diff", "-r", "tree", filepath.Join(local, "back", "tree"))
		m.remount()
		run(t, local, "diff", "-r", "tree", m.path("untar/tree"))
	})
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestOneGiBFileWithDD(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	forEachTarget(t, func(t *testing.T, m *mnt) {
		size := m.target.bigFile
		local := filepath.Join(t.TempDir(), "src.bin")
		f, err := os.Create(local)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(7))
		buf := make([]byte, 1<<20)
		for i := int64(0); i < size>>20; i++ {
			rng.Read(buf)
			f.Write(buf)
		}
		f.Close()
		want := sha256File(t, local)
		start := time.Now()
		run(t, "", "dd", "if="+local, "of="+m.path("big.bin"), "bs=1M", "status=none")
		t.Logf("dd %d MiB in: %v", size>>20, time.Since(start))
		// Read back from the store, not from the local cache.
		m.stop()
		os.RemoveAll(m.Cache)
		m.start()
		start = time.Now()
		if got := sha256File(t, m.path("big.bin")); got != want {
			t.Fatalf("checksum %s want %s", got, want)
		}
		t.Logf("read %d MiB back: %v", size>>20, time.Since(start))
		obj, err := m.Store.Head(context.Background(), "big.bin")
		if err != nil || obj.Size != size {
			t.Fatalf("stored object %+v %v", obj, err)
		}
	})
}

func TestGitInsideMount(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		repo := m.path("repo")
		os.Mkdir(repo, 0o755)
		env := []string{"-c", "user.name=test", "-c", "user.email=test@example.com"}
		run(t, repo, "git", "init", "-q")
		mustWrite(t, filepath.Join(repo, "README"), "hello\n")
		run(t, repo, "git", "add", "README")
		run(t, repo, "git", append(env, "commit", "-q", "-m", "first")...)
		mustWrite(t, filepath.Join(repo, "README"), "hello again\n")
		run(t, repo, "git", append(env, "commit", "-q", "-am", "second")...)
		out := run(t, repo, "git", "log", "--oneline")
		if strings.Count(out, "\n") != 2 {
			t.Fatalf("git log: %q", out)
		}
		run(t, repo, "git", "fsck", "--no-progress")
	})
}

func TestOpenUnlinkedFileStaysReadable(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		mustWrite(t, m.path("victim"), "still here")
		f, err := os.Open(m.path("victim"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := os.Remove(m.path("victim")); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(data, []byte("still here")) {
			t.Fatalf("read after unlink %q %v", data, err)
		}
	})
}
