package vfs

import (
	"strconv"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/content"
	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Kind is the type of a filesystem entry.
type Kind uint8

const (
	KindFile Kind = iota
	KindDir
	KindSymlink
	// Special files: zero-length objects whose type is in their stored
	// mode, as s3fs keeps them.
	KindFIFO
	KindSocket
	KindCharDev
	KindBlockDev
)

// kindTypes are the st_mode type bits of each kind.
var kindTypes = [...]uint32{
	KindFile: 0o100000, KindDir: 0o040000, KindSymlink: 0o120000,
	KindFIFO: 0o010000, KindSocket: 0o140000, KindCharDev: 0o020000, KindBlockDev: 0o060000,
}

func (k Kind) String() string {
	return [...]string{"file", "dir", "symlink", "fifo", "socket", "char device", "block device"}[k]
}

// TypeBits are the st_mode type bits of k (S_IFREG, S_IFDIR, ...).
func (k Kind) TypeBits() uint32 { return kindTypes[k] }

// Special says whether k is a fifo, a socket or a device node.
func (k Kind) Special() bool { return k >= KindFIFO }

// KindOfType is the kind of the st_mode type bits t (t & S_IFMT).
func KindOfType(t uint32) (Kind, bool) {
	for k, bits := range kindTypes {
		if bits == t&modeTypeMsk {
			return Kind(k), true
		}
	}
	return 0, false
}

// Permission and special bits kept in Attr.Mode (the file type is in Kind).
const (
	ModePerm    = 0o7777
	modeTypeMsk = 0o170000
)

// Attr describes one entry. Its fields are ordered so that it packs (104
// bytes, not 112): a listing of a million entries holds as many.
type Attr struct {
	Size  int64
	Mtime time.Time
	Atime time.Time
	Ctime time.Time
	Mode  uint32 // permission and setuid/setgid/sticky bits
	UID   uint32
	GID   uint32
	Rdev  uint32 // device number of a device node
	Kind  Kind
}

// Metadata keys kept on objects. They follow the s3fs convention on S3
// (x-amz-meta-mode holds st_mode in decimal, uid/gid in decimal, times in
// seconds since the epoch) so buckets written by s3fs keep their attributes,
// and are valid Azure metadata names. Directory and symlink markers follow
// BlobFuse2.
const (
	metaMode     = "mode"
	metaRdev     = "rdev" // ours: s3fs keeps no device number
	metaUID      = "uid"
	metaGID      = "gid"
	metaMtime    = content.MetaMtime
	metaAtime    = content.MetaAtime
	metaCtime    = content.MetaCtime
	metaIsFolder = "hdi_isfolder"
	metaSymlink  = "is_symlink"
)

// isFolderMarker reports whether obj is an Azure-style directory marker.
func isFolderMarker(obj storage.Object) bool {
	return strings.EqualFold(obj.Metadata[metaIsFolder], "true")
}

// isSymlinkObject reports whether obj stores a symlink in the BlobFuse2 way.
func isSymlinkObject(obj storage.Object) bool {
	return strings.EqualFold(obj.Metadata[metaSymlink], "true")
}

// fsNow is the current time at the precision kept in metadata (whole
// seconds, as s3fs writes them). Every time vfs reports was truncated the
// same way, so what a stat shows before and after a remount (or after the
// cache expires) is identical; tar and rsync compare them.
func fsNow() time.Time { return time.Now().Truncate(time.Second) }

// attrFromObject builds the attributes of an entry stored as obj.
func (v *FS) attrFromObject(kind Kind, obj storage.Object) Attr {
	a := Attr{Kind: kind, Size: obj.Size, Mtime: obj.LastModified.Truncate(time.Second)}
	switch kind {
	case KindDir:
		a.Mode = v.opts.DefaultDirMode
		a.Size = 4096
	case KindSymlink:
		a.Mode = 0o777
	default:
		a.Mode = v.opts.DefaultFileMode
	}
	a.UID, a.GID = v.opts.DefaultUID, v.opts.DefaultGID
	if !v.opts.FixedAttrs {
		applyMeta(&a, obj.Metadata)
	}
	if a.Atime.IsZero() {
		a.Atime = a.Mtime
	}
	if a.Ctime.IsZero() {
		a.Ctime = a.Mtime
	}
	return a
}

// owner returns the mode and owner a new entry gets: the caller's, or the
// fixed defaults with FixedAttrs.
func (v *FS) owner(kind Kind, mode, uid, gid uint32) (uint32, uint32, uint32) {
	if !v.opts.FixedAttrs {
		return mode, uid, gid
	}
	mode = v.opts.DefaultFileMode
	switch kind {
	case KindDir:
		mode = v.opts.DefaultDirMode
	case KindSymlink:
		mode = 0o777
	}
	return mode, v.opts.DefaultUID, v.opts.DefaultGID
}

// implicitDirAttr is the attribute set of a directory that exists only as a
// common prefix.
func (v *FS) implicitDirAttr() Attr {
	return Attr{Kind: KindDir, Size: 4096, Mode: v.opts.DefaultDirMode,
		UID: v.opts.DefaultUID, GID: v.opts.DefaultGID,
		Mtime: v.mountTime, Atime: v.mountTime, Ctime: v.mountTime}
}

// applyMeta overlays ownership, mode and times found in object metadata.
func applyMeta(a *Attr, md map[string]string) {
	if md == nil {
		return
	}
	if s, ok := md[metaMode]; ok {
		if m, err := strconv.ParseUint(s, 10, 32); err == nil {
			a.Mode = uint32(m) & ModePerm
			// A file object whose stored type is special is that file.
			if k, ok := KindOfType(uint32(m)); ok && a.Kind == KindFile && k.Special() {
				a.Kind, a.Size = k, 0
			}
		}
	}
	if a.Kind == KindCharDev || a.Kind == KindBlockDev {
		if r, err := strconv.ParseUint(md[metaRdev], 10, 32); err == nil {
			a.Rdev = uint32(r)
		}
	}
	if s, ok := md[metaUID]; ok {
		if u, err := strconv.ParseUint(s, 10, 32); err == nil {
			a.UID = uint32(u)
		}
	}
	if s, ok := md[metaGID]; ok {
		if g, err := strconv.ParseUint(s, 10, 32); err == nil {
			a.GID = uint32(g)
		}
	}
	if t, ok := parseTime(md[metaMtime]); ok {
		a.Mtime = t
	}
	if t, ok := parseTime(md[metaAtime]); ok {
		a.Atime = t
	}
	if t, ok := parseTime(md[metaCtime]); ok {
		a.Ctime = t
	}
}

// parseTime reads seconds since the epoch, optionally with a fraction.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if strings.Contains(s, "T") {
		// RFC 3339, as rclone writes times on Azure. (Seconds since the
		// epoch may be negative: "-300000000" is 1960.)
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err == nil {
			ns = f
		}
	}
	return time.Unix(n, ns), true
}

