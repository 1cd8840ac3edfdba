package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// closedPort returns an address on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func mustNew(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := New(t.Context(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func requireKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v: want %v", err, kind)
	}
}

func TestNewDoesNoNetworkIO(t *testing.T) {
	start := time.Now()
	s, err := New(t.Context(), Options{
		Bucket:       "nothing-listens",
		Endpoint:     "http://" + closedPort(t),
		AccessKeyID:  "k",
		UsePathStyle: true,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("New took %v", d)
	}
	if _, err := New(t.Context(), Options{Bucket: "b", Endpoint: "127.0.0.1:9000"}); err == nil {
		t.Fatal("New accepted an endpoint without a scheme")
	}
	if _, err := New(t.Context(), Options{}); err == nil {
		t.Fatal("New accepted an empty bucket name")
	}
}

func TestCheckBucket(t *testing.T) {
	s := newTestStore(t)
	if err := s.CheckBucket(t.Context()); err != nil {
		t.Fatalf("existing bucket: %v", err)
	}

	opts := serverOptions(t)
	opts.Bucket = randomBucket()
	requireKind(t, mustNew(t, opts).CheckBucket(t.Context()), storage.ErrNoBucket)

	opts.Bucket = s.Bucket()
	opts.SecretAccessKey = "not-the-secret"
	requireKind(t, mustNew(t, opts).CheckBucket(t.Context()), storage.ErrPermission)

	opts = serverOptions(t)
	opts.Bucket = s.Bucket()
	opts.Endpoint = "http://" + closedPort(t)
	err := mustNew(t, opts).CheckBucket(t.Context())
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("unreachable endpoint: got %v, want a 'cannot reach' error", err)
	}
	for _, kind := range []error{storage.ErrNoBucket, storage.ErrPermission, storage.ErrNotFound} {
		if errors.Is(err, kind) {
			t.Fatalf("unreachable endpoint reported as %v", kind)
		}
	}
}

func TestListBuckets(t *testing.T) {
	s := newTestStore(t)
	names, err := ListBuckets(t.Context(), serverOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, s.Bucket()) {
		t.Fatalf("ListBuckets = %v, missing %s", names, s.Bucket())
	}
}

