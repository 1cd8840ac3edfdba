package adls

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

const (
	devAccount = "devstoreaccount1"
	devKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// recorder keeps copies of the requests it receives and answers 404, so
// SDK calls end quickly.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r.Clone(context.Background()))
	rec.mu.Unlock()
	w.Header().Set("x-ms-error-code", "BlobNotFound")
	w.WriteHeader(http.StatusNotFound)
}

// Our signer must produce the signature the blob SDK's own Shared Key
// policy puts on the same requests: different verbs, query parameters,
// metadata headers, conditions, ranges and bodies.
func TestSharedKeyMatchesBlobSDK(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cred, err := container.NewSharedKeyCredential(devAccount, devKey)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := container.NewClientWithSharedKeyCredential(srv.URL+"/"+devAccount+"/cont", cred,
		&container.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bb := cc.NewBlockBlobClient("dir/a b+c%d.txt")
	etag := azcore.ETag(`"0x8D"`)
	_, _ = bb.GetProperties(ctx, nil)
	_, _ = bb.Upload(ctx, nopSeekCloser{strings.NewReader("hello")}, &blockblob.UploadOptions{
		Metadata:    map[string]*string{"Mode": to.Ptr("0644"), "hdi_isfolder": to.Ptr("true")},
		HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr("text/plain")},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
			IfNoneMatch: to.Ptr(azcore.ETagAny),
		}},
	})
	_, _ = bb.DownloadStream(ctx, &blob.DownloadStreamOptions{
		Range: blob.HTTPRange{Offset: 5, Count: 10},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
			IfMatch: &etag,
		}},
	})
	_, _ = bb.StageBlock(ctx, "YmxvY2s=", nopSeekCloser{strings.NewReader("block")}, nil)
	_, _ = cc.NewListBlobsHierarchyPager("/", &container.ListBlobsHierarchyOptions{
		Prefix: to.Ptr("dir/"), Include: container.ListBlobsInclude{Metadata: true}, MaxResults: to.Ptr[int32](3),
	}).NextPage(ctx)
	_, _ = bb.Delete(ctx, nil)

	k, err := newSharedKey(devAccount, devKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) < 6 {
		t.Fatalf("recorded %d requests", len(rec.reqs))
	}
	for _, r := range rec.reqs {
		got := "SharedKey " + devAccount + ":" + k.sign(r)
		if want := r.Header.Get("Authorization"); got != want {
			t.Errorf("%s %s: signed %q, SDK signed %q\nstring to sign:\n%s", r.Method, r.URL, got, want, k.stringToSign(r))
		}
	}
}

type nopSeekCloser struct{ *strings.Reader }

func (nopSeekCloser) Close() error { return nil }
