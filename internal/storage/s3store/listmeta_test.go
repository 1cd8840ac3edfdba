package s3store

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// MinIO returns metadata in listings: a directory read on it needs no HEAD
// per object.
func TestListCarriesMetadataOnMinIO(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	md := map[string]string{"mode": "33152", "uid": "1000", "xattr": "user.a=dg%3d%3d"}
	if _, err := s.Put(ctx, "d/with", bytes.NewReader([]byte("x")), storage.PutOptions{Metadata: md}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "d/plain file+", bytes.NewReader([]byte("y")), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	page, err := s.List(ctx, storage.ListOptions{Prefix: "d/", Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 2 {
		t.Fatalf("listing: %+v", page.Objects)
	}
	for _, o := range page.Objects {
		var want map[string]string
		if o.Key == "d/with" {
			want = md
		}
		if o.Metadata == nil {
			t.Fatalf("%s: listing carried no metadata; MinIO returns it with metadata=true", o.Key)
		}
		if len(o.Metadata) != len(want) {
			t.Fatalf("%s: listed metadata %v, want %v", o.Key, o.Metadata, want)
		}
		for k, v := range want {
			if o.Metadata[k] != v {
				t.Fatalf("%s: listed metadata %v, want %v", o.Key, o.Metadata, want)
			}
		}
	}
}

const plainListing = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><EncodingType>url</EncodingType><Contents><Key>a%20b</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>"e"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`

// A server that answers 400 to the parameter gets plain listings, with
// objects whose metadata is unknown (nil), and is not asked again.
func TestListWithoutMetadataSupport(t *testing.T) {
	var asked, plain atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has(listMetaParam) {
			asked.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`<Error><Code>InvalidArgument</Code><Message>unknown parameter</Message></Error>`))
			return
		}
		plain.Add(1)
		_, _ = w.Write([]byte(plainListing))
	}))
	defer srv.Close()
	s := mustNew(t, Options{Bucket: "b", Endpoint: srv.URL, UsePathStyle: true, AccessKeyID: "k", SecretAccessKey: "s", Region: "us-east-1"})
	for range 2 {
		page, err := s.List(t.Context(), storage.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Objects) != 1 || page.Objects[0].Key != "a b" || page.Objects[0].Metadata != nil {
			t.Fatalf("listing: %+v", page.Objects)
		}
	}
	if asked.Load() != 1 || plain.Load() != 2 {
		t.Fatalf("asked with the parameter %d times, without %d; want 1 and 2", asked.Load(), plain.Load())
	}
}

func TestListedMetadata(t *testing.T) {
	if m, err := listedMetadata([]byte(plainListing)); err != nil || m != nil {
		t.Fatalf("plain listing: %v, %v", m, err)
	}
	body := strings.Replace(plainListing, "<StorageClass>STANDARD</StorageClass>",
		"<StorageClass>STANDARD</StorageClass><UserMetadata><content-type>text/plain</content-type><X-Amz-Meta-Mode>420</X-Amz-Meta-Mode><x-amz-meta-Owner_Name>a &amp; b</x-amz-meta-Owner_Name></UserMetadata>", 1)
	m, err := listedMetadata([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := m["a%20b"]
	if len(got) != 2 || got["mode"] != "420" || got["owner_name"] != "a & b" {
		t.Fatalf("metadata: %v", m)
	}
	if _, err := listedMetadata([]byte("<UserMetadata><oops")); err == nil {
		t.Fatal("a broken body gave no error")
	}
}

// NoListMetadata lists as Amazon S3 does: the request does not ask for
// metadata and the listed objects carry none. A listing whose caller says
// it needs none (ListOptions.NoMetadata) is the same on any store.
func TestListWithoutAskingForMetadata(t *testing.T) {
	base := newTestStore(t)
	storagetest.MustPutOpts(t, base, "d/with", []byte("x"), storage.PutOptions{Metadata: map[string]string{"mode": "33152"}})
	for _, perCall := range []bool{false, true} {
		opts := serverOptions(t)
		endpoint, seen := recordingProxy(t, opts.Endpoint)
		opts.Endpoint, opts.Bucket, opts.NoListMetadata = endpoint, base.bucket, !perCall
		s := mustNew(t, opts)
		page, err := s.List(t.Context(), storage.ListOptions{Prefix: "d/", Delimiter: "/", NoMetadata: perCall})
		if err != nil || len(page.Objects) != 1 || page.Objects[0].Metadata != nil {
			t.Fatalf("listing %+v, %v", page.Objects, err)
		}
		for _, h := range withMethod(seen(), http.MethodGet) {
			if strings.Contains(h.Get("X-Test-Query"), "metadata=true") {
				t.Errorf("a listing asked for metadata: %s", h.Get("X-Test-Query"))
			}
		}
	}
}
