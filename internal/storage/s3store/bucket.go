package s3store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

var _ storage.BucketMaker = (*Store)(nil)

// CreateBucket creates the store's bucket in its region; one the
// credentials already own is fine.
func (s *Store) CreateBucket(ctx context.Context) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(s.bucket)}
	if r := s.opts.Region; r != "" && r != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(r)}
	}
	_, err := s.c.s3.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return wrapErr("create bucket", s.bucket, err)
	}
	return nil
}

// DeleteBucket deletes the store's (empty) bucket; a missing one is fine.
func (s *Store) DeleteBucket(ctx context.Context) error {
	_, err := s.c.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		if err = wrapErr("delete bucket", s.bucket, err); errors.Is(err, storage.ErrNoBucket) {
			return nil
		}
	}
	return err
}
