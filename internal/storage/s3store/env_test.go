package s3store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The tests run against a real S3 server (MinIO, started by
// scripts/testservers.sh) named by these variables.
const (
	envEndpoint  = "CLOUDFUSE_TEST_S3_ENDPOINT"
	envAccessKey = "CLOUDFUSE_TEST_S3_ACCESS_KEY"
	envSecretKey = "CLOUDFUSE_TEST_S3_SECRET_KEY"
	envRegion    = "CLOUDFUSE_TEST_S3_REGION"
)

func TestMain(m *testing.M) {
	// Never probe for instance metadata from a test.
	_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Exit(m.Run())
}

// inCI says whether this is a CI run, where a missing test server is a
// failure, never a reason to skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// serverOptions returns options for the test server without a bucket. It
// skips the test when no server is configured, except in CI, where that
// fails the test.
func serverOptions(t testing.TB) Options {
	t.Helper()
	endpoint := os.Getenv(envEndpoint)
	if endpoint == "" {
		if inCI() {
			t.Fatalf("%s is not set: CI must run the S3 tests against MinIO (make test starts it)", envEndpoint)
		}
		t.Skipf("%s is not set; start a server with scripts/testservers.sh start and source its env file", envEndpoint)
	}
	region := os.Getenv(envRegion)
	if region == "" {
		region = "us-east-1"
	}
	return Options{
		Endpoint:        endpoint,
		Region:          region,
		UsePathStyle:    true,
		AccessKeyID:     os.Getenv(envAccessKey),
		SecretAccessKey: os.Getenv(envSecretKey),
		MaxBackoff:      200 * time.Millisecond,
	}
}

// randomBucket returns a fresh bucket name.
func randomBucket() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "cloudfuse-test-" + hex.EncodeToString(b)
}

// newTestStore creates a new empty bucket on the test server and returns a
// store on it. The bucket and everything in it are removed when the test
// ends.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	opts := serverOptions(t)
	opts.Bucket = randomBucket()
	return newStoreWithBucket(t, opts)
}

// newStoreWithBucket creates opts.Bucket and returns a store on it.
func newStoreWithBucket(t testing.TB, opts Options) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := New(ctx, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if _, err := s.c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(opts.Bucket)}); err != nil {
		t.Fatalf("create bucket %s: %v", opts.Bucket, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := removeBucket(ctx, s.c.s3, opts.Bucket); err != nil {
			t.Errorf("remove bucket %s: %v", opts.Bucket, err)
		}
		_ = s.Close()
	})
	return s
}

// removeBucket deletes every object and pending upload in bucket, then the
// bucket itself.
func removeBucket(ctx context.Context, c *s3.Client, bucket string) error {
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return err
	}
	for _, u := range uploads.Uploads {
		if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId,
		}); err != nil {
			return err
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			return errors.New(aws.ToString(out.Errors[0].Message))
		}
	}
	// MinIO hides an object whose key extends another object's key ("a"
	// and "a/b") from listings; force-delete removes it too.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)},
		s3.WithAPIOptions(smithyhttp.AddHeaderValue("X-Minio-Force-Delete", "true")))
	return err
}
