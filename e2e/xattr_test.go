//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// storedXattrs reads the s3fs-format xattr metadata entry of key straight
// from the store: percent-encoded JSON of name -> base64(value).
func storedXattrs(t *testing.T, b storage.Backend, key string) map[string]string {
	t.Helper()
	obj, err := b.Head(context.Background(), key)
	if err != nil {
		t.Fatalf("head %q: %v", key, err)
	}
	raw, ok := obj.Metadata["xattr"]
	if !ok {
		return nil
	}
	js, err := url.PathUnescape(raw)
	if err != nil {
		t.Fatalf("xattr metadata %q: %v", raw, err)
	}
	var enc map[string]string
	if err := json.Unmarshal([]byte(js), &enc); err != nil {
		t.Fatalf("xattr metadata %q is not JSON: %v", js, err)
	}
	out := map[string]string{}
	for k, v := range enc {
		val, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("xattr %q value %q: %v", k, v, err)
		}
		out[k] = string(val)
	}
	return out
}

func getX(t *testing.T, path, name string) string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := unix.Getxattr(path, name, buf)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", path, name, err)
	}
	return string(buf[:n])
}

func setX(t *testing.T, path, name, val string) {
	t.Helper()
	if err := unix.Setxattr(path, name, []byte(val), 0); err != nil {
		t.Fatalf("setxattr %s %s: %v", path, name, err)
	}
}

func listX(t *testing.T, path string) []string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := unix.Listxattr(path, buf)
	if err != nil {
		t.Fatalf("listxattr %s: %v", path, err)
	}
	var names []string
	for _, s := range strings.Split(string(buf[:n]), "\x00") {
		if s != "" {
			names = append(names, s)
		}
	}
	sort.Strings(names)
	return names
}

