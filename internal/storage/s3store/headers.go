package s3store

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// checkSecurity checks the encryption options.
func (o Options) checkSecurity() error {
	switch o.SSE {
	case "", SSES3, SSEKMS:
	default:
		return fmt.Errorf("server-side encryption %q is not one of %s or %s", o.SSE, SSES3, SSEKMS)
	}
	if o.SSEKMSKeyID != "" && o.SSE != SSEKMS {
		return fmt.Errorf("a KMS key id needs server-side encryption %s", SSEKMS)
	}
	if n := len(o.SSECustomerKey); n != 0 && n != 32 {
		return fmt.Errorf("the SSE-C key is %d bytes; it must be 32 (AES-256)", n)
	}
	if len(o.SSECustomerKey) > 0 && o.SSE != "" {
		return fmt.Errorf("server-side encryption %s and an SSE-C key cannot be used together", o.SSE)
	}
	return nil
}

// Operations whose request creates an object, and those that read or
// write one's bytes (SSE-C needs the key on each).
var (
	creates = map[string]bool{"PutObject": true, "CreateMultipartUpload": true, "CopyObject": true}
	touches = map[string]bool{"PutObject": true, "CreateMultipartUpload": true, "CopyObject": true,
		"UploadPart": true, "UploadPartCopy": true, "CompleteMultipartUpload": true,
		"GetObject": true, "HeadObject": true}
	copies = map[string]bool{"CopyObject": true, "UploadPartCopy": true}
)

// headers returns the header values the options add to a request of the
// operation op.
func (o Options) headers(op string) http.Header {
	h := http.Header{}
	if o.RequesterPays {
		h.Set("X-Amz-Request-Payer", "requester")
	}
	if o.ExpectedBucketOwner != "" {
		h.Set("X-Amz-Expected-Bucket-Owner", o.ExpectedBucketOwner)
		if copies[op] {
			h.Set("X-Amz-Source-Expected-Bucket-Owner", o.ExpectedBucketOwner)
		}
	}
	if creates[op] {
		if o.SSE != "" {
			h.Set("X-Amz-Server-Side-Encryption", o.SSE)
		}
		if o.SSEKMSKeyID != "" {
			h.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", o.SSEKMSKeyID)
		}
		if o.StorageClass != "" {
			h.Set("X-Amz-Storage-Class", o.StorageClass)
		}
	}
	if k := o.SSECustomerKey; len(k) > 0 && touches[op] {
		sum := md5.Sum(k)
		key, md := base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])
		prefixes := []string{"X-Amz-Server-Side-Encryption-Customer-"}
		if copies[op] {
			prefixes = append(prefixes, "X-Amz-Copy-Source-Server-Side-Encryption-Customer-")
		}
		for _, p := range prefixes {
			h.Set(p+"Algorithm", "AES256")
			h.Set(p+"Key", key)
			h.Set(p+"Key-Md5", md)
		}
	}
	return h
}

// addHeaders is an API option that adds the options' headers to every
// request before it is signed.
func (o Options) addHeaders(stack *middleware.Stack) error {
	return stack.Build.Add(middleware.BuildMiddlewareFunc("cloudfuseHeaders",
		func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				for k, v := range o.headers(middleware.GetOperationName(ctx)) {
					req.Header[k] = v
				}
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
}
