//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// allTarget is a store mount all runs on: it creates n fresh buckets or
// containers and returns their names, a store section with credentials
// but no bucket, and a function that writes an object into one of them.
type allTarget struct {
	name  string
	setup func(t *testing.T, n int) (names []string, section string, put func(t *testing.T, name, key, data string))
}

func allTargets() []allTarget {
	return []allTarget{{"s3", setupS3Buckets}, {"azure", setupAzureContainers}}
}

func setupS3Buckets(t *testing.T, n int) ([]string, string, func(*testing.T, string, string, string)) {
	endpoint, key, secret := s3Env(t)
	cl := s3Client(endpoint, key, secret)
	var names []string
	for range n {
		name := randomName("all-")
		if _, err := cl.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emptyAndDeleteBucket(cl, name) })
		names = append(names, name)
	}
	section := fmt.Sprintf("s3storage:\n  key-id: %s\n  secret-key: %s\n  endpoint: %s\n  region: us-east-1\n  use-path-style: true\n",
		key, secret, endpoint)
	put := func(t *testing.T, bucket, k, data string) {
		if _, err := cl.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k),
			Body: strings.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	return names, section, put
}

func setupAzureContainers(t *testing.T, n int) ([]string, string, func(*testing.T, string, string, string)) {
	v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
	endpoint, account, key := v[0], v[1], v[2]
	cred, err := container.NewSharedKeyCredential(account, key)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*container.Client{}
	var names []string
	for range n {
		name := randomName("all-")
		cl, err := container.NewClientWithSharedKeyCredential(endpoint+"/"+name, cred, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Create(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.Delete(context.Background(), nil) })
		clients[name] = cl
		names = append(names, name)
	}
	section := fmt.Sprintf("azstorage:\n  type: block\n  account-name: %s\n  account-key: %s\n  mode: key\n  endpoint: %s\n  use-http: true\n",
		account, key, endpoint)
	put := func(t *testing.T, name, k, data string) {
		if _, err := clients[name].NewBlockBlobClient(k).UploadBuffer(context.Background(), []byte(data), nil); err != nil {
			t.Fatal(err)
		}
	}
	return names, section, put
}

// TestMountAllWithAllowAndDenyLists creates three buckets (containers),
// allows all three and denies one: mount all mounts the other two, each
// at <path>/<name> with its own cache and log, and never the denied one.
func TestMountAllWithAllowAndDenyLists(t *testing.T) {
	for _, tg := range allTargets() {
		t.Run(tg.name, func(t *testing.T) {
			opsEnv(t)
			names, section, put := tg.setup(t, 3)
			for _, n := range names {
				put(t, n, "name.txt", n)
			}
			work := t.TempDir()
			base := filepath.Join(work, "all")
			extra := fmt.Sprintf("mountall:\n  container-allowlist: [%s]\n  container-denylist: [%s]\n",
				strings.Join(names, ", "), names[1])
			cfg, _, log := opsConfig(t, section, extra)
			for _, n := range names {
				lazyUnmountAtCleanup(t, filepath.Join(base, n))
			}
			out, code := cloudfuse(t, "mount", "all", base, "--config-file="+cfg)
			if code != 0 {
				t.Fatalf("mount all: exit %d\n%s", code, out)
			}
			for _, n := range []string{names[0], names[2]} {
				dir := filepath.Join(base, n)
				if !strings.Contains(out, "mounted "+n+" at "+dir) || !isMounted(dir) {
					t.Fatalf("%s not mounted at %s:\n%s", n, dir, out)
				}
				if got := mustRead(t, filepath.Join(dir, "name.txt")); got != n {
					t.Errorf("%s shows %q", dir, got)
				}
				// Each mount logs to its own file.
				ext := filepath.Ext(log)
				if _, err := os.Stat(strings.TrimSuffix(log, ext) + "_" + n + ext); err != nil {
					t.Errorf("no log of its own for %s: %v", n, err)
				}
			}
			denied := filepath.Join(base, names[1])
			if strings.Contains(out, names[1]) || isMounted(denied) {
				t.Fatalf("the denied %s was mounted:\n%s", names[1], out)
			}
			if _, err := os.Stat(denied); !os.IsNotExist(err) {
				t.Errorf("a directory was made for the denied %s", names[1])
			}
			list, _ := cloudfuse(t, "mount", "list")
			for _, n := range []string{names[0], names[2]} {
				if !strings.Contains(list, filepath.Join(base, n)+"\t") || !strings.Contains(list, cfg) {
					t.Errorf("mount list lacks %s with its config:\n%s", n, list)
				}
			}
			// A second mount all skips what is mounted.
			out, code = cloudfuse(t, "mount", "all", base, "--config-file="+cfg)
			if code != 0 || strings.Count(out, "skipped") != 2 {
				t.Errorf("second mount all: exit %d\n%s", code, out)
			}
			for _, n := range []string{names[0], names[2]} {
				if out, code := cloudfuse(t, "unmount", filepath.Join(base, n)); code != 0 {
					t.Errorf("unmount: %s", out)
				}
			}
		})
	}
}

// TestUnmountAll runs mount all and unmount all in a mount namespace of
// their own, so unmount all meets no mount but the test's.
func TestUnmountAll(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a private mount namespace needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	opsEnv(t)
	names, section, _ := setupS3Buckets(t, 2)
	extra := fmt.Sprintf("mountall:\n  container-allowlist: [%s]\n", strings.Join(names, ", "))
	cfg, _, _ := opsConfig(t, section, extra)
	base := filepath.Join(t.TempDir(), "all")
	script := fmt.Sprintf(`set -e
%[1]s mount all %[2]s --config-file=%[3]s
echo "== list"; %[1]s mount list
echo "== unmount"; %[1]s unmount all
echo "== after"; %[1]s mount list; grep -c fuse.cloudfuse /proc/self/mountinfo || true`, binary, base, cfg)
	out, err := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	text := string(out)
	listed := between(text, "== list", "== unmount")
	unmounted := between(text, "== unmount", "== after")
	after := text[strings.Index(text, "== after"):]
	for _, n := range names {
		dir := filepath.Join(base, n)
		if !strings.Contains(listed, dir) {
			t.Errorf("mount list lacks %s:\n%s", dir, text)
		}
		if !strings.Contains(unmounted, "unmounted "+dir) {
			t.Errorf("unmount all did not unmount %s:\n%s", dir, text)
		}
	}
	if strings.Contains(after, base) || !strings.HasSuffix(strings.TrimSpace(after), "0") {
		t.Errorf("cloudfuse mounts remain after unmount all:\n%s", text)
	}
}

func between(s, from, to string) string {
	i, j := strings.Index(s, from), strings.Index(s, to)
	if i < 0 || j < i {
		return ""
	}
	return s[i:j]
}
