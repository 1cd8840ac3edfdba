//go:build linux

package e2e

// Fault tests: the mount talks to its store through a proxy that cuts
// connections and refuses them, or its daemon is killed with SIGKILL in
// the middle of writes. Afterwards every file whose close() succeeded must
// be in the store with the right checksum, failures must have reached the
// application as errors, and nothing else may claim to be there. Each test
// logs how many files it wrote, verified and lost (lost must be 0).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// content is the deterministic body of a test file: n bytes drawn from a
// generator seeded by name, so any copy can be checked without keeping it.
type content struct {
	name string
	size int64
}

func (c content) reader() io.Reader {
	sum := sha256.Sum256([]byte(c.name))
	return io.LimitReader(rand.NewChaCha8(sum), c.size)
}

func (c content) bytes() []byte {
	b, _ := io.ReadAll(c.reader())
	return b
}

func (c content) sum() string {
	h := sha256.New()
	io.Copy(h, c.reader())
	return hex.EncodeToString(h.Sum(nil))
}

// storeSum returns the size and SHA-256 of an object read from the store
// directly, not through the mount.
func storeSum(ctx context.Context, b storage.Backend, key string) (int64, string, error) {
	rc, _, err := b.Get(ctx, key, storage.GetOptions{Length: -1})
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// storeBytes reads a whole object from the store.
func storeBytes(ctx context.Context, b storage.Backend, key string) ([]byte, error) {
	rc, _, err := b.Get(ctx, key, storage.GetOptions{Length: -1})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// storeList returns every key in the store.
func storeList(t *testing.T, b storage.Backend) []string {
	t.Helper()
	var keys []string
	opts := storage.ListOptions{}
	for {
		page, err := b.List(context.Background(), opts)
		if err != nil {
			t.Fatalf("list store: %v", err)
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		if page.NextToken == "" {
			return keys
		}
		opts.ContinuationToken = page.NextToken
	}
}

// tally counts the outcome of a fault scenario.
type tally struct {
	written   atomic.Int64 // close() succeeded
	failed    atomic.Int64 // an error reached the application
	verified  atomic.Int64 // acknowledged and found intact in the store
	lost      atomic.Int64 // acknowledged but missing or wrong
	recovered atomic.Int64 // not acknowledged, yet uploaded later (journal, unmount)
}

func (c *tally) log(t *testing.T, scenario string) {
	t.Helper()
	t.Logf("%s: files written %d, verified %d, lost %d; failed with an error %d, recovered later %d",
		scenario, c.written.Load(), c.verified.Load(), c.lost.Load(), c.failed.Load(), c.recovered.Load())
	if c.lost.Load() != 0 {
		t.Errorf("%s: %d acknowledged files lost", scenario, c.lost.Load())
	}
}

// verify checks that key holds c, counting the result.
func (c *tally) verify(t *testing.T, b storage.Backend, key string, want content) {
	t.Helper()
	size, sum, err := storeSum(context.Background(), b, key)
	if err != nil || size != want.size || sum != want.sum() {
		c.lost.Add(1)
		t.Errorf("%s: acknowledged, but the store has %d bytes (want %d), checksum match %v, err %v",
			key, size, want.size, sum == want.sum(), err)
		return
	}
	c.verified.Add(1)
}

// proxied starts a fault proxy in front of the store named in section and
// returns the section with its endpoint pointing at the proxy.
func proxied(t *testing.T, section string, lifetime time.Duration) (string, *faultProxy) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  endpoint: (\S+)$`).FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("no endpoint in store section")
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatal(err)
	}
	p := newFaultProxy(t, m[1], lifetime)
	proxyURL := *u
	proxyURL.Host = p.addr
	return strings.Replace(section, m[0], "  endpoint: "+proxyURL.String(), 1), p
}

// pendingUploads counts multipart uploads started and never completed or
// aborted in an S3 bucket.
func pendingUploads(t *testing.T, section string) int {
	t.Helper()
	endpoint, key, secret := s3Env(t)
	bucket := regexp.MustCompile(`(?m)^  bucket-name: (\S+)$`).FindStringSubmatch(section)
	if bucket == nil {
		t.Fatal("no bucket in section")
	}
	out, err := s3Client(endpoint, key, secret).ListMultipartUploads(context.Background(),
		&s3.ListMultipartUploadsInput{Bucket: aws.String(bucket[1])})
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	return len(out.Uploads)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestFaultLargeWriteWithCuts writes a 1 GiB file (CLOUDFUSE_FAULT_BIG_MB)
// while the proxy resets every connection periodically, in the middle of
// part uploads: the store's retries must deliver the whole file, and it
// must read back intact through a fresh mount while reads are cut too.
func TestFaultLargeWriteWithCuts(t *testing.T) {
	b, section := setupS3(t)
	section, p := proxied(t, section, 20*time.Minute)
	m := mountWith(t, b, section, mountOpts{})
	var c tally
	want := content{name: "big.bin", size: int64(envInt("CLOUDFUSE_FAULT_BIG_MB", 1024)) << 20}

	stop := p.cutEvery(700 * time.Millisecond)
	start := time.Now()
	f, err := os.Create(m.path(want.name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyBuffer(f, want.reader(), make([]byte, 1<<20)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if err := f.Close(); err != nil {
		c.failed.Add(1)
		t.Errorf("close of the large file failed while connections were cut: %v", err)
	} else {
		c.written.Add(1)
	}
	stop()
	t.Logf("wrote and uploaded %d MiB in %v; %d connections, %d cut", want.size>>20,
		time.Since(start).Round(time.Millisecond), p.accepted.Load(), p.cuts.Load())
	if c.written.Load() == 1 {
		c.verify(t, b, want.name, want)
	}
	if n := pendingUploads(t, section); n != 0 {
		t.Logf("multipart uploads left open by retried requests: %d", n)
	}

	// Read back through a fresh mount (cold cache) while half the
	// connections are cut after a random part of their body.
	m.remount()
	cutsBefore := p.cuts.Load()
	p.cutAfter(func(r *rand.Rand) int64 {
		if r.IntN(2) == 0 {
			return 0
		}
		return 1 + r.Int64N(16<<20)
	})
	stop = func() { p.cutAfter(nil) }
	rf, err := os.Open(m.path(want.name))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, rf, make([]byte, 1<<20))
	rf.Close()
	stop()
	if err != nil || n != want.size || hex.EncodeToString(h.Sum(nil)) != want.sum() {
		t.Errorf("read back through the mount: %d bytes, err %v, checksum match %v", n, err,
			hex.EncodeToString(h.Sum(nil)) == want.sum())
	}
	t.Logf("read back %d MiB with %d connections cut", n>>20, p.cuts.Load()-cutsBefore)
	c.log(t, "1 GiB write with connections cut")
}

// cpFailures returns the files cp named in its error messages.
func cpFailures(stderr string) map[string]string {
	out := map[string]string{}
	re := regexp.MustCompile(`'([^']+)'`)
	for _, line := range strings.Split(stderr, "\n") {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			out[filepath.Base(m[1])] = line
		}
	}
	return out
}

