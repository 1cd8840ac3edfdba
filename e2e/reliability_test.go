//go:build linux

package e2e

// Failures users hit: a daemon killed in the middle of a copy, a cache
// disk that fills up, two mounts given the same cache directory.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// TestKillMidCopyKeepsTheLastVersion kills the daemon while a file is
// being rewritten (never closed): the next mount leaves the stored version
// as it was and keeps what was written as "<name>.conflict-<time>", with a
// WARN line.
func TestKillMidCopyKeepsTheLastVersion(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			m := mountWith(t, b, section, mountOpts{cacheDir: filepath.Join(t.TempDir(), "cache"),
				flags: []string{"--disable-writeback-cache"}})
			v1 := content{name: "ckpt.bin", size: 3<<20 + 5}
			if err := writeContent(m.path(v1.name), v1); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(m.path(v1.name), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			half := bytes.Repeat([]byte("v2 half "), 2<<20) // 16 MiB of the new version
			if _, err := f.Write(half); err != nil {
				t.Fatal(err)
			}
			if err := m.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			// Dead before the close below: its flush must not reach it.
			exit := <-m.exited
			m.exited <- exit
			f.Close() // fails: the daemon is gone
			m.stop()  // unmounts the dead mount
			m.start()

			ctx := context.Background()
			got, err := storeBytes(ctx, b, v1.name)
			if err != nil || !bytes.Equal(got, v1.bytes()) {
				t.Fatalf("the stored version after the kill: %d bytes (%v), want the %d of the last close\n%s", len(got), err, v1.size, tail(m.Log))
			}
			copies := recoveredCopies(t, b, v1.name)
			if len(copies) != 1 {
				t.Fatalf("recovered copies: %q, want one", copies)
			}
			if got, err := storeBytes(ctx, b, copies[0]); err != nil || !bytes.Equal(got, half) {
				t.Fatalf("recovered copy: %d bytes (%v), want the %d written", len(got), err, len(half))
			}
			log, _ := os.ReadFile(m.Log)
			if !bytes.Contains(log, []byte("never closed or synced")) || !bytes.Contains(log, []byte("WARN")) {
				t.Errorf("no WARN line about the recovered copy in the log:\n%s", tail(m.Log))
			}
			// Through the mount: the last good version under its name.
			if data, err := os.ReadFile(m.path(v1.name)); err != nil || !bytes.Equal(data, v1.bytes()) {
				t.Fatalf("read through the mount: %d bytes (%v)", len(data), err)
			}
		})
	}
}

// recoveredCopies lists the copies "<name>.conflict-<time>" a mount saved
// beside name.
func recoveredCopies(t *testing.T, b storage.Backend, name string) []string {
	t.Helper()
	var copies []string
	for _, k := range storeList(t, b) {
		if strings.HasPrefix(k, name+".conflict-") {
			copies = append(copies, k)
		}
	}
	return copies
}

// smallDisk mounts a tmpfs of size bytes for a cache directory.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("tmpfs for a small cache disk: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	return dir
}

