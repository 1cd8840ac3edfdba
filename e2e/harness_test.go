//go:build linux

// Package e2e mounts the built cloudfuse binary on real servers (MinIO and
// Azurite on 127.0.0.1, started by scripts/testservers.sh) and drives the
// mount with ordinary system calls and tools. The daemon always runs in a
// separate process; this process never serves FUSE itself.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/s3store"
)

// binary is the cloudfuse executable built once for the whole run.
var binary string

// binaryEnv names a cloudfuse binary already built, for a child process
// of this test binary (see TestCSISanity).
const binaryEnv = "CLOUDFUSE_E2E_BINARY"

func TestMain(m *testing.M) {
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir, err := os.MkdirTemp("", "cloudfuse-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cloudfuse")
	if b := os.Getenv(binaryEnv); b != "" {
		binary = b // a test of this package running another part of it
	} else {
		build := exec.Command("go", "build", "-o", binary, "../cmd/cloudfuse")
		if frontend() == "cgofuse" {
			// The second frontend: cgofuse over libfuse3 (cgo).
			build = exec.Command("go", "build", "-tags", "cgofuse,fuse3", "-o", binary, "../cmd/cloudfuse")
			build.Env = append(os.Environ(), "CGO_ENABLED=1")
		}
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build cloudfuse:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// frontendEnv picks the FUSE frontend the binary under test is built
// with: "go-fuse" (the default, the release binary) or "cgofuse" (the
// frontend of Windows, on libfuse3 here). make test runs the filesystem
// and POSIX tests through both.
const frontendEnv = "CLOUDFUSE_E2E_FRONTEND"

func frontend() string {
	if f := os.Getenv(frontendEnv); f != "" {
		return f
	}
	return "go-fuse"
}

// skipOnFrontend skips a test that cannot apply to frontend f, saying why.
func skipOnFrontend(t *testing.T, f, why string) {
	t.Helper()
	if frontend() == f {
		t.Skipf("not through %s: %s", f, why)
	}
}

// requireEnv returns the named variables, skipping the test when the test
// servers are not running, except in CI where that is a failure.
func requireEnv(t *testing.T, names ...string) []string {
	t.Helper()
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = os.Getenv(n)
		if vals[i] == "" {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not set: the test servers must run in CI (scripts/testservers.sh)", n)
			}
			t.Skipf("%s not set; start the test servers with scripts/testservers.sh", n)
		}
	}
	return vals
}

// target is one kind of store the same end-to-end tests run against.
type target struct {
	name string
	// setup creates an empty bucket or container and returns a direct
	// client to it and the store section of a config file.
	setup func(t *testing.T) (storage.Backend, string)
	// bigFile is the size of the large-file test: 1 GiB on MinIO; the
	// Azure emulator keeps blobs in JavaScript memory and stalls on
	// gigabytes, so it gets a smaller file through the same test body.
	bigFile int64
}

func targets() []target {
	return []target{
		{name: "s3", setup: setupS3, bigFile: 1 << 30},
		{name: "azure", setup: setupAzure, bigFile: 128 << 20},
	}
}

// forEachTarget runs body once per store, each on a fresh mount.
func forEachTarget(t *testing.T, body func(t *testing.T, m *mnt)) {
	forEachTargetWith(t, mountOpts{}, body)
}

// forEachTargetWith is forEachTarget with mount options.
func forEachTargetWith(t *testing.T, o mountOpts, body func(t *testing.T, m *mnt)) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, o)
			m.target = tg
			body(t, m)
		})
	}
}

