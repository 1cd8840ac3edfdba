// Package vfs is the filesystem core: it turns paths and POSIX-style
// operations into object-store requests over a storage.Backend. It knows
// nothing about FUSE; fusefs adapts it to the kernel.
package vfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"github.com/a9de3765/cloudfuse/internal/cache/staged"
	"github.com/a9de3765/cloudfuse/internal/cache/stream"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// FS is a mounted filesystem over one backend.
//
// Locking: mu guards the open-file table (files). It is never held across a
// store request. Each *file has its own mutex (see file.go); lock order is
// FS.mu before file.mu. metaCache has its own mutex, taken last. The kernel
// serialises namespace changes within one directory, which vfs relies on
// only for performance, never for safety of its own tables.
type FS struct {
	b         storage.Backend
	caps      storage.Caps
	opts      Options
	log       *slog.Logger
	meta      *metaCache
	cache     *staged.Cache    // staged files; nil on a read-only mount without one
	streamer  *stream.Streamer // streamed files; nil unless Options.Stream
	disk      *disktier.Tier   // the streaming path's disk tier, or nil
	dtimes    dirTimes         // directories' entry changes, in memory only
	mountTime time.Time
	window    *listWindow // nil unless Options.NoListFor
	dirLookup dirLookups  // directories listed to answer lookups

	mu    sync.Mutex
	files map[string]*file // open or dirty files by current path

	closeOnce sync.Once
	stop      chan struct{}
	bg        sync.WaitGroup      // background work, lazy uploads included
	lazy      *lazyUploads        // nil unless Options.LazyWrite (lazy.go)
	ahead     *listAhead          // nil unless Options.ListAhead (listahead.go)
	heads     *semaphore.Weighted // Options.ListHeads (headEach)
}

// New returns a filesystem over b. It creates the cache directory and
// re-uploads dirty files left by an earlier run that was killed.
func New(ctx context.Context, b storage.Backend, opts Options) (*FS, error) {
	opts, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	v := &FS{
		b:         b,
		caps:      b.Caps(),
		opts:      opts,
		log:       opts.Logger,
		meta:      newMetaCache(opts.AttrTTL, opts.NegativeTTL, opts.MaxCachedEntries),
		mountTime: fsNow(),
		window:    newListWindow(time.Now(), opts.NoListFor, time.Now),
		files:     map[string]*file{},
		heads:     semaphore.NewWeighted(int64(opts.ListHeads)),
		stop:      make(chan struct{}),
	}
	if opts.LazyWrite {
		v.lazy = newLazyUploads()
	}
	v.ahead = newListAhead(opts.ListAhead, opts.AttrTTL)
	if v.window != nil {
		v.meta.onPut = v.window.seen
	}
	if !opts.ReadOnly || opts.CacheDir != "" {
		if opts.CacheDir == "" {
			return nil, errors.New("a cache directory (tmp-path) is required")
		}
		c, err := staged.Open(ctx, b, staged.Options{Dir: opts.CacheDir, Timeout: opts.CacheTimeout,
			MaxBytes: opts.CacheMaxBytes, High: opts.HighDiskThreshold, Low: opts.LowDiskThreshold,
			MaxEviction: opts.MaxEviction,
			PartSize:    opts.PartSize, Concurrency: opts.UploadConcurrency, Budget: opts.Budget,
			ReadOnly: opts.ReadOnly, Persist: opts.PersistCache, Lazy: opts.LazyWrite, Owner: opts.CacheOwner, Logger: opts.Logger})
		if err != nil {
			return nil, err
		}
		v.cache = c
	}
	if s := opts.Stream; s != nil {
		so := stream.Options{Budget: opts.Budget, PartSize: s.PartSize, MaxWindow: s.MaxWindow,
			Concurrency: s.UploadConcurrency, Logger: opts.Logger}
		if v.cache != nil {
			so.Track = v.cache.Track
		}
		if opts.Budget != nil {
			so.Ranges = stream.NewRanges(opts.Budget, 0)
		}
		if s.Disk.Dir != "" {
			d := s.Disk
			d.Owner, d.Logger = opts.CacheOwner, opts.Logger
			if v.disk, err = disktier.Open(d); err != nil {
				if v.cache != nil {
					v.cache.Close()
				}
				return nil, fmt.Errorf("block cache disk (block_cache.path): %w", err)
			}
			so.Disk = v.disk
		}
		v.streamer = stream.NewStreamer(b, so)
	}
	if !opts.ReadOnly && opts.StaleUploadAge > 0 {
		v.bg.Add(1)
		go v.sweepStaleUploads(start)
	}
	return v, nil
}