// TestFullCacheDisk writes files larger than a 48 MiB cache disk through
// the file cache: the writer gets ENOSPC, nothing of the file is stored
// (a new file stays absent, an existing one keeps its version), the
// failed copy does not hold the disk, other files still read, and an
// object larger than the disk is refused with EFBIG and a log line.
func TestFullCacheDisk(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			disk := smallDisk(t, "48m")
			b, section := tg.setup(t)
			m := mountWith(t, b, section, mountOpts{cacheDir: disk})
			old := content{name: "old.bin", size: 1<<20 + 3}
			if err := writeContent(m.path(old.name), old); err != nil {
				t.Fatal(err)
			}
			other := content{name: "other.bin", size: 2<<20 + 9}
			storePut(t, b, other.name, string(other.bytes()))
			huge := content{name: "huge.bin", size: 64 << 20}
			storePut(t, b, huge.name, string(huge.bytes()))

			big := content{name: "big.bin", size: 100 << 20}
			for _, name := range []string{big.name, old.name} {
				err := writeContent(m.path(name), content{name: big.name, size: big.size})
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("writing 100 MiB to %s over a 48 MiB cache disk: %v, want ENOSPC", name, err)
				}
			}
			ctx := context.Background()
			if _, err := storeBytes(ctx, b, big.name); err == nil {
				t.Errorf("%s, whose writer got ENOSPC, is in the store", big.name)
			}
			if got, err := storeBytes(ctx, b, old.name); err != nil || !bytes.Equal(got, old.bytes()) {
				t.Errorf("%s after a failed rewrite: %d bytes (%v), want its last version", old.name, len(got), err)
			}
			time.Sleep(1100 * time.Millisecond) // past the kernel's attribute timeout
			if _, err := os.Stat(m.path(big.name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stat %s after its failed write: %v, want ENOENT", big.name, err)
			}
			if fi, err := os.Stat(m.path(old.name)); err != nil || fi.Size() != old.size {
				t.Errorf("stat %s after a failed rewrite: %v, want its stored %d bytes", old.name, err, old.size)
			}
			if n := cacheBytes(t, m); n > 8<<20 {
				t.Errorf("%d bytes stay staged in the cache after the failed writes", n)
			}
			if data, err := os.ReadFile(m.path(other.name)); err != nil || !bytes.Equal(data, other.bytes()) {
				t.Errorf("read of another file after the cache filled: %d bytes (%v)", len(data), err)
			}
			if _, err := os.ReadFile(m.path(huge.name)); !errors.Is(err, syscall.EFBIG) {
				t.Errorf("read of a 64 MiB object through a 48 MiB cache: %v, want EFBIG", err)
			}
			if log, _ := os.ReadFile(m.Log); !bytes.Contains(log, []byte("larger than the free space of the file cache")) {
				t.Errorf("no log line about the object larger than the cache:\n%s", tail(m.Log))
			}
		})
	}
}

// TestSharedCacheDirRefused mounts the same config at a second path while
// the first mount runs: the second is refused, naming the first, and the
// first mount's open file is not touched.
func TestSharedCacheDirRefused(t *testing.T) {
	tg := targets()[0]
	b, section := tg.setup(t)
	m := mountWith(t, b, section, mountOpts{})
	f, err := os.Create(m.path("open.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	part := bytes.Repeat([]byte("x"), 4<<20)
	if _, err := f.Write(part); err != nil {
		t.Fatal(err)
	}
	second := filepath.Join(t.TempDir(), "second")
	if err := os.Mkdir(second, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "mount", second, "--config-file="+m.Config, "--foreground")
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		exec.Command("fusermount3", "-u", second).Run()
		t.Fatal("the second mount over the same cache directory did not stop")
	}
	if isMounted(second) {
		exec.Command("fusermount3", "-u", second).Run()
		t.Fatal("a second mount over the same cache directory came up")
	}
	if err == nil || !strings.Contains(string(out), "in use") || !strings.Contains(string(out), m.Dir) {
		t.Fatalf("second mount: %v, output %q; want a refusal naming %s", err, out, m.Dir)
	}
	// The first mount's file is still being written, and completes whole.
	if _, err := f.Write(part); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := storeBytes(context.Background(), b, "open.bin"); err != nil || len(got) != 2*len(part) {
		t.Fatalf("the first mount's file: %d bytes (%v), want %d", len(got), err, 2*len(part))
	}
}

// TestPausedStoreFailsTheClose pauses the store (it accepts and forwards
// nothing) while a file is closed: the close fails with EIO after the
// idle timeout and the retries, not when the store comes back, and the
// data, kept in the cache, reaches the store once it answers again.
func TestPausedStoreFailsTheClose(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			section, p := proxied(t, section, 5*time.Minute)
			extra := "  idle-timeout-sec: 1\n"
			if tg.name == "azure" {
				extra += "  max-retries: 1\n  retry-backoff-sec: 1\n  max-retry-delay-sec: 1\n"
			}
			m := mountWith(t, b, section, mountOpts{extraYAML: extra})
			want := content{name: "paused.bin", size: 1<<20 + 7}
			f, err := os.Create(m.path(want.name))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(want.bytes()); err != nil {
				t.Fatal(err)
			}
			p.setLatency(time.Hour)
			start := time.Now()
			err = f.Close()
			took := time.Since(start)
			p.setLatency(0)
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("close while the store is paused: %v, want EIO", err)
			}
			if took > 90*time.Second {
				t.Errorf("close while the store is paused took %s", took)
			}
			t.Logf("close failed after %s", took.Round(time.Millisecond))
			m.stop() // unmount uploads what is pending
			if got, err := storeBytes(context.Background(), b, want.name); err != nil || !bytes.Equal(got, want.bytes()) {
				t.Fatalf("after the store came back: %d bytes (%v), want %d", len(got), err, want.size)
			}
		})
	}
}