// TestFaultStoreDownDuringCopy copies 1000 files with cp while the store
// stops answering (connections refused) for 12 s, within what the stores'
// retries bridge, then comes back. Every file cp did not report as failed
// must be in the store intact.
func TestFaultStoreDownDuringCopy(t *testing.T) {
	outage := time.Duration(envInt("CLOUDFUSE_FAULT_OUTAGE_SEC", 12)) * time.Second
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			copyWithOutage(t, tg, envInt("CLOUDFUSE_FAULT_FILES", 1000), outage, "", false)
		})
	}
}

// TestFaultStoreDownLongerThanRetries takes the store away for longer than
// the retries last (45 s on S3; Azure with its retries cut down by config),
// so some requests fail for good: the failures must reach cp as errors,
// every file cp did not report must be intact in the store, and what
// failed at close is uploaded at unmount once the store is back.
func TestFaultStoreDownLongerThanRetries(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			outage, extra := 45*time.Second, ""
			if tg.name == "azure" {
				outage = 20 * time.Second
				extra = "  max-retries: 2\n  retry-backoff-sec: 1\n  max-retry-delay-sec: 2\n"
			}
			copyWithOutage(t, tg, 300, outage, extra, true)
		})
	}
}

// copyWithOutage runs cp -r of n files into the mount and refuses the
// store's connections for outage from one second into the copy. extra is
// appended to the store section. With wantErrors, some failure must reach
// cp.
func copyWithOutage(t *testing.T, tg target, n int, outage time.Duration, extra string, wantErrors bool) {
	b, section := tg.setup(t)
	section, p := proxied(t, section+extra, 10*time.Minute)
	m := mountWith(t, b, section, mountOpts{})
	src := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]content{}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		c := content{name: fmt.Sprintf("f%04d", i), size: rng.Int64N(32 << 10)}
		if i%100 == 0 {
			c.size = 1<<20 + rng.Int64N(1<<20)
		}
		files[c.name] = c
		if err := os.WriteFile(filepath.Join(src, c.name), c.bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := m.path("copy")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cp", "-r", src+"/.", dst)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Let a tenth of the copy through, then take the store away. (A fixed
	// delay let a fast copy finish before the outage began.)
	waitStored(t, b, done, n/10)
	p.refuse()
	before := len(storeList(t, b))
	select {
	case err := <-done:
		done <- err
	case <-time.After(outage):
	}
	p.restore()
	t.Logf("store unreachable for %v from the moment %d objects were in", outage, before)
	var cpErr error
	select {
	case cpErr = <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("cp did not finish within 5 minutes after the store came back")
	}
	failed := cpFailures(stderr.String())
	t.Logf("cp exit: %v; %d files named in errors", cpErr, len(failed))
	if len(failed) > 0 && cpErr == nil {
		t.Errorf("cp printed errors but exited 0")
	}
	if cpErr != nil && len(failed) == 0 {
		t.Errorf("cp failed without naming a file: %v\n%s", cpErr, stderr.String())
	}
	if len(failed) > 0 {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		t.Logf("first cp errors:\n%s", strings.Join(lines[:min(5, len(lines))], "\n"))
	}
	for _, line := range failed {
		if !strings.Contains(line, "Input/output error") {
			t.Errorf("a store failure reached cp as something else than EIO: %s", line)
		}
	}
	// A failed upload names the file and where its data waits.
	mlog, _ := os.ReadFile(m.Log)
	for name, line := range failed {
		if strings.Contains(line, "failed to close") &&
			!regexp.MustCompile(`upload failed; data kept in cache.*path=copy/`+name+` cache_file=\S+`).Match(mlog) {
			t.Errorf("no log line names copy/%s and its cache file", name)
		}
	}
	if wantErrors && len(failed) == 0 {
		t.Errorf("an outage of %v reached no application as an error", outage)
	}

	var c tally
	for name, want := range files {
		if _, bad := failed[name]; bad {
			c.failed.Add(1)
			continue
		}
		c.written.Add(1)
		c.verify(t, b, "copy/"+name, want)
	}
	// Unmount uploads what failed at close and is still pending; what is
	// then in the store must be intact.
	m.stop()
	for name := range failed {
		want, ok := files[name]
		if !ok {
			continue
		}
		size, sum, err := storeSum(context.Background(), b, "copy/"+name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case size != want.size || sum != want.sum():
			t.Errorf("%s: a failed copy left %d bytes that are not the file (want %d)", name, size, want.size)
		default:
			c.recovered.Add(1)
		}
	}
	for _, key := range storeList(t, b) {
		name, ok := strings.CutPrefix(key, "copy/")
		if (!ok || files[name].name == "") && key != "copy/" && key != "copy" {
			t.Errorf("unexpected object %q in the store", key)
		}
	}
	t.Logf("proxy: %d connections accepted", p.accepted.Load())
	c.log(t, fmt.Sprintf("%s: copy of %d files with the store down for %v", tg.name, len(files), outage))
}

