package azstore

import (
	"context"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// adlsStore is a Store of Type "adls": the blob API for data, the dfs
// endpoint for atomic renames.
type adlsStore struct{ *Store }

var _ storage.Renamer = (*adlsStore)(nil)

// Rename moves src to dst on the dfs endpoint. With a hierarchical
// namespace a directory is a path of its own, so dir needs no special
// handling: the directory and everything under it move at once.
func (a *adlsStore) Rename(ctx context.Context, src, dst string, dir bool) error {
	if err := checkKey("rename", src); err != nil {
		return err
	}
	if err := checkKey("rename", dst); err != nil {
		return err
	}
	if src == dst {
		_, err := a.Head(ctx, src)
		return err
	}
	a.log.DebugContext(ctx, "rename", "src", src, "dst", dst, "dir", dir)
	return a.dfs.Rename(ctx, src, dst)
}
