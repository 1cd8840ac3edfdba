//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// The Cloudfuse and BlobFuse2 sample configs in testdata/configs mount
// unchanged apart from the {{...}} placeholders, and a file written
// through each reads back, lists and lands in the store.
func TestParityCLIFixtures(t *testing.T) {
	for _, fx := range []struct{ file, target string }{
		{"cloudfuse-s3-filecache.yaml", "s3"},
		{"cloudfuse-s3-blockcache.yaml", "s3"},
		{"cloudfuse-s3-stream.yaml", "s3"},
		{"blobfuse2-azure-key-filecache.yaml", "azure"},
		{"blobfuse2-azure-sas-blockcache.yaml", "azure"},
		{"blobfuse2-azure-streaming.yaml", "azure"},
	} {
		t.Run(strings.TrimSuffix(fx.file, ".yaml"), func(t *testing.T) {
			b, vals := fixtureStore(t, fx.target)
			m := mountFixture(t, b, fx.file, vals)
			data := strings.Repeat("parity ", 50000) // 350 kB
			if err := os.WriteFile(m.path("hello.txt"), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(m.path("hello.txt"))
			if err != nil || string(got) != data {
				t.Fatalf("read back: %d bytes, %v", len(got), err)
			}
			ents, err := os.ReadDir(m.Dir)
			if err != nil || len(ents) != 1 || ents[0].Name() != "hello.txt" {
				t.Fatalf("listing: %v %v", ents, err)
			}
			m.stop()
			obj, err := b.Head(context.Background(), "hello.txt")
			if err != nil || obj.Size != int64(len(data)) {
				t.Fatalf("store: %+v %v", obj, err)
			}
			log, err := os.ReadFile(m.Log)
			if err != nil {
				t.Fatalf("the fixture's log file: %v", err)
			}
			for _, bad := range []string{"unknown key", "not supported by cloudfuse"} {
				if bytes.Contains(log, []byte(bad)) {
					t.Errorf("mount log has %q:\n%s", bad, log)
				}
			}
		})
	}
}

// fixtureStore creates a bucket or container and returns the values of
// the fixture placeholders for it.
func fixtureStore(t *testing.T, target string) (storage.Backend, map[string]string) {
	t.Helper()
	if target == "s3" {
		b, section := setupS3(t)
		endpoint, key, secret := s3Env(t)
		return b, map[string]string{"BUCKET": yamlValue(t, section, "bucket-name"),
			"S3_ENDPOINT": endpoint, "S3_KEY": key, "S3_SECRET": secret}
	}
	b, section := setupAzure(t)
	v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
	return b, map[string]string{"CONTAINER": yamlValue(t, section, "container"),
		"AZ_ENDPOINT": v[0], "AZ_ACCOUNT": v[1], "AZ_KEY": v[2], "SAS": accountSAS(t, v[1], v[2])}
}

// accountSAS signs an account SAS that can read, write, list and delete
// blobs for an hour.
func accountSAS(t *testing.T, account, key string) string {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(account, key)
	if err != nil {
		t.Fatal(err)
	}
	perms := sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Add: true, Create: true, Update: true, Tag: true}
	types := sas.AccountResourceTypes{Service: true, Container: true, Object: true}
	q, err := sas.AccountSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		StartTime:     time.Now().Add(-time.Minute).UTC(),
		ExpiryTime:    time.Now().Add(time.Hour).UTC(),
		Permissions:   perms.String(),
		ResourceTypes: types.String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

func yamlValue(t *testing.T, section, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `:\s*(\S+)`).FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("no %s in %s", key, section)
	}
	return m[1]
}

// mountFixture writes testdata/configs/name with its placeholders filled
// in (LOG, CACHE and WORK point into a temporary directory) and mounts it
// in the foreground.
func mountFixture(t *testing.T, b storage.Backend, name string, vals map[string]string, flags ...string) *mnt {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "configs", name))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	m := &mnt{t: t, Dir: filepath.Join(work, "mnt"), Store: b, Log: filepath.Join(work, "cloudfuse.log"),
		Cache: filepath.Join(work, "cache"), Config: filepath.Join(work, "config.yaml"), opts: mountOpts{flags: flags}}
	vals["LOG"], vals["CACHE"], vals["WORK"] = m.Log, m.Cache, filepath.Join(work, "home")
	out := string(text)
	for k, v := range vals {
		out = strings.ReplaceAll(out, "{{"+k+"}}", v)
	}
	if i := strings.Index(out, "{{"); i >= 0 {
		t.Fatalf("%s: placeholder left: %.30s", name, out[i:])
	}
	if err := os.Mkdir(m.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.Config, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func isErrno(err error, want syscall.Errno) bool {
	var e syscall.Errno
	return errors.As(err, &e) && e == want
}

// --read-only: reads work, every change fails with EROFS.
func TestParityCLIReadOnly(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			if _, err := b.Put(context.Background(), "there.txt", strings.NewReader("stored"), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			m := mountWith(t, b, section, mountOpts{flags: []string{"--read-only"}})
			if got, err := os.ReadFile(m.path("there.txt")); err != nil || string(got) != "stored" {
				t.Fatalf("read: %q %v", got, err)
			}
			if err := os.WriteFile(m.path("new.txt"), []byte("x"), 0o644); !isErrno(err, syscall.EROFS) {
				t.Errorf("create: %v, want EROFS", err)
			}
			if _, err := os.OpenFile(m.path("there.txt"), os.O_WRONLY, 0); !isErrno(err, syscall.EROFS) {
				t.Errorf("open for writing: %v, want EROFS", err)
			}
			if err := os.Mkdir(m.path("d"), 0o755); !isErrno(err, syscall.EROFS) {
				t.Errorf("mkdir: %v, want EROFS", err)
			}
			if err := os.Remove(m.path("there.txt")); !isErrno(err, syscall.EROFS) {
				t.Errorf("unlink: %v, want EROFS", err)
			}
		})
	}
}

