//go:build linux

package e2e

// Credentials that change while a mount runs: a SAS that expires during a
// copy, S3 keys replaced by temporary ones.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/a9de3765/cloudfuse/internal/storage"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore"
	"github.com/a9de3765/cloudfuse/internal/storage/storagetest"
)

// slowCopy writes c to path in chunk-sized writes spread over dur, the way
// a copy from a slow source runs, and closes it.
func slowCopy(path string, c content, chunk int, dur time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	data := c.bytes()
	pause := dur / time.Duration((len(data)+chunk-1)/chunk)
	for off := 0; off < len(data); off += chunk {
		if _, err := f.Write(data[off:min(off+chunk, len(data))]); err != nil {
			f.Close()
			return err
		}
		time.Sleep(pause)
	}
	return f.Close()
}

// rewriteConfig replaces old with new in the mount's config file, the way
// a secret rotation tool updates it (a new file renamed over the old).
func rewriteConfig(t *testing.T, m *mnt, old, new string) {
	t.Helper()
	data, err := os.ReadFile(m.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("the config does not hold %q", old)
	}
	tmp := m.Config + ".new"
	if err := os.WriteFile(tmp, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, m.Config); err != nil {
		t.Fatal(err)
	}
}

// logCount counts the lines of the mount's log that contain s.
func logCount(m *mnt, s string) int {
	data, _ := os.ReadFile(m.Log)
	return bytes.Count(data, []byte(s))
}

// containerSAS signs a container SAS with the account key, valid until
// expiry.
func containerSAS(t *testing.T, account, key, container string, expiry time.Time) string {
	t.Helper()
	cred, err := service.NewSharedKeyCredential(account, key)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		ExpiryTime:    expiry,
		ContainerName: container,
		Permissions:   (&sas.ContainerPermissions{Read: true, Write: true, Delete: true, List: true, Create: true, Add: true}).String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

// A SAS that expires in the middle of a streamed copy is replaced in the
// config file and the daemon is sent SIGHUP: the copy's later parts and
// its commit use the new SAS, the close succeeds and the object is whole.
func TestSASRotatedDuringACopy(t *testing.T) {
	v := requireEnv(t, "CLOUDFUSE_TEST_AZURE_ENDPOINT", "CLOUDFUSE_TEST_AZURE_ACCOUNT", "CLOUDFUSE_TEST_AZURE_KEY")
	endpoint, account, key := v[0], v[1], v[2]
	b, keySection := setupAzure(t)
	name := regexp.MustCompile(`container: (\S+)`).FindStringSubmatch(keySection)[1]
	expiry := time.Now().Add(12 * time.Second)
	sasA := containerSAS(t, account, key, name, expiry)
	sasB := containerSAS(t, account, key, name, time.Now().Add(time.Hour))
	section := fmt.Sprintf(`azstorage:
  type: block
  account-name: %s
  mode: sas
  sas: %s
  endpoint: %s
  container: %s
  use-http: true
`, account, sasA, endpoint, name)
	m := mountWith(t, b, section, mountOpts{dataPath: "block_cache", flags: []string{"--block-cache-block-size=2"}})
	left := time.Until(expiry)
	if left < 3*time.Second {
		t.Fatalf("mounting took until %v before the first SAS expires; the machine is too loaded for this test", left)
	}
	// The copy runs until 3 s after the first SAS expired, so its later
	// parts and its commit need the second one.
	c := content{name: "rotated.bin", size: 40 << 20}
	done := make(chan error, 1)
	go func() { done <- slowCopy(m.path(c.name), c, 1<<20, left+3*time.Second) }()
	time.Sleep(time.Second)
	rewriteConfig(t, m, sasA, sasB)
	if err := m.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the credentials to be replaced", func() bool { return logCount(m, "credentials replaced") == 1 })
	if err := <-done; err != nil {
		t.Fatalf("the copy across the SAS change failed: %v\nlog:\n%s", err, tail(m.Log))
	}
	if time.Now().Before(expiry) {
		t.Fatal("the copy ended before the first SAS expired; the test proves nothing")
	}
	storagetest.MustContain(t, b, c.name, c.bytes())
	// The premise: the store refuses the first SAS by now.
	old, err := azstore.New(t.Context(), azstore.Options{Endpoint: endpoint, Container: name, Mode: azstore.ModeSAS,
		SAS: sasA, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.Put(t.Context(), "late", strings.NewReader("x"), storage.PutOptions{}); err == nil {
		t.Error("the store still takes the expired SAS")
	}
}

// authRecorder is a reverse proxy on 127.0.0.1 in front of the S3 test
// server that keeps the access key id of each request it forwards.
type authRecorder struct {
	url  string
	mu   sync.Mutex
	keys []string
}

func newAuthRecorder(t *testing.T, endpoint string) *authRecorder {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	r := &authRecorder{}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host // the signature covers the host the client saw
	}}
	cred := regexp.MustCompile(`Credential=([^/]+)/`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if m := cred.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
			r.mu.Lock()
			r.keys = append(r.keys, m[1])
			r.mu.Unlock()
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *authRecorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys[n:]...)
}

func (r *authRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.keys)
}

