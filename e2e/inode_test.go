//go:build linux

package e2e

// Inode numbers as tools that key files by (device, inode) expect.

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func inoOf(t *testing.T, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// dirInos reads a directory's d_ino values by name.
func dirInos(t *testing.T, dir string) map[string]uint64 {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]uint64{}
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Getdents(int(f.Fd()), buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
		for b := buf[:n]; len(b) > 0; {
			reclen := int(b[16]) | int(b[17])<<8
			ino := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
				uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
			name := b[19:reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			out[string(name)] = ino
			b = b[reclen:]
		}
	}
}

// Each entry has one inode number below 2^63: stat after a setattr shows
// it (not 0), readdir's d_ino matches stat, a rename keeps it, a new file
// at the old name gets another, and a name keeps its number after the
// kernel forgot the inode. Both data paths.
func TestInodeNumbers(t *testing.T) {
	for _, tg := range targets() {
		for _, dp := range []string{"file_cache", "block_cache"} {
			t.Run(tg.name+"/"+dp, func(t *testing.T) {
				m := mountTarget(t, tg, mountOpts{dataPath: dp})
				dir := m.path("d")
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, n := range []string{"a", "b", "c"} {
					if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
					t.Fatal(err)
				}
				a := filepath.Join(dir, "a")
				before := inoOf(t, a)
				// A setattr's reply carries the inode number.
				if err := os.Chmod(a, 0o600); err != nil {
					t.Fatal(err)
				}
				if got := inoOf(t, a); got != before || got == 0 {
					t.Errorf("st_ino after chmod: %d, before %d", got, before)
				}
				var st unix.Stat_t
				f, err := os.OpenFile(a, os.O_WRONLY|os.O_TRUNC, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Ino != before {
					t.Errorf("fstat after O_TRUNC: ino %d, %v; want %d", st.Ino, err, before)
				}
				f.Close()
				seen := map[uint64]string{}
				for name, ino := range dirInos(t, dir) {
					if ino >= 1<<63 || ino == 0 {
						t.Errorf("%s: d_ino %d", name, ino)
					}
					if name == "." || name == ".." {
						continue
					}
					if other, dup := seen[ino]; dup {
						t.Errorf("%s and %s share inode %d", name, other, ino)
					}
					seen[ino] = name
					if st := inoOf(t, filepath.Join(dir, name)); st != ino {
						t.Errorf("%s: d_ino %d, st_ino %d", name, ino, st)
					}
				}
				if got := dirInos(t, dir)["."]; got != inoOf(t, dir) && frontend() != "cgofuse" {
					// libfuse's path API gives "." an unknown inode number
					// unless use_ino, which cannot keep an inode across a
					// rename there; the go-fuse frontend keeps both.
					t.Errorf(". has d_ino %d, the directory st_ino %d", got, inoOf(t, dir))
				}
				// rename keeps the inode; a new file at the old name gets its own.
				if err := os.Rename(a, filepath.Join(dir, "moved")); err != nil {
					t.Fatal(err)
				}
				if got := inoOf(t, filepath.Join(dir, "moved")); got != before {
					t.Errorf("after rename: ino %d, want %d", got, before)
				}
				if err := os.WriteFile(a, []byte("new"), 0o644); err != nil {
					t.Fatal(err)
				}
				if got := inoOf(t, a); got == before {
					t.Errorf("a new file at the old name has the renamed file's inode %d", got)
				}
				// The kernel forgets unused inodes; a name keeps its number.
				b := filepath.Join(dir, "b")
				bIno := inoOf(t, b)
				if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0o200); err != nil {
					t.Skipf("cannot drop the kernel's caches: %v", err)
				}
				if got := inoOf(t, b); got != bIno {
					t.Errorf("after the kernel forgot it: ino %d, before %d", got, bIno)
				}
			})
		}
	}
}
