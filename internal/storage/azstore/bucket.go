package azstore

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

var _ storage.BucketMaker = (*Store)(nil)

// CreateBucket creates the store's container; one that exists is fine.
func (s *Store) CreateBucket(ctx context.Context) error {
	_, err := s.cont.Create(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return wrapErr("create container", s.cfg.Container, err)
	}
	return nil
}

// DeleteBucket deletes the store's container; a missing one is fine.
func (s *Store) DeleteBucket(ctx context.Context) error {
	_, err := s.cont.Delete(ctx, nil)
	if err != nil {
		if err = wrapErr("delete container", s.cfg.Container, err); errors.Is(err, storage.ErrNoBucket) {
			return nil
		}
	}
	return err
}
