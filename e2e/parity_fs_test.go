//go:build linux

package e2e

import (
	"context"
	bin "encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Filesystem behaviours of Cloudfuse and BlobFuse2 that a user switching
// tools relies on: no listing for a while after mount, directories only
// through markers, caches off with disable-kernel-cache, the
// ignore-open-flags rule, seeking in a directory and refused device files.

// putMarker stores a directory marker the way the target's own tools do:
// "name/" on S3, a "name" blob with hdi_isfolder=true on Azure.
func putMarker(t *testing.T, tg target, b storage.Backend, name string) {
	t.Helper()
	key, md := name+"/", map[string]string(nil)
	if tg.name == "azure" {
		key, md = name, map[string]string{"hdi_isfolder": "true"}
	}
	if _, err := b.Put(context.Background(), key, strings.NewReader(""), storage.PutOptions{Metadata: md}); err != nil {
		t.Fatalf("put marker %q: %v", key, err)
	}
}

// lsNames lists dir through the mount, sorted, as `ls -A` shows it.
func lsNames(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("readdir %s: %v", dir, err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func storeCount(t *testing.T, dir, op string) int64 {
	t.Helper()
	return healthJSON(t, dir).Store[op].Count
}

func TestParityFSNoListAfterMount(t *testing.T) {
	const window = 15 * time.Second
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			opsEnv(t)
			b, section := tg.setup(t)
			storePut(t, b, "a.txt", "a")
			storePut(t, b, "sub/b.txt", "b")
			putMarker(t, tg, b, "mk")
			storePut(t, b, "mk/c.txt", "c")
			start := time.Now()
			m := mountWith(t, b, section, mountOpts{flags: []string{fmt.Sprintf("--cancel-list-on-mount-seconds=%d", int(window/time.Second))}})

			if got := lsNames(t, m.Dir); got != "" {
				t.Fatalf("ls of the root before any lookup: %q", got)
			}
			if got := mustRead(t, m.path("a.txt")); got != "a" {
				t.Fatalf("read a.txt: %q", got)
			}
			if _, err := os.Stat(m.path("mk/c.txt")); err != nil {
				t.Fatalf("stat below a marker in the window: %v", err)
			}
			if _, err := os.Stat(m.path("sub")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("stat of a directory without a marker in the window: %v", err)
			}
			mustWrite(t, m.path("new.txt"), "n")
			if got := lsNames(t, m.Dir); got != "a.txt,mk,new.txt" {
				t.Fatalf("ls of the root in the window: %q", got)
			}
			if got := lsNames(t, m.path("mk")); got != "c.txt" {
				t.Fatalf("ls of mk in the window: %q", got)
			}
			if err := os.Remove(m.path("mk")); !errors.Is(err, unix.EBUSY) {
				t.Fatalf("rmdir in the window: %v", err)
			}
			if n := storeCount(t, m.Dir, "list"); n != 0 {
				t.Fatalf("%d LIST requests in the window", n)
			}
			if time.Since(start) >= window {
				t.Fatalf("the checks took %v, longer than the window; the test proves nothing", time.Since(start))
			}

			time.Sleep(time.Until(start.Add(window + 2*time.Second)))
			if got := lsNames(t, m.Dir); got != "a.txt,mk,new.txt,sub" {
				t.Fatalf("ls of the root after the window: %q", got)
			}
			if n := storeCount(t, m.Dir, "list"); n == 0 {
				t.Fatal("no LIST request after the window")
			}
			if got := mustRead(t, m.path("sub/b.txt")); got != "b" {
				t.Fatalf("read below an implicit directory after the window: %q", got)
			}
		})
	}
}

