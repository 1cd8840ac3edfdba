package vfs

// Model-based tests: random sequences of filesystem operations run on vfs
// over memstore and on a tiny reference model (linked files with their
// bytes, a set of explicit directories, open handles on file identities),
// and every answer, read and stored object is compared. Remounts (Close and
// New over the same store and cache directory), crashes (a copy of the
// cache directory as a killed daemon leaves it, then New over it), store
// outages during flush and close, and objects put and deleted behind the
// filesystem's back are part of the sequences.
//
// Each variant runs rapid's checks (100 by default) in several batches,
// about 2,000 sequences in all; -rapid.checks=N (or RAPID_CHECKS) scales
// that for longer hunts, -rapid.seed replays a failure. Failures found
// here are kept below as named regression tests.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/wrap"
)

const modelPart = 1 << 20

// mInode is one file identity of the model: every handle opened on it sees
// the same bytes, whatever its name becomes.
type mInode struct {
	data    []byte
	path    string // "" once unlinked or replaced
	refs    int    // open handles
	dirty   bool   // changed since its last upload
	created bool   // never uploaded
	flushed bool   // a flush was asked for since the last change
	stored  []byte // what the store holds at path, when inStore
	inStore bool
}

// stored records that the store holds ino's bytes at its path.
func (ino *mInode) keep() { ino.stored, ino.inStore = slices.Clone(ino.data), true }

type mHandle struct {
	h        *Handle
	ino      *mInode
	writable bool
}

// model is what the filesystem should show.
type model struct {
	files map[string]*mInode
	dirs  map[string]bool // directories with a marker object
}

func (m *model) isFile(p string) bool { return m.files[p] != nil }

// isDir: the root, a marker, or anything below p.
func (m *model) isDir(p string) bool {
	if p == "" || m.dirs[p] {
		return true
	}
	pre := p + "/"
	for f := range m.files {
		if strings.HasPrefix(f, pre) {
			return true
		}
	}
	for d := range m.dirs {
		if strings.HasPrefix(d, pre) {
			return true
		}
	}
	return false
}

func (m *model) exists(p string) bool { return m.isFile(p) || m.isDir(p) }

// children returns the names in directory p: true for directories.
func (m *model) children(p string) map[string]bool {
	out := map[string]bool{}
	add := func(q string, dir bool) {
		if !inside(q, p) || q == p {
			return
		}
		rest := strings.TrimPrefix(q, dirPrefix(p))
		name, _, deeper := strings.Cut(rest, "/")
		out[name] = out[name] || dir || deeper
	}
	for f := range m.files {
		add(f, false)
	}
	for d := range m.dirs {
		add(d, true)
	}
	return out
}

// fileBelowOrAt reports whether p or one of its ancestors is a file.
func (m *model) fileAtOrAbove(p string) bool {
	for q := p; q != ""; q = parent(q) {
		if m.isFile(q) {
			return true
		}
	}
	return false
}

// modelRun is one sequence: the filesystem under test and its model.
type modelRun struct {
	t      *rapid.T
	ctx    context.Context
	mem    *memstore.Store
	faults *wrap.Faults
	v      *FS
	opts   Options
	work   string // holds cache directories
	gen    int    // cache directory generation (crash copies)

	behind bool // objects change behind the filesystem's back
	big    bool // files grow past two parts (multipart uploads)
	stream bool // streaming data path: no journal, so no crashes or outages
	m      model
	hs     []*mHandle
}

// keepOpen shares one store between successive mounts: FS.Close closes
// its backend, which must not end the store the next mount uses. It keeps
// the store's list of uploads, with which a mount aborts the multipart
// uploads a crashed one left.
type keepOpen struct{ *memstore.Store }

func (keepOpen) Close() error { return nil }

var modelPaths = func() []string {
	names := []string{"a", "b", "c"}
	var out []string
	for _, x := range names {
		out = append(out, x)
		for _, y := range names {
			out = append(out, x+"/"+y)
			for _, z := range names[:2] {
				out = append(out, x+"/"+y+"/"+z)
			}
		}
	}
	return out
}()

func newModelRun(t *rapid.T, work string, v modelVariant) *modelRun {
	r := &modelRun{t: t, ctx: context.Background(), work: work, behind: v.behind, big: v.big, stream: v.stream,
		mem:    memstore.New(memstore.Options{MinPartSize: modelPart}),
		faults: wrap.NewFaults(1),
		m:      model{files: map[string]*mInode{}, dirs: map[string]bool{}}}
	r.opts = Options{CacheDir: r.cacheDir(), PartSize: modelPart}
	if v.cached {
		r.opts.AttrTTL, r.opts.NegativeTTL = time.Minute, time.Minute
	}
	if v.stream {
		r.opts.Stream = &StreamOptions{PartSize: modelPart, UploadConcurrency: 2}
	}
	r.mount()
	return r
}

func (r *modelRun) cacheDir() string { return filepath.Join(r.work, fmt.Sprintf("cache%d", r.gen)) }

func (r *modelRun) backend() storage.Backend {
	return wrap.Faulty(keepOpen{r.mem}, r.faults)
}

func (r *modelRun) mount() {
	v, err := testNew(r.ctx, r.backend(), r.opts)
	if err != nil {
		r.t.Fatalf("mount: %v", err)
	}
	r.v = v
}

func (r *modelRun) close() {
	r.faults.Set()
	if r.v != nil {
		r.v.Close(r.ctx)
	}
}

// outage makes every store request fail until restored.
func (r *modelRun) outage(on bool) {
	if on {
		r.faults.Set(wrap.Fault{})
	} else {
		r.faults.Set()
	}
}

