package s3store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// UploadID is S3's UploadId of the upload.
func (u *upload) UploadID() string { return u.id }

// ListUploads lists the bucket's unfinished multipart uploads under
// prefix, reading every page (S3 returns up to 1000 a page). It asks for
// the whole bucket's list and filters it here: MinIO answers a prefix that
// is not an exact object key with an empty list. A bucket rarely holds
// many unfinished uploads, and this runs once a mount.
func (s *Store) ListUploads(ctx context.Context, prefix string) ([]storage.PendingUpload, error) {
	const op = "list_uploads"
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)}
	var out []storage.PendingUpload
	for {
		page, err := s.c.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, wrapErr(op, prefix, err)
		}
		for _, u := range page.Uploads {
			if !strings.HasPrefix(aws.ToString(u.Key), prefix) {
				continue
			}
			out = append(out, storage.PendingUpload{
				Key:       aws.ToString(u.Key),
				ID:        aws.ToString(u.UploadId),
				Initiated: aws.ToTime(u.Initiated),
			})
		}
		next, nextID := aws.ToString(page.NextKeyMarker), aws.ToString(page.NextUploadIdMarker)
		if !aws.ToBool(page.IsTruncated) || (next == "" && nextID == "") {
			return out, nil
		}
		in.KeyMarker, in.UploadIdMarker = optString(next), optString(nextID)
	}
}

// AbortUpload aborts upload id of key. An upload S3 no longer knows
// (completed, aborted, or expired by a lifecycle rule) is not an error.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	const op = "upload"
	if err := checkKey(op, key); err != nil {
		return err
	}
	_, err := s.c.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(key),
		UploadId: aws.String(id),
	})
	if err != nil && kindOf(err) == storage.ErrNotFound {
		return nil
	}
	return wrapErr(op, key, err)
}
