//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peakRSSMiB reads the daemon's peak resident set size.
func peakRSSMiB(t *testing.T, pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb >> 10
		}
	}
	return 0
}

// writeRandom streams size pseudo-random bytes to p in 1 MiB writes and
// returns their SHA-256.
func writeRandom(t *testing.T, p string, size int64, seed int64) string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	rng := rand.New(rand.NewSource(seed))
	buf := make([]byte, 1<<20)
	for done := int64(0); done < size; done += int64(len(buf)) {
		rng.Read(buf)
		h.Write(buf)
		if _, err := f.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestBlockCacheStreamsWithinBudget(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{dataPath: "block_cache",
				extraYAML: "", flags: []string{"--block-cache-pool-size=128"}})
			size := tg.bigFile
			start := time.Now()
			want := writeRandom(t, m.path("ckpt.bin"), size, 3)
			t.Logf("streamed %d MiB in %v", size>>20, time.Since(start))
			obj, err := m.Store.Head(context.Background(), "ckpt.bin")
			if err != nil || obj.Size != size {
				t.Fatalf("stored %+v %v", obj, err)
			}
			// Nothing was staged on local disk for a sequential write.
			if ents, _ := os.ReadDir(m.Cache + "/data"); len(ents) != 0 {
				t.Fatalf("%d files staged for a streamed write", len(ents))
			}
			m.remount()
			start = time.Now()
			if got := sha256File(t, m.path("ckpt.bin")); got != want {
				t.Fatalf("read back %s want %s", got, want)
			}
			t.Logf("read %d MiB back in %v", size>>20, time.Since(start))
			rss := peakRSSMiB(t, m.cmd.Process.Pid)
			t.Logf("daemon peak RSS %d MiB with a 128 MiB budget", rss)
			if rss > 128+160 {
				t.Fatalf("peak RSS %d MiB is far above the 128 MiB budget", rss)
			}
		})
	}
}

func TestBlockCacheRandomWriteFallsBack(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{dataPath: "block_cache"})
			f, err := os.Create(m.path("archive.zip"))
			if err != nil {
				t.Fatal(err)
			}
			body := strings.Repeat("z", 20<<20)
			if _, err := f.WriteString(body); err != nil {
				t.Fatal(err)
			}
			// Like a zip writer going back to fill in its header.
			if _, err := f.WriteAt([]byte("HEADER"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("-end"); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := storeGet(t, m.Store, "archive.zip")
			if err != nil || got != "HEADER"+body[6:]+"-end" {
				t.Fatalf("stored %d bytes, %v", len(got), err)
			}
			// Edits of existing files in place stage them.
			rw, err := os.OpenFile(m.path("archive.zip"), os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			rw.WriteAt([]byte("MID"), 10<<20)
			buf := make([]byte, 3)
			rw.ReadAt(buf, 10<<20)
			if err := rw.Close(); err != nil || string(buf) != "MID" {
				t.Fatalf("edit %q %v", buf, err)
			}
			got, _ = storeGet(t, m.Store, "archive.zip")
			if got[10<<20:10<<20+3] != "MID" || len(got) != 20<<20+4 {
				t.Fatalf("after edit: len %d", len(got))
			}
		})
	}
}

func TestBlockCacheFioVerify(t *testing.T) {
	if _, err := exec.LookPath("fio"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("fio is not installed (scripts/testservers.sh ensure installs it)")
		}
		t.Skip("fio not installed")
	}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{dataPath: "block_cache"})
			for _, rw := range []string{"write", "randwrite"} {
				cmd := exec.Command("fio", "--name=verify-"+rw, "--directory="+m.Dir, "--rw="+rw,
					"--bs=64k", "--size=32m", "--verify=crc32c", "--do_verify=1", "--ioengine=psync",
					"--end_fsync=1", "--randrepeat=1", "--verify_state_save=0", "--output-format=terse", "--minimal")
				out, err := cmd.CombinedOutput()
				if err != nil || strings.Contains(string(out), "verify: bad") {
					t.Fatalf("fio %s: %v\n%s", rw, err, out)
				}
			}
		})
	}
}

// TestBlockCacheStreamedWriteSkipsPageCache checks that a file written
// afresh on the streaming path is opened for direct I/O: its bytes go to
// the upload without a copy in the page cache, and mmap(MAP_SHARED) of
// it still works.
func TestBlockCacheStreamedWriteSkipsPageCache(t *testing.T) {
	if !kernelAtLeast(t, 6, 6) {
		t.Skip("direct I/O with shared mmap needs Linux 6.6")
	}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{dataPath: "block_cache"})
			const size = 16 << 20
			f, err := os.OpenFile(m.path("direct.bin"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			body := bytes.Repeat([]byte("0123456789abcdef"), size/16)
			if _, err := f.Write(body); err != nil {
				t.Fatal(err)
			}
			mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
			if err != nil {
				t.Fatalf("mmap of a streamed file: %v", err)
			}
			defer unix.Munmap(mem)
			vec := make([]byte, size/os.Getpagesize())
			_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
			resident := 0
			for _, v := range vec {
				resident += int(v & 1)
			}
			if errno != 0 || resident != 0 {
				t.Fatalf("%d of %d pages of a streamed write are in the page cache (%v)", resident, len(vec), errno)
			}
			// Reading through the map sees what was written.
			if !bytes.Equal(mem[size-16:], body[size-16:]) || !bytes.Equal(mem[:16], body[:16]) {
				t.Fatal("mmap of a streamed file reads other bytes")
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := storeGet(t, m.Store, "direct.bin")
			if err != nil || got != string(body) {
				t.Fatalf("stored %d bytes, %v", len(got), err)
			}
		})
	}
}