func TestXattrUserNamespace(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		f := m.path("f")
		if err := os.WriteFile(f, []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
		setX(t, f, "user.color", "blue")
		setX(t, f, "user.bin", "\x00\x01\xff")
		if got := getX(t, f, "user.color"); got != "blue" {
			t.Fatalf("got %q", got)
		}
		// Size probe, and a buffer too small.
		if n, err := unix.Getxattr(f, "user.color", nil); err != nil || n != 4 {
			t.Fatalf("size probe: %d %v", n, err)
		}
		if _, err := unix.Getxattr(f, "user.color", make([]byte, 2)); !errors.Is(err, unix.ERANGE) {
			t.Fatalf("small buffer: %v", err)
		}
		if n, err := unix.Listxattr(f, nil); err != nil || n != len("user.bin\x00user.color\x00") {
			t.Fatalf("list size probe: %d %v", n, err)
		}
		if got := listX(t, f); strings.Join(got, ",") != "user.bin,user.color" {
			t.Fatalf("list %v", got)
		}
		if err := unix.Setxattr(f, "user.color", []byte("x"), unix.XATTR_CREATE); !errors.Is(err, unix.EEXIST) {
			t.Fatalf("XATTR_CREATE on existing: %v", err)
		}
		if err := unix.Setxattr(f, "user.none", []byte("x"), unix.XATTR_REPLACE); !errors.Is(err, unix.ENODATA) {
			t.Fatalf("XATTR_REPLACE on missing: %v", err)
		}
		if _, err := unix.Getxattr(f, "user.none", nil); !errors.Is(err, unix.ENODATA) {
			t.Fatalf("missing: %v", err)
		}
		long := "user." + strings.Repeat("n", 260)
		if err := unix.Setxattr(f, long, []byte("x"), 0); !errors.Is(err, unix.ERANGE) {
			t.Fatalf("long name: %v", err)
		}

		// Stored as the s3fs metadata entry, data untouched.
		if got := storedXattrs(t, m.Store, "f"); got["user.color"] != "blue" || got["user.bin"] != "\x00\x01\xff" {
			t.Fatalf("store holds %q", got)
		}
		if data, _ := os.ReadFile(f); string(data) != "data" {
			t.Fatalf("data %q", data)
		}

		if err := unix.Removexattr(f, "user.bin"); err != nil {
			t.Fatal(err)
		}
		if err := unix.Removexattr(f, "user.bin"); !errors.Is(err, unix.ENODATA) {
			t.Fatalf("second remove: %v", err)
		}

		// Other namespaces: nothing stored, nothing asked of the store.
		for _, name := range []string{"security.capability", "security.selinux", "trusted.x", "system.posix_acl_access"} {
			if _, err := unix.Getxattr(f, name, nil); !errors.Is(err, unix.ENODATA) && !errors.Is(err, unix.EOPNOTSUPP) {
				t.Fatalf("get %s: %v", name, err)
			}
		}
		for _, name := range []string{"security.test", "trusted.x"} {
			if err := unix.Setxattr(f, name, []byte("v"), 0); !errors.Is(err, unix.EOPNOTSUPP) {
				t.Fatalf("set %s: %v", name, err)
			}
		}

		// Directories keep attributes on their marker; an implicit
		// directory gains one.
		d := m.path("dir")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		setX(t, d, "user.d", "1")
		if _, err := m.Store.Put(context.Background(), "implicit/child", strings.NewReader("x"), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		setX(t, m.path("implicit"), "user.i", "2")

		// Symlinks: the kernel refuses user attributes; the mount lives on.
		if err := os.Symlink("f", m.path("link")); err != nil {
			t.Fatal(err)
		}
		if err := unix.Lsetxattr(m.path("link"), "user.l", []byte("x"), 0); !errors.Is(err, unix.EPERM) {
			t.Fatalf("set on symlink: %v", err)
		}
		if _, err := unix.Lgetxattr(m.path("link"), "user.l", nil); !errors.Is(err, unix.ENODATA) {
			t.Fatalf("get on symlink: %v", err)
		}
		if got := getX(t, m.path("link"), "user.color"); got != "blue" {
			t.Fatalf("through the symlink: %q", got)
		}

		// Rename keeps them (file and directory).
		if err := os.Rename(f, m.path("g")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(d, m.path("dir2")); err != nil {
			t.Fatal(err)
		}

		m.remount()
		if got := getX(t, m.path("g"), "user.color"); got != "blue" {
			t.Fatalf("after rename and remount: %q", got)
		}
		if got := listX(t, m.path("g")); strings.Join(got, ",") != "user.color" {
			t.Fatalf("list after remount %v", got)
		}
		if got := getX(t, m.path("dir2"), "user.d"); got != "1" {
			t.Fatalf("directory after rename and remount: %q", got)
		}
		if got := getX(t, m.path("implicit"), "user.i"); got != "2" {
			t.Fatalf("implicit directory after remount: %q", got)
		}
	})
}

func TestXattrWrittenByS3fs(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		// What s3fs stores for user.from-s3fs = "hello".
		md := map[string]string{"xattr": "%7B%22user.from-s3fs%22%3A%22aGVsbG8%3D%22%7D", "mode": "33188"}
		if _, err := m.Store.Put(context.Background(), "s3fs-file", strings.NewReader("x"),
			storage.PutOptions{Metadata: md}); err != nil {
			t.Fatal(err)
		}
		if got := getX(t, m.path("s3fs-file"), "user.from-s3fs"); got != "hello" {
			t.Fatalf("got %q", got)
		}
		// A change keeps the s3fs layout readable.
		setX(t, m.path("s3fs-file"), "user.ours", "1")
		got := storedXattrs(t, m.Store, "s3fs-file")
		if got["user.from-s3fs"] != "hello" || got["user.ours"] != "1" {
			t.Fatalf("store holds %q", got)
		}
	})
}

func TestXattrOnDirtyFile(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		fd, err := unix.Open(m.path("dirty"), unix.O_CREAT|unix.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fd, []byte("unflushed")); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fsetxattr(fd, "user.early", []byte("e"), 0); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fd, []byte(" more")); err != nil {
			t.Fatal(err)
		}
		if err := unix.Close(fd); err != nil {
			t.Fatal(err)
		}
		if got := storedXattrs(t, m.Store, "dirty"); got["user.early"] != "e" {
			t.Fatalf("store holds %q", got)
		}
		if data, _ := os.ReadFile(m.path("dirty")); string(data) != "unflushed more" {
			t.Fatalf("data %q", data)
		}
	})
}

