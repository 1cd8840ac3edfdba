// Package wrap holds decorators over storage.Backend: Prefix mounts a
// subdirectory of a store, Instrument counts requests for benchmarks and
// the health monitor, and Faulty injects errors, latency and short reads
// for tests. Each returns a storage.Backend that implements
// storage.Renamer exactly when the store it wraps does, so decorators
// compose in any order.
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

// withRenamer returns b itself when inner cannot rename, and otherwise b
// plus a Rename method that calls rename.
func withRenamer(b storage.Backend, inner storage.Backend, rename renameFunc) storage.Backend {
	if _, ok := inner.(storage.Renamer); !ok {
		return b
	}
	return renamingBackend{Backend: b, rename: rename}
}

type renamingBackend struct {
	storage.Backend
	rename renameFunc
}

func (r renamingBackend) Rename(ctx context.Context, src, dst string, dir bool) error {
	return r.rename(ctx, src, dst, dir)
}
