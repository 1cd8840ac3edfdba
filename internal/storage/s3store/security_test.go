package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// writeThreeWays stores an object by Put, by a multipart upload and by a
// server-side copy, and returns their keys.
func writeThreeWays(t *testing.T, s *Store) []string {
	t.Helper()
	ctx := t.Context()
	storagetest.MustPut(t, s, "put", []byte("small object"))
	up, err := s.CreateUpload(ctx, "multi", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []storage.Part
	for n, body := range [][]byte{bytes.Repeat([]byte("a"), 5<<20), []byte("tail")} {
		p, err := up.WritePart(ctx, n+1, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	if _, err := up.Complete(ctx, parts); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(ctx, "put", "copied", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	return []string{"put", "multi", "copied"}
}

// SSE-S3 and SSE-KMS: every object written (put, multipart, copy) is
// stored encrypted, as the store's HEAD says.
func TestServerSideEncryption(t *testing.T) {
	srv := secureMinIO(t)
	for _, c := range []struct{ sse, keyID string }{{SSES3, ""}, {SSEKMS, testKMSKey}} {
		t.Run(c.sse, func(t *testing.T) {
			o := srv.options(t)
			o.SSE, o.SSEKMSKeyID = c.sse, c.keyID
			s := newSecureStore(t, o)
			for _, key := range writeThreeWays(t, s) {
				out, err := s.c.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
				if err != nil {
					t.Fatal(err)
				}
				if string(out.ServerSideEncryption) != c.sse {
					t.Errorf("%s: server-side encryption %q, want %q", key, out.ServerSideEncryption, c.sse)
				}
				if c.keyID != "" && !strings.Contains(aws.ToString(out.SSEKMSKeyId), c.keyID) {
					t.Errorf("%s: KMS key %q, want %q", key, aws.ToString(out.SSEKMSKeyId), c.keyID)
				}
			}
			if got := storagetest.MustGet(t, s, "copied"); string(got) != "small object" {
				t.Errorf("read back %q", got)
			}
		})
	}
}

// SSE-C: objects written with a customer key read back with it, ranged
// reads included, and cannot be read without it.
func TestCustomerKeyEncryption(t *testing.T) {
	srv := secureMinIO(t)
	o := srv.options(t)
	o.SSECustomerKey = bytes.Repeat([]byte{7}, 32)
	s := newSecureStore(t, o)
	keys := writeThreeWays(t, s)
	if got := storagetest.MustGet(t, s, "copied"); string(got) != "small object" {
		t.Errorf("read back %q", got)
	}
	r, obj, err := s.Get(t.Context(), "multi", storage.GetOptions{Offset: 5 << 20, Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(r)
	r.Close()
	if string(tail) != "tail" || obj.Size != 5<<20+4 {
		t.Errorf("ranged read %q of %d bytes", tail, obj.Size)
	}
	plain := o
	plain.SSECustomerKey = nil
	plain.Bucket = s.bucket
	ps := mustNew(t, plain)
	for _, key := range keys {
		if _, _, err := ps.Get(t.Context(), key, storage.GetOptions{Length: -1}); err == nil {
			t.Errorf("%s read without the key", key)
		}
	}
	o.SSECustomerKey, o.Bucket = []byte("short"), s.bucket
	if _, err := New(t.Context(), o); err == nil || !strings.Contains(err.Error(), "must be 32") {
		t.Errorf("a short key: %v", err)
	}
}

// With no region given, the store signs for the bucket's own region,
// found from the store's answer, as the AWS CLI does.
func TestRegionFoundFromTheBucket(t *testing.T) {
	srv := secureMinIO(t)
	o := srv.options(t)
	s := newSecureStore(t, o)
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	o.Region = ""
	o.Bucket = s.bucket
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := mustNew(t, o)
	if err := ns.CheckBucket(ctx); err != nil {
		t.Fatalf("check with no region: %v", err)
	}
	if ns.Region() != testRegion {
		t.Errorf("region %q, want %q", ns.Region(), testRegion)
	}
	storagetest.MustPut(t, ns, "k", []byte("v"))
	// A region given but wrong is not replaced: the user is told.
	o.Region = "us-east-1"
	ws := mustNew(t, o)
	if err := ws.CheckBucket(ctx); err == nil || !strings.Contains(err.Error(), "bucket is in region "+testRegion) {
		t.Errorf("check with a wrong region: %v", err)
	}
}

// Storage class goes with every request that creates an object, the
// requester-pays and expected-owner headers with every request.
func TestBillingAndOwnerHeaders(t *testing.T) {
	base := newTestStore(t)
	o := serverOptions(t)
	endpoint, seen := recordingProxy(t, o.Endpoint)
	o.Endpoint, o.Bucket = endpoint, base.bucket
	o.StorageClass, o.RequesterPays = "STANDARD", true
	s := mustNew(t, o)
	writeThreeWays(t, s)
	storagetest.MustGet(t, s, "put")
	if _, err := s.List(t.Context(), storage.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	creates := 0
	for _, h := range seen() {
		if h.Get("X-Amz-Request-Payer") != "requester" {
			t.Errorf("%s ?%s without x-amz-request-payer", h.Get("X-Test-Method"), h.Get("X-Test-Query"))
		}
		create := h.Get("X-Test-Method") == "PUT" && !strings.Contains(h.Get("X-Test-Query"), "partNumber") ||
			h.Get("X-Test-Method") == "POST" && strings.Contains(h.Get("X-Test-Query"), "uploads")
		if create {
			creates++
			if h.Get("X-Amz-Storage-Class") != "STANDARD" {
				t.Errorf("%s ?%s without the storage class", h.Get("X-Test-Method"), h.Get("X-Test-Query"))
			}
		}
	}
	if creates != 3 {
		t.Errorf("%d requests created objects, want 3", creates)
	}

	// The expected owner: MinIO does not check it, so look at the requests.
	o.StorageClass, o.RequesterPays, o.ExpectedBucketOwner = "", false, "111122223333"
	before := len(seen())
	s2 := mustNew(t, o)
	storagetest.MustGet(t, s2, "put")
	if _, err := s2.Copy(t.Context(), "put", "again", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, h := range seen()[before:] {
		if h.Get("X-Amz-Expected-Bucket-Owner") != "111122223333" {
			t.Errorf("%s without the expected owner", h.Get("X-Test-Method"))
		}
		if h.Get("X-Amz-Copy-Source") != "" && h.Get("X-Amz-Source-Expected-Bucket-Owner") != "111122223333" {
			t.Error("a copy without the source's expected owner")
		}
	}
}

// Anonymous access reads a public bucket without credentials, and is
// refused by a private one.
func TestAnonymousAccess(t *testing.T) {
	pub := newTestStore(t)
	storagetest.MustPut(t, pub, "open/data.txt", []byte("public"))
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},` +
		`"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::` + pub.bucket +
		`","arn:aws:s3:::` + pub.bucket + `/*"]}]}`
	if _, err := pub.c.s3.PutBucketPolicy(t.Context(), &s3.PutBucketPolicyInput{Bucket: aws.String(pub.bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	o := serverOptions(t)
	o.AccessKeyID, o.SecretAccessKey, o.Anonymous, o.Bucket = "", "", true, pub.bucket
	anon := mustNew(t, o)
	if err := anon.CheckBucket(t.Context()); err != nil {
		t.Fatalf("check of a public bucket: %v", err)
	}
	if got := storagetest.MustGet(t, anon, "open/data.txt"); string(got) != "public" {
		t.Errorf("read %q", got)
	}
	page, err := anon.List(t.Context(), storage.ListOptions{Prefix: "open/"})
	if err != nil || len(page.Objects) != 1 {
		t.Errorf("list: %+v %v", page, err)
	}
	_, err = anon.Put(t.Context(), "open/new", strings.NewReader("x"), storage.PutOptions{})
	if !errors.Is(err, storage.ErrPermission) {
		t.Errorf("anonymous write to a read-only public bucket: %v", err)
	}
	o.Bucket = newTestStore(t).bucket
	priv := mustNew(t, o)
	if err := priv.CheckBucket(t.Context()); !errors.Is(err, storage.ErrPermission) {
		t.Errorf("anonymous check of a private bucket: %v", err)
	}
}