func TestXattrLimits(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		limit := m.Store.Caps().MaxMetadataBytes
		f := m.path("f")
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(f, "user.huge", bytes.Repeat([]byte("a"), limit), 0); !errors.Is(err, unix.E2BIG) {
			t.Fatalf("value of %d bytes: %v", limit, err)
		}
		var err error
		accepted := 0
		for i := 0; i < 40 && err == nil; i++ {
			err = unix.Setxattr(f, "user.k"+string(rune('a'+i)), bytes.Repeat([]byte("b"), limit/10), 0)
			if err == nil {
				accepted++
			}
		}
		if !errors.Is(err, unix.ENOSPC) || accepted < 3 {
			t.Fatalf("after %d values: %v", accepted, err)
		}
		if got := storedXattrs(t, m.Store, "f"); len(got) != accepted {
			t.Fatalf("store holds %d attributes, %d were accepted", len(got), accepted)
		}
		if got := listX(t, f); len(got) != accepted {
			t.Fatalf("list shows %d, %d were accepted", len(got), accepted)
		}
		if log, _ := os.ReadFile(m.Log); !bytes.Contains(log, []byte("limit_bytes")) {
			t.Fatal("no log line names the store's limit")
		}
	})
}

func TestXattrCopyTools(t *testing.T) {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync not installed")
	}
	forEachTarget(t, func(t *testing.T, m *mnt) {
		local := t.TempDir()
		src := filepath.Join(local, "src")
		if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"a", "sub/b"} {
			if err := os.WriteFile(filepath.Join(src, p), []byte(p), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := unix.Setxattr(filepath.Join(src, p), "user.tag", []byte("tag-"+p), 0); err != nil {
				t.Skipf("local disk keeps no user xattrs: %v", err)
			}
		}
		// rsync -X onto the mount and back.
		run(t, local, "rsync", "-aX", src+"/", m.path("rs")+"/")
		if got := getX(t, m.path("rs/sub/b"), "user.tag"); got != "tag-sub/b" {
			t.Fatalf("rsync onto the mount: %q", got)
		}
		back := filepath.Join(local, "back")
		run(t, local, "rsync", "-aX", m.path("rs")+"/", back+"/")
		if got := getX(t, filepath.Join(back, "a"), "user.tag"); got != "tag-a" {
			t.Fatalf("rsync back: %q", got)
		}
		// cp --preserve=xattr within the mount and out of it.
		run(t, local, "cp", "--preserve=xattr", m.path("rs/a"), m.path("cp-a"))
		if got := getX(t, m.path("cp-a"), "user.tag"); got != "tag-a" {
			t.Fatalf("cp within the mount: %q", got)
		}
		run(t, local, "cp", "-r", "--preserve=xattr", m.path("rs"), filepath.Join(local, "cp-out"))
		if got := getX(t, filepath.Join(local, "cp-out/sub/b"), "user.tag"); got != "tag-sub/b" {
			t.Fatalf("cp out of the mount: %q", got)
		}
		if got := storedXattrs(t, m.Store, "cp-a"); got["user.tag"] != "tag-a" {
			t.Fatalf("store holds %q", got)
		}
	})
}

// With --fixed-attributes (nothing is kept) or --disable-xattrs, every
// attribute call fails with ENOTSUP and nothing reaches the store.
func TestXattrFixedAttributes(t *testing.T) {
	for _, flag := range []string{"--fixed-attributes", "--disable-xattrs"} {
		for _, tg := range targets() {
			t.Run(flag[2:]+"/"+tg.name, func(t *testing.T) {
				m := mountTarget(t, tg, mountOpts{flags: []string{flag}})
				f := m.path("f")
				if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := unix.Setxattr(f, "user.k", []byte("v"), 0); !errors.Is(err, unix.EOPNOTSUPP) {
					t.Fatalf("set with %s: %v", flag, err)
				}
				if _, err := unix.Getxattr(f, "user.k", nil); !errors.Is(err, unix.EOPNOTSUPP) {
					t.Fatalf("get with %s: %v", flag, err)
				}
				if got := storedXattrs(t, m.Store, "f"); len(got) != 0 {
					t.Fatalf("store holds %q", got)
				}
			})
		}
	}
}