// With watch-config, S3 keys replaced in the config file by temporary
// ones (key, secret and session token from STS) sign every request from
// then on, a copy running across the change included; a broken config
// written meanwhile is refused and changes nothing.
func TestS3KeysRotatedByWatchConfig(t *testing.T) {
	endpoint, key, secret := s3Env(t)
	ctx := context.Background()
	tmp, err := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")}).AssumeRole(ctx,
		&sts.AssumeRoleInput{RoleArn: aws.String("arn:xxx:xxx:xxx:xxxx"), RoleSessionName: aws.String("rotation"),
			DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("STS AssumeRole on the test server: %v", err)
	}
	newID := aws.ToString(tmp.Credentials.AccessKeyId)
	b, section := setupS3(t)
	rec := newAuthRecorder(t, endpoint)
	section = strings.Replace(section, "endpoint: "+endpoint, "endpoint: "+rec.url, 1)
	m := mountWith(t, b, section, mountOpts{dataPath: "block_cache",
		flags: []string{"--watch-config", "--block-cache-block-size=5"}})
	c := content{name: "rotated.bin", size: 40 << 20}
	done := make(chan error, 1)
	go func() { done <- slowCopy(m.path(c.name), c, 1<<20, 8*time.Second) }()
	time.Sleep(time.Second)

	rewriteConfig(t, m, "secret-key: "+secret, "secret-key: [unclosed")
	waitFor(t, 10*time.Second, "the broken config to be refused", func() bool { return logCount(m, "config reload refused") == 1 })

	rewriteConfig(t, m, "secret-key: [unclosed", fmt.Sprintf("secret-key: %s\n  session-token: %s",
		aws.ToString(tmp.Credentials.SecretAccessKey), aws.ToString(tmp.Credentials.SessionToken)))
	rewriteConfig(t, m, "key-id: "+key, "key-id: "+newID)
	waitFor(t, 10*time.Second, "the credentials to be replaced", func() bool { return logCount(m, "credentials replaced") >= 1 })
	after := rec.count()
	if err := <-done; err != nil {
		t.Fatalf("the copy across the key change failed: %v\nlog:\n%s", err, tail(m.Log))
	}
	if err := os.WriteFile(m.path("after.txt"), []byte("signed with the new keys"), 0o644); err != nil {
		t.Fatal(err)
	}
	used := rec.since(after)
	if len(used) == 0 {
		t.Fatal("no request after the change")
	}
	for _, k := range used {
		if k != newID {
			t.Fatalf("a request after the change was signed by %s, not the new key %s", k, newID)
		}
	}
	storagetest.MustContain(t, b, c.name, c.bytes())
	storagetest.MustContain(t, b, "after.txt", []byte("signed with the new keys"))
	if log, _ := os.ReadFile(m.Log); bytes.Contains(log, []byte(aws.ToString(tmp.Credentials.SecretAccessKey))) {
		t.Error("the new secret reached the log")
	}
}
