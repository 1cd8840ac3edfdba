//go:build linux

package e2e

// A bounded soak: 16 workers run mixed operations on one mount for
// CLOUDFUSE_SOAK (a Go duration; default 60s in CI, 15s elsewhere; split
// between MinIO and Azurite), each
// checking every answer against its own record of its files, while all of
// them read shared files. Afterwards no operation may have failed, the
// daemon must hold no more descriptors, threads or goroutines than after
// the warm-up, its resident memory must stay within CLOUDFUSE_SOAK_RSS_MB
// (default 256), and the store must hold exactly what the workers wrote.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("CLOUDFUSE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CLOUDFUSE_SOAK=%q: %v", v, err)
		}
		return d
	}
	if os.Getenv("CI") != "" {
		return 60 * time.Second
	}
	return 15 * time.Second
}

// daemonProbe is what the soak watches of the daemon process.
type daemonProbe struct {
	fds, threads, goroutines int
	sockets                  int // pooled store connections, not counted in fds
	rss                      int64
	handles, dirty           int64
}

func (p daemonProbe) String() string {
	return fmt.Sprintf("fds %d (+%d sockets), threads %d, goroutines %d, rss %d MiB, open handles %d, dirty files %d",
		p.fds, p.sockets, p.threads, p.goroutines, p.rss>>20, p.handles, p.dirty)
}

// probe reads the daemon's descriptors, threads and memory from /proc and
// its goroutines, handles and dirty files from `cloudfuse health`.
func probe(t *testing.T, m *mnt) daemonProbe {
	t.Helper()
	pid := m.cmd.Process.Pid
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("daemon descriptors: %v", err)
	}
	p := daemonProbe{goroutines: -1}
	for _, e := range ents {
		// Sockets are connections to the store; the HTTP pool keeps some
		// open between requests, which is not a leak.
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name())); err == nil &&
			strings.HasPrefix(target, "socket:") {
			p.sockets++
			continue
		}
		p.fds++
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "Threads":
			p.threads = int(n)
		case "VmRSS":
			p.rss = n << 10
		}
	}
	if out, code := cloudfuse(t, "health", m.Dir, "--format=json"); code == 0 {
		var s struct {
			OpenHandles int64 `json:"open_handles"`
			Cache       *struct{ Dirty int64 }
			Process     *struct{ Goroutines int }
		}
		if json.Unmarshal([]byte(out), &s) == nil {
			p.handles = s.OpenHandles
			if s.Cache != nil {
				p.dirty = s.Cache.Dirty
			}
			if s.Process != nil {
				p.goroutines = s.Process.Goroutines
			}
		}
	}
	return p
}

// soakWorker owns one directory and remembers what each of its files holds.
type soakWorker struct {
	t      *testing.T
	m      *mnt
	id     int
	dir    string // relative to the mount
	rng    *rand.Rand
	files  map[string][]byte
	dirs   map[string]bool
	next   int
	shared map[string][]byte

	ops    map[string]int
	errors []string
}

func (w *soakWorker) fail(op, name string, err error) {
	w.errors = append(w.errors, fmt.Sprintf("worker %d %s %s: %v", w.id, op, name, err))
}

