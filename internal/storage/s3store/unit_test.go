package s3store

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// selfSignedPEM returns a throwaway CA certificate in PEM form.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cloudfuse test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// responseErr builds the error the SDK returns for an HTTP error response.
func responseErr(status int, code string) error {
	var inner error = &smithy.GenericAPIError{Code: code, Message: "test"}
	if code == "" {
		inner = errors.New("no body")
	}
	return &smithy.OperationError{
		ServiceID:     "S3",
		OperationName: "Test",
		Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      inner,
			},
		},
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		status int
		code   string
		want   error
	}{
		{404, "NoSuchKey", storage.ErrNotFound},
		{404, "NotFound", storage.ErrNotFound},
		{404, "", storage.ErrNotFound},
		{404, "NoSuchBucket", storage.ErrNoBucket},
		{404, "NoSuchUpload", storage.ErrNotFound},
		{412, "PreconditionFailed", storage.ErrPrecondition},
		{412, "", storage.ErrPrecondition},
		{409, "ConditionalRequestConflict", storage.ErrPrecondition},
		{403, "AccessDenied", storage.ErrPermission},
		{403, "SignatureDoesNotMatch", storage.ErrPermission},
		{403, "InvalidAccessKeyId", storage.ErrPermission},
		{403, "", storage.ErrPermission},
		{503, "SlowDown", storage.ErrThrottled},
		{503, "", storage.ErrThrottled},
		{429, "", storage.ErrThrottled},
		{416, "InvalidRange", storage.ErrInvalidRange},
		{416, "", storage.ErrInvalidRange},
		{501, "NotImplemented", storage.ErrNotSupported},
		{400, "EntityTooLarge", storage.ErrTooLarge},
		{400, "KeyTooLongError", storage.ErrInvalidKey},
		{500, "InternalError", nil},
		{400, "MalformedXML", nil},
	}
	sentinels := []error{storage.ErrNotFound, storage.ErrNoBucket, storage.ErrPrecondition,
		storage.ErrPermission, storage.ErrThrottled, storage.ErrInvalidRange,
		storage.ErrNotSupported, storage.ErrTooLarge, storage.ErrInvalidKey}
	for _, c := range cases {
		sdkErr := responseErr(c.status, c.code)
		err := wrapErr("get", "k", sdkErr)
		for _, s := range sentinels {
			if got := errors.Is(err, s); got != (s == c.want) {
				t.Errorf("%d %s: errors.Is(%v) = %v", c.status, c.code, s, got)
			}
		}
		if !errors.Is(err, sdkErr) {
			t.Errorf("%d %s: the SDK error is lost", c.status, c.code)
		}
		var se *storage.Error
		if !errors.As(err, &se) || se.Op != "get" || se.Key != "k" {
			t.Errorf("%d %s: not a *storage.Error for get k: %v", c.status, c.code, err)
		}
	}
	if kindOf(fmt.Errorf("op: %w", errors.New("connection refused"))) != nil {
		t.Error("a network error got a sentinel")
	}
}

func TestEscapeKey(t *testing.T) {
	cases := map[string]string{
		"a/b/c.txt":  "a/b/c.txt",
		"plus+sign":  "plus%2Bsign",
		"sp ace":     "sp%20ace",
		"per%cent":   "per%25cent",
		"hash#?&=":   "hash%23%3F%26%3D",
		"ü":          "%C3%BC",
		"~_-.":       "~_-.",
		"dir/a b+c/": "dir/a%20b%2Bc/",
	}
	for in, want := range cases {
		if got := storage.EscapeKey(in); got != want {
			t.Errorf("EscapeKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRangeTotal(t *testing.T) {
	if n, ok := rangeTotal("bytes 0-99/1234"); !ok || n != 1234 {
		t.Fatalf("got %d %v", n, ok)
	}
	if _, ok := rangeTotal(""); ok {
		t.Fatal("empty header parsed")
	}
	if _, ok := rangeTotal("bytes 0-99/*"); ok {
		t.Fatal("unknown total parsed")
	}
}

func TestCheckKey(t *testing.T) {
	for _, bad := range []string{"", strings.Repeat("k", maxKeyLen+1), "bad\xffutf8"} {
		if err := checkKey("put", bad); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("checkKey(%q) = %v", bad, err)
		}
	}
	if err := checkKey("put", strings.Repeat("k", maxKeyLen)); err != nil {
		t.Errorf("1024-byte key rejected: %v", err)
	}
}

func TestQuoteETag(t *testing.T) {
	for in, want := range map[string]string{"": "", "*": "*", "abc": `"abc"`, `"abc"`: `"abc"`, "abc-3": `"abc-3"`} {
		if got := quoteETag(in); got != want {
			t.Errorf("quoteETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	var o Options
	if o.maxAttempts() != defaultMaxRetries+1 || o.maxBackoff() != defaultMaxBackoff || o.idleTimeout() != defaultIdleTimeout {
		t.Fatal("zero Options do not give the defaults")
	}
	o.MaxRetries = -1
	if o.maxAttempts() != 1 {
		t.Fatal("negative MaxRetries should disable retries")
	}
	o.MaxRetries = 2
	if o.maxAttempts() != 3 {
		t.Fatal("MaxRetries 2 should give 3 attempts")
	}
}