func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrNotExist):
		return "noent"
	case errors.Is(err, ErrExist):
		return "exist"
	case errors.Is(err, ErrNotEmpty):
		return "notempty"
	case errors.Is(err, ErrIsDir):
		return "isdir"
	case errors.Is(err, ErrNotDir):
		return "notdir"
	case errors.Is(err, ErrInvalid):
		return "inval"
	case errors.Is(err, ErrBadHandle):
		return "badf"
	}
	return "error: " + err.Error()
}

func (r *modelRun) expect(op string, err error, want string) {
	r.t.Helper()
	if got := errClass(err); got != want {
		r.t.Fatalf("%s: got %s, model says %s", op, got, want)
	}
}

func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed + i*7)
	}
	return b
}

func (r *modelRun) drawPath(label string) string {
	return rapid.SampledFrom(modelPaths).Draw(r.t, label)
}

// drawParented draws a path whose parent is a directory in the model, as
// the kernel only asks about names inside directories it has seen.
func (r *modelRun) drawParented(label string) string {
	var ok []string
	for _, p := range modelPaths {
		if r.m.isDir(parent(p)) {
			ok = append(ok, p)
		}
	}
	return rapid.SampledFrom(ok).Draw(r.t, label)
}

func (r *modelRun) drawHandle() (int, *mHandle) {
	if len(r.hs) == 0 {
		r.t.Skip("no open handle")
	}
	i := rapid.IntRange(0, len(r.hs)-1).Draw(r.t, "handle")
	return i, r.hs[i]
}

// drawOffset picks offsets within, just past, and around part boundaries
// (files above two parts go up as multipart uploads).
func (r *modelRun) drawOffset(size int, label string) int {
	switch rapid.IntRange(0, 9).Draw(r.t, label+"Kind") {
	case 0:
		if r.big {
			return rapid.SampledFrom([]int{modelPart - 3, 2*modelPart - 1, 2*modelPart + 5}).Draw(r.t, label)
		}
	case 1, 2:
		return size + rapid.IntRange(0, 20).Draw(r.t, label)
	}
	return rapid.IntRange(0, size).Draw(r.t, label)
}