// --subdirectory: only that prefix is visible and new files land under it.
func TestParityCLISubdirectory(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			ctx := context.Background()
			for _, k := range []string{"outside.txt", "sub/inner.txt", "subway.txt"} {
				if _, err := b.Put(ctx, k, strings.NewReader(k), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			m := mountWith(t, b, section, mountOpts{flags: []string{"--subdirectory=sub"}})
			ents, err := os.ReadDir(m.Dir)
			if err != nil || len(ents) != 1 || ents[0].Name() != "inner.txt" {
				t.Fatalf("listing: %v %v", ents, err)
			}
			if got, err := os.ReadFile(m.path("inner.txt")); err != nil || string(got) != "sub/inner.txt" {
				t.Fatalf("read: %q %v", got, err)
			}
			if err := os.WriteFile(m.path("new.txt"), []byte("new"), 0o644); err != nil {
				t.Fatal(err)
			}
			m.stop()
			if _, err := b.Head(ctx, "sub/new.txt"); err != nil {
				t.Errorf("sub/new.txt not in the store: %v", err)
			}
			if _, err := b.Head(ctx, "new.txt"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("new.txt at the root of the store: %v", err)
			}
		})
	}
}

// --no-symlinks: ln -s is refused, and a stored symlink reads as a regular
// file holding its target.
func TestParityCLINoSymlinks(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{})
			mustWrite(t, m.path("target.txt"), "content")
			if err := os.Symlink("target.txt", m.path("link")); err != nil {
				t.Fatal(err)
			}
			m.opts.flags = []string{"--no-symlinks"}
			m.remount()
			// On S3 a link is stored as "link.rclonelink" (Cloudfuse and
			// rclone), which is then the file's name, as in Cloudfuse.
			name := "link"
			if tg.name == "s3" {
				name = "link.rclonelink"
			}
			fi, err := os.Lstat(m.path(name))
			if err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("stored symlink: %v %v, want a regular file", fi, err)
			}
			if got, err := os.ReadFile(m.path(name)); err != nil || string(got) != "target.txt" {
				t.Errorf("stored symlink reads %q %v, want its target", got, err)
			}
			if err := os.Symlink("target.txt", m.path("link2")); err == nil {
				t.Error("ln -s succeeded with --no-symlinks")
			}
		})
	}
}

// --allow-other: another user can list and read the mount; without it the
// kernel refuses that user.
func TestParityCLIAllowOther(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("switching users needs root")
	}
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{})
			openUp(t, m)
			mustWrite(t, m.path("f.txt"), "shared")
			if out, err := shAs(alice, nil, "cat "+m.path("f.txt")); err == nil {
				t.Fatalf("another user read the mount without --allow-other: %s", out)
			}
			m.opts.flags = []string{"--allow-other"}
			m.remount()
			out, err := shAs(alice, nil, "ls "+m.Dir+" && cat "+m.path("f.txt"))
			if err != nil || out != "f.txt\nshared" {
				t.Errorf("another user with --allow-other: %q %v", out, err)
			}
		})
	}
}

// --container-name names the bucket or container the config leaves out.
func TestParityCLIContainerName(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			key := "bucket-name"
			if tg.name == "azure" {
				key = "container"
			}
			name := yamlValue(t, section, key)
			section = regexp.MustCompile(`(?m)^\s*`+key+`:.*\n`).ReplaceAllString(section, "")
			m := mountWith(t, b, section, mountOpts{flags: []string{"--container-name=" + name}})
			mustWrite(t, m.path("c.txt"), "named")
			m.stop()
			if _, err := b.Head(context.Background(), "c.txt"); err != nil {
				t.Errorf("c.txt not in %s: %v", name, err)
			}
		})
	}
}

