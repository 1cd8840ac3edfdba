package cli

import (
	"fmt"
	"strings"
	"testing"
)

const blockCacheS3 = `components: [libfuse, block_cache, attr_cache, s3storage]
block_cache:
  block-size-mb: %s
s3storage:
  bucket-name: b
  endpoint: http://127.0.0.1:1
  key-id: id
  secret-key: secret
  concurrency: %d
`

// Streamed uploads use the store's concurrency setting
// (s3storage.concurrency), as staged ones do.
func TestStreamingUsesTheStoreConcurrency(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", fmt.Sprintf(blockCacheS3, "16", 3))
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v := vfsOptions(cfg, nil)
	if v.UploadConcurrency != 3 {
		t.Errorf("staged uploads: concurrency %d, want 3", v.UploadConcurrency)
	}
	if v.Stream == nil || v.Stream.UploadConcurrency != 3 {
		t.Errorf("streamed uploads: %+v, want concurrency 3", v.Stream)
	}
}

// block_cache.block-size-mb takes fractions, as in BlobFuse2.
func TestFractionalBlockSize(t *testing.T) {
	for _, c := range []struct {
		mb   string
		want int64
	}{{"0.5", 512 << 10}, {"1.5", 3 << 19}, {"16", 16 << 20}} {
		e := newEnv(t)
		e.write("c.yaml", fmt.Sprintf(blockCacheS3, c.mb, 5))
		cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if v := vfsOptions(cfg, nil); v.Stream == nil || v.Stream.PartSize != c.want {
			t.Errorf("block-size-mb %s: %+v, want part size %d", c.mb, v.Stream, c.want)
		}
	}
}

// Errors name the key at fault once, without a package's prefix.
func TestStoreErrorsNameTheKey(t *testing.T) {
	e := newEnv(t)
	e.write("az.yaml", `components: [libfuse, file_cache, attr_cache, azstorage]
file_cache:
  path: cache
azstorage:
  account-name: acct
  container: box
  endpoint: http://127.0.0.1:1
  account-key: not*base64
`)
	r := e.run("mount", e.mkdir("mnt"), "--config-file=az.yaml", "--dry-run")
	r.expectPrefix(t, 1, "cloudfuse: azstorage: account-key is not a valid account key")
	if strings.Contains(r.stderr, "azstore") {
		t.Errorf("stderr names the package: %q", r.stderr)
	}
}
