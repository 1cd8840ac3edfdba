package vfs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Extended attributes. Only the user namespace is stored: every user.*
// attribute of an entry lives in the one metadata entry metaXattr of its
// object (see xattrfmt.go), so a change rewrites the metadata in place and
// never re-uploads data. Other namespaces (security.*, system.*, trusted.*)
// are answered here without any store request: the kernel asks for
// security.capability before every write and ls asks for ACLs.

// Errors of the extended-attribute calls, mapped to errno in fusefs.
var (
	ErrNoAttr      = errors.New("no such attribute")                           // ENODATA
	ErrAttrRange   = errors.New("attribute name or buffer out of range")       // ERANGE
	ErrAttrTooBig  = errors.New("attribute value larger than the store keeps") // E2BIG
	ErrAttrNoSpace = errors.New("attributes over the store's metadata limit")  // ENOSPC
)

// XattrUserPrefix is the namespace vfs stores.
const XattrUserPrefix = "user."

// xattrNameMax is the longest attribute name Linux accepts (XATTR_NAME_MAX).
const xattrNameMax = 255

// XattrFlags are the setxattr(2) flags.
type XattrFlags uint32

const (
	XattrCreate  XattrFlags = 1 // XATTR_CREATE: fail if the attribute exists
	XattrReplace XattrFlags = 2 // XATTR_REPLACE: fail if it does not
)

// IsUserXattr reports whether name is in the namespace vfs stores.
func IsUserXattr(name string) bool { return strings.HasPrefix(name, XattrUserPrefix) }

// NoneHeld says whether a frontend answers a read of the attribute name,
// outside user.*, with "no such attribute" rather than "not supported":
// security.capability, which the kernel reads before every write to learn
// whether a write must drop it. Every other name outside user.* belongs
// to a namespace the mount does not keep (security labels, POSIX ACLs,
// trusted.*), and saying so lets programs stop asking: `ls -l` asks for
// a label and an ACL per entry until a file system says it has none.
func NoneHeld(name string) bool { return name == "security.capability" }

// checkXattrName validates a user attribute name for a change.
func checkXattrName(name string) error {
	switch {
	case len(name) > xattrNameMax:
		return fmt.Errorf("%w: name is %d bytes", ErrAttrRange, len(name))
	case len(name) == len(XattrUserPrefix), !xattrNameOK(name):
		return fmt.Errorf("%w: attribute name %q", ErrInvalid, name)
	}
	return nil
}

// Getxattr returns the value of attribute name of the entry at p. h is the
// open handle of an inode unlinked while open, or nil.
func (v *FS) Getxattr(ctx context.Context, p string, h *Handle, name string) ([]byte, error) {
	if !IsUserXattr(name) {
		return nil, ErrNoAttr
	}
	if len(name) > xattrNameMax {
		return nil, ErrAttrRange
	}
	if v.opts.FixedAttrs {
		return nil, ErrNotSupp
	}
	attrs, err := v.xattrs(ctx, p, h)
	if err != nil {
		return nil, err
	}
	val, ok := attrs[name]
	if !ok {
		return nil, ErrNoAttr
	}
	return val, nil
}