// clearAWSEnv empties the variables the SDK's default chain reads, so a
// test sees only what it sets.
func clearAWSEnv(t *testing.T) {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(v, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none-credentials"))
}

func TestDefaultCredentialChain(t *testing.T) {
	s := newTestStore(t)
	server := serverOptions(t)
	bare := Options{Bucket: s.Bucket(), Endpoint: server.Endpoint, UsePathStyle: true}

	t.Run("environment", func(t *testing.T) {
		clearAWSEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", server.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", server.SecretAccessKey)
		t.Setenv("AWS_REGION", server.Region)
		if err := mustNew(t, bare).CheckBucket(t.Context()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("shared files and profile", func(t *testing.T) {
		clearAWSEnv(t)
		dir := t.TempDir()
		config := filepath.Join(dir, "config")
		creds := filepath.Join(dir, "credentials")
		writeFile(t, config, "[profile cftest]\nregion = "+server.Region+"\n")
		writeFile(t, creds, "[cftest]\naws_access_key_id = "+server.AccessKeyID+
			"\naws_secret_access_key = "+server.SecretAccessKey+"\n")
		t.Setenv("AWS_CONFIG_FILE", config)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)

		withProfile := bare
		withProfile.Profile = "cftest"
		if err := mustNew(t, withProfile).CheckBucket(t.Context()); err != nil {
			t.Fatalf("Options.Profile: %v", err)
		}
		t.Setenv("AWS_PROFILE", "cftest")
		if err := mustNew(t, bare).CheckBucket(t.Context()); err != nil {
			t.Fatalf("AWS_PROFILE: %v", err)
		}
	})

	t.Run("wrong environment keys", func(t *testing.T) {
		clearAWSEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", server.AccessKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
		requireKind(t, mustNew(t, bare).CheckBucket(t.Context()), storage.ErrPermission)
	})
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A CA bundle in the environment must not stop a plain-http endpoint from
// working.
func TestCABundleWithPlainHTTP(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	writeFile(t, bundle, selfSignedPEM(t))
	t.Setenv("AWS_CA_BUNDLE", bundle)

	s := newTestStore(t)
	storagetest.MustPut(t, s, "k", []byte("with a CA bundle"))
	storagetest.MustContain(t, s, "k", []byte("with a CA bundle"))
}

func TestSpecialKeys(t *testing.T) {
	s := newTestStore(t)
	keys := []string{
		"plus+sign", "per%cent", "per%25cent", "hash#tag", "sp ace", "two  spaces",
		"q?mark", "amp&er=eq", "uni-ü-日本", "tilde~x", "semi;colon", "brackets[1]{2}",
		"quote\"s'", "star*", "dir with space/file+1", "a/b%2Fc", "emoji-😀",
	}
	for _, k := range keys {
		storagetest.MustPut(t, s, k, []byte(k))
		if obj := storagetest.MustHead(t, s, k); obj.Key != k || obj.Size != int64(len(k)) {
			t.Fatalf("head %q = %+v", k, obj)
		}
		storagetest.MustContain(t, s, k, []byte(k))
		dst := "copied/" + k
		if _, err := s.Copy(t.Context(), k, dst, storage.CopyOptions{}); err != nil {
			t.Fatalf("copy %q: %v", k, err)
		}
		storagetest.MustContain(t, s, dst, []byte(k))
	}
	objs, _ := storagetest.MustListAll(t, s, storage.ListOptions{})
	got := storagetest.Keys(objs)
	for _, k := range keys {
		if !slices.Contains(got, k) || !slices.Contains(got, "copied/"+k) {
			t.Fatalf("listing %q misses %q", got, k)
		}
	}
	// A prefix with special characters selects exactly its keys.
	objs, _ = storagetest.MustListAll(t, s, storage.ListOptions{Prefix: "plus+"})
	if k := storagetest.Keys(objs); !slices.Equal(k, []string{"plus+sign"}) {
		t.Fatalf("prefix plus+: %q", k)
	}
	objs, _ = storagetest.MustListAll(t, s, storage.ListOptions{Prefix: "sp "})
	if k := storagetest.Keys(objs); !slices.Equal(k, []string{"sp ace"}) {
		t.Fatalf("prefix 'sp ': %q", k)
	}
	for _, k := range keys {
		if err := s.Delete(t.Context(), k); err != nil {
			t.Fatalf("delete %q: %v", k, err)
		}
		storagetest.MustNotExist(t, s, k)
	}
}

func TestMetadataKeysLowerCase(t *testing.T) {
	s := newTestStore(t)
	md := map[string]string{"Mode": "0644", "X-Owner": "me", "uid": "1000"}
	want := map[string]string{"mode": "0644", "x-owner": "me", "uid": "1000"}
	put := storagetest.MustPutOpts(t, s, "k", []byte("x"), storage.PutOptions{Metadata: md, ContentType: "text/plain"})
	if !storagetest.EqualMetadata(put.Metadata, want) {
		t.Fatalf("Put returned metadata %v, want %v", put.Metadata, want)
	}
	head := storagetest.MustHead(t, s, "k")
	if !storagetest.EqualMetadata(head.Metadata, want) || head.ContentType != "text/plain" {
		t.Fatalf("Head = %+v, want metadata %v", head, want)
	}
	_, err := s.Put(t.Context(), "bad", bytes.NewReader(nil), storage.PutOptions{Metadata: map[string]string{"k": "caf\u00e9"}})
	requireKind(t, err, storage.ErrNotSupported)
	_, err = s.Put(t.Context(), "big", bytes.NewReader(nil), storage.PutOptions{Metadata: map[string]string{"k": strings.Repeat("v", 3000)}})
	requireKind(t, err, storage.ErrTooLarge)
}

// Uploads carry CRC32C checksums, and the server keeps them.
func TestUploadsCarryCRC32C(t *testing.T) {
	s := newTestStore(t)
	storagetest.MustPut(t, s, "single", storagetest.Data(1, 1<<20))
	part := int(minPartSize)
	storagetest.MustUpload(t, s, "multi", [][]byte{storagetest.Data(2, part), storagetest.Data(3, 1000)}, storage.PutOptions{})
	for _, k := range []string{"single", "multi"} {
		out, err := s.c.s3.HeadObject(t.Context(), &s3.HeadObjectInput{
			Bucket: aws.String(s.Bucket()), Key: aws.String(k), ChecksumMode: types.ChecksumModeEnabled,
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.ChecksumCRC32C) == "" {
			t.Fatalf("%s: server has no CRC32C checksum", k)
		}
	}

	// The body is covered by the signed CRC32C header, so it is not also
	// hashed with SHA-256; without checksums it is.
	opts := serverOptions(t)
	opts.Bucket = s.Bucket()
	endpoint, seen := recordingProxy(t, opts.Endpoint)
	opts.Endpoint = endpoint
	storagetest.MustPut(t, mustNew(t, opts), "checked", []byte("with checksum"))
	storagetest.MustUpload(t, mustNew(t, opts), "checked-multi", [][]byte{[]byte("part")}, storage.PutOptions{})
	opts.DisableChecksum = true
	plain := mustNew(t, opts)
	storagetest.MustPut(t, plain, "unchecked", []byte("no checksum"))
	storagetest.MustContain(t, plain, "unchecked", []byte("no checksum"))
	hs := withMethod(seen(), http.MethodPut)
	if len(hs) != 3 {
		t.Fatalf("saw %d PUT requests, want 3", len(hs))
	}
	for i, h := range hs[:2] {
		if h.Get("X-Amz-Checksum-Crc32c") == "" || h.Get("X-Amz-Content-Sha256") != "UNSIGNED-PAYLOAD" {
			t.Errorf("upload %d headers: crc32c %q, content-sha256 %q", i,
				h.Get("X-Amz-Checksum-Crc32c"), h.Get("X-Amz-Content-Sha256"))
		}
	}
	if h := hs[2]; h.Get("X-Amz-Checksum-Crc32c") != "" || len(h.Get("X-Amz-Content-Sha256")) != 64 {
		t.Errorf("unchecked upload headers: crc32c %q, content-sha256 %q",
			h.Get("X-Amz-Checksum-Crc32c"), h.Get("X-Amz-Content-Sha256"))
	}
}

// Sources above the threshold are copied with UploadPartCopy; lower it so
// a small object takes that path.
func TestMultipartCopy(t *testing.T) {
	s := newTestStore(t)
	s.copyThreshold = 1 << 20
	s.copyPartSize = minPartSize
	data := storagetest.Data(7, 2*minPartSize+12345)
	md := map[string]string{"mode": "0600"}
	src := storagetest.MustPutOpts(t, s, "src", data, storage.PutOptions{Metadata: md, ContentType: "application/x-test"})

	obj, err := s.Copy(t.Context(), "src", "dst", storage.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(obj.ETag, "-3") {
		t.Fatalf("copy ETag %q: want a 3-part multipart ETag", obj.ETag)
	}
	storagetest.MustContain(t, s, "dst", data)
	head := storagetest.MustHead(t, s, "dst")
	if head.ETag != obj.ETag || head.Size != int64(len(data)) || !storagetest.EqualMetadata(head.Metadata, md) ||
		head.ContentType != "application/x-test" {
		t.Fatalf("dst = %+v, copy returned %+v", head, obj)
	}

	// New metadata, onto itself.
	md2 := map[string]string{"mode": "0644", "uid": "7"}
	if _, err := s.Copy(t.Context(), "dst", "dst", storage.CopyOptions{Metadata: md2}); err != nil {
		t.Fatal(err)
	}
	storagetest.MustContain(t, s, "dst", data)
	if head := storagetest.MustHead(t, s, "dst"); !storagetest.EqualMetadata(head.Metadata, md2) {
		t.Fatalf("metadata after self-copy %v, want %v", head.Metadata, md2)
	}

	_, err = s.Copy(t.Context(), "src", "other", storage.CopyOptions{IfMatch: "0123456789abcdef"})
	requireKind(t, err, storage.ErrPrecondition)
	if _, err := s.Copy(t.Context(), "src", "other", storage.CopyOptions{IfMatch: src.ETag}); err != nil {
		t.Fatalf("copy with matching IfMatch: %v", err)
	}
	storagetest.MustContain(t, s, "other", data)
}

func TestCopyOntoItselfUnchanged(t *testing.T) {
	s := newTestStore(t)
	md := map[string]string{"mode": "0600"}
	storagetest.MustPutOpts(t, s, "k", []byte("data"), storage.PutOptions{Metadata: md, ContentType: "text/x-kept"})
	if _, err := s.Copy(t.Context(), "k", "k", storage.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	head := storagetest.MustHead(t, s, "k")
	if !storagetest.EqualMetadata(head.Metadata, md) || head.ContentType != "text/x-kept" {
		t.Fatalf("after self-copy: %+v", head)
	}
}

func TestRetriesConnectionReset(t *testing.T) {
	server := serverOptions(t)
	s := newTestStore(t)
	storagetest.MustPut(t, s, "k", []byte("survives resets"))

	p := newFaultProxy(t, server.Endpoint, func(n int) fault { return fault{reset: n <= 2} })
	opts := server
	opts.Bucket = s.Bucket()
	opts.Endpoint = p.endpoint()
	storagetest.MustContain(t, mustNew(t, opts), "k", []byte("survives resets"))
	if n := p.accepted(); n < 3 {
		t.Fatalf("proxy saw %d connections, want at least 3", n)
	}

	// Without retries the reset reaches the caller.
	p = newFaultProxy(t, server.Endpoint, func(n int) fault { return fault{reset: true} })
	opts.Endpoint = p.endpoint()
	opts.MaxRetries = -1
	if _, err := mustNew(t, opts).Head(t.Context(), "k"); err == nil {
		t.Fatal("Head through a resetting proxy without retries succeeded")
	}
}

func TestRetriesThrottling(t *testing.T) {
	server := serverOptions(t)
	s := newTestStore(t)
	storagetest.MustPut(t, s, "k", []byte("after the storm"))

	endpoint, seen := throttlingProxy(t, server.Endpoint, 2)
	opts := server
	opts.Bucket = s.Bucket()
	opts.Endpoint = endpoint
	opts.MaxBackoff = 10 * time.Millisecond
	storagetest.MustContain(t, mustNew(t, opts), "k", []byte("after the storm"))
	if n := seen.Load(); n != 3 {
		t.Fatalf("server saw %d requests, want 3", n)
	}

	endpoint, _ = throttlingProxy(t, server.Endpoint, 1000)
	opts.Endpoint = endpoint
	opts.MaxRetries = -1
	_, err := mustNew(t, opts).Head(t.Context(), "k")
	requireKind(t, err, storage.ErrThrottled)
}

func TestStalledConnectionTimesOut(t *testing.T) {
	server := serverOptions(t)
	p := newFaultProxy(t, server.Endpoint, func(int) fault { return fault{stall: true} })
	opts := server
	opts.Bucket = "any"
	opts.Endpoint = p.endpoint()
	opts.IdleTimeout = 300 * time.Millisecond
	opts.MaxRetries = 1
	start := time.Now()
	_, err := mustNew(t, opts).Head(t.Context(), "k")
	if err == nil {
		t.Fatal("Head on a stalled connection succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stalled Head took %v", d)
	}
	if p.accepted() != 2 {
		t.Fatalf("proxy saw %d connections, want 2 (one retry)", p.accepted())
	}
}

func TestGetResumesBrokenDownload(t *testing.T) {
	server := serverOptions(t)
	s := newTestStore(t)
	data := storagetest.Data(9, 4<<20)
	storagetest.MustPut(t, s, "big", data)

	// The first connection breaks after about 1 MiB of the response.
	p := newFaultProxy(t, server.Endpoint, func(n int) fault {
		if n == 1 {
			return fault{cutAfter: 1 << 20}
		}
		return fault{}
	})
	opts := server
	opts.Bucket = s.Bucket()
	opts.Endpoint = p.endpoint()
	viaProxy := mustNew(t, opts)
	storagetest.MustContain(t, viaProxy, "big", data)
	if p.accepted() < 2 {
		t.Fatal("the download was never broken")
	}

	// A ranged read resumes within its range.
	p2 := newFaultProxy(t, server.Endpoint, func(n int) fault {
		if n == 1 {
			return fault{cutAfter: 300 << 10}
		}
		return fault{}
	})
	opts.Endpoint = p2.endpoint()
	got, _, err := storagetest.GetBytes(t.Context(), mustNew(t, opts), "big", storage.GetOptions{Offset: 1000, Length: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[1000:1000+2<<20]) {
		t.Fatal("resumed ranged read returned the wrong bytes")
	}
}

// When the object changes while a broken download reconnects, the reader
// fails instead of splicing two versions together.
func TestGetResumeNeverMixesVersions(t *testing.T) {
	server := serverOptions(t)
	s := newTestStore(t)
	storagetest.MustPut(t, s, "big", storagetest.Data(10, 4<<20))

	p := newFaultProxy(t, server.Endpoint, func(n int) fault {
		if n == 1 {
			return fault{cutAfter: 1 << 20, onCut: func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if _, err := s.Put(ctx, "big", bytes.NewReader(storagetest.Data(11, 4<<20)), storage.PutOptions{}); err != nil {
					t.Errorf("replace during download: %v", err)
				}
			}}
		}
		return fault{}
	})
	opts := server
	opts.Bucket = s.Bucket()
	opts.Endpoint = p.endpoint()
	rc, _, err := mustNew(t, opts).Get(t.Context(), "big", storage.GetOptions{Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	requireKind(t, err, storage.ErrPrecondition)
}

func TestConditionalMultipartComplete(t *testing.T) {
	s := newTestStore(t)
	storagetest.MustPut(t, s, "exists", []byte("old"))
	u, err := s.CreateUpload(t.Context(), "exists", storage.PutOptions{IfNoneMatch: "*"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := u.WritePart(t.Context(), 1, bytes.NewReader([]byte("new")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.Complete(t.Context(), []storage.Part{p})
	requireKind(t, err, storage.ErrPrecondition)
	_ = u.Abort(t.Context())
	storagetest.MustContain(t, s, "exists", []byte("old"))

	// Completing with no parts makes an empty object.
	u, err = s.CreateUpload(t.Context(), "empty", storage.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := u.Complete(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != 0 {
		t.Fatalf("empty upload size %d", obj.Size)
	}
	storagetest.MustContain(t, s, "empty", nil)
}

func TestMissingBucketErrors(t *testing.T) {
	opts := serverOptions(t)
	opts.Bucket = randomBucket()
	s := mustNew(t, opts)
	_, _, err := s.Get(t.Context(), "k", storage.GetOptions{Length: -1})
	requireKind(t, err, storage.ErrNoBucket)
	_, err = s.Put(t.Context(), "k", bytes.NewReader([]byte("x")), storage.PutOptions{})
	requireKind(t, err, storage.ErrNoBucket)
	_, err = s.List(t.Context(), storage.ListOptions{})
	requireKind(t, err, storage.ErrNoBucket)
}