// untilClose returns a context for background work that is canceled when
// the filesystem closes, or by cancel, which the caller must call.
func (v *FS) untilClose() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-v.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// checkOptions refuses options the config layer would never give: vfs
// has no defaults of its own.
func checkOptions(o Options) (Options, error) {
	switch {
	case o.Budget == nil:
		return o, errors.New("vfs: no memory budget")
	case o.PartSize <= 0 || o.UploadConcurrency <= 0:
		return o, errors.New("vfs: part size and upload concurrency must be positive")
	case !o.ReadOnly && (o.HighDiskThreshold <= 0 || o.LowDiskThreshold <= 0):
		return o, errors.New("vfs: cache disk thresholds must be positive")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ListHeads <= 0 {
		o.ListHeads = defaultListHeads
	}
	return o, nil
}

// Close uploads every dirty file and stops background work. Files that
// cannot be uploaded stay in the cache directory and are retried by the
// next New over the same cache directory.
func (v *FS) Close(ctx context.Context) error {
	var err error
	v.closeOnce.Do(func() {
		close(v.stop)
		v.bg.Wait()
		v.dirLookup.close()
		v.mu.Lock()
		open := make([]*file, 0, len(v.files))
		for _, f := range v.files {
			open = append(open, f)
		}
		v.mu.Unlock()
		for _, f := range open {
			if e := v.flushFile(ctx, f, false); e != nil {
				err = errors.Join(err, e)
			}
		}
		if v.cache != nil {
			v.cache.Close()
		}
		if v.disk != nil {
			v.disk.Close()
		}
		err = errors.Join(err, v.b.Close())
	})
	return err
}

// StatFS describes capacity for statfs(2). Object stores have no fixed
// size; we report a large constant so tools that check free space proceed.
type StatFS struct {
	BlockSize   uint32
	Blocks      uint64
	BlocksFree  uint64
	Files       uint64
	FilesFree   uint64
	NameMax     uint32
	FragmentSiz uint32
}

// Statfs returns filesystem capacity.
func (v *FS) Statfs() StatFS {
	const bs = 4096
	const total = uint64(1) << 50 / bs // 1 PiB
	name := uint32(255)
	return StatFS{BlockSize: bs, Blocks: total, BlocksFree: total, Files: 1 << 40,
		FilesFree: 1 << 40, NameMax: name, FragmentSiz: bs}
}

// ReadOnly reports whether the filesystem refuses changes.
func (v *FS) ReadOnly() bool { return v.opts.ReadOnly }

// checkName validates a new name and the key it produces.
func (v *FS) checkName(p string) error {
	if !validName(base(p)) {
		return ErrInvalid
	}
	if v.caps.ReservedChars != "" && strings.ContainsAny(base(p), v.caps.ReservedChars) {
		// The store would keep another name (Azure: '\' becomes '/').
		return fmt.Errorf("%w: %q holds a character the store changes (%q)", ErrInvalid, base(p), v.caps.ReservedChars)
	}
	return v.checkLength(p)
}

// NameMax is the longest name, in bytes (NAME_MAX).
const NameMax = 255

// MaxPath is the longest path below the mount's root, in bytes: the
// store's key limit (less a mounted subdirectory and its slash) less the
// longest suffix a key gets (".rclonelink" of a symlink) and the slash of
// a directory marker. 1,012 on S3 and Azure (1,024-byte keys).
func (v *FS) MaxPath() int {
	if v.caps.MaxKeyLen <= 0 {
		return 0
	}
	return v.caps.MaxKeyLen - len(symlinkSuffix) - 1
}

// checkLength is the one place names and paths are measured: a name
// longer than NameMax, or a path longer than MaxPath, is ErrNameTooLong,
// for lookups as for creates.
func (v *FS) checkLength(p string) error {
	if len(base(p)) > NameMax {
		return ErrNameTooLong
	}
	if m := v.MaxPath(); m > 0 && len(p) > m {
		return ErrNameTooLong
	}
	return nil
}

// keyTooLong turns a store's refusal of the key a name needs (a marker or
// symlink key: MinIO refuses a segment that its own suffixes take past 255
// bytes) into ErrNameTooLong for a long name.
func keyTooLong(p string, err error) error {
	if errors.Is(err, storage.ErrInvalidKey) && len(base(p)) > 200 {
		return fmt.Errorf("%w: the store refused the key for this %d-byte name: %v", ErrNameTooLong, len(base(p)), err)
	}
	return storeErr(err)
}

func (v *FS) writable() error {
	if v.opts.ReadOnly {
		return ErrReadOnly
	}
	return nil
}

// Lookup returns the attributes of the entry at p.
func (v *FS) Lookup(ctx context.Context, p string) (Attr, error) {
	n, err := v.stat(ctx, p)
	if err != nil {
		return Attr{}, err
	}
	a := n.Attr
	v.dtimes.apply(p, &a)
	return a, nil
}

// stat finds p: an open file, the cache, or the store.
func (v *FS) stat(ctx context.Context, p string) (*node, error) {
	if p == "" {
		a := v.implicitDirAttr()
		return &node{Attr: a}, nil
	}
	if err := v.checkLength(p); err != nil {
		return nil, err
	}
	if v.caps.ReservedChars != "" && strings.ContainsAny(p, v.caps.ReservedChars) {
		// No such name can exist; the store would answer for another.
		return nil, ErrNotExist
	}
	if f := v.openFile(p); f != nil {
		if v.opts.RevalidateOnOpen {
			v.refreshOpen(ctx, f)
		}
		return f.node(), nil
	}
	n, ok := v.meta.get(p)
	if !ok {
		v.listForLookup(p)
	}
	if ok && v.opts.RevalidateOnOpen && (n == nil || n.Kind != KindDir) {
		// A file or a missing name is asked again, so another client's
		// change shows at once.
		if fresh, err := v.headAgain(ctx, n); err == nil {
			v.meta.put(p, fresh)
			return fresh, nil
		}
		ok = false
	}
	if ok {
		if n == nil {
			return nil, ErrNotExist
		}
		if !n.partial {
			return n, nil
		}
		full, err := v.complete(ctx, p, n)
		if err != nil {
			return nil, err
		}
		v.meta.put(p, full)
		return full, nil
	}
	n, err := v.fetch(ctx, p)
	if errors.Is(err, ErrNotExist) && v.pendingBelow(p) {
		// Only files not yet uploaded lie below p: it exists as they do.
		return &node{Attr: v.implicitDirAttr()}, nil
	}
	if errors.Is(err, ErrNotExist) {
		v.meta.put(p, nil)
		v.meta.missed(p)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	v.meta.put(p, n)
	return n, nil
}

// createGrace is how long a name a lookup found missing is taken as still
// missing by the create that follows it.
const createGrace = time.Second

// statForCreate is stat for a call about to create p (create, mkdir,
// symlink). The kernel looks a name up before it creates it; when that
// lookup found p missing a moment ago, asking the store again (three
// requests) would only repeat it. Checking and creating are two steps
// either way: another client can create p between them. Without the
// attribute cache (or with RevalidateOnOpen) every step asks the store.
func (v *FS) statForCreate(ctx context.Context, p string) (*node, error) {
	if v.opts.AttrTTL > 0 && !v.opts.RevalidateOnOpen && v.openFile(p) == nil && v.meta.justMissed(p, createGrace) {
		return nil, ErrNotExist
	}
	return v.stat(ctx, p)
}

// complete replaces a node seen only in a listing with one read by HEAD,
// which carries the object's metadata. It costs one request because the
// listing already told what kind of entry p is.
func (v *FS) complete(ctx context.Context, p string, n *node) (*node, error) {
	key := n.key
	if n.Kind == KindDir && key == "" {
		key = p + "/"
	}
	obj, err := v.b.Head(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotFound) && n.Kind == KindDir:
		return &node{Attr: v.implicitDirAttr()}, nil
	case errors.Is(err, storage.ErrNotFound):
		// Gone since the listing: ask the store what p is now.
		return v.fetch(ctx, p)
	case err != nil:
		return nil, storeErr(err)
	case n.Kind == KindDir:
		return v.dirNode(obj), nil
	}
	return v.objNode(n.Kind, obj), nil
}

// fetch asks the store what p is: HEAD p, LIST p/ (one key) and, for S3
// symlinks, HEAD p.rclonelink, all at once. A directory wins over a file of
// the same name, as in listings.
func (v *FS) fetch(ctx context.Context, p string) (*node, error) {
	var pr probe
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return v.probeFile(gctx, p, &pr) })
	g.Go(func() error { return v.probeDir(gctx, p, &pr) })
	if !v.opts.NoSymlinks {
		g.Go(func() error { v.probeLink(gctx, p, &pr); return nil })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("lookup %q: %w", p, err)
	}
	switch {
	case pr.dirMarker != nil && (pr.markerHead || pr.dirMarker.Metadata != nil):
		return v.dirNode(*pr.dirMarker), nil // from a HEAD, or listed with metadata
	case pr.dirMarker != nil:
		// The listing carries no metadata; the marker's HEAD does.
		obj, err := v.b.Head(ctx, pr.dirMarker.Key)
		if err != nil {
			obj = *pr.dirMarker
		}
		return v.dirNode(obj), nil
	case pr.file != nil && isFolderMarker(*pr.file):
		return v.dirNode(*pr.file), nil
	case pr.dirImplicit:
		return &node{Attr: v.implicitDirAttr()}, nil
	case pr.file != nil && isSymlinkObject(*pr.file) && !v.opts.NoSymlinks:
		return v.objNode(KindSymlink, *pr.file), nil
	case pr.file != nil:
		return v.objNode(KindFile, *pr.file), nil
	case pr.link != nil:
		return v.objNode(KindSymlink, *pr.link), nil
	}
	return nil, ErrNotExist
}