func randomName(prefix string) string {
	var b [5]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func s3Env(t *testing.T) (endpoint, key, secret string) {
	v := requireEnv(t, "CLOUDFUSE_TEST_S3_ENDPOINT", "CLOUDFUSE_TEST_S3_ACCESS_KEY", "CLOUDFUSE_TEST_S3_SECRET_KEY")
	return v[0], v[1], v[2]
}

func s3Client(endpoint, key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

func setupS3(t *testing.T) (storage.Backend, string) {
	endpoint, key, secret := s3Env(t)
	bucket := randomName("e2e-")
	ctx := context.Background()
	cl := s3Client(endpoint, key, secret)
	if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Cleanup(func() { emptyAndDeleteBucket(cl, bucket) })
	b, err := s3store.New(ctx, s3store.Options{Bucket: bucket, Endpoint: endpoint, Region: "us-east-1",
		UsePathStyle: true, AccessKeyID: key, SecretAccessKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	section := fmt.Sprintf(`s3storage:
  bucket-name: %s
  key-id: %s
  secret-key: %s
  endpoint: %s
  region: us-east-1
  use-path-style: true
`, bucket, key, secret, endpoint)
	return b, section
}

func emptyAndDeleteBucket(cl *s3.Client, bucket string) {
	ctx := context.Background()
	p := s3.NewListObjectsV2Paginator(cl, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			cl.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	cl.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// mountOpts varies a mount.
type mountOpts struct {
	extraYAML  string   // appended to the config file
	flags      []string // extra command-line flags
	cacheDir   string   // reuse a cache directory (remount tests)
	dataPath   string   // "" or "file_cache" (default), "block_cache"
	fileCache  string   // more keys of the file_cache section ("  key: value\n")
	blockCache string   // more keys of the block_cache section
}

// mnt is one running mount.
type mnt struct {
	t       *testing.T
	Dir     string
	Store   storage.Backend
	Config  string
	Log     string
	Cache   string
	opts    mountOpts
	target  target
	cmd     *exec.Cmd
	exited  chan error
	stopped bool
}

// mountTarget creates a bucket for tg and mounts it.
func mountTarget(t *testing.T, tg target, o mountOpts) *mnt {
	t.Helper()
	b, section := tg.setup(t)
	return mountWith(t, b, section, o)
}

// mountWith mounts the store described by section in the foreground in a
// child process and waits until the kernel shows the mount.
func mountWith(t *testing.T, b storage.Backend, section string, o mountOpts) *mnt {
	t.Helper()
	work := t.TempDir()
	m := &mnt{t: t, Dir: filepath.Join(work, "mnt"), Store: b, opts: o,
		Log: filepath.Join(work, "cloudfuse.log"), Cache: o.cacheDir}
	if m.Cache == "" {
		m.Cache = filepath.Join(work, "cache")
	}
	if err := os.Mkdir(m.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dataPath := o.dataPath
	if dataPath == "" {
		dataPath = "file_cache"
	}
	cfg := fmt.Sprintf(`logging:
  type: base
  level: log_debug
  file-path: %s
components:
  - libfuse
  - %s
  - attr_cache
  - %s
libfuse:
  attribute-expiration-sec: 1
  entry-expiration-sec: 1
  negative-entry-expiration-sec: 1
file_cache:
  path: %s
  timeout-sec: 30
%sblock_cache:
  path: %s
%sattr_cache:
  timeout-sec: 30
%s%s`, m.Log, dataPath, storeComponent(section), m.Cache, o.fileCache, m.Cache, o.blockCache, section, o.extraYAML)
	m.Config = filepath.Join(work, "config.yaml")
	if err := os.WriteFile(m.Config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func storeComponent(section string) string {
	if strings.HasPrefix(section, "azstorage:") {
		return "azstorage"
	}
	return "s3storage"
}

func (m *mnt) start() {
	t := m.t
	t.Helper()
	args := append([]string{"mount", m.Dir, "--config-file=" + m.Config, "--foreground"}, m.opts.flags...)
	m.cmd = exec.Command(binary, args...)
	var stderr bytes.Buffer
	m.cmd.Stderr = &stderr
	m.cmd.Stdout = &stderr
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.stopped = false
	exited := make(chan error, 1)
	go func() { exited <- m.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !isMounted(m.Dir) {
		select {
		case err := <-exited:
			t.Fatalf("cloudfuse exited before mounting: %v\n%s\nlog:\n%s", err, stderr.String(), tail(m.Log))
		default:
		}
		if time.Now().After(deadline) {
			m.cmd.Process.Kill()
			t.Fatalf("mount did not appear within 20s\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.exited = exited
}

// stop unmounts and waits for the daemon to exit (uploading what is
// pending). It is safe to call twice and runs at cleanup even on failure.
func (m *mnt) stop() {
	if m.stopped {
		return
	}
	m.stopped = true
	if isMounted(m.Dir) {
		if out, err := exec.Command("fusermount3", "-u", m.Dir).CombinedOutput(); err != nil {
			m.t.Logf("fusermount3 -u: %v %s; lazy unmount", err, out)
			exec.Command("fusermount3", "-u", "-z", m.Dir).Run()
		}
	}
	select {
	case <-m.exited:
	case <-time.After(60 * time.Second):
		m.t.Errorf("cloudfuse did not exit after unmount")
		m.cmd.Process.Kill()
		<-m.exited
	}
}

// remount stops the daemon and mounts the same config again.
func (m *mnt) remount() {
	m.stop()
	m.start()
}

func (m *mnt) path(p string) string { return filepath.Join(m.Dir, p) }

// isMounted reports whether dir is a mount point in this namespace.
func isMounted(dir string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	abs, _ := filepath.Abs(dir)
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 && unescapeMount(fields[4]) == abs {
			return true
		}
	}
	return false
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// run executes a command and fails the test with its output on error.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
