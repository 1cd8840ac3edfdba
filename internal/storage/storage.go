// Package storage defines the storage-shaped Backend every object store
// implements: objects, listings, ranged reads, conditional writes, multipart
// uploads and server-side copies. Filesystem concepts (directories, renames,
// symlinks, modes) live in vfs, never here.
package storage

import (
	"context"
	"io"
	"time"
)

// Backend is an object store. Keys never start with "/" and never contain an
// empty segment ("a//b"); callers (vfs) guarantee that. Every method that can
// block takes a context and returns errors that wrap one of the sentinels in
// errors.go where one applies, so errors.Is works across backends.
type Backend interface {
	// Head returns the object's attributes and user metadata.
	// A missing key is ErrNotFound.
	Head(ctx context.Context, key string) (Object, error)

	// List returns one page of keys under opts.Prefix in lexical order. With a
	// Delimiter, keys that contain it after the prefix are rolled up into
	// CommonPrefixes (each ending in the delimiter). Objects in a page carry
	// Size, ETag and LastModified. Metadata is always there with
	// Caps.ListMetadata; otherwise it is there (non-nil) for the objects
	// whose metadata the server returned, and nil for the rest.
	List(ctx context.Context, opts ListOptions) (ListPage, error)

	// Get opens the object for reading. opts.Length < 0 reads to the end. A
	// range starting at or past the end of a non-empty object is
	// ErrInvalidRange; a zero-length object reads as empty for offset 0.
	// opts.IfMatch that does not match is ErrPrecondition. The returned
	// Object describes the whole object (Size is the full size).
	Get(ctx context.Context, key string, opts GetOptions) (io.ReadCloser, Object, error)

	// Put stores body as the whole object, replacing any previous version.
	// The body is read from its current position to its end; it may be
	// re-read from that position on retry.
	Put(ctx context.Context, key string, body io.ReadSeeker, opts PutOptions) (Object, error)

	// CreateUpload starts a multipart upload. Nothing becomes visible until
	// Complete succeeds; Abort discards the parts.
	CreateUpload(ctx context.Context, key string, opts PutOptions) (Upload, error)

	// Copy copies src to dst on the server. With opts.Metadata non-nil the
	// destination gets exactly that metadata, otherwise the source's. Copying
	// a key onto itself with new metadata is how metadata is changed without
	// re-uploading data.
	Copy(ctx context.Context, src, dst string, opts CopyOptions) (Object, error)

	// Delete removes the key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// Caps describes limits and abilities of this store.
	Caps() Caps

	// Close releases connections and background work.
	Close() error
}

// Upload is a multipart upload in progress. Parts may be written
// concurrently and in any order; Complete takes them in part-number order.
type Upload interface {
	// WritePart uploads part n (1-based). Every part but the last must be at
	// least Caps.MinPartSize bytes.
	WritePart(ctx context.Context, n int, body io.ReadSeeker) (Part, error)
	// Complete assembles the parts (sorted by Number) into the object.
	Complete(ctx context.Context, parts []Part) (Object, error)
	// Abort discards the upload and its parts.
	Abort(ctx context.Context) error
}

// Tagger is implemented by stores that keep tags on objects (S3 object
// tagging, Azure blob index tags): blob filters read them.
type Tagger interface {
	// Tags returns the object's tags (empty when it has none).
	Tags(ctx context.Context, key string) (map[string]string, error)
}

// Renamer is implemented by stores that rename atomically on the server
// (ADLS Gen2 with a hierarchical namespace). vfs finds it by type assertion.
type Renamer interface {
	// Rename moves src to dst. With dir set, src names a directory and every
	// key under src+"/" moves with it.
	Rename(ctx context.Context, src, dst string, dir bool) error
}

// BucketMaker is implemented by stores that can create and delete the
// bucket (container) they are opened on; the CSI controller uses it for a
// bucket per volume. Creating one that exists and deleting one that is
// gone succeed; deleting one that is not empty fails.
type BucketMaker interface {
	CreateBucket(ctx context.Context) error
	DeleteBucket(ctx context.Context) error
}

// Object is one stored object.
type Object struct {
	Key          string
	Size         int64
	ETag         string // opaque, quotes stripped
	LastModified time.Time
	ContentType  string
	// Metadata holds user metadata with lower-case keys and no store
	// prefix ("mode", not "x-amz-meta-mode"). Nil when not known.
	Metadata map[string]string
}

// ListOptions selects one page of a listing.
type ListOptions struct {
	Prefix            string
	Delimiter         string // "" for a flat listing, usually "/"
	ContinuationToken string // from the previous page's NextToken
	StartAfter        string // only keys after this one (first page only)
	MaxKeys           int    // 0 means the store's default (1000 on S3)
	// NoMetadata says the caller needs no user metadata: a store that
	// must ask for it at a cost may leave it out (objects then carry nil
	// Metadata, as without Caps.ListMetadata).
	NoMetadata bool
}

// ListPage is one page of a listing.
type ListPage struct {
	Objects        []Object
	CommonPrefixes []string // each ends with the delimiter
	NextToken      string   // "" on the last page
}

// GetOptions selects a byte range and a version.
type GetOptions struct {
	Offset  int64
	Length  int64  // < 0: to the end of the object
	IfMatch string // if set, fail with ErrPrecondition unless the ETag matches
}

// PutOptions carries metadata and preconditions for Put and CreateUpload.
type PutOptions struct {
	Metadata    map[string]string
	ContentType string
	// IfMatch makes the write fail with ErrPrecondition unless the current
	// object has this ETag. Honoured where Caps.ConditionalWrite.
	IfMatch string
	// IfNoneMatch set to "*" makes the write fail with ErrPrecondition if the
	// key exists. Honoured where Caps.ConditionalCreate.
	IfNoneMatch string
}

// CopyOptions carries metadata and a precondition on the source.
type CopyOptions struct {
	Metadata    map[string]string // nil: keep the source's metadata
	ContentType string
	IfMatch     string // source must have this ETag
}

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number int
	ETag   string // S3 part ETag; on Azure the block ID
	Size   int64
}

// Caps describes a store's limits and abilities.
type Caps struct {
	Name              string // "s3", "azure", "mem", "dir"
	MaxKeyLen         int    // bytes
	MinPartSize       int64  // smallest part but the last
	MaxPartSize       int64
	MaxParts          int
	MaxPutSize        int64 // largest single Put
	MaxMetadataBytes  int   // total size of user metadata keys and values
	ConditionalCreate bool  // PutOptions.IfNoneMatch honoured
	ConditionalWrite  bool  // PutOptions.IfMatch honoured
	ListMetadata      bool  // List always returns user metadata
	// ReservedChars are characters a key may not hold because the store
	// changes them (Azure turns '\\' into '/'): names with them are
	// refused rather than stored as another name.
	ReservedChars string
}

// MaxObjectSize is the largest object a multipart upload can build.
func (c Caps) MaxObjectSize() int64 { return c.MaxPartSize * int64(c.MaxParts) }
