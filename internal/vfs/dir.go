package vfs

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// DirEntry is one child of a directory with its attributes.
type DirEntry struct {
	Name string
	Attr Attr
}

// ReadDir lists directory p with one LIST per 1000 children; the result
// also fills the attribute cache so following lookups cost nothing.
func (v *FS) ReadDir(ctx context.Context, p string) ([]DirEntry, error) {
	var children map[string]*node
	var err error
	if v.listingOff() { // no List request: only what this mount has seen
		children, err = v.knownChildren(ctx, p)
	} else {
		var ok bool
		if children, ok = v.takeAhead(ctx, p); !ok {
			children, err = v.readListing(ctx, p)
		}
		if err == nil {
			v.readAhead(p, children)
		}
	}
	if err != nil {
		return nil, err
	}
	// Files created or changed here and not yet uploaded, and the
	// directories that hold them.
	v.mu.Lock()
	for fp, f := range v.files {
		switch {
		case parent(fp) == p && fp != "":
			children[base(fp)] = f.node()
		case strings.HasPrefix(fp, dirPrefix(p)):
			name, _, _ := strings.Cut(strings.TrimPrefix(fp, dirPrefix(p)), "/")
			if _, ok := children[name]; !ok {
				children[name] = &node{Attr: v.implicitDirAttr()}
			}
		}
	}
	v.mu.Unlock()
	out := make([]DirEntry, 0, len(children))
	for name, n := range children {
		out = append(out, DirEntry{Name: name, Attr: n.Attr})
	}
	slices.SortFunc(out, func(a, b DirEntry) int { return strings.Compare(a.Name, b.Name) })
	for i := range out {
		if out[i].Attr.Kind == KindDir {
			v.dtimes.apply(join(p, out[i].Name), &out[i].Attr)
		}
	}
	return out, nil
}

// readListing lists directory p and gives its children the attributes a
// lookup would, then records them in the cache.
func (v *FS) readListing(ctx context.Context, p string) (map[string]*node, error) {
	l := v.meta.beginListing(p, true)
	defer v.meta.endListing(l)
	children, _, err := v.listDirPages(ctx, p, 0)
	if err != nil {
		return nil, err
	}
	if v.opts.NoImplicitDirs {
		if err := v.dropImplicit(ctx, p, children); err != nil {
			return nil, err
		}
	}
	if err := v.completeListing(ctx, p, children); err != nil {
		return nil, err
	}
	v.meta.putListing(l, children)
	return children, nil
}

// defaultListHeads is Options.ListHeads when it is not set.
const defaultListHeads = 64