func TestParityFSVirtualDirectoryOff(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, "top.txt", "t")
			storePut(t, b, "imp/b.txt", "b")
			putMarker(t, tg, b, "mk")
			storePut(t, b, "mk/c.txt", "c")
			storePut(t, b, "mk/deeper/d.txt", "d")
			m := mountWith(t, b, section, mountOpts{flags: []string{"--virtual-directory=false"}})

			if got := lsNames(t, m.Dir); got != "mk,top.txt" {
				t.Fatalf("ls of the root: %q", got)
			}
			if got := lsNames(t, m.path("mk")); got != "c.txt" {
				t.Fatalf("ls of mk: %q", got)
			}
			for _, p := range []string{"imp", "imp/b.txt", "mk/deeper", "mk/deeper/d.txt"} {
				if _, err := os.Stat(m.path(p)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("stat %s without a marker: %v", p, err)
				}
			}
			if got := mustRead(t, m.path("mk/c.txt")); got != "c" {
				t.Fatalf("read below a marker: %q", got)
			}
			if err := os.Mkdir(m.path("made"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, m.path("made/f"), "f")
			if got := lsNames(t, m.Dir); got != "made,mk,top.txt" {
				t.Fatalf("ls of the root after mkdir: %q", got)
			}
			// mkdir gives a bare prefix its marker, and with it its objects.
			if err := os.Mkdir(m.path("imp"), 0o755); err != nil {
				t.Fatal(err)
			}
			if got := mustRead(t, m.path("imp/b.txt")); got != "b" {
				t.Fatalf("read below a prefix after mkdir: %q", got)
			}
		})
	}
}

func TestParityFSDisableKernelCache(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, "f", "one")
			direct := []*mnt{
				mountWith(t, b, section, mountOpts{flags: []string{"--disable-kernel-cache"}}),
				// Streaming and read-only: nothing staged on disk.
				mountWith(t, b, section, mountOpts{dataPath: "block_cache", flags: []string{"--disable-kernel-cache", "--read-only"}}),
			}
			cached := mountWith(t, b, section, mountOpts{})
			var held []*os.File
			for _, m := range append(direct, cached) {
				if got := mustRead(t, m.path("f")); got != "one" {
					t.Fatalf("read %q", got)
				}
				// A reader that keeps the file open.
				f, err := os.Open(m.path("f"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				held = append(held, f)
			}

			storePut(t, b, "f", "two-two") // another client
			storePut(t, b, "new", "fresh")
			for i, m := range direct {
				if got := mustRead(t, m.path("f")); got != "two-two" {
					t.Fatalf("mount %d: cat after another client's change: %q", i, got)
				}
				if st, err := os.Stat(m.path("f")); err != nil || st.Size() != 7 {
					t.Fatalf("mount %d: stat after another client's change: %v %v", i, st, err)
				}
				buf := make([]byte, 16)
				if n, err := held[i].ReadAt(buf, 0); string(buf[:n]) != "two-two" {
					t.Fatalf("mount %d: descriptor opened before the change, after a new open: %q %v", i, buf[:n], err)
				}
				if got := mustRead(t, m.path("new")); got != "fresh" {
					t.Fatalf("mount %d: object created by another client: %q", i, got)
				}
			}
			// The default mount may trust its caches for attr_cache.timeout-sec.
			if got := mustRead(t, cached.path("f")); got != "one" {
				t.Logf("default mount already shows the change: %q", got)
			}
		})
	}
}

// appendTwice appends two lines with the shell's >> and returns the file.
func appendTwice(t *testing.T, p string) string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `echo one >> "$1" && echo two >> "$1"`, "sh", p).CombinedOutput()
	if err != nil {
		t.Fatalf("append: %v %s", err, out)
	}
	return mustRead(t, p)
}