// probe is what the requests of one fetch found; each field is written by
// one of them.
type probe struct {
	file, link  *storage.Object
	dirMarker   *storage.Object
	dirImplicit bool
	markerHead  bool // dirMarker came from a HEAD, with metadata
}

// probeFile is fetch's HEAD p.
func (v *FS) probeFile(ctx context.Context, p string, pr *probe) error {
	obj, err := v.b.Head(ctx, p)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	pr.file = &obj
	return nil
}

// probeDir is fetch's look for a directory p: a listing of one key, or a
// HEAD of its marker when only markers make directories.
func (v *FS) probeDir(ctx context.Context, p string, pr *probe) error {
	if v.opts.NoImplicitDirs || v.listingOff() {
		obj, err := v.b.Head(ctx, p+"/")
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err == nil {
			pr.dirMarker, pr.markerHead = &obj, true
		}
		return err
	}
	page, err := v.b.List(ctx, storage.ListOptions{Prefix: p + "/", Delimiter: "/", MaxKeys: 1})
	if err != nil {
		return err
	}
	if len(page.Objects) > 0 && page.Objects[0].Key == p+"/" {
		obj := page.Objects[0]
		pr.dirMarker = &obj
	} else if len(page.Objects) > 0 || len(page.CommonPrefixes) > 0 {
		pr.dirImplicit = true
	}
	return nil
}