// --default-working-dir holds the log and the file cache of a background
// mount that names neither.
func TestParityCLIDefaultWorkingDir(t *testing.T) {
	tg := targets()[0]
	_, section := tg.setup(t)
	work := t.TempDir()
	dir, wd := filepath.Join(work, "mnt"), filepath.Join(work, "wd")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(work, "config.yaml")
	text := "logging:\n  type: base\n  level: log_info\ncomponents: [libfuse, file_cache, attr_cache, s3storage]\n" + section
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "mount", dir, "--config-file="+cfg, "--default-working-dir="+wd).CombinedOutput(); err != nil {
		t.Fatalf("mount: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command(binary, "unmount", dir).Run() })
	if err := os.WriteFile(filepath.Join(dir, "w.txt"), []byte("in the working dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	staged, _ := filepath.Glob(filepath.Join(wd, "file_cache", "data", "*"))
	if len(staged) == 0 {
		t.Errorf("nothing staged under %s/file_cache", wd)
	}
	if out, err := exec.Command(binary, "unmount", dir).CombinedOutput(); err != nil {
		t.Fatalf("unmount: %v %s", err, out)
	}
	log, err := os.ReadFile(filepath.Join(wd, "cloudfuse.log"))
	if err != nil || !bytes.Contains(log, []byte("msg=mounted")) {
		t.Errorf("log in the working dir: %v\n%s", err, log)
	}
}

// cacheBytes sums the sizes of the staged copies in the file cache.
func cacheBytes(t *testing.T, m *mnt) int64 {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(m.Cache, "data"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// --cache-size-mb with the thresholds evicts closed files down to the low
// threshold well before their timeout; --file-cache-timeout=1 empties the
// cache of closed files. Every file still reads back whole.
func TestParityCLICacheLimits(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{flags: []string{"--cache-size-mb=2", "--high-disk-threshold=90",
				"--low-disk-threshold=50", "--file-cache-timeout=20"}})
			files := map[string][]byte{}
			for i := range 6 {
				name := string(rune('a'+i)) + ".bin"
				data := bytes.Repeat([]byte{byte(i + 1)}, 1<<20)
				if err := os.WriteFile(m.path(name), data, 0o644); err != nil {
					t.Fatal(err)
				}
				files[name] = data
			}
			const limit = 2 << 20
			deadline := time.Now().Add(15 * time.Second) // the timeout is 20s
			for cacheBytes(t, m) > limit*90/100 {
				if time.Now().After(deadline) {
					t.Fatalf("cache holds %d bytes 15s after the writes, limit %d", cacheBytes(t, m), limit)
				}
				time.Sleep(200 * time.Millisecond)
			}
			for name, want := range files {
				if got, err := os.ReadFile(m.path(name)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %d bytes, %v", name, len(got), err)
				}
			}

			m.opts.flags = []string{"--file-cache-timeout=1"}
			m.remount()
			for name := range files {
				if _, err := os.ReadFile(m.path(name)); err != nil {
					t.Fatal(err)
				}
			}
			deadline = time.Now().Add(10 * time.Second)
			for cacheBytes(t, m) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("cache holds %d bytes 10s after closing with --file-cache-timeout=1", cacheBytes(t, m))
				}
				time.Sleep(200 * time.Millisecond)
			}
			for name, want := range files {
				if got, err := os.ReadFile(m.path(name)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s after eviction: %d bytes, %v", name, len(got), err)
				}
			}
		})
	}
}

// configLine returns the "configuration" line of a debug-level mount log.
func configLine(t *testing.T, m *mnt) string {
	t.Helper()
	log, _ := os.ReadFile(m.Log)
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "msg=configuration") {
			return l
		}
	}
	t.Fatalf("no configuration line in the log:\n%s", log)
	return ""
}

// --block-cache, --streaming and --use-attr-cache edit the components of
// a file_cache config, and the mount works with the result.
func TestParityCLIComponentFlags(t *testing.T) {
	for _, tc := range []struct {
		flag, want string
	}{
		{"--block-cache", `config.components="[libfuse block_cache attr_cache `},
		{"--streaming", `config.components="[libfuse stream attr_cache `},
		{"--use-attr-cache=false", `config.components="[libfuse file_cache `},
	} {
		for _, tg := range targets() {
			t.Run(strings.TrimLeft(tc.flag, "-")+"/"+tg.name, func(t *testing.T) {
				m := mountTarget(t, tg, mountOpts{flags: []string{tc.flag}})
				if l := configLine(t, m); !strings.Contains(l, tc.want) {
					t.Errorf("log: %s\nwant %s", l, tc.want)
				}
				data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
				if err := os.WriteFile(m.path("f.bin"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(m.path("f.bin"))
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(f)
				f.Close()
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("read back: %d bytes, %v", len(got), err)
				}
			})
		}
	}
}

// A mount path inside or around a running cloudfuse mount is refused
// before anything is mounted, naming that mount.
func TestParityCLIOverlappingMount(t *testing.T) {
	tg := targets()[0]
	m := mountTarget(t, tg, mountOpts{})
	if err := os.Mkdir(m.path("inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{m.path("inner"), filepath.Dir(m.Dir)} {
		out, err := exec.Command(binary, "mount", p, "--config-file="+m.Config, "--foreground").CombinedOutput()
		if err == nil {
			exec.Command("fusermount3", "-u", p).Run()
			t.Fatalf("mount at %s succeeded", p)
		}
		if want := "overlaps the cloudfuse mount at " + m.Dir; !strings.Contains(string(out), want) {
			t.Errorf("mount at %s: %s\nwant %q", p, out, want)
		}
	}
}