func (r *modelRun) storeData(key string) ([]byte, error) {
	rc, _, err := r.mem.Get(r.ctx, key, storage.GetOptions{Length: -1})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// uploaded records that ino reached the store and checks that it did.
func (r *modelRun) uploaded(ino *mInode) {
	r.t.Helper()
	ino.dirty, ino.created = false, false
	if ino.path == "" {
		return
	}
	ino.keep()
	got, err := r.storeData(ino.path)
	if err != nil {
		r.t.Fatalf("after upload of %q: %v", ino.path, err)
	}
	if !bytes.Equal(got, ino.data) {
		r.t.Fatalf("store holds %d bytes at %q, model %d (first difference at %d)",
			len(got), ino.path, len(ino.data), firstDiff(got, ino.data))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// inTable reports whether vfs keeps ino in its open-file table.
func inTable(ino *mInode) bool { return ino != nil && ino.path != "" && (ino.refs > 0 || ino.dirty) }

func (r *modelRun) unlinkInode(p string) {
	if ino := r.m.files[p]; ino != nil {
		ino.path = ""
		ino.dirty = false
		delete(r.m.files, p)
	}
}

// writing reports whether a handle that can write ino is open.
func (r *modelRun) writing(ino *mInode) bool {
	for _, mh := range r.hs {
		if mh.ino == ino && mh.writable {
			return true
		}
	}
	return false
}

func (r *modelRun) removeHandle(i int) {
	r.hs[i].ino.refs--
	r.hs = slices.Delete(r.hs, i, i+1)
}

func (r *modelRun) addHandle(h *Handle, ino *mInode, writable bool) {
	ino.refs++
	r.hs = append(r.hs, &mHandle{h: h, ino: ino, writable: writable})
}

// --- operations ---

func (r *modelRun) create() {
	p := r.drawParented("path")
	excl := rapid.Bool().Draw(r.t, "excl")
	trunc := rapid.Bool().Draw(r.t, "trunc")
	h, _, err := r.v.Create(r.ctx, p, OpenFlags{Write: true, Truncate: trunc, Excl: excl}, 0o644, 1, 1)
	op := fmt.Sprintf("create %q excl=%v trunc=%v", p, excl, trunc)
	switch {
	case r.m.exists(p) && excl:
		r.expect(op, err, "exist")
	case r.m.isDir(p):
		r.expect(op, err, "isdir")
	case r.m.isFile(p):
		r.expect(op, err, "ok")
		ino := r.m.files[p]
		if trunc {
			ino.data, ino.dirty, ino.flushed = nil, true, false
		}
		r.addHandle(h, ino, true)
	default:
		r.expect(op, err, "ok")
		ino := &mInode{path: p, dirty: true, created: true}
		r.m.files[p] = ino
		r.addHandle(h, ino, true)
	}
}

func (r *modelRun) open() {
	p := r.drawParented("path")
	mode := rapid.IntRange(0, 2).Draw(r.t, "mode") // ro, rw, rw+trunc
	fl := OpenFlags{Write: mode > 0, Truncate: mode == 2}
	h, err := r.v.Open(r.ctx, p, fl)
	op := fmt.Sprintf("open %q %+v", p, fl)
	switch {
	case r.m.isFile(p):
		r.expect(op, err, "ok")
		ino := r.m.files[p]
		if fl.Truncate {
			ino.data, ino.dirty, ino.flushed = nil, true, false
		}
		r.addHandle(h, ino, fl.Write)
	case r.m.isDir(p):
		r.expect(op, err, "isdir")
	default:
		r.expect(op, err, "noent")
	}
}

func (r *modelRun) write() {
	_, mh := r.drawHandle()
	off := r.drawOffset(len(mh.ino.data), "off")
	r.writeAt(mh, off, pattern(rapid.IntRange(1, 250).Draw(r.t, "seed"), rapid.IntRange(1, 64).Draw(r.t, "len")))
}

// appendBig writes up to one and a half parts at the end of a file: files
// written this way from their start upload parts while being written.
func (r *modelRun) appendBig() {
	_, mh := r.drawHandle()
	r.writeAt(mh, len(mh.ino.data), pattern(rapid.IntRange(1, 250).Draw(r.t, "seed"),
		rapid.IntRange(1, 3*modelPart/2).Draw(r.t, "len")))
}

// writeAt writes data at off through mh and applies it to the model.
func (r *modelRun) writeAt(mh *mHandle, off int, data []byte) {
	ino := mh.ino
	n, err := mh.h.Write(r.ctx, data, int64(off))
	op := fmt.Sprintf("write %d bytes at %d of %q (writable %v)", len(data), off, ino.path, mh.writable)
	if !mh.writable {
		r.expect(op, err, "badf")
		return
	}
	r.expect(op, err, "ok")
	if n != len(data) {
		r.t.Fatalf("%s: wrote %d", op, n)
	}
	if end := off + len(data); end > len(ino.data) {
		ino.data = append(ino.data, make([]byte, end-len(ino.data))...)
	}
	copy(ino.data[off:], data)
	ino.dirty, ino.flushed = true, false
}

func (r *modelRun) read() {
	_, mh := r.drawHandle()
	ino := mh.ino
	off := r.drawOffset(len(ino.data), "off")
	n := rapid.IntRange(1, 100).Draw(r.t, "len")
	r.checkRead(mh.h, ino, off, n)
}

func (r *modelRun) checkRead(h *Handle, ino *mInode, off, n int) {
	r.t.Helper()
	buf := make([]byte, n)
	got, err := h.Read(r.ctx, buf, int64(off))
	op := fmt.Sprintf("read %d at %d of %q", n, off, ino.path)
	r.expect(op, err, "ok")
	var want []byte
	if off < len(ino.data) {
		want = ino.data[off:min(off+n, len(ino.data))]
	}
	if !bytes.Equal(buf[:got], want) {
		r.t.Fatalf("%s: got %d bytes, want %d (first difference at %d)", op, got, len(want), firstDiff(buf[:got], want))
	}
}

func (r *modelRun) drawSize(cur int) int {
	switch rapid.IntRange(0, 5).Draw(r.t, "sizeKind") {
	case 0:
		return 0
	case 1:
		if r.big {
			return 2*modelPart + rapid.IntRange(1, 9).Draw(r.t, "size")
		}
	}
	return rapid.IntRange(0, cur+10).Draw(r.t, "size")
}

func resize(b []byte, n int) []byte {
	if n <= len(b) {
		return b[:n:n]
	}
	return append(b, make([]byte, n-len(b))...)
}

func (r *modelRun) truncateHandle() {
	_, mh := r.drawHandle()
	if !mh.writable {
		r.t.Skip("ftruncate needs a writable descriptor")
	}
	ino := mh.ino
	size := r.drawSize(len(ino.data))
	s := int64(size)
	a, err := r.v.Setattr(r.ctx, ino.path, mh.h, SetAttr{Size: &s})
	r.expect(fmt.Sprintf("ftruncate %q to %d", ino.path, size), err, "ok")
	if a.Size != s {
		r.t.Fatalf("ftruncate: size %d, want %d", a.Size, s)
	}
	ino.data = resize(ino.data, size)
	ino.dirty, ino.flushed = true, false
}

// truncatePath is truncate(2): the file is changed and uploaded at once.
func (r *modelRun) truncatePath() {
	p := r.drawParented("path")
	ino := r.m.files[p]
	size := r.drawSize(0)
	if ino != nil {
		size = r.drawSize(len(ino.data))
	}
	s := int64(size)
	_, err := r.v.Setattr(r.ctx, p, nil, SetAttr{Size: &s})
	op := fmt.Sprintf("truncate %q to %d", p, size)
	switch {
	case ino != nil:
		r.expect(op, err, "ok")
		ino.data = resize(ino.data, size)
		// With a writer open the change goes with the writer's close.
		if r.writing(ino) {
			ino.dirty, ino.flushed = true, false
		} else {
			r.uploaded(ino)
		}
	case r.m.isDir(p):
		r.expect(op, err, "isdir")
	default:
		r.expect(op, err, "noent")
	}
}

func (r *modelRun) flush() {
	_, mh := r.drawHandle()
	err := mh.h.Flush(r.ctx)
	r.expect(fmt.Sprintf("flush %q", mh.ino.path), err, "ok")
	if mh.ino.dirty || mh.ino.created {
		r.uploaded(mh.ino)
	}
}

func (r *modelRun) release() {
	i, mh := r.drawHandle()
	err := mh.h.Release(r.ctx)
	r.expect(fmt.Sprintf("close %q (writable %v)", mh.ino.path, mh.writable), err, "ok")
	if mh.writable && (mh.ino.dirty || mh.ino.created) {
		r.uploaded(mh.ino)
	}
	r.removeHandle(i)
}

// outageClose flushes or closes a handle while every store request fails:
// a dirty file must report the failure and keep its data.
func (r *modelRun) outageClose() {
	i, mh := r.drawHandle()
	closeIt := rapid.Bool().Draw(r.t, "close")
	r.outage(true)
	var err error
	if closeIt {
		err = mh.h.Release(r.ctx)
	} else {
		err = mh.h.Flush(r.ctx)
	}
	r.outage(false)
	uploads := mh.ino.path != "" && mh.ino.dirty && (mh.writable || !closeIt)
	if uploads {
		mh.ino.flushed = true
	}
	op := fmt.Sprintf("close=%v %q during an outage", closeIt, mh.ino.path)
	if uploads && err == nil {
		r.t.Fatalf("%s: reported success", op)
	}
	if !uploads {
		r.expect(op, err, "ok")
	}
	if closeIt {
		r.removeHandle(i)
	}
}

func (r *modelRun) unlink() {
	p := r.drawParented("path")
	err := r.v.Unlink(r.ctx, p)
	op := fmt.Sprintf("unlink %q", p)
	switch {
	case r.m.isFile(p):
		r.expect(op, err, "ok")
		r.unlinkInode(p)
	case r.m.isDir(p):
		r.expect(op, err, "isdir")
	default:
		r.expect(op, err, "noent")
	}
}

func (r *modelRun) mkdir() {
	p := r.drawParented("path")
	_, err := r.v.Mkdir(r.ctx, p, 0o755, 1, 1)
	op := fmt.Sprintf("mkdir %q", p)
	if r.m.exists(p) {
		r.expect(op, err, "exist")
		return
	}
	r.expect(op, err, "ok")
	r.m.dirs[p] = true
}

func (r *modelRun) rmdir() {
	p := r.drawParented("path")
	err := r.v.Rmdir(r.ctx, p)
	op := fmt.Sprintf("rmdir %q", p)
	switch {
	case r.m.isFile(p):
		r.expect(op, err, "notdir")
	case !r.m.isDir(p):
		r.expect(op, err, "noent")
	case len(r.m.children(p)) > 0:
		r.expect(op, err, "notempty")
	default:
		r.expect(op, err, "ok")
		delete(r.m.dirs, p)
	}
}

func (r *modelRun) rename() {
	oldp := r.drawParented("old")
	newp := r.drawParented("new")
	noReplace := rapid.IntRange(0, 4).Draw(r.t, "noreplace") == 0
	err := r.v.Rename(r.ctx, oldp, newp, RenameFlags{NoReplace: noReplace})
	op := fmt.Sprintf("rename %q -> %q noreplace=%v", oldp, newp, noReplace)
	srcDir, dstDir := r.m.isDir(oldp), r.m.isDir(newp)
	switch {
	case oldp == newp:
		r.expect(op, err, "ok")
		return
	case !r.m.exists(oldp):
		r.expect(op, err, "noent")
		return
	case srcDir && inside(newp, oldp):
		r.expect(op, err, "inval")
		return
	case r.m.exists(newp) && noReplace:
		r.expect(op, err, "exist")
		return
	case srcDir && r.m.isFile(newp):
		r.expect(op, err, "notdir")
		return
	case !srcDir && dstDir:
		r.expect(op, err, "isdir")
		return
	case dstDir && len(r.m.children(newp)) > 0:
		r.expect(op, err, "notempty")
		return
	}
	r.expect(op, err, "ok")
	if !srcDir {
		ino := r.m.files[oldp]
		r.unlinkInode(newp)
		delete(r.m.files, oldp)
		// An open file with local changes is uploaded under its new name.
		if inTable(ino) && ino.dirty && !ino.created {
			ino.dirty = false
		}
		ino.path = newp
		if !ino.created {
			ino.keep()
		}
		r.m.files[newp] = ino
		return
	}
	delete(r.m.dirs, newp)
	files, dirs := map[string]*mInode{}, map[string]bool{}
	for p, ino := range r.m.files {
		if inside(p, oldp) {
			// Files with local changes inside are uploaded first.
			np := rebase(p, oldp, newp)
			ino.path, ino.dirty, ino.created = np, false, false
			ino.keep()
			files[np] = ino
			delete(r.m.files, p)
		}
	}
	for d := range r.m.dirs {
		if inside(d, oldp) {
			dirs[rebase(d, oldp, newp)] = true
			delete(r.m.dirs, d)
		}
	}
	mergeInto(r.m.files, files)
	mergeInto(r.m.dirs, dirs)
}

func mergeInto[K comparable, V any](dst, src map[K]V) {
	for k, v := range src {
		dst[k] = v
	}
}

func (r *modelRun) stat() {
	p := r.drawParented("path")
	r.checkStat(p)
}

func (r *modelRun) checkStat(p string) {
	r.t.Helper()
	a, err := r.v.Lookup(r.ctx, p)
	op := fmt.Sprintf("stat %q", p)
	switch {
	case r.m.isFile(p):
		r.expect(op, err, "ok")
		if a.Kind != KindFile || a.Size != int64(len(r.m.files[p].data)) {
			r.t.Fatalf("%s: %v of %d bytes, model: file of %d", op, a.Kind, a.Size, len(r.m.files[p].data))
		}
	case r.m.isDir(p):
		r.expect(op, err, "ok")
		if a.Kind != KindDir {
			r.t.Fatalf("%s: %v, model: dir", op, a.Kind)
		}
	default:
		r.expect(op, err, "noent")
	}
}

func (r *modelRun) readDir() {
	p := r.drawParented("path")
	if !r.m.isDir(p) {
		r.t.Skip("not a directory")
	}
	r.checkDir(p)
}

func (r *modelRun) checkDir(p string) {
	r.t.Helper()
	ents, err := r.v.ReadDir(r.ctx, p)
	r.expect(fmt.Sprintf("readdir %q", p), err, "ok")
	got := map[string]string{}
	for _, e := range ents {
		got[e.Name] = fmt.Sprintf("%v/%d", e.Attr.Kind, e.Attr.Size)
		if e.Attr.Kind == KindDir {
			got[e.Name] = "dir"
		}
	}
	want := map[string]string{}
	for name, dir := range r.m.children(p) {
		if dir {
			want[name] = "dir"
		} else {
			want[name] = fmt.Sprintf("file/%d", len(r.m.files[join(p, name)].data))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		r.t.Fatalf("readdir %q: %v, model %v", p, got, want)
	}
}

// remount closes the filesystem, which uploads every pending change, and
// mounts the same store and cache directory again.
func (r *modelRun) remount() {
	if err := r.v.Close(r.ctx); err != nil {
		r.t.Fatalf("close: %v", err)
	}
	r.afterUnmount()
	r.mount()
	r.checkStore()
	r.checkAll()
}

// crash leaves the cache directory as a killed daemon would (a copy taken
// now), stops the old filesystem without letting it reach the store, and
// mounts over the copy. A change the application flushed must be uploaded
// from the journal; one made after the last flush may be torn: the store
// keeps its version, and the change is saved as "<name>.conflict-<time>".
func (r *modelRun) crash() {
	unfinished := map[string][]byte{}
	for p, ino := range r.m.files {
		if !ino.dirty || ino.flushed {
			continue
		}
		unfinished[p] = ino.data
		if ino.inStore {
			ino.data, ino.dirty = ino.stored, false
		} else {
			r.unlinkInode(p)
		}
	}
	old := r.cacheDir()
	r.gen++
	if err := os.CopyFS(r.cacheDir(), os.DirFS(old)); err != nil {
		r.t.Fatalf("copy cache dir: %v", err)
	}
	r.outage(true)
	r.v.Close(r.ctx)
	r.outage(false)
	os.RemoveAll(old)
	r.opts.CacheDir = r.cacheDir()
	r.afterUnmount()
	r.mount()
	r.recovered(unfinished)
	r.checkStore()
	r.checkAll()
}

// recovered finds the copies the mount saved of unfinished files (path to
// bytes) and adds them to the model.
func (r *modelRun) recovered(unfinished map[string][]byte) {
	for _, k := range storeKeys(r.t, r.mem) {
		p, _, ok := strings.Cut(k, ".conflict-")
		data, want := unfinished[p]
		if !ok || !want || r.m.files[k] != nil {
			continue // not a copy, or one an earlier crash saved
		}
		got, err := r.storeData(k)
		if err != nil || !bytes.Equal(got, data) {
			r.t.Fatalf("recovered copy %q: %d bytes (%v), model %d", k, len(got), err, len(data))
		}
		delete(unfinished, p)
		r.m.files[k] = &mInode{path: k, data: data, stored: slices.Clone(data), inStore: true}
	}
	for p := range unfinished {
		r.t.Fatalf("no recovered copy of %q, which was being written", p)
	}
}

func (r *modelRun) afterUnmount() {
	r.v = nil
	r.hs = nil
	// Every file is stored now: uploaded by Close, or from the journal.
	for _, ino := range r.m.files {
		ino.refs, ino.dirty, ino.created = 0, false, false
		ino.keep()
	}
}

// behindPut stores an object at p without the filesystem, where nothing
// open or pending lives at p.
func (r *modelRun) behindPut() {
	p := r.drawPath("path")
	ino := r.m.files[p]
	if r.m.isDir(p) || r.m.fileAtOrAbove(parent(p)) || inTable(ino) {
		r.t.Skip("not a free file name")
	}
	data := pattern(rapid.IntRange(1, 250).Draw(r.t, "seed"), rapid.IntRange(0, 40).Draw(r.t, "len"))
	if _, err := r.mem.Put(r.ctx, p, bytes.NewReader(data), storage.PutOptions{}); err != nil {
		r.t.Fatal(err)
	}
	r.unlinkInode(p)
	r.m.files[p] = &mInode{path: p, data: data, stored: slices.Clone(data), inStore: true}
}

func (r *modelRun) behindDelete() {
	p := r.drawPath("path")
	ino := r.m.files[p]
	if ino == nil || inTable(ino) {
		r.t.Skip("no idle file")
	}
	if err := r.mem.Delete(r.ctx, p); err != nil {
		r.t.Fatal(err)
	}
	r.unlinkInode(p)
}

func (r *modelRun) behindMkdir() {
	p := r.drawPath("path")
	if r.m.fileAtOrAbove(p) {
		r.t.Skip("a file is in the way")
	}
	if _, err := r.mem.Put(r.ctx, p+"/", bytes.NewReader(nil), storage.PutOptions{}); err != nil {
		r.t.Fatal(err)
	}
	r.m.dirs[p] = true
}

func (r *modelRun) behindRmMarker() {
	p := r.drawPath("path")
	if !r.m.dirs[p] {
		r.t.Skip("no marker")
	}
	if err := r.mem.Delete(r.ctx, p+"/"); err != nil {
		r.t.Fatal(err)
	}
	delete(r.m.dirs, p)
}

// checkAll compares every name, listing and file body with the model.
func (r *modelRun) checkAll() {
	r.t.Helper()
	for _, p := range modelPaths {
		if !r.m.isDir(parent(p)) {
			continue
		}
		r.checkStat(p)
		if r.m.isDir(p) {
			r.checkDir(p)
		}
		if ino := r.m.files[p]; ino != nil {
			h, err := r.v.Open(r.ctx, p, OpenFlags{})
			r.expect("open "+p, err, "ok")
			r.checkRead(h, ino, 0, len(ino.data)+1)
			if err := h.Release(r.ctx); err != nil {
				r.t.Fatalf("close %q: %v", p, err)
			}
		}
	}
	r.checkDir("")
}

// checkStore compares every object with the model after an unmount:
// nothing is missing and nothing else claims to be there.
func (r *modelRun) checkStore() {
	r.t.Helper()
	page, err := r.mem.List(r.ctx, storage.ListOptions{})
	if err != nil || page.NextToken != "" {
		r.t.Fatalf("list: %v (more pages: %v)", err, page.NextToken != "")
	}
	var got, want []string
	for _, o := range page.Objects {
		got = append(got, o.Key)
	}
	for p := range r.m.files {
		want = append(want, p)
	}
	for d := range r.m.dirs {
		want = append(want, d+"/")
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		r.t.Fatalf("store keys %q, model %q", got, want)
	}
	for p, ino := range r.m.files {
		data, err := r.storeData(p)
		if err != nil || !bytes.Equal(data, ino.data) {
			r.t.Fatalf("store %q: %d bytes (err %v), model %d bytes", p, len(data), err, len(ino.data))
		}
	}
	if n := r.mem.PendingUploads(); n != 0 {
		r.t.Fatalf("%d multipart uploads left open", n)
	}
}

// actions weights operations by listing common ones more than once;
// remounts and crashes, the costly ones, share one entry.
func (r *modelRun) actions() map[string]func(*rapid.T) {
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
	if r.big {
		add("appendBig", 2, r.appendBig)
	}
	add("truncateHandle", 1, r.truncateHandle)
	add("truncatePath", 1, r.truncatePath)
	add("flush", 1, r.flush)
	add("close", 3, r.release)
	if !r.stream {
		// Data streamed to the store is not journaled: a failed upload
		// loses it by design, which this model does not describe.
		add("outageClose", 1, r.outageClose)
	}
	add("unlink", 2, r.unlink)
	add("mkdir", 2, r.mkdir)
	add("rmdir", 1, r.rmdir)
	add("rename", 3, r.rename)
	add("stat", 1, r.stat)
	add("readdir", 1, r.readDir)
	add("restart", 1, func() {
		if !r.stream && rapid.Bool().Draw(r.t, "crash") {
			r.crash()
		} else {
			r.remount()
		}
	})
	if r.behind {
		add("behindPut", 2, r.behindPut)
		add("behindDelete", 1, r.behindDelete)
		add("behindMkdir", 1, r.behindMkdir)
		add("behindRmMarker", 1, r.behindRmMarker)
	}
	return a
}

// modelVariant selects the caches and the operations of one model test.
type modelVariant struct {
	cached  bool // attribute, negative and listing caches on
	behind  bool // objects change behind the filesystem's back
	big     bool // files past two parts, uploaded in parts
	stream  bool // streaming data path (block_cache, stream)
	batches int  // runs of rapid's checks (100 each by default)
}

func runModel(t *testing.T, mv modelVariant) {
	work := t.TempDir()
	for i := range mv.batches {
		t.Run(fmt.Sprintf("batch%d", i), rapid.MakeCheck(func(rt *rapid.T) {
			dir, err := os.MkdirTemp(work, "run")
			if err != nil {
				rt.Fatal(err)
			}
			defer os.RemoveAll(dir)
			r := newModelRun(rt, dir, mv)
			defer r.close()
			rt.Repeat(r.actions())
			r.checkAll()
			r.remount()
		}))
	}
}

// TestModelNoCache runs sequences with every cache off, with objects
// changing behind the filesystem's back.
func TestModelNoCache(t *testing.T) {
	runModel(t, modelVariant{behind: true, batches: 8})
}

// TestModelCached runs sequences with attribute, negative and listing
// caches on; only this filesystem changes the store.
func TestModelCached(t *testing.T) {
	runModel(t, modelVariant{cached: true, batches: 8})
}

// TestModelStream runs sequences on the streaming data path: files
// written from start to end upload while written, reads stream.
func TestModelStream(t *testing.T) {
	runModel(t, modelVariant{behind: true, stream: true, batches: 4})
}

// TestModelLargeFiles lets files grow past two parts so uploads go in
// parts and reads cross part boundaries. Fewer runs: each moves
// megabytes.
func TestModelLargeFiles(t *testing.T) {
	runModel(t, modelVariant{behind: true, big: true, batches: 1})
}

// --- regression tests: minimised failures and their siblings ---

func modelFS(t *testing.T, b storage.Backend, dir string, cached bool) *FS {
	t.Helper()
	opts := Options{CacheDir: dir, PartSize: modelPart}
	if cached {
		opts.AttrTTL, opts.NegativeTTL = time.Minute, time.Minute
	}
	v, err := testNew(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func storeKeys(t interface {
	Helper()
	Fatal(...any)
}, b storage.Backend) []string {
	t.Helper()
	page, err := b.List(context.Background(), storage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range page.Objects {
		keys = append(keys, o.Key)
	}
	return keys
}

// A file written or truncated after it was unlinked must not come back:
// the change must not create a journal record the next mount uploads.
func TestModelRegressionChangeAfterUnlinkStaysGone(t *testing.T) {
	for _, cached := range []bool{false, true} {
		ctx := context.Background()
		mem := memstore.New(memstore.Options{MinPartSize: modelPart})
		dir := t.TempDir()
		v := modelFS(t, keepOpen{mem}, dir, cached)
		h, _, err := v.Create(ctx, "a", OpenFlags{Write: true}, 0o644, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Unlink(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(ctx, []byte("late"), 0); err != nil {
			t.Fatal(err)
		}
		zero := int64(0)
		if _, err := v.Setattr(ctx, "", h, SetAttr{Size: &zero}); err != nil {
			t.Fatal(err)
		}
		if err := v.Close(ctx); err != nil {
			t.Fatal(err)
		}
		v = modelFS(t, keepOpen{mem}, dir, cached)
		v.Close(ctx)
		if keys := storeKeys(t, mem); len(keys) != 0 {
			t.Fatalf("cached=%v: unlinked file came back: %q", cached, keys)
		}
	}
}

// Renaming a new, not yet uploaded file over an existing one and then
// removing it must remove the old object too.
func TestModelRegressionRenameNewFileOverOldThenUnlink(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	dir := t.TempDir()
	v := modelFS(t, keepOpen{mem}, dir, false)
	put(t, mem, "old", "old data", nil)
	h, _, err := v.Create(ctx, "new", OpenFlags{Write: true}, 0o644, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Rename(ctx, "new", "old", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if err := v.Unlink(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	v.Close(ctx)
	if keys := storeKeys(t, mem); len(keys) != 0 {
		t.Fatalf("replaced object came back: %q", keys)
	}
}

// A file replaced by a rename while open keeps the bytes it had, even if
// nothing was read from it before.
func TestModelRegressionRenameOverOpenFileKeepsItsData(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	v := modelFS(t, keepOpen{mem}, t.TempDir(), false)
	defer v.Close(ctx)
	put(t, mem, "x", "xxxx", nil)
	put(t, mem, "y", "yy", nil)
	h, err := v.Open(ctx, "x", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if err := v.Rename(ctx, "y", "x", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, err := h.Read(ctx, buf, 0)
	if err != nil || string(buf[:n]) != "xxxx" {
		t.Fatalf("read of the replaced file: %q, %v", buf[:n], err)
	}
}

// Crash with a new file renamed over an existing object: the next mount
// uploads it under its name, not as a conflict copy.
func TestModelRegressionCrashAfterRenameNewFileOverOld(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	dir := t.TempDir()
	faults := wrap.NewFaults(1)
	v := modelFS(t, wrap.Faulty(keepOpen{mem}, faults), dir, false)
	put(t, mem, "old", "old data", nil)
	h, _, err := v.Create(ctx, "new", OpenFlags{Write: true}, 0o644, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write(ctx, []byte("new data"), 0); err != nil {
		t.Fatal(err)
	}
	if err := v.Rename(ctx, "new", "old", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	faults.Set(wrap.Fault{}) // the daemon dies: nothing more reaches the store
	v.Close(ctx)
	faults.Set()
	v = modelFS(t, keepOpen{mem}, dir, false)
	v.Close(ctx)
	if keys := storeKeys(t, mem); !slices.Equal(keys, []string{"old"}) {
		t.Fatalf("store keys %q", keys)
	}
	if data, _ := get(t, mem, "old"); data != "new data" {
		t.Fatalf("old holds %q", data)
	}
}

// A directory holding only a file not yet uploaded exists, even after its
// marker was removed by another client.
func TestModelRegressionDirOfPendingFileExists(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	v := modelFS(t, keepOpen{mem}, t.TempDir(), false)
	defer v.Close(ctx)
	put(t, mem, "a/b/", "", nil)
	h, _, err := v.Create(ctx, "a/b/f", OpenFlags{Write: true}, 0o644, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if err := mem.Delete(ctx, "a/b/"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "a/b"} {
		if a, err := v.Lookup(ctx, p); err != nil || a.Kind != KindDir {
			t.Fatalf("stat %q: %v, %v", p, a.Kind, err)
		}
	}
	ents, err := v.ReadDir(ctx, "")
	if err != nil || len(ents) != 1 || ents[0].Name != "a" || ents[0].Attr.Kind != KindDir {
		t.Fatalf("root listing %v, %v", ents, err)
	}
}

// Renaming a file with local changes that was uploaded before moves it:
// the new name holds the changes and the old name is gone.
func TestModelRegressionRenameDirtyUploadedFile(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	v := modelFS(t, keepOpen{mem}, t.TempDir(), false)
	defer v.Close(ctx)
	h, _, err := v.Create(ctx, "a", OpenFlags{Write: true}, 0o644, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write(ctx, []byte("changed"), 0); err != nil {
		t.Fatal(err)
	}
	if err := v.Rename(ctx, "a", "c", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if keys := storeKeys(t, mem); !slices.Equal(keys, []string{"c"}) {
		t.Fatalf("store keys after rename %q", keys)
	}
	if data, _ := get(t, mem, "c"); data != "changed" {
		t.Fatalf("c holds %q", data)
	}
}

// A file whose close failed stays in the open table for the retry; once a
// rename uploaded it, it must leave the table, or it hides later changes
// made by other clients.
func TestModelRegressionRetriedFileLeavesTable(t *testing.T) {
	for _, dirRename := range []bool{false, true} {
		ctx := context.Background()
		mem := memstore.New(memstore.Options{MinPartSize: modelPart})
		faults := wrap.NewFaults(1)
		v := modelFS(t, wrap.Faulty(keepOpen{mem}, faults), t.TempDir(), false)
		put(t, mem, "d/", "", nil)
		put(t, mem, "d/f", "old", nil)
		h, err := v.Open(ctx, "d/f", OpenFlags{Write: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(ctx, []byte("new"), 0); err != nil {
			t.Fatal(err)
		}
		faults.Set(wrap.Fault{})
		if err := h.Release(ctx); err == nil {
			t.Fatal("close during an outage reported success")
		}
		faults.Set()
		from, to, gone := "d/f", "d/g", "d/g"
		if dirRename {
			from, to, gone = "d", "e", "e/f"
		}
		if err := v.Rename(ctx, from, to, RenameFlags{}); err != nil {
			t.Fatal(err)
		}
		if err := mem.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Lookup(ctx, gone); !errors.Is(err, ErrNotExist) {
			t.Fatalf("dirRename=%v: %q deleted by another client still shows: %v", dirRename, gone, err)
		}
		v.Close(ctx)
	}
}

// A daemon killed after an upload completed but before its journal record
// was removed leaves a record for data the store already holds: the next
// mount must not save it again as a conflict copy.
func TestModelRegressionKilledAfterUploadNoConflictCopy(t *testing.T) {
	for _, created := range []bool{true, false} {
		ctx := context.Background()
		mem := memstore.New(memstore.Options{MinPartSize: modelPart})
		dir := t.TempDir()
		snap := t.TempDir()
		// The kill: the cache directory as it is once the upload is done,
		// before its record is removed.
		b := &snapAfterPut{Backend: keepOpen{mem}, snap: func() {
			if err := os.CopyFS(snap, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
		}}
		v := modelFS(t, b, dir, false)
		if !created {
			put(t, mem, "f", "old", nil)
		}
		h, err := v.Open(ctx, "f", OpenFlags{Write: true})
		if created {
			h, _, err = v.Create(ctx, "f", OpenFlags{Write: true}, 0o644, 1, 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Write(ctx, []byte("new data"), 0); err != nil {
			t.Fatal(err)
		}
		if err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
		v.Close(ctx)
		v = modelFS(t, keepOpen{mem}, snap, false)
		v.Close(ctx)
		if keys := storeKeys(t, mem); !slices.Equal(keys, []string{"f"}) {
			t.Fatalf("created=%v: store keys %q", created, keys)
		}
	}
}

// snapAfterPut calls snap after the first Put succeeds.
type snapAfterPut struct {
	storage.Backend
	snap func()
	done bool
}

func (s *snapAfterPut) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	obj, err := s.Backend.Put(ctx, key, body, opts)
	if err == nil && !s.done {
		s.done = true
		s.snap()
	}
	return obj, err
}

// The other side of the check above: when another client really changed
// the object while an edit was pending at a kill, both versions are kept.
func TestModelCrashWithRealConflictKeepsBoth(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	dir := t.TempDir()
	faults := wrap.NewFaults(1)
	v := modelFS(t, wrap.Faulty(keepOpen{mem}, faults), dir, false)
	put(t, mem, "f", "old", nil)
	h, err := v.Open(ctx, "f", OpenFlags{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write(ctx, []byte("mine"), 0); err != nil {
		t.Fatal(err)
	}
	faults.Set(wrap.Fault{}) // killed: nothing more reaches the store
	h.Release(ctx)
	v.Close(ctx)
	faults.Set()
	put(t, mem, "f", "theirs", nil)
	v = modelFS(t, keepOpen{mem}, dir, false)
	v.Close(ctx)
	keys := storeKeys(t, mem)
	if len(keys) != 2 || keys[0] != "f" || !strings.HasPrefix(keys[1], "f.conflict-") {
		t.Fatalf("store keys %q", keys)
	}
	if a, _ := get(t, mem, "f"); a != "theirs" {
		t.Fatalf("f holds %q", a)
	}
	if b, _ := get(t, mem, keys[1]); b != "mine" {
		t.Fatalf("conflict copy holds %q", b)
	}
}

func modelStreamFS(t *testing.T, b storage.Backend) *FS {
	t.Helper()
	v, err := testNew(context.Background(), b, Options{CacheDir: t.TempDir(), PartSize: modelPart,
		Stream: &StreamOptions{PartSize: modelPart, UploadConcurrency: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

func readAll(t *testing.T, h *Handle) (string, error) {
	t.Helper()
	buf := make([]byte, 100)
	n, err := h.Read(context.Background(), buf, 0)
	return string(buf[:n]), err
}

// On the streaming path, a read-only handle opened before its directory
// was renamed reads the file under its new name.
func TestModelRegressionStreamReadAfterDirRename(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	v := modelStreamFS(t, mem)
	put(t, mem, "a/f", "data", nil)
	h, err := v.Open(ctx, "a/f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if err := v.Rename(ctx, "a", "b", RenameFlags{}); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, h); err != nil || got != "data" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// On the streaming path, a read-only handle sees the file rewritten
// through another handle of the same file, as on any filesystem.
func TestModelRegressionStreamReadAfterRewrite(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New(memstore.Options{MinPartSize: modelPart})
	v := modelStreamFS(t, mem)
	put(t, mem, "f", "old", nil)
	r, err := v.Open(ctx, "f", OpenFlags{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release(ctx)
	w, err := v.Open(ctx, "f", OpenFlags{Write: true, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(ctx, []byte("new!"), 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, r); err != nil || got != "new!" {
		t.Fatalf("read %q, %v", got, err)
	}
}
