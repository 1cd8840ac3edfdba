package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Head returns the object's attributes and user metadata.
func (s *Store) Head(ctx context.Context, key string) (storage.Object, error) {
	const op = "head"
	if err := checkKey(op, key); err != nil {
		return storage.Object{}, err
	}
	out, err := s.c.s3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		return storage.Object{}, wrapErr(op, key, err)
	}
	return storage.Object{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         trimETag(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified),
		ContentType:  aws.ToString(out.ContentType),
		Metadata:     lowerMetadata(out.Metadata),
	}, nil
}

// Put stores the rest of body as the object. The SDK rewinds body to its
// starting position when it retries.
func (s *Store) Put(ctx context.Context, key string, body io.ReadSeeker, opts storage.PutOptions) (storage.Object, error) {
	const op = "put"
	if err := checkKey(op, key); err != nil {
		return storage.Object{}, err
	}
	size, err := remaining(body)
	if err != nil {
		return storage.Object{}, storage.Errorf(op, key, nil, err)
	}
	if size > maxPutSize {
		return storage.Object{}, storage.Errorf(op, key, storage.ErrTooLarge,
			fmt.Errorf("%d bytes is more than a single S3 PUT takes (%d)", size, int64(maxPutSize)))
	}
	if err := checkMetadata(op, key, opts.Metadata); err != nil {
		return storage.Object{}, err
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		Metadata:      opts.Metadata,
		ContentType:   optString(opts.ContentType),
		IfMatch:       optString(quoteETag(opts.IfMatch)),
		IfNoneMatch:   optString(opts.IfNoneMatch),
	}
	if s.checksum {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	}
	out, err := s.c.s3.PutObject(ctx, in, s.uploadOptions()...)
	if err != nil {
		return storage.Object{}, wrapErr(op, key, err)
	}
	return storage.Object{
		Key:         key,
		Size:        size,
		ETag:        trimETag(aws.ToString(out.ETag)),
		ContentType: opts.ContentType,
		Metadata:    lowerMetadata(opts.Metadata),
	}, nil
}

// Delete removes the key; a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "delete"
	if err := checkKey(op, key); err != nil {
		return err
	}
	_, err := s.c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		err = wrapErr(op, key, err)
		if errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrNoBucket) {
			return nil
		}
		return err
	}
	return nil
}

// checkKey rejects keys S3 cannot store: empty, longer than 1024 bytes, or
// not valid UTF-8.
func checkKey(op, key string) error {
	switch {
	case key == "":
		return storage.Errorf(op, key, storage.ErrInvalidKey, errors.New("empty key"))
	case len(key) > maxKeyLen:
		return storage.Errorf(op, key, storage.ErrInvalidKey,
			fmt.Errorf("key is %d bytes, S3 allows %d", len(key), maxKeyLen))
	case !utf8.ValidString(key):
		return storage.Errorf(op, key, storage.ErrInvalidKey, errors.New("key is not valid UTF-8"))
	}
	return nil
}

// checkMetadata rejects metadata S3 would refuse or mangle: more than 2 KiB
// in all, or keys and values that cannot travel in an HTTP header.
func checkMetadata(op, key string, md map[string]string) error {
	total := 0
	for k, v := range md {
		total += len(k) + len(v)
		if k == "" || !isToken(k) {
			return storage.Errorf(op, key, storage.ErrNotSupported,
				fmt.Errorf("metadata key %q cannot be stored on S3", k))
		}
		if !isHeaderValue(v) {
			return storage.Errorf(op, key, storage.ErrNotSupported,
				fmt.Errorf("metadata value for %q is not printable ASCII", k))
		}
	}
	if total > maxMetadataBytes {
		return storage.Errorf(op, key, storage.ErrTooLarge,
			fmt.Errorf("metadata is %d bytes, S3 allows %d", total, maxMetadataBytes))
	}
	return nil
}

// isToken says whether s is an HTTP header field name.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isHeaderValue says whether s survives as an HTTP header value unchanged:
// printable ASCII with no leading or trailing blanks.
func isHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s == strings.TrimSpace(s)
}

// remaining returns how many bytes r holds from its current position.
func remaining(r io.Seeker) (int64, error) {
	cur, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	end, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	if _, err := r.Seek(cur, io.SeekStart); err != nil {
		return 0, err
	}
	return end - cur, nil
}

// lowerMetadata returns a copy of user metadata with lower-case keys, as S3
// stores them. The SDK has already removed the x-amz-meta- prefix.
func lowerMetadata(md map[string]string) map[string]string {
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[strings.ToLower(k)] = v
	}
	return out
}

func trimETag(etag string) string {
	return strings.Trim(etag, `"`)
}

// quoteETag puts back the quotes S3 expects in If-Match headers.
func quoteETag(etag string) string {
	if etag == "" || etag == "*" || strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// Tags returns the object's tags (GetObjectTagging).
func (s *Store) Tags(ctx context.Context, key string) (map[string]string, error) {
	out, err := s.c.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, wrapErr("tags", key, err)
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}
