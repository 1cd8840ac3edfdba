package cli

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// runCheap runs the command line like env.run, with key derivation costs
// small enough for tests under the race detector.
func (e *env) runCheap(args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	a := &app{
		stdin:      strings.NewReader(""),
		stdout:     &out,
		stderr:     &errb,
		args:       args,
		getenv:     func(k string) string { return e.vars[k] },
		executable: os.Executable,
		mountinfo:  e.mountinfo,
		kdf:        config.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1},
	}
	code := a.run(context.Background())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestSecureCommands(t *testing.T) {
	e := newEnv(t)
	plain := s3Config + "logging:\n  level: LOG_WARNING # quiet\n"
	e.write("c.yaml", plain)

	r := e.runCheap("secure", "encrypt", "--config-file=c.yaml", "--passphrase=pw")
	r.expect(t, 0)
	if r.stdout != "encrypted c.yaml to c.yaml.aes and removed c.yaml\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	if _, err := os.Stat("c.yaml"); !os.IsNotExist(err) {
		t.Error("the plain file is still there")
	}
	enc := readFile(t, "c.yaml.aes")
	if !config.IsEncrypted([]byte(enc)) || strings.Contains(enc, "secret") {
		t.Fatal("c.yaml.aes is not encrypted")
	}
	if st, _ := os.Stat("c.yaml.aes"); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}

	// Wrong passphrase: one line, exit 1, and nothing written.
	e.runCheap("secure", "decrypt", "-c", "c.yaml.aes", "-p", "nope").expect(t, 1,
		"cloudfuse: c.yaml.aes: wrong passphrase, or the file was changed after it was encrypted")
	if _, err := os.Stat("c.yaml"); !os.IsNotExist(err) {
		t.Error("a failed decrypt left a file")
	}
	e.runCheap("secure", "get", "-c", "c.yaml.aes", "-k", "s3storage.bucket-name").expect(t, 2,
		"cloudfuse: no passphrase: give --passphrase or set $CLOUDFUSE_SECURE_CONFIG_PASSPHRASE")

	e.vars[config.PassphraseEnv] = "pw"
	r = e.runCheap("secure", "get", "-c", "c.yaml.aes", "-k", "s3storage.bucket-name")
	if r.expect(t, 0); r.stdout != "b\n" {
		t.Errorf("get: %q", r.stdout)
	}
	e.runCheap("secure", "set", "-c", "c.yaml.aes", "-k", "logging.level", "--value=LOG_LOUD").expect(t, 1,
		`cloudfuse: c.yaml.aes: --value: logging.level: expected one of LOG_OFF, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_TRACE, LOG_DEBUG, got "LOG_LOUD"`)
	e.runCheap("secure", "set", "-c", "c.yaml.aes", "-k", "logging.level", "--value=LOG_DEBUG").expect(t, 0)
	if r := e.runCheap("secure", "get", "-c", "c.yaml.aes", "-k", "logging.level"); r.stdout != "LOG_DEBUG\n" {
		t.Errorf("after set: %q %s", r.stdout, r.stderr)
	}

	r = e.runCheap("secure", "decrypt", "-c", "c.yaml.aes", "-o", "-")
	r.expect(t, 0)
	if !strings.Contains(r.stdout, "level: LOG_DEBUG # quiet") || !strings.Contains(r.stdout, "secret-key: secret") {
		t.Errorf("decrypted text:\n%s", r.stdout)
	}
	e.runCheap("secure", "decrypt", "-c", "c.yaml.aes").expect(t, 0)
	if st, err := os.Stat("c.yaml"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("decrypted file: %v %v", st, err)
	}
	if _, err := os.Stat("c.yaml.aes"); err != nil {
		t.Error("decrypt removed the encrypted file")
	}

	// The mount command reads the encrypted file with --secure-config.
	cfg, _, err := parseSecureMount(t, e, "--config-file=c.yaml.aes", "--secure-config")
	if err != nil || cfg.S3.BucketName != "b" || cfg.Logging.Level != config.LogDebug {
		t.Fatalf("mount --secure-config: %+v %v", cfg, err)
	}
	delete(e.vars, config.PassphraseEnv)
	if _, _, err := parseSecureMount(t, e, "--config-file=c.yaml.aes", "--secure-config", "--passphrase=bad"); err == nil ||
		!strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("mount with a wrong passphrase: %v", err)
	}
	if err := os.WriteFile("enc.yaml", []byte(readFile(t, "c.yaml.aes")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseMount(t, e, "--config-file=enc.yaml"); err == nil || !strings.Contains(err.Error(), "--secure-config") {
		t.Errorf("mount of an encrypted file without --secure-config: %v", err)
	}
	if _, _, err := parseMount(t, e, "--config-file=c.yaml.aes"); err == nil ||
		!strings.Contains(err.Error(), "c.yaml.aes is read as an encrypted config (its name ends in .aes): no passphrase") {
		t.Errorf("mount of a .aes file without a passphrase: %v", err)
	}
	// As in Cloudfuse, a .aes file is read encrypted without the flag.
	if cfg, _, err := parseSecureMount(t, e, "--config-file=c.yaml.aes", "--passphrase=pw"); err != nil || cfg.S3.BucketName != "b" {
		t.Errorf("mount of a .aes file without --secure-config: %v", err)
	}

	e.write("bad.yaml", "attr_cache:\n  timeout-sec: abc\n")
	e.runCheap("secure", "encrypt", "-c", "bad.yaml", "-p", "pw").expectPrefix(t, 1,
		"cloudfuse: not encrypting a config file with errors: bad.yaml:2: attr_cache.timeout-sec")
	e.runCheap("secure", "encrypt", "-c", "missing.yaml", "-p", "pw").expectPrefix(t, 1, "cloudfuse: missing.yaml: no such file")
	e.runCheap("secure").expectPrefix(t, 2, "cloudfuse: secure: name an action")
}

// parseSecureMount is parseMount with the secure config flags.
func parseSecureMount(t *testing.T, e *env, args ...string) (*config.Config, []string, error) {
	t.Helper()
	a := &app{getenv: func(k string) string { return e.vars[k] }}
	cmd := a.mountCmd()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	m := mountArgs{}
	m.configFile, _ = cmd.Flags().GetString("config-file")
	m.secureConfig, _ = cmd.Flags().GetBool("secure-config")
	m.passphrase, _ = cmd.Flags().GetString("passphrase")
	cfg, _, pass, err := a.loadConfig(cmd.Flags(), m)
	return cfg, pass, err
}

func TestGenConfig(t *testing.T) {
	e := newEnv(t)
	e.vars["AWS_REGION"] = "eu-west-1"
	e.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000"
	e.vars["AWS_ACCESS_KEY_ID"] = "AKID"
	e.vars["AWS_SECRET_ACCESS_KEY"] = "SECRET"
	e.runCheap("gen-config", "--tmp-path=/var/cache/cf").expect(t, 2,
		"cloudfuse: --container-name is required: the bucket to mount")
	e.runCheap("gen-config", "--container-name=photos", "--tmp-path=/var/cache/cf", "-o", "s3.yaml").expect(t, 0)
	cfg, warns, err := config.Load("s3.yaml")
	if err != nil || len(warns) > 0 {
		t.Fatalf("generated file: %v %v", err, warns)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.S3.BucketName != "photos" || cfg.S3.Region != "eu-west-1" || cfg.S3.Endpoint != "http://127.0.0.1:9000" ||
		!cfg.S3.UsePathStyle || cfg.S3.KeyID != "AKID" || cfg.S3.SecretKey != "SECRET" ||
		cfg.DataPath() != config.CompFileCache || cfg.FileCache.Path != "/var/cache/cf" {
		t.Errorf("generated config: %+v", cfg.S3)
	}
	text := readFile(t, "s3.yaml")
	if strings.Count(text, "#") < 20 {
		t.Errorf("few comments:\n%s", text)
	}
	if st, _ := os.Stat("s3.yaml"); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	e.runCheap("gen-config", "--container-name=photos", "-o", "s3.yaml").expect(t, 1,
		"cloudfuse: s3.yaml exists; use --force to replace it")

	e.vars = map[string]string{"AZURE_STORAGE_ACCOUNT": "acct", "AZURE_STORAGE_ACCESS_KEY": "a2V5",
		"AZURE_STORAGE_BLOB_ENDPOINT": "http://127.0.0.1:10000/acct"}
	r := e.runCheap("gen-config", "--container-name=box", "--block-cache")
	r.expect(t, 0)
	cfg, _, err = config.Parse("az", []byte(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Storage() != config.CompAzure || cfg.Azure.AccountName != "acct" || cfg.Azure.Container != "box" ||
		cfg.Azure.Mode != config.AuthKey || cfg.Azure.AccountKey != "a2V5" || !cfg.Azure.UseHTTP ||
		cfg.DataPath() != config.CompBlockCache {
		t.Errorf("azure config: %+v", cfg.Azure)
	}

	e.runCheap("gen-config", "--store=gcs").expectPrefix(t, 2, "cloudfuse: --store: expected s3 or azure")
	e.runCheap("gen-config", "--container-name=box", "--passphrase=pw", "-o", "box.yaml.aes").expect(t, 0)
	if !config.IsEncrypted([]byte(readFile(t, "box.yaml.aes"))) {
		t.Error("gen-config --passphrase wrote plain text")
	}
}

func TestMountListShowsStoreAndConfig(t *testing.T) {
	e := newEnv(t)
	e.vars[runtimeDirEnv] = e.mkdir("run")
	a := &app{getenv: func(k string) string { return e.vars[k] }}
	start, _ := procStartTime(os.Getpid())
	live := mountState{Mountpoint: "/mnt/live", Store: `s3 bucket "b" at http://x`, Config: "/etc/c.yaml",
		PID: os.Getpid(), PIDStart: start}
	dead := mountState{Mountpoint: "/mnt/dead", Store: `azure container "c" at account a`, PID: os.Getpid(), PIDStart: "1"}
	for _, st := range []mountState{live, dead} {
		if err := a.writeState(st); err != nil {
			t.Fatal(err)
		}
	}
	e.setMounts(`41 22 0:51 / /mnt/live rw - fuse.cloudfuse cloudfuse:b rw
42 22 0:52 / /mnt/dead rw - fuse.cloudfuse cloudfuse:a/c rw
43 22 0:53 / /mnt/old rw - fuse.cloudfuse cloudfuse:o rw
`)
	r := e.run("mount", "list")
	r.expect(t, 0)
	want := "/mnt/live\tcloudfuse:b\ts3 bucket \"b\" at http://x\t/etc/c.yaml\tpid " + strconv.Itoa(os.Getpid()) + "\n" +
		"/mnt/dead\tcloudfuse:a/c\tazure container \"c\" at account a\tno config file\tstale: daemon pid " +
		strconv.Itoa(os.Getpid()) + " has exited; run cloudfuse unmount /mnt/dead\n" +
		"/mnt/old\tcloudfuse:o\n"
	if r.stdout != want {
		t.Errorf("mount list\n got: %q\nwant: %q", r.stdout, want)
	}
	e.run("health", "/mnt/dead").expect(t, 1, "cloudfuse: /mnt/dead is a stale mount: its daemon (pid "+
		strconv.Itoa(os.Getpid())+") has exited; run: cloudfuse unmount /mnt/dead")
	e.run("health", e.mkdir("plain")).expect(t, 1, "cloudfuse: "+filepath.Join(e.dir, "plain")+" is not mounted")
	e.run("health", "/mnt/live", "--format=yaml").expectPrefix(t, 2, "cloudfuse: --format: expected text, json or prometheus")

	e.setMounts("")
	r = e.run("unmount", "all")
	if r.expect(t, 0); r.stdout != "no cloudfuse mounts\n" {
		t.Errorf("unmount all: %q", r.stdout)
	}
}

func TestFilterContainers(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		allow, deny []string
		want        string
	}{
		{nil, nil, "a,b,c,d"},
		{nil, []string{"b", "x"}, "a,c,d"},
		{[]string{"a", "c", "x"}, nil, "a,c"},
		{[]string{"a", "c"}, []string{"c"}, "a"},
	} {
		if got := strings.Join(filterContainers(names, tc.allow, tc.deny), ","); got != tc.want {
			t.Errorf("allow %v deny %v: %s, want %s", tc.allow, tc.deny, got, tc.want)
		}
	}
}

func TestMountAllChildConfig(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config+"logging:\n  file-path: /var/log/cf.log\nhealth_monitor:\n  metrics-port: 9100\n")
	cfg, _, err := parseMount(t, e, "--config-file=c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	child, args, err := childConfig(cfg, "photos", 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "--container-name=photos --tmp-path=cache/photos --log-file-path=/var/log/cf_photos.log --metrics-port=9102"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("args %s\nwant %s", got, want)
	}
	if child.S3.BucketName != "photos" || child.FileCache.Path != "cache/photos" || cfg.S3.BucketName != "b" {
		t.Errorf("child %q %q, parent %q", child.S3.BucketName, child.FileCache.Path, cfg.S3.BucketName)
	}
}

func TestChildFlagsAndStripFlag(t *testing.T) {
	a := &app{getenv: func(string) string { return "" }}
	var mount = a.mountCmd()
	if err := mount.ParseFlags([]string{"--config-file=c.yaml", "--read-only", "-o", "allow_other", "-o", "ro,nonempty",
		"--log-level=LOG_DEBUG", "--passphrase", "pw"}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(childFlags(mount.Flags(), "config-file", "passphrase"), " ")
	if got != "--read-only=true --o=allow_other --o=ro,nonempty --log-level=LOG_DEBUG" {
		t.Errorf("childFlags: %s", got)
	}
	args, pass := stripFlag([]string{"mount", "d", "--passphrase", "a", "--passphrase=b", "--x", "--", "--passphrase=c"}, "passphrase")
	if strings.Join(args, " ") != "mount d --x -- --passphrase=c" || pass != "b" {
		t.Errorf("stripFlag: %v %q", args, pass)
	}
}

func TestMountHelperArguments(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc/cf.yaml /mnt/b -o rw,_netdev,allow_other", "mount /mnt/b --config-file=/etc/cf.yaml -o rw,_netdev,allow_other"},
		{"cloudfuse#/etc/cf.yaml /mnt/b -n -o ro -t fuse.cloudfuse", "mount /mnt/b --config-file=/etc/cf.yaml -o ro"},
		{"/etc/cf.aes /mnt/b -osecure_config,nofail", "mount /mnt/b --config-file=/etc/cf.aes --secure-config -o nofail"},
		{"/etc/cf.yaml /mnt/b", "mount /mnt/b --config-file=/etc/cf.yaml"},
	} {
		got, err := helperArgs(strings.Fields(tc.in))
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"/etc/cf.yaml", "/etc/cf.yaml /mnt/b -x", "a b c"} {
		if _, err := helperArgs(strings.Fields(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	e := newEnv(t)
	cfgFile, dir := e.write("c.yaml", s3Config), e.mkdir("mnt")
	cmds := (&app{}).commandNames()
	for _, tc := range []struct {
		prog string
		args []string
		want bool
	}{
		{"mount.fuse.cloudfuse", []string{"x", "y"}, true},
		{"cloudfuse", []string{cfgFile, dir, "-o", "ro"}, true},
		{"cloudfuse", []string{"cloudfuse#" + cfgFile, dir}, true},
		{"cloudfuse", []string{"mount", dir}, false},
		{"cloudfuse", []string{dir, cfgFile}, false},
		{"cloudfuse", []string{"version"}, false},
	} {
		if got := asHelper(tc.prog, tc.args, cmds); got != tc.want {
			t.Errorf("asHelper(%s %v) = %v", tc.prog, tc.args, got)
		}
	}
}

func TestLogRedactsCredentials(t *testing.T) {
	var buf bytes.Buffer
	h := newRedactHandler(slog.NewTextHandler(&buf, nil), []string{"hunter2-secret", "k"})
	log := slog.New(h).With("cfg", "key=hunter2-secret")
	log.Info("request to https://a.blob.core.windows.net/c/x?sv=1&sig=abc%2Bdef&se=2 failed",
		"err", errString("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFy;"),
		slog.Group("g", "s", "X-Amz-Signature=0123abcd"), "kind", "k")
	out := buf.String()
	for _, leak := range []string{"hunter2-secret", "abc%2Bdef", "Zm9vYmFy", "0123abcd"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
	// Short values are not treated as secrets.
	if !strings.Contains(out, "kind=k") || !strings.Contains(out, "sig=REDACTED&se=2") {
		t.Errorf("log line: %s", out)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestMountAllOnMinIO lists the buckets of the test server and mounts
// nothing (--dry-run): the listing and the allow and deny lists.
func TestMountAllOnMinIO(t *testing.T) {
	endpoint, key, secret := minio(t)
	ctx := context.Background()
	cl := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, "")})
	prefix := "cli-all-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var names []string
	for _, n := range []string{"a", "b", "c"} {
		name := prefix + "-" + n
		if _, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(name)}) })
		names = append(names, name)
	}
	e := newEnv(t)
	e.write("c.yaml", "components: [libfuse, file_cache, s3storage]\nlogging: {level: LOG_OFF}\n"+
		"s3storage:\n  endpoint: "+endpoint+"\n  use-path-style: true\n  region: us-east-1\n  key-id: "+key+
		"\n  secret-key: "+secret+"\nmountall:\n  container-allowlist: ["+strings.Join(names, ", ")+"]\n"+
		"  container-denylist: ["+names[1]+"]\n")
	r := e.run("mount", "all", "buckets", "--config-file=c.yaml", "--dry-run")
	r.expect(t, 0)
	base := filepath.Join(e.dir, "buckets")
	want := "would mount " + names[0] + " at " + filepath.Join(base, names[0]) + "\n" +
		"would mount " + names[2] + " at " + filepath.Join(base, names[2]) + "\n"
	if r.stdout != want {
		t.Errorf("dry run\n got: %q\nwant: %q", r.stdout, want)
	}
	e.run("mount", "all", "buckets", "--config-file=c.yaml", "--container-name=x").expectPrefix(t, 2,
		"cloudfuse: mount all mounts every bucket")
	e.write("wrong.yaml", strings.Replace(readFile(t, "c.yaml"), secret, "wrong", 1))
	e.run("mount", "all", "buckets", "--config-file=wrong.yaml").expectPrefix(t, 1, "cloudfuse: listing buckets at "+endpoint)
}

func TestStateJSON(t *testing.T) {
	e := newEnv(t)
	e.vars[runtimeDirEnv] = filepath.Join(e.dir, "run")
	a := &app{getenv: func(k string) string { return e.vars[k] }}
	if err := a.prepareRuntimeDir(); err != nil {
		t.Fatal(err)
	}
	st := mountState{Mountpoint: "/m", PID: 1, Socket: a.socketPath("/m")}
	if err := a.writeState(st); err != nil {
		t.Fatal(err)
	}
	var back mountState
	if err := json.Unmarshal([]byte(readFile(t, a.statePath("/m"))), &back); err != nil || back.Socket != st.Socket {
		t.Fatalf("%+v %v", back, err)
	}
	if got, ok := a.readState("/other"); ok {
		t.Errorf("state of another mount: %+v", got)
	}
	a.removeState("/m")
	if _, ok := a.readState("/m"); ok {
		t.Error("state still there after remove")
	}
	if len(filepath.Base(a.socketPath("/a/very/long/path/"+strings.Repeat("x", 200)))) > 30 {
		t.Error("socket name grows with the mount path")
	}
}

// BlobFuse2's encrypted config (the 12-byte nonce, then AES-GCM with the
// passphrase as key), made here from that description, opens with
// BlobFuse2's passphrase variable; secure set keeps its format, and
// secure encrypt --format=cloudfuse writes a file secure reads back as
// Cloudfuse's.
func TestSecureReadsAndKeepsTheAnchorsFormats(t *testing.T) {
	e := newEnv(t)
	key := "0123456789abcdef0123456789abcdef"
	blk, _ := aes.NewCipher([]byte(key))
	gcm, _ := cipher.NewGCM(blk)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	e.write("bf2.azsec", string(gcm.Seal(nonce, nonce, []byte(s3Config), nil)))
	e.vars[config.BlobFuse2PassphraseEnv] = key
	r := e.runCheap("secure", "get", "-c", "bf2.azsec", "-k", "s3storage.bucket-name")
	if r.expect(t, 0); r.stdout != "b\n" {
		t.Errorf("get from a BlobFuse2 file: %q", r.stdout)
	}
	e.runCheap("secure", "set", "-c", "bf2.azsec", "-k", "s3storage.bucket-name", "--value", "other").expect(t, 0)
	data := []byte(readFile(t, "bf2.azsec"))
	plain, err := gcm.Open(nil, data[:12], data[12:], nil)
	if err != nil || !strings.Contains(string(plain), "bucket-name: other") {
		t.Fatalf("after set, BlobFuse2's layout does not open: %v %q", err, plain)
	}

	e.write("c.yaml", s3Config)
	e.runCheap("secure", "encrypt", "-c", "c.yaml", "-p", "pw", "--format=cloudfuse").expect(t, 0)
	enc := []byte(readFile(t, "c.yaml.aes"))
	if config.IsEncrypted(enc) || binary.LittleEndian.Uint16(enc) != 16 {
		t.Fatalf("not Cloudfuse's layout: % x", enc[:8])
	}
	if _, f, err := config.DecryptAny(enc, []byte("pw")); err != nil || f != config.FormatCloudfuse {
		t.Fatalf("read back: %s %v", f, err)
	}
}
