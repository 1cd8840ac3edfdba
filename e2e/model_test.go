//go:build linux

package e2e

// Model-based test on a real mount: random sequences of system calls
// (create, write and read at offsets, truncate, fsync, close, rename,
// unlink, mkdir, rmdir, stat, readdir, remount) run through the kernel
// on a mount of MinIO or Azurite and on a tiny reference model, and every
// answer, read and stored object is compared, on the file cache and on the
// streaming data path. Fewer, longer cases than the vfs model tests:
// CLOUDFUSE_MODEL_CASES per store and data path (default 12), each from
// its own seed; a failure names the seed to replay with
// CLOUDFUSE_MODEL_SEED.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"pgregory.net/rapid"
)

// mmInode is one file identity: every descriptor on it sees its bytes.
type mmInode struct {
	data  []byte
	path  string // "" once unlinked or replaced
	refs  int
	dirty bool
}

type mmHandle struct {
	f        *os.File
	ino      *mmInode
	writable bool
}

// mmRun is one case: a directory of its own on the mount, and its model.
type mmRun struct {
	t     *rapid.T
	m     *mnt
	azure bool
	root  string // this case's directory, relative to the mount
	files map[string]*mmInode
	dirs  map[string]bool
	hs    []*mmHandle
}

var mmPaths = func() []string {
	var out []string
	for _, x := range []string{"a", "b", "c"} {
		out = append(out, x)
		for _, y := range []string{"a", "b"} {
			out = append(out, x+"/"+y)
			out = append(out, x+"/"+y+"/a")
		}
	}
	return out
}()

func mmParent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func mmInside(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func (r *mmRun) isFile(p string) bool { return r.files[p] != nil }

func (r *mmRun) isDir(p string) bool { return p == "" || r.dirs[p] }

func (r *mmRun) exists(p string) bool { return r.isFile(p) || r.isDir(p) }

func (r *mmRun) children(p string) map[string]bool {
	out := map[string]bool{}
	for f := range r.files {
		if mmParent(f) == p {
			out[path.Base(f)] = false
		}
	}
	for d := range r.dirs {
		if mmParent(d) == p {
			out[path.Base(d)] = true
		}
	}
	return out
}

func (r *mmRun) abs(p string) string { return r.m.path(path.Join(r.root, p)) }

func (r *mmRun) key(p string) string { return r.root + "/" + p }

func errnoName(err error) string {
	if err == nil {
		return "ok"
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en.Error()
	}
	return err.Error()
}

func (r *mmRun) expect(op string, err error, want syscall.Errno) {
	r.t.Helper()
	wantName := "ok"
	if want != 0 {
		wantName = want.Error()
	}
	got := errnoName(err)
	r.t.Logf("%s: %s", op, got)
	if got != wantName {
		r.t.Logf("daemon log, last lines:\n%s", tail(r.m.Log))
		if data, err := os.ReadFile(r.m.Log); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") || strings.Contains(l, " err=") ||
					strings.Contains(l, `path=""`) {
					r.t.Logf("daemon: %s", l)
				}
			}
		}
		r.t.Fatalf("%s: got %s, model says %s (model: %s)", op, got, wantName, r.describe())
	}
}