// Listxattr returns the attribute names of the entry at p, sorted.
func (v *FS) Listxattr(ctx context.Context, p string, h *Handle) ([]string, error) {
	if v.opts.FixedAttrs {
		return nil, nil
	}
	attrs, err := v.xattrs(ctx, p, h)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		if IsUserXattr(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// Setxattr sets attribute name of the entry at p to value.
func (v *FS) Setxattr(ctx context.Context, p string, h *Handle, name string, value []byte, flags XattrFlags) error {
	if !IsUserXattr(name) {
		return fmt.Errorf("%w: only user.* attributes are stored", ErrNotSupp)
	}
	if err := checkXattrName(name); err != nil {
		return err
	}
	val := append([]byte{}, value...)
	return v.changeXattrs(ctx, p, h, name, func(attrs map[string][]byte) error {
		_, ok := attrs[name]
		switch {
		case ok && flags&XattrCreate != 0:
			return ErrExist
		case !ok && flags&XattrReplace != 0:
			return ErrNoAttr
		}
		attrs[name] = val
		return nil
	})
}

// Removexattr removes attribute name of the entry at p.
func (v *FS) Removexattr(ctx context.Context, p string, h *Handle, name string) error {
	if !IsUserXattr(name) {
		return ErrNoAttr
	}
	if len(name) > xattrNameMax {
		return ErrAttrRange
	}
	return v.changeXattrs(ctx, p, h, name, func(attrs map[string][]byte) error {
		if _, ok := attrs[name]; !ok {
			return ErrNoAttr
		}
		delete(attrs, name)
		return nil
	})
}

// xattrs reads the stored attributes of p: from the open file, else from
// the node's metadata (cached for the attribute TTL; one HEAD when the
// node is only known from a listing).
func (v *FS) xattrs(ctx context.Context, p string, h *Handle) (map[string][]byte, error) {
	f := v.xattrFile(p, h)
	if f != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		return decodeXattrs(f.extra[metaXattr]), nil
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return nil, err
	}
	if n.Kind == KindSymlink || n.key == "" {
		return map[string][]byte{}, nil
	}
	md := n.meta
	if md == nil {
		obj, err := v.b.Head(ctx, n.key)
		if err != nil {
			return nil, storeErr(err)
		}
		md = obj.Metadata
	}
	return decodeXattrs(md[metaXattr]), nil
}

// xattrFile returns the open file behind p (or h), if any.
func (v *FS) xattrFile(p string, h *Handle) *file {
	if h != nil {
		return h.f
	}
	return v.openFile(p)
}

// changeXattrs applies edit to the attributes of p and stores the result
// with the entry's other metadata, without touching its data. On an open
// file with changes not yet uploaded, the new metadata goes with the next
// upload (and its crash journal record), as chmod does.
func (v *FS) changeXattrs(ctx context.Context, p string, h *Handle, name string, edit func(map[string][]byte) error) error {
	if err := v.writable(); err != nil {
		return err
	}
	if v.opts.FixedAttrs {
		return fmt.Errorf("%w: attributes are fixed (fixed-attributes)", ErrNotSupp)
	}
	if f := v.xattrFile(p, h); f != nil {
		return v.changeOpenXattrs(ctx, f, name, edit)
	}
	if p == "" {
		return fmt.Errorf("%w: the root directory has no object to hold attributes", ErrNotSupp)
	}
	n, err := v.stat(ctx, p)
	if err != nil {
		return err
	}
	if n.Kind == KindSymlink {
		// Linux keeps user attributes off symlinks; the kernel refuses
		// before asking, this is for other callers.
		return ErrPerm
	}
	extra := userMeta(n.meta)
	if n.key != "" && n.meta == nil {
		obj, err := v.b.Head(ctx, n.key)
		if err != nil {
			return storeErr(err)
		}
		extra = userMeta(obj.Metadata)
	}
	a := n.Attr
	a.Ctime = fsNow()
	implicit := n.Kind == KindDir && n.key == ""
	if implicit && v.opts.Layout == LayoutAzure {
		extra[metaIsFolder] = "true"
	}
	md, err := v.editXattrMeta(p, name, a, extra, edit)
	if err != nil {
		return err
	}
	if implicit {
		// An implicit directory gains a marker to hold its attributes.
		key := v.markerKey(p)
		obj, err := v.b.Put(ctx, key, emptyReader(), putOpts(md))
		if err != nil {
			return storeErr(err)
		}
		v.meta.put(p, &node{Attr: a, key: key, etag: obj.ETag, meta: md})
		return nil
	}
	_, err = v.setMeta(ctx, p, n, md)
	return err
}

// changeOpenXattrs edits the attributes of an open file.
func (v *FS) changeOpenXattrs(ctx context.Context, f *file, name string, edit func(map[string][]byte) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.attr
	a.Ctime = fsNow()
	md, err := v.editXattrMeta(f.path, name, a, userMeta(f.extra), edit)
	if err != nil {
		return err
	}
	extra := userMeta(md)
	if f.unlinked {
		f.attr, f.extra = a, extra
		return nil
	}
	if f.created || f.c.Dirty() {
		f.attr, f.extra = a, extra
		return f.describe()
	}
	if f.base == nil || f.base.key == "" {
		f.attr, f.extra = a, extra
		return nil
	}
	nb, err := v.setMeta(ctx, f.path, f.base, md)
	if err != nil {
		return err
	}
	f.base, f.attr, f.extra = nb, a, extra
	f.c.Rebase(f.version())
	return nil
}

// editXattrMeta returns the full metadata of an entry with attributes a
// and other metadata extra after edit changed its attributes, or an error
// if the result would not fit the store's metadata limit. extra is not
// modified.
func (v *FS) editXattrMeta(p, name string, a Attr, extra map[string]string, edit func(map[string][]byte) error) (map[string]string, error) {
	attrs := decodeXattrs(extra[metaXattr])
	if err := edit(attrs); err != nil {
		return nil, err
	}
	md := v.metaFor(a, extra)
	if enc := encodeXattrs(attrs); enc != "" {
		md[metaXattr] = enc
	} else {
		delete(md, metaXattr)
	}
	limit := v.caps.MaxMetadataBytes
	if limit <= 0 || len(md[metaXattr]) <= len(extra[metaXattr]) {
		// No limit, or no growth: a removal always goes through.
		return md, nil
	}
	total := metaBytes(md)
	if total <= limit {
		return md, nil
	}
	// Would the one attribute being set fit on its own? If not, no
	// removal of others can help: the value is too big for this store.
	errKind := ErrAttrNoSpace
	if val, ok := attrs[name]; ok {
		alone := v.metaFor(a, extra)
		alone[metaXattr] = encodeXattrs(map[string][]byte{name: val})
		if metaBytes(alone) > limit {
			errKind = ErrAttrTooBig
		}
	}
	v.warn("extended attribute refused: object metadata would pass the store's limit",
		"path", p, "name", name, "store", v.caps.Name, "metadata_bytes", total, "limit_bytes", limit)
	return nil, fmt.Errorf("%w: %d bytes of metadata, %s allows %d", errKind, total, v.caps.Name, limit)
}

// metaBytes is the size the stores count against their limit: the sum of
// key and value lengths.
func metaBytes(md map[string]string) int {
	total := 0
	for k, val := range md {
		total += len(k) + len(val)
	}
	return total
}