// probeLink is fetch's HEAD of an rclone-style symlink object. A probe
// only: a store that refuses the longer key (MinIO answers 400 past 255
// bytes a segment) holds no such link.
func (v *FS) probeLink(ctx context.Context, p string, pr *probe) {
	obj, err := v.b.Head(ctx, p+symlinkSuffix)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) && ctx.Err() == nil {
			v.log.Debug("symlink probe failed; assuming no symlink", "path", p, "err", err)
		}
		return
	}
	pr.link = &obj
}

func (v *FS) dirNode(obj storage.Object) *node {
	return &node{Attr: v.attrFromObject(KindDir, obj), key: obj.Key, etag: obj.ETag, meta: obj.Metadata}
}

func (v *FS) objNode(kind Kind, obj storage.Object) *node {
	return &node{Attr: v.attrFromObject(kind, obj), key: obj.Key, etag: obj.ETag, meta: obj.Metadata}
}

// pendingBelow reports whether an open or dirty file lies below p.
func (v *FS) pendingBelow(p string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for fp := range v.files {
		if strings.HasPrefix(fp, p+"/") {
			return true
		}
	}
	return false
}

// openFile returns the open or dirty file at p, if any.
func (v *FS) openFile(p string) *file {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.files[p]
}

// storeErr turns a backend error into a vfs error where one applies.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotExist, err)
	}
	return err
}

// logf logs at warn level; paths only appear at debug level elsewhere.
func (v *FS) warn(msg string, args ...any) { v.log.Warn(msg, args...) }