// waitStored waits until the store holds at least k objects or the
// command whose result done carries has ended (the result is put back).
func waitStored(t *testing.T, b storage.Backend, done chan error, k int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			return
		default:
		}
		if len(storeList(t, b)) >= k {
			return
		}
	}
}

// writer writes numbered files until told to stop or an error ends it.
type killWriter struct {
	dir   string
	id    int
	sizes func(r *rand.Rand, j int) int64

	mu       sync.Mutex
	acked    []content // close() returned success
	inFlight []content // started, not acknowledged
}

func (w *killWriter) run(stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(w.id), 99))
	for j := 0; ; j++ {
		select {
		case <-stop:
			return
		default:
		}
		c := content{name: fmt.Sprintf("w%02d-%04d", w.id, j), size: w.sizes(rng, j)}
		w.mu.Lock()
		w.inFlight = append(w.inFlight, c)
		w.mu.Unlock()
		if err := writeContent(filepath.Join(w.dir, c.name), c); err != nil {
			return
		}
		w.mu.Lock()
		w.inFlight = w.inFlight[:len(w.inFlight)-1]
		w.acked = append(w.acked, c)
		w.mu.Unlock()
	}
}

func writeContent(p string, c content) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(f, c.reader(), make([]byte, 64<<10)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// matchesOrHoles reports whether got is at most want's length and every
// byte is want's or zero (a page the kernel had not handed over yet).
func matchesOrHoles(got, want []byte) bool {
	if len(got) > len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] && got[i] != 0 {
			return false
		}
	}
	return true
}

