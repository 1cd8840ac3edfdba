package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/memstore"
	"github.com/a9de3765/cloudfuse/internal/storage/s3store"
)

// The S3 benchmarks run against the test server scripts/testservers.sh
// starts, named by these variables; without them they are skipped.
const (
	envS3Endpoint  = "CLOUDFUSE_TEST_S3_ENDPOINT"
	envS3AccessKey = "CLOUDFUSE_TEST_S3_ACCESS_KEY"
	envS3SecretKey = "CLOUDFUSE_TEST_S3_SECRET_KEY"
	envS3Region    = "CLOUDFUSE_TEST_S3_REGION"
)

// benchBackend is a store to benchmark on.
type benchBackend struct {
	name string
	open func(b *testing.B) storage.Backend
}

func benchBackends() []benchBackend {
	return []benchBackend{
		{"mem", func(b *testing.B) storage.Backend {
			s := memstore.New(memstore.Options{})
			b.Cleanup(func() { s.Close() })
			return s
		}},
		{"s3", openS3},
	}
}

// openS3 returns a store on a new bucket of the test server, removed when
// the benchmark ends.
func openS3(b *testing.B) storage.Backend {
	b.Helper()
	endpoint := os.Getenv(envS3Endpoint)
	if endpoint == "" {
		b.Skipf("%s is not set; start a server with scripts/testservers.sh start and source its env file", envS3Endpoint)
	}
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	region := os.Getenv(envS3Region)
	if region == "" {
		region = "us-east-1"
	}
	name := make([]byte, 8)
	_, _ = rand.Read(name)
	bucket := "cloudfuse-bench-" + hex.EncodeToString(name)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw := s3.New(s3.Options{
		Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv(envS3AccessKey), os.Getenv(envS3SecretKey), ""),
	})
	if _, err := raw.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		b.Fatalf("create bucket: %v", err)
	}
	s, err := s3store.New(ctx, s3store.Options{
		Bucket: bucket, Endpoint: endpoint, Region: region, UsePathStyle: true,
		AccessKeyID: os.Getenv(envS3AccessKey), SecretAccessKey: os.Getenv(envS3SecretKey),
	})
	if err != nil {
		b.Fatalf("s3store: %v", err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		removeBucket(ctx, b, raw, bucket)
		_ = s.Close()
	})
	return s
}

// removeBucket deletes every object and pending upload in bucket, then the
// bucket.
func removeBucket(ctx context.Context, b *testing.B, c *s3.Client, bucket string) {
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err == nil {
		for _, u := range uploads.Uploads {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId,
			})
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			b.Errorf("list %s: %v", bucket, err)
			return
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		}
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)},
		s3.WithAPIOptions(smithyhttp.AddHeaderValue("X-Minio-Force-Delete", "true")))
	if err != nil {
		b.Errorf("remove bucket %s: %v", bucket, err)
	}
}
