package s3store

import (
	"context"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// Over plain http the SDK signs a SHA-256 of every upload body, a second
// full pass over the data that costs more CPU than the rest of the client
// together. When a CRC32C checksum travels with the body (a signed header)
// the store still verifies every byte, so uploads skip the SHA-256 and sign
// UNSIGNED-PAYLOAD instead, as the SDK itself does over https.
const unsignedPayloadID = "cloudfuse.UnsignedPayload"

// unsignedPayload is a per-call option for uploads that carry a checksum.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc(unsignedPayloadID,
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
				middleware.FinalizeOutput, middleware.Metadata, error,
			) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, "UNSIGNED-PAYLOAD"), in)
			}), middleware.Before)
	})
}

// uploadOptions returns the per-call options for an upload body.
func (s *Store) uploadOptions() []func(*s3.Options) {
	if !s.checksum {
		return nil
	}
	return []func(*s3.Options){unsignedPayload}
}