// TestFaultKillDuringWrites kills the daemon with SIGKILL while writers
// create files and a few files are open with data written but not closed,
// then mounts again over the same cache directory. Files whose close()
// succeeded must be in the store intact; a file never closed is never
// stored under its name (it may be torn), and what of it was in the cache
// at the kill is kept as "<name>.conflict-<time>"; nothing else may
// appear.
func TestFaultKillDuringWrites(t *testing.T) {
	for _, tg := range targets() {
		for _, wb := range []bool{false, true} {
			name := tg.name + "/writeback"
			if !wb {
				name = tg.name + "/no-writeback"
			}
			t.Run(name, func(t *testing.T) { killDuringWrites(t, tg, wb, false) })
		}
		// lazy-write: closed files wait for their upload in the journal;
		// every one of them must be in the store after the next mount.
		t.Run(tg.name+"/lazy-write", func(t *testing.T) { killDuringWrites(t, tg, true, true) })
	}
}

func killDuringWrites(t *testing.T, tg target, writeback, lazy bool) {
	b, section := tg.setup(t)
	section, p := proxied(t, section, 10*time.Minute)
	// Slow the store a little so uploads are in flight at the kill.
	p.setLatency(2 * time.Millisecond)
	o := mountOpts{cacheDir: filepath.Join(t.TempDir(), "cache")}
	if !writeback {
		// Every write(2) reaches the daemon before it returns, so the
		// data of unclosed files is in the cache at the kill.
		o.flags = []string{"--disable-writeback-cache"}
	}
	if lazy {
		o.extraYAML = "lazy-write: true\n"
	}
	m := mountWith(t, b, section, o)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	writers := make([]*killWriter, 8)
	for i := range writers {
		writers[i] = &killWriter{dir: m.Dir, id: i, sizes: func(r *rand.Rand, j int) int64 {
			if j%7 == 3 {
				return 12<<20 + r.Int64N(4<<20) // multipart on S3
			}
			return r.Int64N(512 << 10)
		}}
		wg.Add(1)
		go func() { defer wg.Done(); writers[i].run(stop) }()
	}
	// Files open with all their data written, never closed.
	var held []content
	var heldFiles []*os.File
	for i := range 6 {
		c := content{name: fmt.Sprintf("held-%d", i), size: int64(i)*700<<10 + 1234}
		f, err := os.Create(m.path(c.name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, c.reader()); err != nil {
			t.Fatal(err)
		}
		held, heldFiles = append(held, c), append(heldFiles, f)
	}
	// A large file whose close (its upload, slowed by the proxy) is under
	// way at the kill.
	closing := content{name: "closing", size: 48 << 20}
	var closingWritten, closingAcked atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		f, err := os.Create(m.path(closing.name))
		if err != nil {
			return
		}
		if _, err := io.Copy(f, closing.reader()); err != nil {
			f.Close()
			return
		}
		closingWritten.Store(true)
		closingAcked.Store(f.Close() == nil)
	}()
	time.Sleep(3 * time.Second)
	if err := m.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	for _, f := range heldFiles {
		f.Close() // fails: the daemon is gone
	}
	if lazy {
		pending := 0
		for _, w := range writers {
			for _, k := range w.acked {
				if _, err := b.Head(context.Background(), k.name); errors.Is(err, storage.ErrNotFound) {
					pending++
				}
			}
		}
		t.Logf("closed files not in the store at the kill: %d", pending)
	}
	m.stop() // unmounts the dead mount
	m.start()

	var c tally
	known := map[string]content{}
	var acked, unacked []content
	for _, w := range writers {
		acked = append(acked, w.acked...)
		unacked = append(unacked, w.inFlight...)
	}
	for _, k := range acked {
		known[k.name] = k
		c.written.Add(1)
		c.verify(t, b, k.name, k)
	}
	ctx := context.Background()
	// Files never closed may be torn: the next mount never puts them
	// under their name, and keeps what reached the daemon as a copy
	// "<name>.conflict-<time>". Without writeback caching a write(2)
	// returns only once the daemon has the data, so the copy of a file
	// held open holds every byte.
	whole := map[string]bool{}
	for _, k := range held {
		whole[k.name] = true
	}
	unacked = append(unacked, held...)
	switch {
	case closingAcked.Load():
		known[closing.name] = closing
		c.written.Add(1)
		c.verify(t, b, closing.name, closing)
	default:
		// A close under way at the kill may have reached the daemon (then
		// the file is complete and goes under its name) or not.
		unacked = append(unacked, closing)
	}
	t.Logf("the large file at the kill: written %v, close acknowledged %v", closingWritten.Load(), closingAcked.Load())
	copies := map[string]string{} // name -> its recovered copy
	for _, key := range storeList(t, b) {
		if name, _, ok := strings.Cut(key, ".conflict-"); ok {
			copies[name] = key
		}
	}
	for _, k := range unacked {
		known[k.name] = k
		c.failed.Add(1)
		got, err := storeBytes(ctx, b, k.name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			t.Errorf("%s: %v", k.name, err)
		case whole[k.name]:
			t.Errorf("%s was never closed and is in the store under its name (%d bytes)", k.name, len(got))
		case !bytes.Equal(got, k.bytes()):
			t.Errorf("%s: %d torn bytes under its name, want none or all %d", k.name, len(got), k.size)
		default:
			c.recovered.Add(1)
		}
		cp, ok := copies[k.name]
		if !ok {
			if whole[k.name] && !writeback {
				t.Errorf("%s had %d bytes in the cache at the kill and no recovered copy", k.name, k.size)
			}
			continue
		}
		known[cp] = k
		got, err = storeBytes(ctx, b, cp)
		switch {
		case err != nil:
			t.Errorf("%s: %v", cp, err)
		case whole[k.name] && !writeback && !bytes.Equal(got, k.bytes()):
			t.Errorf("%s: %d bytes, want all %d", cp, len(got), k.size)
		case !matchesOrHoles(got, k.bytes()):
			t.Errorf("%s: %d bytes that are not the data written (want at most %d)", cp, len(got), k.size)
		default:
			c.recovered.Add(1)
		}
	}
	var strays []string
	for _, key := range storeList(t, b) {
		if _, ok := known[key]; !ok {
			strays = append(strays, key)
		}
	}
	sort.Strings(strays)
	if len(strays) > 0 {
		t.Errorf("objects nobody wrote: %q", strays)
	}
	if !writeback {
		log, _ := os.ReadFile(m.Log)
		if n := bytes.Count(log, []byte("saved what was written as a copy")); n < len(held) {
			t.Errorf("the new mount logged %d recovered copies, want at least %d", n, len(held))
		}
	}
	if tg.name == "s3" {
		if n := pendingUploads(t, section); n != 0 {
			t.Logf("multipart uploads left by the killed daemon: %d", n)
		}
	}
	c.log(t, fmt.Sprintf("%s kill -9 during writes (writeback %v; %d not acknowledged, %d of them held open)",
		tg.name, writeback, len(unacked), len(held)))
}

// TestRegressionReadOpenFileAfterDirRename: a file opened before its
// directory was renamed reads its data afterwards. The server-side copy
// of the rename gives the object a new ETag (Azure always, S3 for a
// multipart object), which the open file must follow instead of failing
// with ESTALE.
func TestRegressionReadOpenFileAfterDirRename(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		want := content{name: "d/f", size: 9<<20 + 77}
		if err := os.Mkdir(m.path("d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeContent(m.path(want.name), want); err != nil {
			t.Fatal(err)
		}
		m.remount() // nothing of the file left in any cache
		f, err := os.Open(m.path(want.name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := os.Rename(m.path("d"), m.path("e")); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, want.bytes()) {
			t.Fatalf("read after the directory rename: %d bytes, err %v", len(got), err)
		}
	})
}
