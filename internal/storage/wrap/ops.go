// Package wrap holds decorators over storage.Backend: Prefix mounts a
// subdirectory of a store, Instrument counts requests for benchmarks and
// the health monitor, and Faulty injects errors, latency and short reads
// for tests. Each returns a storage.Backend that implements
// storage.Renamer and storage.UploadLister exactly when the store it wraps
// does, so decorators compose in any order.
package wrap

import (
	"context"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Op names one kind of store request.
type Op string

// The requests a Backend and its Uploads serve.
const (
	OpHead         Op = "head"
	OpList         Op = "list"
	OpGet          Op = "get"
	OpPut          Op = "put"
	OpCreateUpload Op = "create_upload"
	OpWritePart    Op = "write_part"
	OpComplete     Op = "complete"
	OpAbort        Op = "abort"
	OpCopy         Op = "copy"
	OpDelete       Op = "delete"
	OpRename       Op = "rename"
)

// Ops lists every Op in a fixed order.
func Ops() []Op {
	return []Op{OpHead, OpList, OpGet, OpPut, OpCreateUpload, OpWritePart, OpComplete, OpAbort, OpCopy, OpDelete, OpRename}
}

// errOp is the storage.Error Op for an Op.
func errOp(op Op) string {
	switch op {
	case OpCreateUpload, OpWritePart, OpComplete, OpAbort:
		return "upload"
	}
	return string(op)
}

// renameFunc adapts a rename implementation to storage.Renamer.
type renameFunc func(ctx context.Context, src, dst string, dir bool) error

// Extras are a decorator's versions of the optional interfaces; each is
// used only when the wrapped store has the interface.
type Extras struct {
	Rename  func(ctx context.Context, src, dst string, dir bool) error
	Uploads storage.UploadLister
}

// Extend returns b plus the optional interfaces (storage.Renamer,
// storage.UploadLister) that inner implements, served by x. A decorator
// built on it implements exactly what the store it wraps does.
func Extend(b storage.Backend, inner storage.Backend, x Extras) storage.Backend {
	_, canRename := inner.(storage.Renamer)
	_, canList := inner.(storage.UploadLister)
	switch {
	case canRename && canList:
		return renamingListingBackend{Backend: b, UploadLister: x.Uploads, rename: x.Rename}
	case canRename:
		return renamingBackend{Backend: b, rename: x.Rename}
	case canList:
		return listingBackend{Backend: b, UploadLister: x.Uploads}
	}
	return b
}

type renamingBackend struct {
	storage.Backend
	rename renameFunc
}

func (r renamingBackend) Rename(ctx context.Context, src, dst string, dir bool) error {
	return r.rename(ctx, src, dst, dir)
}

type listingBackend struct {
	storage.Backend
	storage.UploadLister
}

type renamingListingBackend struct {
	storage.Backend
	storage.UploadLister
	rename renameFunc
}

func (r renamingListingBackend) Rename(ctx context.Context, src, dst string, dir bool) error {
	return r.rename(ctx, src, dst, dir)
}

// uploadLister adapts a pair of functions to storage.UploadLister.
type uploadLister struct {
	list  func(ctx context.Context, prefix string) ([]storage.PendingUpload, error)
	abort func(ctx context.Context, key, id string) error
}

func (l uploadLister) ListUploads(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
	return l.list(ctx, prefix)
}

func (l uploadLister) AbortUpload(ctx context.Context, key, id string) error {
	return l.abort(ctx, key, id)
}

// innerLister is inner's UploadLister, or nil.
func innerLister(inner storage.Backend) storage.UploadLister {
	l, _ := inner.(storage.UploadLister)
	return l
}

// passThrough serves the optional interfaces of inner as inner does, for a
// decorator that changes none of them.
func passThrough(inner storage.Backend) Extras {
	x := Extras{Uploads: innerLister(inner)}
	if r, ok := inner.(storage.Renamer); ok {
		x.Rename = r.Rename
	}
	return x
}