// formatTime writes a time as the tools sharing the store read it: whole
// seconds since the epoch on S3 (s3fs; rclone reads them too), RFC 3339
// on Azure (rclone; BlobFuse2 and Cloudfuse keep no times there). Both
// forms are read on both stores.
func formatTime(t time.Time, layout DirLayout) string {
	if layout == LayoutAzure {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// metaFor returns the metadata that records a's ownership, mode and times,
// merged over extra (which may hold markers and user keys).
func (v *FS) metaFor(a Attr, extra map[string]string) map[string]string {
	md := make(map[string]string, len(extra)+6)
	for k, v := range extra {
		md[k] = v
	}
	md[metaMode] = strconv.FormatUint(uint64(a.Kind.TypeBits()|a.Mode&ModePerm), 10)
	if a.Kind == KindCharDev || a.Kind == KindBlockDev {
		md[metaRdev] = strconv.FormatUint(uint64(a.Rdev), 10)
	}
	md[metaUID] = strconv.FormatUint(uint64(a.UID), 10)
	md[metaGID] = strconv.FormatUint(uint64(a.GID), 10)
	if !a.Mtime.IsZero() {
		md[metaMtime] = formatTime(a.Mtime, v.opts.Layout)
	}
	if !a.Atime.IsZero() {
		md[metaAtime] = formatTime(a.Atime, v.opts.Layout)
	}
	if !a.Ctime.IsZero() {
		md[metaCtime] = formatTime(a.Ctime, v.opts.Layout)
	}
	return md
}
