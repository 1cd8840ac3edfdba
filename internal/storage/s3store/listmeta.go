package s3store

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Listings with metadata.
//
// S3 listings carry no user metadata, so the stored mode, owner and times of
// every listed object would cost one HEAD each. MinIO (and other servers
// that adopted its extension) return each object's user metadata in a
// ListObjectsV2 response when asked with metadata=true. We always ask; a
// server that ignores the parameter returns an ordinary listing, which we
// tell apart because its entries carry no <UserMetadata> element, and a
// server that refuses it makes us stop asking.

// listMetaParam is the query parameter that asks for metadata.
const listMetaParam = "metadata"

// listRaw collects the body of one ListObjectsV2 response so that the
// elements the SDK does not model can be read from it.
type listRaw struct{ body []byte }

// listMetaOptions returns the per-call options that add metadata=true to
// the request and keep a copy of the response body in raw.
func listMetaOptions(raw *listRaw) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			ask := middleware.BuildMiddlewareFunc("cloudfuseListMetadata",
				func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
					if req, ok := in.Request.(*smithyhttp.Request); ok {
						q := req.URL.Query()
						q.Set(listMetaParam, "true")
						req.URL.RawQuery = q.Encode()
					}
					return next.HandleBuild(ctx, in)
				})
			if err := st.Build.Add(ask, middleware.After); err != nil {
				return err
			}
			// Added last, this runs next to the transport: it sees each
			// attempt's response before the SDK's deserializer reads it.
			keep := middleware.DeserializeMiddlewareFunc("cloudfuseListBody",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					resp, ok := out.RawResponse.(*smithyhttp.Response)
					if err != nil || !ok || resp.StatusCode != 200 || resp.Body == nil {
						return out, md, err
					}
					body, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr != nil {
						return out, md, rerr
					}
					raw.body = body
					resp.Body = io.NopCloser(bytes.NewReader(body))
					return out, md, nil
				})
			return st.Deserialize.Add(keep, middleware.After)
		})
	}
}

// noUserMetadata is the metadata of every listed object that has none: one
// empty map, not one per object of a listing of millions. Nothing writes
// to the metadata of a listed object.
var noUserMetadata = map[string]string{}

// listedMetadata reads the user metadata of each listed object from a
// ListObjectsV2 response body. The result maps the key as it appears in
// the response (still URL-encoded) to its metadata, with lower-case names
// and no x-amz-meta- prefix; objects without a <UserMetadata> element are
// absent, and a nil map means the server sent none at all.
func listedMetadata(body []byte) (map[string]map[string]string, error) {
	if !bytes.Contains(body, []byte("<UserMetadata")) {
		return nil, nil
	}
	var doc struct {
		Contents []struct {
			Key          string
			UserMetadata *struct {
				Items []struct {
					XMLName xml.Name
					Value   string `xml:",chardata"`
				} `xml:",any"`
			}
		}
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("reading the metadata in a listing: %w", err)
	}
	out := make(map[string]map[string]string, len(doc.Contents))
	for _, c := range doc.Contents {
		if c.UserMetadata == nil {
			continue
		}
		md := noUserMetadata
		for _, it := range c.UserMetadata.Items {
			name := strings.ToLower(it.XMLName.Local)
			if k, ok := strings.CutPrefix(name, "x-amz-meta-"); ok && k != "" {
				if len(md) == 0 {
					md = map[string]string{}
				}
				md[k] = it.Value
			}
		}
		out[c.Key] = md
	}
	return out, nil
}
