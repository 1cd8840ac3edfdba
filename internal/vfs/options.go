package vfs

import (
	"github.com/a9de3765/cloudfuse/internal/cache/disktier"
	"log/slog"
	"time"

	"github.com/a9de3765/cloudfuse/internal/cache/stream"
)

// StreamOptions turns on the streaming data path (block_cache, stream):
// files opened for reading are read through parallel ranged GETs, and new
// or truncated files written from start to end upload as a multipart
// upload while the application writes, all in memory bounded by
// Options.Budget.
// Anything else (an edit in place, a write out of order, a read of a file
// being written) falls back to staging the file in the cache directory.
type StreamOptions struct {
	PartSize          int64 // read request and upload part size
	MaxWindow         int64 // read-ahead one open file may hold
	UploadConcurrency int   // parts of one file uploading at once
	// Disk, if its Dir is set, keeps blocks read on local disk (the
	// block cache's disk tier); its Owner is set by New.
	Disk disktier.Options
}

// DirLayout says how directory markers and symlinks are written to the store.
// Both layouts are always understood when reading.
type DirLayout int

const (
	// LayoutS3 writes a directory as a zero-byte "dir/" object (Cloudfuse,
	// s3fs, rclone, the AWS console).
	LayoutS3 DirLayout = iota
	// LayoutAzure writes a directory as a zero-byte "dir" blob with metadata
	// hdi_isfolder=true (BlobFuse2, ADLS Gen2).
	LayoutAzure
)

// Options configures a filesystem. The zero value of each field is a usable
// default where one is noted.
type Options struct {
	Layout DirLayout

	// CacheDir holds staged object copies (file cache). Required unless
	// ReadOnly. Created 0700 if missing.
	CacheDir string
	// CacheOwner names this mount (its mountpoint) in the cache
	// directory's lock: one live mount owns a cache directory, and a
	// second one is refused with this name.
	CacheOwner string
	// PersistCache keeps clean cached copies for the next mount, which
	// reuses each whose object is unchanged.
	PersistCache bool
	// CacheTimeout is how long an unused clean file stays cached after its
	// last close (Cloudfuse file-cache-timeout; default 120s).
	CacheTimeout time.Duration
	// MaxEviction bounds the cached copies one eviction pass removes (0:
	// no bound).
	MaxEviction int
	// CacheMaxBytes bounds the cache dir (0: only disk thresholds apply).
	CacheMaxBytes int64
	// HighDiskThreshold and LowDiskThreshold are percentages of the cache
	// disk: above high, clean files are evicted until usage is below low.
	HighDiskThreshold, LowDiskThreshold int

	// AttrTTL is how long attributes and listings from the store are
	// trusted (attr_cache timeout; default 120s). 0 disables the cache.
	AttrTTL time.Duration
	// NegativeTTL is how long a missing name is remembered (0: not at all).
	NegativeTTL time.Duration
	// MaxCachedEntries bounds the attribute cache (default 500000).
	MaxCachedEntries int

	// FixedAttrs shows every entry with the defaults below (mode, owner)
	// and its Last-Modified time, ignoring stored attributes; chmod, chown
	// and utimens succeed without effect, as in Cloudfuse on S3. Listings
	// are then complete, so directory reads cost no HEADs.
	FixedAttrs bool

	// TrustListings shows objects with the attributes a listing gives
	// (size, Last-Modified, default mode and owner) without reading their
	// metadata. Faster directory reads on S3, whose listings carry no
	// metadata, at the price of modes, owners and times set by chmod,
	// chown and touch showing only on a direct lookup.
	TrustListings bool

	// ListAhead is how many subdirectories of a directory just read are
	// listed in the background for a program walking the tree (0: none;
	// listahead.go).
	ListAhead int

	// ListHeads bounds the HEADs running at once, across the mount, that
	// complete listings without metadata and find directories' markers
	// (0: 64).
	ListHeads int

	// LazyWrite makes the last close of a changed file on the file cache
	// return before its upload, which runs in the background (lazy.go).
	LazyWrite bool

	// NoListFor keeps the filesystem from sending any List request to
	// the store for this long after New (Cloudfuse/BlobFuse2
	// block-list-on-mount-sec), to avoid listing charges. Meanwhile a
	// directory read shows only what this mount has created or looked up,
	// lookups use HEAD requests only (a directory without a marker object
	// is not found), and rmdir and directory renames fail with EBUSY.
	NoListFor time.Duration
	// NoImplicitDirs makes a directory exist only through its marker
	// object ("dir/", or a "dir" blob with hdi_isfolder=true); prefixes
	// without one are neither listed nor found (virtual-directory: false).
	NoImplicitDirs bool
	// RevalidateOnOpen asks the store on every open and lookup of a file
	// instead of trusting the attribute cache, and drops staged data of a
	// clean file whose object changed (direct-io / disable-kernel-cache),
	// so changes by other clients show on the next open.
	RevalidateOnOpen bool

	ReadOnly bool
	// NoSymlinks refuses symlink creation and shows stored symlinks as
	// regular files (Cloudfuse --no-symlinks).
	NoSymlinks bool

	// Defaults for objects that carry no ownership metadata.
	DefaultUID, DefaultGID uint32
	DefaultFileMode        uint32 // permission bits, default 0644
	DefaultDirMode         uint32 // permission bits, default 0755

	// Stream, if set, turns on the streaming data path for reads and for
	// files written from start to end (see StreamOptions).
	Stream *StreamOptions

	// PartSize and UploadConcurrency govern multipart uploads of staged
	// files (defaults 8 MiB and 4).
	PartSize          int64
	UploadConcurrency int

	// StaleUploadAge turns on a sweep, in the background after New, that
	// aborts multipart uploads under the mount's root started more than
	// this long before the mount (left by crashed clients; they cost
	// storage and never show). 0 turns it off. Only on stores with a list
	// of uploads (storage.UploadLister: S3).
	StaleUploadAge time.Duration

	// Budget is the mount's memory budget: the buffers of streamed files
	// and the download buffers of staged ones come from it. Required.
	Budget *stream.Budget

	Logger *slog.Logger
}