// describe lists the model's names for failure messages.
func (r *mmRun) describe() string {
	var names []string
	for p, ino := range r.files {
		names = append(names, fmt.Sprintf("%s(%d bytes, %d open)", p, len(ino.data), ino.refs))
	}
	for d := range r.dirs {
		names = append(names, d+"/")
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func (r *mmRun) drawPath(label string) string {
	var ok []string
	for _, p := range mmPaths {
		if r.isDir(mmParent(p)) {
			ok = append(ok, p)
		}
	}
	return rapid.SampledFrom(ok).Draw(r.t, label)
}

func (r *mmRun) drawHandle() (int, *mmHandle) {
	if len(r.hs) == 0 {
		r.t.Skip("no open file")
	}
	i := rapid.IntRange(0, len(r.hs)-1).Draw(r.t, "fd")
	return i, r.hs[i]
}

func (r *mmRun) data(label string) []byte {
	n := rapid.IntRange(1, 4096).Draw(r.t, label+"Len")
	if rapid.IntRange(0, 30).Draw(r.t, label+"Big") == 0 {
		n = 9<<20 + 5 // more than one upload part
	}
	seed := rapid.Uint64().Draw(r.t, label+"Seed")
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// stored checks that the store holds ino's bytes under its name.
func (r *mmRun) stored(op string, ino *mmInode) {
	r.t.Helper()
	ino.dirty = false
	if ino.path == "" {
		return
	}
	got, err := storeBytes(context.Background(), r.m.Store, r.key(ino.path))
	if err != nil || !bytes.Equal(got, ino.data) {
		r.t.Fatalf("after %s: store has %d bytes at %q (err %v), model %d", op, len(got), ino.path, err, len(ino.data))
	}
}

func (r *mmRun) unlinkInode(p string) {
	if ino := r.files[p]; ino != nil {
		ino.path = ""
		delete(r.files, p)
	}
}

func (r *mmRun) create() {
	p := r.drawPath("path")
	excl := rapid.Bool().Draw(r.t, "excl")
	flags := os.O_RDWR | os.O_CREATE | os.O_TRUNC
	if excl {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(r.abs(p), flags, 0o644)
	op := fmt.Sprintf("create %q excl=%v", p, excl)
	switch {
	case r.exists(p) && excl:
		r.expect(op, err, syscall.EEXIST)
	case r.isDir(p):
		r.expect(op, err, syscall.EISDIR)
	default:
		r.expect(op, err, 0)
		ino := r.files[p]
		if ino == nil {
			ino = &mmInode{path: p}
			r.files[p] = ino
		}
		ino.data, ino.dirty = nil, true
		ino.refs++
		r.hs = append(r.hs, &mmHandle{f: f, ino: ino, writable: true})
	}
}

func (r *mmRun) open() {
	p := r.drawPath("path")
	write := rapid.Bool().Draw(r.t, "write")
	flags := os.O_RDONLY
	if write {
		flags = os.O_RDWR
	}
	if r.isDir(p) && !write {
		r.t.Skip("a directory opened for reading is a directory handle")
	}
	f, err := os.OpenFile(r.abs(p), flags, 0)
	op := fmt.Sprintf("open %q write=%v", p, write)
	switch {
	case r.isFile(p):
		r.expect(op, err, 0)
		ino := r.files[p]
		ino.refs++
		r.hs = append(r.hs, &mmHandle{f: f, ino: ino, writable: write})
	case r.isDir(p):
		r.expect(op, err, syscall.EISDIR)
	default:
		r.expect(op, err, syscall.ENOENT)
	}
}

func (r *mmRun) write() {
	_, h := r.drawHandle()
	off := rapid.IntRange(0, len(h.ino.data)+10).Draw(r.t, "off")
	data := r.data("data")
	_, err := h.f.WriteAt(data, int64(off))
	op := fmt.Sprintf("write %d at %d of %q", len(data), off, h.ino.path)
	if !h.writable {
		r.expect(op, err, syscall.EBADF)
		return
	}
	r.expect(op, err, 0)
	if end := off + len(data); end > len(h.ino.data) {
		h.ino.data = append(h.ino.data, make([]byte, end-len(h.ino.data))...)
	}
	copy(h.ino.data[off:], data)
	h.ino.dirty = true
}

func (r *mmRun) read() {
	_, h := r.drawHandle()
	off := rapid.IntRange(0, len(h.ino.data)+10).Draw(r.t, "off")
	n := rapid.IntRange(1, 9000).Draw(r.t, "len")
	r.checkRead(h.f, h.ino, off, n)
}

func (r *mmRun) checkRead(f *os.File, ino *mmInode, off, n int) {
	r.t.Helper()
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, int64(off))
	var want []byte
	if off < len(ino.data) {
		want = ino.data[off:min(off+n, len(ino.data))]
	}
	if (err != nil && got != len(want)) || !bytes.Equal(buf[:got], want) {
		r.t.Fatalf("read %d at %d of %q: %d bytes (err %v), model %d", n, off, ino.path, got, err, len(want))
	}
}

func (r *mmRun) resize(ino *mmInode, size int) {
	if size <= len(ino.data) {
		ino.data = ino.data[:size:size]
	} else {
		ino.data = append(ino.data, make([]byte, size-len(ino.data))...)
	}
}

func (r *mmRun) ftruncate() {
	_, h := r.drawHandle()
	if !h.writable {
		r.t.Skip("ftruncate needs a writable descriptor")
	}
	size := rapid.IntRange(0, len(h.ino.data)+100).Draw(r.t, "size")
	r.expect(fmt.Sprintf("ftruncate %q to %d", h.ino.path, size), h.f.Truncate(int64(size)), 0)
	r.resize(h.ino, size)
	h.ino.dirty = true
}

func (r *mmRun) truncate() {
	p := r.drawPath("path")
	size := rapid.IntRange(0, 5000).Draw(r.t, "size")
	err := os.Truncate(r.abs(p), int64(size))
	op := fmt.Sprintf("truncate %q to %d", p, size)
	switch {
	case r.isFile(p):
		r.expect(op, err, 0)
		r.resize(r.files[p], size)
	case r.isDir(p):
		r.expect(op, err, syscall.EISDIR)
	default:
		r.expect(op, err, syscall.ENOENT)
	}
}

func (r *mmRun) fsync() {
	_, h := r.drawHandle()
	if !h.writable {
		r.t.Skip("fsync of a read-only descriptor")
	}
	r.expect("fsync "+h.ino.path, h.f.Sync(), 0)
	r.stored("fsync", h.ino)
}

func (r *mmRun) closeFD() {
	i, h := r.drawHandle()
	err := h.f.Close()
	r.expect(fmt.Sprintf("close %q", h.ino.path), err, 0)
	h.ino.refs--
	r.hs = slices.Delete(r.hs, i, i+1)
	if h.writable {
		r.stored("close", h.ino)
	}
}

func (r *mmRun) unlink() {
	p := r.drawPath("path")
	err := syscall.Unlink(r.abs(p))
	op := fmt.Sprintf("unlink %q", p)
	switch {
	case r.isFile(p):
		r.expect(op, err, 0)
		r.unlinkInode(p)
	case r.isDir(p):
		r.expect(op, err, syscall.EISDIR)
	default:
		r.expect(op, err, syscall.ENOENT)
	}
}

func (r *mmRun) mkdir() {
	p := r.drawPath("path")
	err := syscall.Mkdir(r.abs(p), 0o755)
	op := fmt.Sprintf("mkdir %q", p)
	if r.exists(p) {
		r.expect(op, err, syscall.EEXIST)
		return
	}
	r.expect(op, err, 0)
	r.dirs[p] = true
}

func (r *mmRun) rmdir() {
	p := r.drawPath("path")
	err := syscall.Rmdir(r.abs(p))
	op := fmt.Sprintf("rmdir %q", p)
	switch {
	case r.isFile(p):
		r.expect(op, err, syscall.ENOTDIR)
	case !r.isDir(p):
		r.expect(op, err, syscall.ENOENT)
	case len(r.children(p)) > 0:
		r.expect(op, err, syscall.ENOTEMPTY)
	default:
		r.expect(op, err, 0)
		delete(r.dirs, p)
	}
}

func (r *mmRun) rename() {
	oldp, newp := r.drawPath("old"), r.drawPath("new")
	// syscall.Rename: os.Rename refuses an existing directory target
	// itself, without asking the filesystem.
	err := syscall.Rename(r.abs(oldp), r.abs(newp))
	op := fmt.Sprintf("rename %q -> %q", oldp, newp)
	srcDir := r.isDir(oldp)
	switch {
	case !r.exists(oldp):
		r.expect(op, err, syscall.ENOENT)
		return
	case oldp == newp:
		r.expect(op, err, 0)
		return
	case srcDir && mmInside(newp, oldp):
		r.expect(op, err, syscall.EINVAL)
		return
	case mmInside(oldp, newp):
		// The kernel refuses to replace an ancestor of the source.
		r.expect(op, err, syscall.ENOTEMPTY)
		return
	case srcDir && r.isFile(newp):
		r.expect(op, err, syscall.ENOTDIR)
		return
	case !srcDir && r.isDir(newp):
		r.expect(op, err, syscall.EISDIR)
		return
	case r.isDir(newp) && len(r.children(newp)) > 0:
		r.expect(op, err, syscall.ENOTEMPTY)
		return
	}
	r.expect(op, err, 0)
	if !srcDir {
		ino := r.files[oldp]
		r.unlinkInode(newp)
		delete(r.files, oldp)
		ino.path = newp
		r.files[newp] = ino
		return
	}
	delete(r.dirs, newp)
	files, dirs := map[string]*mmInode{}, map[string]bool{}
	for p, ino := range r.files {
		if mmInside(p, oldp) {
			np := newp + strings.TrimPrefix(p, oldp)
			ino.path = np
			files[np] = ino
			delete(r.files, p)
		}
	}
	for d := range r.dirs {
		if mmInside(d, oldp) {
			dirs[newp+strings.TrimPrefix(d, oldp)] = true
			delete(r.dirs, d)
		}
	}
	for p, ino := range files {
		r.files[p] = ino
	}
	for d := range dirs {
		r.dirs[d] = true
	}
}

func (r *mmRun) stat() {
	p := r.drawPath("path")
	r.checkStat(p)
}

func (r *mmRun) checkStat(p string) {
	r.t.Helper()
	st, err := os.Stat(r.abs(p))
	op := "stat " + p
	switch {
	case r.isFile(p):
		r.expect(op, err, 0)
		if !st.Mode().IsRegular() || st.Size() != int64(len(r.files[p].data)) {
			r.t.Fatalf("%s: %v of %d bytes, model file of %d", op, st.Mode(), st.Size(), len(r.files[p].data))
		}
	case r.isDir(p):
		r.expect(op, err, 0)
		if !st.IsDir() {
			r.t.Fatalf("%s: %v, model dir", op, st.Mode())
		}
	default:
		r.expect(op, err, syscall.ENOENT)
	}
}

func (r *mmRun) readDir() {
	p := r.drawPath("path")
	if !r.isDir(p) {
		r.t.Skip("not a directory")
	}
	r.checkDir(p)
}

func (r *mmRun) checkDir(p string) {
	r.t.Helper()
	ents, err := os.ReadDir(r.abs(p))
	r.expect("readdir "+p, err, 0)
	got := map[string]bool{}
	for _, e := range ents {
		got[e.Name()] = e.IsDir()
	}
	if want := r.children(p); fmt.Sprint(got) != fmt.Sprint(want) {
		r.t.Fatalf("readdir %q: %v, model %v", p, got, want)
	}
}

// closeAll closes every descriptor (the kernel refuses to unmount with
// files open) and checks what the writable ones uploaded.
func (r *mmRun) closeAll() {
	for len(r.hs) > 0 {
		h := r.hs[0]
		r.expect("close "+h.ino.path, h.f.Close(), 0)
		h.ino.refs--
		r.hs = r.hs[1:]
		if h.writable {
			r.stored("close", h.ino)
		}
	}
}

func (r *mmRun) remount() {
	r.closeAll()
	r.m.remount()
	r.checkAll()
}

func (r *mmRun) checkAll() {
	r.t.Helper()
	for _, p := range mmPaths {
		if !r.isDir(mmParent(p)) {
			continue
		}
		r.checkStat(p)
		if r.isDir(p) {
			r.checkDir(p)
		}
		if ino := r.files[p]; ino != nil {
			f, err := os.Open(r.abs(p))
			r.expect("open "+p, err, 0)
			r.checkRead(f, ino, 0, len(ino.data)+1)
			f.Close()
		}
	}
	r.checkDir("")
}

// checkStore compares the objects under this case's directory with the
// model once every descriptor is closed.
func (r *mmRun) checkStore(t *testing.T) {
	var got, want []string
	for _, k := range storeList(t, r.m.Store) {
		if rest, ok := strings.CutPrefix(k, r.root+"/"); ok && rest != "" {
			got = append(got, rest)
		}
	}
	for p := range r.files {
		want = append(want, p)
	}
	for d := range r.dirs {
		if r.azure {
			want = append(want, d)
		} else {
			want = append(want, d+"/")
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		r.t.Fatalf("store keys %q, model %q", got, want)
	}
	for p, ino := range r.files {
		data, err := storeBytes(context.Background(), r.m.Store, r.key(p))
		if err != nil || !bytes.Equal(data, ino.data) {
			r.t.Fatalf("store %q: %d bytes (err %v), model %d", p, len(data), err, len(ino.data))
		}
	}
}

func (r *mmRun) actions() map[string]func(*rapid.T) {
	a := map[string]func(*rapid.T){}
	add := func(name string, weight int, f func()) {
		for i := range weight {
			a[fmt.Sprintf("%s%d", name, i)] = func(*rapid.T) { f() }
		}
	}
	add("create", 3, r.create)
	add("open", 2, r.open)
	add("write", 4, r.write)
	add("read", 2, r.read)
	add("ftruncate", 1, r.ftruncate)
	add("truncate", 1, r.truncate)
	add("fsync", 1, r.fsync)
	add("close", 3, r.closeFD)
	add("unlink", 2, r.unlink)
	add("mkdir", 2, r.mkdir)
	add("rmdir", 1, r.rmdir)
	add("rename", 3, r.rename)
	add("stat", 1, r.stat)
	add("readdir", 1, r.readDir)
	add("remount", 1, r.remount)
	return a
}

func TestModelMount(t *testing.T) {
	cases := envInt("CLOUDFUSE_MODEL_CASES", 12)
	base := uint64(envInt("CLOUDFUSE_MODEL_SEED", 0))
	if base == 0 {
		base = rand.Uint64() >> 1
	}
	for _, tg := range targets() {
		for _, dataPath := range []string{"file_cache", "block_cache"} {
			t.Run(tg.name+"/"+dataPath, func(t *testing.T) {
				modelCases(t, tg, dataPath, base, cases)
			})
		}
	}
}

// modelCases runs cases model cases from seed base on one mount of tg
// with the given data path.
func modelCases(t *testing.T, tg target, dataPath string, base uint64, cases int) {
	m := mountTarget(t, tg, mountOpts{dataPath: dataPath})
	for i := range cases {
		seed := base + uint64(i)
		// rapid draws from this input; no shrinking on a real mount.
		input := make([]byte, 1<<16)
		rng := rand.New(rand.NewPCG(seed, 3))
		for j := range input {
			input[j] = byte(rng.Uint32())
		}
		ok := t.Run("seed"+strconv.FormatUint(seed, 10), func(t *testing.T) {
			rapid.MakeFuzz(func(rt *rapid.T) {
				run := &mmRun{t: rt, m: m, azure: tg.name == "azure", root: fmt.Sprintf("case%d", i),
					files: map[string]*mmInode{}, dirs: map[string]bool{}}
				if err := os.Mkdir(m.path(run.root), 0o755); err != nil {
					rt.Fatal(err)
				}
				defer func() {
					for _, h := range run.hs {
						h.f.Close()
					}
				}()
				for range 4 { // longer sequences than rapid's default
					rt.Repeat(run.actions())
				}
				run.closeAll()
				run.checkAll()
				run.checkStore(t)
			})(t, input)
		})
		if !ok {
			t.Fatalf("replay with CLOUDFUSE_MODEL_SEED=%d CLOUDFUSE_MODEL_CASES=1 (%s)", seed, dataPath)
		}
	}
}

// TestRegressionUnlinkedFileKeepsAnyDescriptor: a file unlinked while two
// descriptors were open, one of them closed since, still answers through
// the other (the mount once forgot every handle but the most recent, the
// kernel's getattr failed, and the last close reported EIO).
func TestRegressionUnlinkedFileKeepsAnyDescriptor(t *testing.T) {
	forEachTarget(t, func(t *testing.T, m *mnt) {
		mustWrite(t, m.path("f"), "data")
		ro, err := os.Open(m.path("f"))
		if err != nil {
			t.Fatal(err)
		}
		rw, err := os.OpenFile(m.path("f"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := rw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Unlink(m.path("f")); err != nil {
			t.Fatal(err)
		}
		st, err := ro.Stat()
		if err != nil || st.Size() != 4 {
			t.Errorf("fstat of the unlinked file: %v, %v", st, err)
		}
		buf := make([]byte, 8)
		if n, err := ro.ReadAt(buf, 0); string(buf[:n]) != "data" {
			t.Errorf("read of the unlinked file: %q, %v", buf[:n], err)
		}
		if err := ro.Close(); err != nil {
			t.Errorf("close of the unlinked file: %v", err)
		}
	})
}