func (w *soakWorker) data(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := w.rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func (w *soakWorker) size() int {
	if w.rng.IntN(25) == 0 {
		return 9<<20 + w.rng.IntN(1<<20) // more than one upload part
	}
	return w.rng.IntN(128 << 10)
}

func (w *soakWorker) p(name string) string { return w.m.path(path.Join(w.dir, name)) }

// pick returns one of the worker's files, or "" if it has none.
func (w *soakWorker) pick() string {
	if len(w.files) == 0 {
		return ""
	}
	names := make([]string, 0, len(w.files))
	for n := range w.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names[w.rng.IntN(len(names))]
}

func (w *soakWorker) step() {
	name := w.pick()
	op := w.rng.IntN(13)
	if name == "" || (op >= 1 && op <= 7 && len(w.files) < 3) {
		op = 0
	}
	if len(w.files) > 24 && op == 0 {
		op = 7
	}
	switch op {
	case 0: // create
		name = fmt.Sprintf("f%d", w.next)
		w.next++
		data := w.data(w.size())
		w.ops["create"]++
		if err := os.WriteFile(w.p(name), data, 0o644); err != nil {
			w.fail("create", name, err)
			return
		}
		w.files[name] = data
	case 1: // read back
		w.ops["read"]++
		got, err := os.ReadFile(w.p(name))
		if err != nil {
			w.fail("read", name, err)
		} else if !bytes.Equal(got, w.files[name]) {
			w.fail("read", name, fmt.Errorf("%d bytes differ from the %d written", len(got), len(w.files[name])))
		}
	case 2: // append
		w.ops["append"]++
		add := w.data(w.rng.IntN(16 << 10))
		f, err := os.OpenFile(w.p(name), os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			_, err = f.Write(add)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			w.fail("append", name, err)
			return
		}
		w.files[name] = append(w.files[name], add...)
	case 3: // write in the middle
		w.ops["pwrite"]++
		cur := w.files[name]
		off := w.rng.IntN(len(cur) + 1)
		patch := w.data(w.rng.IntN(8<<10) + 1)
		f, err := os.OpenFile(w.p(name), os.O_RDWR, 0)
		if err == nil {
			_, err = f.WriteAt(patch, int64(off))
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			w.fail("pwrite", name, err)
			return
		}
		if end := off + len(patch); end > len(cur) {
			cur = append(cur, make([]byte, end-len(cur))...)
		}
		copy(cur[off:], patch)
		w.files[name] = cur
	case 4: // truncate
		w.ops["truncate"]++
		size := w.rng.IntN(len(w.files[name]) + 4096)
		if err := os.Truncate(w.p(name), int64(size)); err != nil {
			w.fail("truncate", name, err)
			return
		}
		cur := w.files[name]
		if size <= len(cur) {
			cur = cur[:size]
		} else {
			cur = append(cur, make([]byte, size-len(cur))...)
		}
		w.files[name] = cur
	case 5: // rename
		w.ops["rename"]++
		to := fmt.Sprintf("f%d", w.next)
		w.next++
		if err := os.Rename(w.p(name), w.p(to)); err != nil {
			w.fail("rename", name, err)
			return
		}
		w.files[to] = w.files[name]
		delete(w.files, name)
	case 6: // stat
		w.ops["stat"]++
		st, err := os.Stat(w.p(name))
		if err != nil {
			w.fail("stat", name, err)
		} else if st.Size() != int64(len(w.files[name])) {
			w.fail("stat", name, fmt.Errorf("size %d, written %d", st.Size(), len(w.files[name])))
		}
	case 7: // unlink
		w.ops["unlink"]++
		if err := os.Remove(w.p(name)); err != nil {
			w.fail("unlink", name, err)
			return
		}
		delete(w.files, name)
	case 8: // list
		w.ops["readdir"]++
		ents, err := os.ReadDir(w.m.path(w.dir))
		if err != nil {
			w.fail("readdir", w.dir, err)
			return
		}
		var got, want []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		for n := range w.files {
			want = append(want, n)
		}
		for d := range w.dirs {
			want = append(want, d)
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			w.fail("readdir", w.dir, fmt.Errorf("names %v, want %v", got, want))
		}
	case 9: // mkdir or rmdir
		d := fmt.Sprintf("d%d", w.rng.IntN(3))
		if w.dirs[d] {
			w.ops["rmdir"]++
			if err := os.Remove(w.p(d)); err != nil {
				w.fail("rmdir", d, err)
				return
			}
			delete(w.dirs, d)
		} else {
			w.ops["mkdir"]++
			if err := os.Mkdir(w.p(d), 0o755); err != nil {
				w.fail("mkdir", d, err)
				return
			}
			w.dirs[d] = true
		}
	case 10, 11: // read a file every worker reads
		w.ops["read-shared"]++
		names := make([]string, 0, len(w.shared))
		for n := range w.shared {
			names = append(names, n)
		}
		sort.Strings(names)
		n := names[w.rng.IntN(len(names))]
		f, err := os.Open(w.m.path(n))
		if err != nil {
			w.fail("read-shared", n, err)
			return
		}
		defer f.Close()
		want := w.shared[n]
		off := w.rng.IntN(len(want))
		buf := make([]byte, min(len(want)-off, 256<<10))
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			w.fail("read-shared", n, err)
		} else if !bytes.Equal(buf, want[off:off+len(buf)]) {
			w.fail("read-shared", n, fmt.Errorf("bytes at %d differ", off))
		}
	case 12: // write and fsync, then keep writing before close
		w.ops["fsync"]++
		name = fmt.Sprintf("f%d", w.next)
		w.next++
		a, b := w.data(w.rng.IntN(64<<10)), w.data(w.rng.IntN(64<<10))
		f, err := os.Create(w.p(name))
		if err != nil {
			w.fail("fsync", name, err)
			return
		}
		_, err = f.Write(a)
		err = errors.Join(err, f.Sync())
		if _, werr := f.Write(b); werr != nil {
			err = errors.Join(err, werr)
		}
		if err = errors.Join(err, f.Close()); err != nil {
			w.fail("fsync", name, err)
			return
		}
		w.files[name] = append(a, b...)
	}
}

// TestSoak splits CLOUDFUSE_SOAK between the stores.
func TestSoak(t *testing.T) {
	tgs := targets()
	d := soakDuration(t) / time.Duration(len(tgs))
	for _, tg := range tgs {
		t.Run(tg.name, func(t *testing.T) { soak(t, tg, d) })
	}
}