// headEach runs fn for 0 <= i < n, with at most Options.ListHeads calls
// running at once across the whole mount: list-ahead reads up to
// ListAhead directories at a time, and when each listing bounded its own
// HEADs a walk of a tree held a thousand requests, with their connections
// and buffers, at once. It returns the first error of fn, or the context's.
func (v *FS) headEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	var stopped error
	for i := 0; i < n && stopped == nil; i++ {
		if stopped = v.heads.Acquire(gctx, 1); stopped == nil {
			g.Go(func() error {
				defer v.heads.Release(1)
				return fn(gctx, i)
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return stopped
}

// listedNode returns what the cache should hold for the child p of a
// listing, listed as n: the cached complete node if it describes the same
// entry, else n, marked partial when the listing lacked what a lookup
// shows (the object's metadata, on S3 servers that do not list it).
func (v *FS) listedNode(p string, n *node) *node {
	if full := v.meta.known(p, n); full != nil {
		return full
	}
	listedAll := v.caps.ListMetadata || v.opts.FixedAttrs || (n.key != "" && n.meta != nil)
	n.partial = !listedAll
	return n
}

// completeListing gives every child of a listing that carries no metadata
// (S3 on most servers) the attributes a direct lookup would show, so a
// directory read and a stat never disagree (tar, rsync and make compare
// them). Children whose version is already cached cost nothing; the rest
// cost one HEAD each, Options.ListHeads at a time across the mount. With
// Options.TrustListings the listing is used as it is.
func (v *FS) completeListing(ctx context.Context, dir string, children map[string]*node) error {
	type job struct {
		name string
		n    *node
	}
	var jobs []job
	for name, n := range children {
		n = v.listedNode(join(dir, name), n)
		children[name] = n
		if n.partial && !v.opts.TrustListings {
			jobs = append(jobs, job{name, n})
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	results := make([]*node, len(jobs))
	err := v.headEach(ctx, len(jobs), func(ctx context.Context, i int) error {
		full, err := v.complete(ctx, join(dir, jobs[i].name), jobs[i].n)
		if errors.Is(err, ErrNotExist) {
			return nil // deleted since the listing
		}
		results[i] = full
		return err
	})
	if err != nil {
		return err
	}
	for i, j := range jobs {
		if results[i] == nil {
			delete(children, j.name)
		} else {
			children[j.name] = results[i]
		}
	}
	return nil
}

// listDirPages reads the listing of directory p, stopping once it has read
// more than maxEntries keys and prefixes (0: no limit); complete says
// whether it reached the end. Keys that cannot be names (empty segment,
// ".", "..") are skipped.
func (v *FS) listDirPages(ctx context.Context, p string, maxEntries int) (children map[string]*node, complete bool, err error) {
	prefix := dirPrefix(p)
	children = map[string]*node{}
	opts := storage.ListOptions{Prefix: prefix, Delimiter: "/"}
	read := 0
	for {
		page, err := v.b.List(ctx, opts)
		if err != nil {
			return nil, false, storeErr(err)
		}
		read += len(page.Objects) + len(page.CommonPrefixes)
		v.addListed(children, p, page)
		if page.NextToken == "" {
			return children, true, nil
		}
		if maxEntries > 0 && read > maxEntries {
			return children, false, nil
		}
		opts.ContinuationToken = page.NextToken
	}
}

// addListed records the entries of one listing page of directory p in
// children.
func (v *FS) addListed(children map[string]*node, p string, page storage.ListPage) {
	prefix := dirPrefix(p)
	implicit := v.implicitDirAttr()
	for _, cp := range page.CommonPrefixes {
		name := strings.TrimSuffix(strings.TrimPrefix(cp, prefix), "/")
		if !validName(name) {
			continue
		}
		if old, ok := children[name]; ok && old.Kind == KindDir {
			continue // an Azure marker already described it
		}
		children[name] = &node{Attr: implicit}
	}
	for _, obj := range page.Objects {
		name := strings.TrimPrefix(obj.Key, prefix)
		if name == "" {
			continue // this directory's own "p/" marker
		}
		switch {
		case strings.HasSuffix(name, "/"):
			// A marker of a subdirectory listed as an object: only
			// possible without a delimiter; treat as the directory.
			name = strings.TrimSuffix(name, "/")
			if validName(name) {
				children[name] = v.dirNode(obj)
			}
			continue
		case !validName(name):
			continue
		case isFolderMarker(obj):
			children[name] = v.dirNode(obj)
			continue
		}
		if old, ok := children[name]; ok && old.Kind == KindDir {
			v.log.Debug("name is both a file and a directory; showing the directory", "path", join(p, name))
			continue
		}
		kind := KindFile
		if isSymlinkObject(obj) && !v.opts.NoSymlinks {
			kind = KindSymlink
		} else if strings.HasSuffix(name, symlinkSuffix) && !v.opts.NoSymlinks {
			target := strings.TrimSuffix(name, symlinkSuffix)
			if validName(target) {
				if _, ok := children[target]; !ok {
					children[target] = v.objNode(KindSymlink, obj)
				}
				continue
			}
		}
		children[name] = v.objNode(kind, obj)
	}
}

// Mkdir creates directory p with a marker object so it survives a remount.
func (v *FS) Mkdir(ctx context.Context, p string, mode, uid, gid uint32) (Attr, error) {
	if err := v.canCreate(ctx, p); err != nil {
		return Attr{}, err
	}
	mode, uid, gid = v.owner(KindDir, mode, uid, gid)
	now := fsNow()
	a := Attr{Kind: KindDir, Size: 4096, Mode: mode & ModePerm, UID: uid, GID: gid,
		Mtime: now, Atime: now, Ctime: now}
	key, md := v.markerKey(p), v.metaFor(a, nil)
	if v.opts.Layout == LayoutAzure {
		md[metaIsFolder] = "true"
	}
	obj, err := v.b.Put(ctx, key, bytes.NewReader(nil), storage.PutOptions{Metadata: md})
	if err != nil {
		return Attr{}, keyTooLong(p, err)
	}
	n := &node{Attr: a, key: key, etag: obj.ETag, meta: md}
	v.meta.put(p, n)
	if !v.listingOff() && !v.opts.NoImplicitDirs {
		// New and empty, unless objects already lay below the name,
		// which neither mode sees before the marker exists.
		v.meta.setListing(p, map[string]*node{})
	}
	v.dtimes.forgetTree(p)
	v.entriesChanged(parent(p))
	return a, nil
}

// markerKey is the key of the directory marker of p in this layout.
func (v *FS) markerKey(p string) string {
	if v.opts.Layout == LayoutAzure {
		return p
	}
	return p + "/"
}

// Rmdir removes the empty directory p.
func (v *FS) Rmdir(ctx context.Context, p string) error {
	if err := v.writable(); err != nil {
		return err
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return err
	}
	if n.Kind != KindDir {
		return ErrNotDir
	}
	empty, err := v.dirEmpty(ctx, p)
	if err != nil {
		return err
	}
	if !empty {
		v.explainNotEmpty(ctx, p)
		return ErrNotEmpty
	}
	if err := v.deleteMarkers(ctx, p, n); err != nil {
		return err
	}
	v.meta.removed(p)
	v.dtimes.forgetTree(p)
	v.entriesChanged(parent(p))
	return nil
}

// deleteMarkers removes every marker object of directory p.
func (v *FS) deleteMarkers(ctx context.Context, p string, n *node) error {
	if err := v.b.Delete(ctx, p+"/"); err != nil {
		return storeErr(err)
	}
	if n.key == p {
		if err := v.b.Delete(ctx, p); err != nil {
			return storeErr(err)
		}
	}
	return nil
}

// dirEmpty reports whether directory p has no children, counting files
// created here and not yet uploaded.
func (v *FS) dirEmpty(ctx context.Context, p string) (bool, error) {
	v.mu.Lock()
	for fp := range v.files {
		if inside(fp, p) && fp != p {
			v.mu.Unlock()
			return false, nil
		}
	}
	v.mu.Unlock()
	if v.listingOff() {
		return false, ErrListingOff
	}
	page, err := v.b.List(ctx, storage.ListOptions{Prefix: dirPrefix(p), Delimiter: "/", MaxKeys: 2})
	if err != nil {
		return false, storeErr(err)
	}
	if len(page.CommonPrefixes) > 0 {
		return false, nil
	}
	for _, obj := range page.Objects {
		if obj.Key != dirPrefix(p) {
			return false, nil
		}
	}
	return true, nil
}

// explainNotEmpty logs the keys that keep directory p from being removed
// when none of them shows in a listing: keys whose names no filesystem
// can hold ("a/./b", "a//b", "a/../b") are hidden, yet the directory is
// not empty while they exist. They are removed with the store's own
// tools (docs/semantics.md).
func (v *FS) explainNotEmpty(ctx context.Context, p string) {
	page, err := v.b.List(ctx, storage.ListOptions{Prefix: dirPrefix(p), MaxKeys: 20})
	if err != nil {
		return
	}
	var hidden []string
	for _, obj := range page.Objects {
		rest := strings.TrimPrefix(obj.Key, dirPrefix(p))
		if obj.Key == dirPrefix(p) || rest == "" {
			continue
		}
		visible := true
		for _, seg := range strings.Split(strings.TrimSuffix(rest, "/"), "/") {
			visible = visible && validName(seg)
		}
		if visible {
			return // something shows: the usual ENOTEMPTY
		}
		hidden = append(hidden, obj.Key)
	}
	if len(hidden) > 0 {
		v.warn("directory not empty: it holds keys no file name can show; remove them with the store's own tools",
			"path", p, "keys", hidden, "more", page.NextToken != "")
	}
}

func isNotExist(err error) bool { return err != nil && errors.Is(err, ErrNotExist) }