// kernelAtLeast reports whether the running kernel is at least major.minor.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var ma, mi int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi)
	return ma > major || (ma == major && mi >= minor)
}

// TestBlockCacheEmptyCloseIsStored checks that a file created on the
// streaming path is in the store when close returns even if nothing was
// written yet, and that a shell redirection (open, dup, close, write,
// close) still streams its data.
func TestBlockCacheEmptyCloseIsStored(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{dataPath: "block_cache"})
			f, err := os.Create(m.path("empty"))
			if err != nil {
				t.Fatal(err)
			}
			// A child holds the open file, as a shell's command does, so
			// this close is not the last and the kernel sends no release.
			holder := exec.Command("sleep", "60")
			holder.ExtraFiles = []*os.File{f}
			if err := holder.Start(); err != nil {
				t.Fatal(err)
			}
			defer holder.Wait()
			defer holder.Process.Kill()
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if obj, err := m.Store.Head(context.Background(), "empty"); err != nil || obj.Size != 0 {
				t.Fatalf("after close: %+v %v", obj, err)
			}
			body := strings.Repeat("line\n", 1<<18)
			cmd := exec.Command("sh", "-c", `cat > "$1"`, "sh", m.path("redirected"))
			cmd.Stdin = strings.NewReader(body)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("redirection: %v %s", err, out)
			}
			// The shell's close of its first descriptor came before any data.
			if got, err := storeGet(t, m.Store, "redirected"); err != nil || got != body {
				t.Fatalf("stored %d bytes, %v", len(got), err)
			}
			if ents, _ := os.ReadDir(m.Cache + "/data"); len(ents) != 0 {
				t.Fatalf("%d files staged for a redirected write", len(ents))
			}
		})
	}
}

// TestFileCacheUploadsWhileWriting writes a 100 MiB file through the file
// cache with 5 MiB parts and, before closing it, finds its parts already
// in the store (S3: an unfinished multipart upload with parts); close then
// sends only the last ones. The object holds every byte, no upload is
// left open, and a stat shows the stored size and a current mtime.
func TestFileCacheUploadsWhileWriting(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			yaml := "  part-size-mb: 5\n"
			if tg.name == "azure" {
				yaml = "  block-size-mb: 5\n"
			}
			b, section := tg.setup(t)
			m := mountWith(t, b, section, mountOpts{extraYAML: yaml})
			big := content{name: "checkpoint.bin", size: 100 << 20}
			start := time.Now().Add(-2 * time.Second)
			f, err := os.Create(m.path(big.name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := io.Copy(f, big.reader()); err != nil {
				t.Fatal(err)
			}
			if tg.name == "s3" {
				deadline := time.Now().Add(time.Minute)
				for parts := 0; parts == 0; {
					for _, n := range s3Uploads(t, section) {
						parts = max(parts, n)
					}
					if parts == 0 && time.Now().After(deadline) {
						t.Fatal("no part of the open file reached the store")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			size, sum, err := storeSum(context.Background(), m.Store, big.name)
			if err != nil || size != big.size || sum != big.sum() {
				t.Fatalf("stored %d bytes (%v), want the %d written", size, err, big.size)
			}
			if tg.name == "s3" {
				if ups := s3Uploads(t, section); len(ups) != 0 {
					t.Fatalf("multipart uploads left open: %v", ups)
				}
			}
			st, err := os.Stat(m.path(big.name))
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != big.size || st.ModTime().Before(start) || time.Since(st.ModTime()) > time.Minute {
				t.Fatalf("stat: size %d mtime %v", st.Size(), st.ModTime())
			}
		})
	}
}

// TestBlockCacheRandomReadsCached reads an object at random 4 KiB offsets
// with O_DIRECT (every read reaches the daemon), each read far from the
// one before (so none continues a stream): the first pass fetches each
// 256 KiB chunk around the reads once, and a second pass over the same
// offsets, through a new descriptor, sends no GET at all.
func TestBlockCacheRandomReadsCached(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			const size, chunk = 64 << 20, 256 << 10
			data := pattern(size)
			storePut(t, b, "r.bin", data)
			m := mountWith(t, b, section, mountOpts{dataPath: "block_cache"})
			rng := rand.New(rand.NewSource(7))
			offs := make([]int64, 300)
			chunks := map[int64]bool{}
			for i := range offs {
				// Alternately in [1, 24) MiB and [40, 64) MiB: 16 MiB or
				// more from the read before.
				base := int64(1 << 20)
				if i%2 == 1 {
					base = 40 << 20
				}
				offs[i] = base + rng.Int63n((23<<20)/4096)*4096
				chunks[offs[i]/chunk] = true
			}
			raw := make([]byte, 2*4096)
			shift := 4096 - int(uintptr(unsafe.Pointer(&raw[0]))%4096)
			buf := raw[shift%4096 : shift%4096+4096] // O_DIRECT wants it aligned
			pass := func() int64 {
				before := healthJSON(t, m.Dir).Store["get"].Count
				f, err := os.OpenFile(m.path("r.bin"), os.O_RDONLY|unix.O_DIRECT, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				for _, off := range offs {
					if _, err := f.ReadAt(buf, off); err != nil {
						t.Fatalf("read at %d: %v", off, err)
					}
					if string(buf) != data[off:off+4096] {
						t.Fatalf("read at %d: other bytes", off)
					}
				}
				return healthJSON(t, m.Dir).Store["get"].Count - before
			}
			if first := pass(); first == 0 || first > int64(len(chunks)) {
				t.Errorf("the first pass sent %d GETs, want 1 to %d (one per chunk)", first, len(chunks))
			}
			if second := pass(); second != 0 {
				t.Errorf("the second pass sent %d GETs", second)
			}
		})
	}
}