func soak(t *testing.T, tg target, d time.Duration) {
	opsEnv(t) // the daemon's health socket goes where this test looks
	m := mountTarget(t, tg, mountOpts{})
	const workers = 16
	rssLimit := int64(envInt("CLOUDFUSE_SOAK_RSS_MB", 256)) << 20

	shared := map[string][]byte{}
	for i, size := range []int{3 << 20, 17<<20 + 12345} {
		name := fmt.Sprintf("shared-%d", i)
		data := content{name: name, size: int64(size)}.bytes()
		if err := os.WriteFile(m.path(name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		shared[name] = data
	}
	ws := make([]*soakWorker, workers)
	for i := range ws {
		ws[i] = &soakWorker{t: t, m: m, id: i, dir: fmt.Sprintf("w%02d", i),
			rng:   rand.New(rand.NewPCG(uint64(i), 42)),
			files: map[string][]byte{}, dirs: map[string]bool{}, shared: shared, ops: map[string]int{}}
		if err := os.Mkdir(m.path(ws[i].dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runAll := func(until time.Time) {
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(until) && len(w.errors) < 20 {
					w.step()
				}
			}()
		}
		wg.Wait()
	}

	// Warm up (connection pools, caches), then measure.
	warm := min(d/10+2*time.Second, 10*time.Second)
	runAll(time.Now().Add(warm))
	time.Sleep(2 * time.Second)
	before := probe(t, m)
	t.Logf("after warm-up: %v", before)

	var peak atomic.Int64
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-tick.C:
				st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
				if err != nil {
					continue
				}
				for _, line := range strings.Split(string(st), "\n") {
					if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
						f := strings.Fields(v)
						if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && n<<10 > peak.Load() {
							peak.Store(n << 10)
						}
					}
				}
			}
		}
	}()
	start := time.Now()
	runAll(start.Add(d))
	close(stopWatch)
	<-watched
	elapsed := time.Since(start)

	// Connections opened at peak load stay pooled until the stores' idle
	// timeout (30 s on S3) closes them; wait that long for descriptors
	// and goroutines to come back, so growth that stays is a leak.
	settled := func(p daemonProbe) bool {
		return p.fds <= before.fds+2 && p.goroutines <= before.goroutines+4+2*max(p.sockets-before.sockets, 0) &&
			p.handles == 0
	}
	var after daemonProbe
	for deadline := time.Now().Add(45 * time.Second); ; {
		time.Sleep(time.Second)
		if after = probe(t, m); settled(after) || time.Now().After(deadline) {
			break
		}
	}
	total := map[string]int{}
	var errs []string
	for _, w := range ws {
		for k, v := range w.ops {
			total[k] += v
		}
		errs = append(errs, w.errors...)
	}
	var sum int
	for _, v := range total {
		sum += v
	}
	t.Logf("%d workers, %v: %d operations (%.0f/s) %v", workers, elapsed.Round(time.Second), sum,
		float64(sum)/elapsed.Seconds(), total)
	t.Logf("after the soak: %v; peak rss %d MiB", after, peak.Load()>>20)
	for i, e := range errs {
		if i == 10 {
			t.Errorf("... and %d more errors", len(errs)-10)
			break
		}
		t.Error(e)
	}
	if after.fds > before.fds+2 {
		t.Errorf("daemon descriptors grew from %d to %d", before.fds, after.fds)
	}
	// The pool holds at most about one connection per worker; more means
	// connections are leaked.
	if after.sockets > before.sockets+workers {
		t.Errorf("daemon connections grew from %d to %d", before.sockets, after.sockets)
	}
	// The Go runtime keeps threads it started for blocking calls.
	if after.threads > before.threads+16 {
		t.Errorf("daemon threads grew from %d to %d", before.threads, after.threads)
	}
	// Each pooled connection has a read and a write goroutine.
	if before.goroutines >= 0 && after.goroutines > before.goroutines+4+2*max(after.sockets-before.sockets, 0) {
		t.Errorf("daemon goroutines grew from %d to %d", before.goroutines, after.goroutines)
	}
	if after.handles != 0 || after.dirty != 0 {
		t.Errorf("after every file was closed: %d handles open, %d files dirty", after.handles, after.dirty)
	}
	if p := peak.Load(); p > rssLimit {
		t.Errorf("daemon rss peaked at %d MiB, bound %d MiB", p>>20, rssLimit>>20)
	}

	// Everything the workers hold is in the store, and nothing else.
	m.stop()
	want := map[string][]byte{}
	for n, data := range shared {
		want[n] = data
	}
	for _, w := range ws {
		want[w.dir+"/"] = nil
		for n, data := range w.files {
			want[w.dir+"/"+n] = data
		}
		for dd := range w.dirs {
			want[w.dir+"/"+dd+"/"] = nil
		}
	}
	ctx := context.Background()
	var c tally
	for _, key := range storeList(t, m.Store) {
		data, ok := want[key]
		if !ok {
			if _, ok = want[key+"/"]; !ok {
				t.Errorf("unexpected object %q", key)
			}
			continue
		}
		delete(want, key)
		if strings.HasSuffix(key, "/") || data == nil {
			continue
		}
		c.written.Add(1)
		got, err := storeBytes(ctx, m.Store, key)
		if err != nil || !bytes.Equal(got, data) {
			c.lost.Add(1)
			t.Errorf("%s: store has %d bytes, worker wrote %d (err %v)", key, len(got), len(data), err)
			continue
		}
		c.verified.Add(1)
	}
	for key, data := range want {
		if data != nil {
			c.written.Add(1)
			c.lost.Add(1)
			t.Errorf("%s: missing from the store", key)
		}
	}
	c.log(t, tg.name+" soak")
}
