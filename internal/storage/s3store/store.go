// Package s3store is the storage.Backend for Amazon S3 and S3-compatible
// stores (MinIO and others), built on aws-sdk-go-v2.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// S3 limits.
const (
	maxKeyLen        = 1024
	minPartSize      = 5 << 20
	maxPartSize      = 5 << 30
	maxParts         = 10000
	maxPutSize       = 5 << 30
	maxMetadataBytes = 2 << 10

	// A single CopyObject handles sources up to 5 GiB; larger ones are
	// copied part by part with UploadPartCopy.
	defaultCopyThreshold   = 5 << 30
	defaultCopyPartSize    = 512 << 20
	defaultCopyConcurrency = 4

	// defaultGetResumes is how often one Get body reconnects after its
	// connection breaks mid-stream.
	defaultGetResumes = 3
)

// Store is a storage.Backend on one S3 bucket. It is safe for concurrent use.
type Store struct {
	opts     Options
	c        *client
	bucket   string
	endpoint string
	log      *slog.Logger
	checksum bool

	// Sources larger than copyThreshold are copied with multipart copy in
	// copyPartSize parts, copyConcurrency at a time. Tests lower these to
	// exercise that path with small objects.
	copyThreshold   int64
	copyPartSize    int64
	copyConcurrency int
	getResumes      int

	// noListMeta is set once the server refuses metadata in listings.
	noListMeta atomic.Bool
}

var _ storage.Backend = (*Store)(nil)

// New returns a store for opts.Bucket. It does no network I/O: use
// CheckBucket to find out whether the bucket exists and is reachable.
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.Bucket == "" {
		return nil, errors.New("no bucket name given (bucket-name)")
	}
	if err := checkEndpoint(opts.Endpoint); err != nil {
		return nil, err
	}
	c, err := newClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		opts:            opts,
		c:               c,
		bucket:          opts.Bucket,
		endpoint:        opts.Endpoint,
		log:             opts.logger(),
		checksum:        !opts.DisableChecksum,
		copyThreshold:   defaultCopyThreshold,
		copyPartSize:    defaultCopyPartSize,
		copyConcurrency: defaultCopyConcurrency,
		getResumes:      defaultGetResumes,
	}
	s.noListMeta.Store(opts.NoListMetadata)
	return s, nil
}

func checkEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not an http:// or https:// URL", endpoint)
	}
	return nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// CheckBucket makes sure the bucket exists and the credentials may use it. A
// missing bucket is storage.ErrNoBucket, refused credentials are
// storage.ErrPermission; an endpoint that does not answer is reported as such.
func (s *Store) CheckBucket(ctx context.Context) error {
	err := s.headBucket(ctx)
	if region := bucketRegion(err); region != "" && s.c.regionGuessed {
		// No region was given: use the bucket's, as the AWS CLI does.
		opts := s.opts
		opts.Region = region
		c, cerr := newClient(ctx, opts)
		if cerr != nil {
			return cerr
		}
		s.c.transport.CloseIdleConnections()
		s.c, s.opts = c, opts
		s.log.Info("no region given; using the bucket's", "bucket", s.bucket, "region", region)
		err = s.headBucket(ctx)
	}
	if err == nil {
		return nil
	}
	const op = "check"
	var re *awshttp.ResponseError
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) || !errors.As(err, &re) || re.HTTPStatusCode() == 0 {
		if ctx.Err() != nil {
			return storage.Errorf(op, s.bucket, nil, err)
		}
		where := s.endpoint
		if where == "" {
			where = "S3"
		}
		return storage.Errorf(op, s.bucket, nil, fmt.Errorf("cannot reach %s: %w", where, err))
	}
	switch re.HTTPStatusCode() {
	case http.StatusNotFound:
		return storage.Errorf(op, s.bucket, storage.ErrNoBucket, err)
	case http.StatusUnauthorized, http.StatusForbidden:
		return storage.Errorf(op, s.bucket, storage.ErrPermission, err)
	case http.StatusMovedPermanently, http.StatusBadRequest:
		if region := re.Response.Header.Get("X-Amz-Bucket-Region"); region != "" {
			return storage.Errorf(op, s.bucket, nil,
				fmt.Errorf("bucket is in region %s; set the region to match: %w", region, err))
		}
		if re.HTTPStatusCode() == http.StatusBadRequest {
			// A HEAD answer has no body: 400 without a region is what S3
			// and MinIO answer to a name that cannot be a bucket.
			return storage.Errorf(op, s.bucket, storage.ErrInvalidKey,
				errors.New("the store refused the bucket name (400 Bad Request); bucket names are 3 to 63 "+
					"lowercase letters, digits, dots and hyphens"))
		}
	}
	return wrapErr(op, s.bucket, err)
}

func (s *Store) headBucket(ctx context.Context) error {
	_, err := s.c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)},
		func(o *s3.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 2) })
	return err
}

// bucketRegion is the region a refused request says the bucket is in
// (S3 answers a request signed for another region with 301 or 400 and
// the bucket's region in a header), or "".
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return ""
	}
	switch re.HTTPStatusCode() {
	case http.StatusMovedPermanently, http.StatusBadRequest:
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// SetCredentials replaces the access keys (and the session token of
// temporary ones) the store signs with; requests
// already sent finish with the old ones. It works when the store was made
// with keys in its options; credentials from the SDK's chain (profiles,
// web identity, instance roles) are refreshed by the SDK itself.
func (s *Store) SetCredentials(keyID, secret, token string) error {
	switch {
	case s.c.keys == nil:
		return errors.New("the credentials come from the AWS SDK's chain, which refreshes them itself; key-id and secret-key were not set at mount")
	case keyID == "" || secret == "":
		return errors.New("key-id and secret-key must both be set")
	}
	s.c.keys.set(keyID, secret, token)
	return nil
}

// Region is the region requests are signed for.
func (s *Store) Region() string { return s.c.s3.Options().Region }

// ListBuckets returns the names of the buckets the credentials in opts can
// see (opts.Bucket is ignored).
func ListBuckets(ctx context.Context, opts Options) ([]string, error) {
	if err := checkEndpoint(opts.Endpoint); err != nil {
		return nil, err
	}
	c, err := newClient(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer c.transport.CloseIdleConnections()
	var names []string
	p := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list-buckets", "", err)
		}
		for _, b := range page.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
	}
	return names, nil
}

// Caps describes S3's limits. MinIO and AWS both honour If-None-Match and
// If-Match on PutObject and CompleteMultipartUpload.
func (s *Store) Caps() storage.Caps {
	return storage.Caps{
		Name:              "s3",
		MaxKeyLen:         maxKeyLen,
		MinPartSize:       minPartSize,
		MaxPartSize:       maxPartSize,
		MaxParts:          maxParts,
		MaxPutSize:        maxPutSize,
		MaxMetadataBytes:  maxMetadataBytes,
		ConditionalCreate: true,
		ConditionalWrite:  true,
		ListMetadata:      false,
	}
}

// Close releases idle connections. In-flight calls finish normally.
func (s *Store) Close() error {
	s.c.transport.CloseIdleConnections()
	return nil
}
