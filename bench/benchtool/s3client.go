package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// The baseline client is tuned the way a careful application would tune
// it: plenty of idle connections to the one host, HTTP/1.1 (one TCP
// connection per stream), large socket buffers, CRC32 on uploads instead
// of signing a SHA-256 of every body, no checksum pass over ranged reads.
const (
	maxIdleConns     = 512
	socketBufferSize = 256 << 10
)

// s3Target says where the bucket is.
type s3Target struct {
	endpoint, accessKey, secretKey, region string
	bucket                                 string
}

// addFlags registers -bucket and reads the server from the environment.
func (t *s3Target) addFlags(fs *flag.FlagSet, env environ) {
	t.endpoint = env("CLOUDFUSE_TEST_S3_ENDPOINT")
	t.accessKey = env("CLOUDFUSE_TEST_S3_ACCESS_KEY")
	t.secretKey = env("CLOUDFUSE_TEST_S3_SECRET_KEY")
	t.region = env("CLOUDFUSE_TEST_S3_REGION")
	if t.region == "" {
		t.region = "us-east-1"
	}
	fs.StringVar(&t.bucket, "bucket", "bench", "bucket name")
}

// client builds an S3 client for t; it does no network I/O.
func (t *s3Target) client(ctx context.Context) (*s3.Client, error) {
	if t.endpoint == "" || t.accessKey == "" || t.secretKey == "" {
		return nil, errors.New("CLOUDFUSE_TEST_S3_ENDPOINT, CLOUDFUSE_TEST_S3_ACCESS_KEY and CLOUDFUSE_TEST_S3_SECRET_KEY must be set (scripts/testservers.sh writes them)")
	}
	tune := func(tr *http.Transport) {
		tr.MaxIdleConns = maxIdleConns
		tr.MaxIdleConnsPerHost = maxIdleConns
		tr.MaxConnsPerHost = 0
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		tr.ReadBufferSize = socketBufferSize
		tr.WriteBufferSize = socketBufferSize
		tr.DisableCompression = true
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(tune)),
		config.WithRegion(t.region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(t.accessKey, t.secretKey, "")),
	)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = aws.String(t.endpoint)
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// unsignedPayload is a per-call option for uploads: the CRC32 checksum the
// SDK sends with the body covers it, so the body's SHA-256 is not signed.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("benchtool.UnsignedPayload",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
				middleware.FinalizeOutput, middleware.Metadata, error,
			) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
			}), middleware.Before)
	})
}
