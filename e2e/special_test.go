//go:build linux

package e2e

// Special files (fifos, sockets, device nodes) shared with s3fs through
// the same bucket, in both directions.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mountS3fs mounts bucket with s3fs (from Debian) in the foreground in a
// child process, and unmounts it and stops it by its pid at cleanup.
func mountS3fs(t *testing.T, bucket string) string {
	t.Helper()
	bin, err := exec.LookPath("s3fs")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("s3fs is not installed (scripts/testservers.sh ensure installs it)")
		}
		t.Skip("s3fs is not installed")
	}
	endpoint, key, secret := s3Env(t)
	work := t.TempDir()
	pw := filepath.Join(work, "passwd")
	if err := os.WriteFile(pw, []byte(key+":"+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "s3fs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, bucket, dir, "-f", "-o", "url="+endpoint, "-o", "use_path_request_style",
		"-o", "passwd_file="+pw, "-o", "stat_cache_expire=1")
	log, err := os.Create(filepath.Join(work, "s3fs.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if isMounted(dir) {
			exec.Command("fusermount3", "-u", dir).Run()
		}
		cmd.Process.Kill()
		<-exited
		log.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for !isMounted(dir) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("s3fs exited before mounting: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("s3fs did not mount within 20s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return dir
}

func lstatMode(t *testing.T, p string) (uint32, uint64) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Mode, st.Rdev
}

// Special files made on a cloudfuse mount show as the same types on an
// s3fs mount of the bucket, and those s3fs makes show here.
func TestSpecialFilesWithS3fs(t *testing.T) {
	withUmask(t, 0o022)
	b, section := setupS3(t)
	bucket := regexp.MustCompile(`bucket-name: (\S+)`).FindStringSubmatch(section)[1]
	m := mountWith(t, b, section, mountOpts{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(unix.Mkfifo(m.path("fifo-cf"), 0o640))
	must(unix.Mknod(m.path("chr-cf"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))))
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	must(err)
	must(unix.Bind(fd, &unix.SockaddrUnix{Name: m.path("sock-cf")}))
	unix.Close(fd)

	s3 := mountS3fs(t, bucket)
	for name, want := range map[string]uint32{"fifo-cf": unix.S_IFIFO | 0o640, "chr-cf": unix.S_IFCHR | 0o600,
		"sock-cf": unix.S_IFSOCK} {
		mode, _ := lstatMode(t, filepath.Join(s3, name))
		if mode&unix.S_IFMT != want&unix.S_IFMT || (want&0o777 != 0 && mode&0o777 != want&0o777) {
			t.Errorf("s3fs shows %s as %#o, want %#o", name, mode, want)
		}
	}

	must(unix.Mkfifo(filepath.Join(s3, "fifo-s3fs"), 0o600))
	must(unix.Mknod(filepath.Join(s3, "blk-s3fs"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 1))))
	m.remount()                                                                                                    // forget what this mount cached about the names
	for name, want := range map[string]uint32{"fifo-s3fs": unix.S_IFIFO | 0o600, "blk-s3fs": unix.S_IFBLK | 0o640, // umask 022
		"fifo-cf": unix.S_IFIFO | 0o640} {
		mode, _ := lstatMode(t, m.path(name))
		if mode != want {
			t.Errorf("cloudfuse shows %s as %#o, want %#o", name, mode, want)
		}
	}
	if _, rdev := lstatMode(t, m.path("chr-cf")); rdev != unix.Mkdev(1, 3) {
		t.Errorf("the device number after a remount: %#x", rdev)
	}
}

// treeOf describes every entry below root: type and permission bits,
// device number, link target or content.
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("%#o rdev=%#x", st.Mode, st.Rdev)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case unix.S_IFREG:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += " " + string(data)
		}
		if rel != "." {
			out[rel] = desc
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A tree holding every kind of file round-trips through the mount with
// cp -a, rsync -a and tar, as backups of a system tree need.
func TestBackupToolsRoundTripSpecialFiles(t *testing.T) {
	withUmask(t, 0o022)
	src := filepath.Join(t.TempDir(), "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(src, "etc/sub"), 0o755))
	must(os.WriteFile(filepath.Join(src, "etc/conf"), []byte("key=value\n"), 0o640))
	must(os.Symlink("conf", filepath.Join(src, "etc/link")))
	must(unix.Mkfifo(filepath.Join(src, "etc/fifo"), 0o600))
	must(unix.Mknod(filepath.Join(src, "etc/sub/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(unix.Mknod(filepath.Join(src, "etc/sub/loop"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0))))
	want := treeOf(t, src)
	forEachTarget(t, func(t *testing.T, m *mnt) {
		for _, tool := range []struct {
			name string
			run  func(dst string) *exec.Cmd
		}{
			{"cp -a", func(dst string) *exec.Cmd { return exec.Command("cp", "-a", src, dst) }},
			{"rsync -a", func(dst string) *exec.Cmd { return exec.Command("rsync", "-a", src+"/", dst) }},
			{"tar", func(dst string) *exec.Cmd {
				return exec.Command("sh", "-c", `mkdir "$2" && tar -C "$1" -cf - . | tar -C "$2" -xpf -`, "sh", src, dst)
			}},
		} {
			dst := m.path(strings.ReplaceAll(tool.name, " ", ""))
			if out, err := tool.run(dst).CombinedOutput(); err != nil {
				t.Fatalf("%s into the mount: %v\n%s", tool.name, err, out)
			}
			m.remount()
			got := treeOf(t, dst)
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: %s is %q after a remount, want %q", tool.name, k, got[k], w)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s: %d entries, want %d", tool.name, len(got), len(want))
			}
		}
	})
}

// Special files, name limits and inode numbers on both data paths, across
// a remount.
func TestSpecialFilesAndNamesOnBothDataPaths(t *testing.T) {
	withUmask(t, 0o022)
	for _, tg := range targets() {
		for _, dp := range []string{"file_cache", "block_cache"} {
			t.Run(tg.name+"/"+dp, func(t *testing.T) {
				m := mountTarget(t, tg, mountOpts{dataPath: dp})
				must := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatal(err)
					}
				}
				must(unix.Mkfifo(m.path("fifo"), 0o640))
				must(unix.Mknod(m.path("chr"), unix.S_IFCHR|0o600, int(unix.Mkdev(4, 64))))
				long := m.path(strings.Repeat("n", 255))
				must(os.WriteFile(long, []byte("255"), 0o644))
				var st unix.Stat_t
				if err := unix.Stat(m.path(strings.Repeat("n", 256)), &st); err != unix.ENAMETOOLONG {
					t.Errorf("stat of a 256-byte name: %v", err)
				}
				inos := map[string]uint64{}
				for _, n := range []string{"fifo", "chr", strings.Repeat("n", 255)} {
					inos[n] = inoOf(t, m.path(n))
				}
				m.remount()
				if mode, _ := lstatMode(t, m.path("fifo")); mode != unix.S_IFIFO|0o640 {
					t.Errorf("fifo: %#o", mode)
				}
				if mode, rdev := lstatMode(t, m.path("chr")); mode != unix.S_IFCHR|0o600 || rdev != unix.Mkdev(4, 64) {
					t.Errorf("chr: %#o rdev %#x", mode, rdev)
				}
				if data, err := os.ReadFile(long); err != nil || string(data) != "255" {
					t.Errorf("the 255-byte name: %q %v", data, err)
				}
				for n, ino := range inos {
					if got := inoOf(t, m.path(n)); got != ino {
						t.Errorf("%.10s: inode %d after a remount, %d before", n, got, ino)
					}
				}
			})
		}
	}
}

// Opening a device node is the kernel's business, as on a disk: the mount
// is nodev (as every FUSE mount by default), so it is refused with EACCES;
// with -o dev the device opens.
func TestDeviceNodeOpen(t *testing.T) {
	for _, dev := range []bool{false, true} {
		t.Run(fmt.Sprintf("dev=%v", dev), func(t *testing.T) {
			var flags []string
			if dev {
				flags = []string{"-o", "dev"}
			}
			b, section := setupS3(t)
			m := mountWith(t, b, section, mountOpts{flags: flags})
			p := m.path("null")
			if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			switch {
			case !dev && !errors.Is(err, os.ErrPermission):
				t.Errorf("open of a device on a nodev mount: %v, want EACCES", err)
			case dev && err != nil:
				t.Errorf("open of /dev/null's twin with -o dev: %v", err)
			case dev:
				if _, err := f.Write([]byte("into the null device")); err != nil {
					t.Errorf("write: %v", err)
				}
			}
			if f != nil {
				f.Close()
			}
		})
	}
}
