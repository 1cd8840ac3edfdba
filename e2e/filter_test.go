//go:build linux

package e2e

// Blob filters (BlobFuse2's --filter) on a mount of each store.

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// tagObject sets one tag on an object the way users do, with the store's
// own API: S3 object tagging or Azure blob index tags.
func tagObject(t *testing.T, section, key, k, v string) {
	t.Helper()
	ctx := context.Background()
	if strings.HasPrefix(section, "azstorage:") {
		vals := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
		name := regexp.MustCompile(`container: (\S+)`).FindStringSubmatch(section)[1]
		cred, err := container.NewSharedKeyCredential(vals[1], vals[2])
		if err != nil {
			t.Fatal(err)
		}
		cl, err := container.NewClientWithSharedKeyCredential(vals[0]+"/"+name, cred, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.NewBlobClient(key).SetTags(ctx, map[string]string{k: v}, &blob.SetTagsOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	endpoint, id, secret := s3Env(t)
	bucket := regexp.MustCompile(`bucket-name: (\S+)`).FindStringSubmatch(section)[1]
	_, err := s3Client(endpoint, id, secret).PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String(bucket),
		Key: aws.String(key), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// Only objects that match the filter are seen, by every operation, and
// the mount is read-only.
func TestBlobFilterMount(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			b, section := tg.setup(t)
			storePut(t, b, "data/a.csv", "a,b\n")
			storePut(t, b, "data/b.parquet", strings.Repeat("p", 4096))
			storePut(t, b, "img/c.png", "png")
			storePut(t, b, "img/d.png", "png")
			tagObject(t, section, "img/c.png", "split", "train")
			m := mountWith(t, b, section, mountOpts{flags: []string{"--filter=format=csv || tag=split:train"}})
			if got := strings.Join(listNames(t, m.path("data")), " "); got != "a.csv" {
				t.Errorf("data lists %q", got)
			}
			if _, err := os.Stat(m.path("img")); err != nil {
				t.Fatalf("stat img: %v\n%s", err, tail(m.Log))
			}
			if got := strings.Join(listNames(t, m.path("img")), " "); got != "c.png" {
				t.Errorf("img lists %q", got)
			}
			if _, err := os.Stat(m.path("data/b.parquet")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stat of a filtered-out object: %v", err)
			}
			if _, err := os.ReadFile(m.path("img/d.png")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("read of a filtered-out object: %v", err)
			}
			if data, err := os.ReadFile(m.path("data/a.csv")); err != nil || string(data) != "a,b\n" {
				t.Errorf("read of a shown object: %q %v", data, err)
			}
			if err := os.WriteFile(m.path("data/new.csv"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) {
				t.Errorf("write on a filtered mount: %v, want EROFS", err)
			}
		})
	}
}