func TestParityFSIgnoreOpenFlags(t *testing.T) {
	skipOnFrontend(t, "cgofuse", "it asks the kernel for no writeback cache, and the open-flag rule applies only under one")
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, "exists", "x")

			// Default (ignore-open-flags true): O_WRONLY and O_APPEND work
			// with the writeback cache, and appends land at the end.
			def := mountWith(t, b, section, mountOpts{})
			if got := appendTwice(t, def.path("log")); got != "one\ntwo\n" {
				t.Fatalf("two appends: %q", got)
			}
			f, err := os.OpenFile(def.path("exists"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatalf("O_WRONLY open by default: %v", err)
			}
			f.Close()
			def.stop()
			if !strings.Contains(tail(def.Log), "O_APPEND") {
				t.Errorf("the daemon did not log the O_APPEND flag it got:\n%s", tail(def.Log))
			}

			strict := mountWith(t, b, section, mountOpts{flags: []string{"--ignore-open-flags=false"}})
			for _, c := range []struct {
				name  string
				flags int
			}{
				{"exists", os.O_WRONLY},
				{"exists", os.O_RDWR | os.O_APPEND},
				{"created", os.O_WRONLY | os.O_CREATE},
				{"created", os.O_RDWR | os.O_CREATE | os.O_APPEND},
			} {
				f, err := os.OpenFile(strict.path(c.name), c.flags, 0o644)
				if err == nil {
					f.Close()
				}
				if !errors.Is(err, unix.EINVAL) {
					t.Errorf("open %s with flags %#x under the writeback cache: %v, want EINVAL", c.name, c.flags, err)
				}
			}
			f, err = os.OpenFile(strict.path("rw"), os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				t.Fatalf("O_RDWR create: %v", err)
			}
			f.Close()
			strict.stop()
			if !strings.Contains(tail(strict.Log), "--ignore-open-flags") {
				t.Errorf("the refusal is not explained in the log:\n%s", tail(strict.Log))
			}

			// Without the writeback cache nothing is refused.
			nowb := mountWith(t, b, section, mountOpts{flags: []string{"--ignore-open-flags=false", "--disable-writeback-cache=true"}})
			if got := appendTwice(t, nowb.path("log2")); got != "one\ntwo\n" {
				t.Fatalf("two appends without the writeback cache: %q", got)
			}
		})
	}
}

// dirent is one entry read with getdents64, with the offset the kernel
// gives for the position after it.
type dirent struct {
	name string
	off  int64
}

// getdents reads fd from its current position to the end with a small
// buffer, so the kernel reads the directory in many requests.
func getdents(t *testing.T, fd int) []dirent {
	t.Helper()
	var out []dirent
	buf := make([]byte, 2048)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			t.Fatalf("getdents: %v", err)
		}
		if n == 0 {
			return out
		}
		for b := buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			off := int64(bin.NativeEndian.Uint64(b[8:16]))
			reclen := int(bin.NativeEndian.Uint16(b[16:18]))
			name := b[19:reclen]
			if i := strings.IndexByte(string(name), 0); i >= 0 {
				name = name[:i]
			}
			out = append(out, dirent{name: string(name), off: off})
			b = b[reclen:]
		}
	}
}

func direntNames(ds []dirent) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.name
	}
	return out
}

func TestParityFSDirectorySeek(t *testing.T) {
	const n = 1100 // more than one store page of 1000
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			g, ctx := errgroup.WithContext(context.Background())
			g.SetLimit(32)
			for i := range n {
				g.Go(func() error {
					_, err := b.Put(ctx, fmt.Sprintf("big/f%04d", i), strings.NewReader("x"), storage.PutOptions{})
					return err
				})
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			m := mountWith(t, b, section, mountOpts{})

			fd, err := unix.Open(m.path("big"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			all := getdents(t, fd)
			names := direntNames(all)
			seen := map[string]bool{}
			for _, name := range names {
				if seen[name] {
					t.Fatalf("%s listed twice", name)
				}
				seen[name] = true
			}
			if len(all) != n+2 || !seen["."] || !seen[".."] || !seen["f0000"] || !seen[fmt.Sprintf("f%04d", n-1)] {
				t.Fatalf("%d entries, want %d and the dot entries", len(all), n+2)
			}
			again := func(what string, from int) {
				t.Helper()
				var off int64
				if from > 0 {
					off = all[from-1].off // telldir after entry from-1
				}
				if _, err := unix.Seek(fd, off, 0); err != nil {
					t.Fatalf("%s: seek to %d: %v", what, off, err)
				}
				got := direntNames(getdents(t, fd))
				want := names[from:]
				if strings.Join(got, "/") != strings.Join(want, "/") {
					t.Fatalf("%s: read %d entries after seeking to entry %d, want %d (first %v, want %v)",
						what, len(got), from, len(want), got[:min(3, len(got))], want[:min(3, len(want))])
				}
			}
			again("seek back to the middle", n/2)
			again("seek far back", 7)
			again("seek near the end", n-5)
			again("rewind", 0)
			again("seek into the second store page", 1050)
		})
	}
}
