package cli

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
)

func TestMountList(t *testing.T) {
	e := newEnv(t)
	e.setMounts(`40 22 0:50 / /data rw - ext4 /dev/sda1 rw
41 22 0:51 / /mnt/photos rw,nosuid,nodev shared:1 - fuse.cloudfuse cloudfuse:photos rw,user_id=0
42 22 0:52 / /mnt/with\040space rw - fuse.cloudfuse cloudfuse:acct/box/sub rw
43 22 0:53 / /mnt/other rw - fuse.sshfs host:/x rw
`)
	r := e.run("mount", "list")
	r.expect(t, 0)
	want := "/mnt/photos\tcloudfuse:photos\n/mnt/with space\tcloudfuse:acct/box/sub\n"
	if r.stdout != want {
		t.Errorf("stdout\n got: %q\nwant: %q", r.stdout, want)
	}

	e.mountinfo = filepath.Join(e.dir, "gone")
	e.run("mount", "list").expectPrefix(t, 1, "cloudfuse: reading the mount table: open ")
}

func TestParseMountInfo(t *testing.T) {
	for _, tc := range []struct {
		line string
		want mounttab.Entry
		ok   bool
	}{
		{`36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue`,
			mounttab.Entry{Point: "/mnt/parent", FSType: "ext3", Source: "/dev/root"}, true},
		{`36 35 98:0 / /a\134b\011c rw - fuse.cloudfuse cloudfuse:x\040y rw`,
			mounttab.Entry{Point: `/a\b` + "\tc", FSType: "fuse.cloudfuse", Source: "cloudfuse:x y"}, true},
		{`36 35 98:0 / /x rw shared:1 master:2 - tmpfs tmpfs rw`,
			mounttab.Entry{Point: "/x", FSType: "tmpfs", Source: "tmpfs"}, true},
		{`garbage`, mounttab.Entry{}, false},
		{`36 35 98:0 / /x rw no separator here`, mounttab.Entry{}, false},
	} {
		got, ok := mounttab.ParseLine(tc.line)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%q: got %+v %v, want %+v %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUnmountChecksTheMountTable(t *testing.T) {
	e := newEnv(t)
	plain := e.mkdir("plain")
	other := e.mkdir("other")
	e.setMounts("40 22 0:50 / " + other + " rw - fuse.sshfs host:/x rw\n")
	e.run("unmount", plain).expect(t, 1, "cloudfuse: "+plain+" is not mounted")
	e.run("unmount", other, "--lazy").expect(t, 1, "cloudfuse: "+other+" is not a cloudfuse mount (it is fuse.sshfs)")
	e.run("unmount", "relative").expect(t, 1, "cloudfuse: "+filepath.Join(e.dir, "relative")+" is not mounted")
}

func TestDryRunAgainstClosedPort(t *testing.T) {
	e := newEnv(t)
	e.write("c.yaml", s3Config+"logging:\n  level: LOG_OFF\n")
	r := e.run("mount", e.mkdir("mnt"), "--config-file=c.yaml", "--dry-run")
	r.expectPrefix(t, 1, `cloudfuse: bucket "b" at http://127.0.0.1:1: `)
	if !strings.Contains(r.stderr, "cannot reach http://127.0.0.1:1") {
		t.Errorf("stderr %q does not say the endpoint is unreachable", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q", r.stdout)
	}
}

// minio returns the test MinIO endpoint and credentials, or skips.
func minio(t *testing.T) (endpoint, key, secret string) {
	t.Helper()
	endpoint = os.Getenv("CLOUDFUSE_TEST_S3_ENDPOINT")
	key = os.Getenv("CLOUDFUSE_TEST_S3_ACCESS_KEY")
	secret = os.Getenv("CLOUDFUSE_TEST_S3_SECRET_KEY")
	if endpoint == "" || key == "" || secret == "" {
		t.Skip("CLOUDFUSE_TEST_S3_* not set; start the test servers with scripts/testservers.sh")
	}
	return endpoint, key, secret
}

func TestDryRunOnMinIO(t *testing.T) {
	endpoint, key, secret := minio(t)
	e := newEnv(t)
	mnt := e.mkdir("mnt")
	cfg := func(bucket, secret string) string {
		return "components: [libfuse, file_cache, s3storage]\nfile_cache: {path: cache}\nlogging: {level: LOG_OFF}\n" +
			"s3storage:\n  bucket-name: " + bucket + "\n  endpoint: " + endpoint + "\n  use-path-style: true\n" +
			"  region: us-east-1\n  key-id: " + key + "\n  secret-key: " + secret + "\n"
	}
	e.write("missing.yaml", cfg("no-such-bucket-cloudfuse-cli", secret))
	e.run("mount", mnt, "--config-file=missing.yaml", "--dry-run").expect(t, 1,
		`cloudfuse: bucket "no-such-bucket-cloudfuse-cli" does not exist at `+endpoint)

	e.write("denied.yaml", cfg("no-such-bucket-cloudfuse-cli", "wrong-secret"))
	r := e.run("mount", mnt, "--config-file=denied.yaml", "--dry-run")
	r.expectPrefix(t, 1, `cloudfuse: bucket "no-such-bucket-cloudfuse-cli" at `+endpoint+": access denied, check the credentials")
	if strings.Contains(r.stderr, "wrong-secret") {
		t.Errorf("the secret leaked into the message: %s", r.stderr)
	}
}

func TestBackgroundReportsTheDaemonsError(t *testing.T) {
	e := newEnv(t)
	t.Setenv(testMainEnv, "1")
	logFile := filepath.Join(e.dir, "cf.log")
	e.write("c.yaml", s3Config+"logging:\n  level: LOG_INFO\n  file-path: "+logFile+"\n")
	r := e.run("mount", e.mkdir("mnt"), "--config-file=c.yaml", "--wait-for-mount=20s")
	r.expectPrefix(t, 1, `cloudfuse: bucket "b" at http://127.0.0.1:1: `)
	log := readFile(t, logFile)
	if !strings.Contains(log, "msg=starting") || !strings.Contains(log, "cloudfuse: bucket") {
		t.Errorf("the daemon's log lacks its start or its error:\n%s", log)
	}
}

// A store that accepts connections and never answers fails the mount
// with the reason within the wait, in the background, in the foreground
// and in a dry run.
func TestStoreThatNeverAnswers(t *testing.T) {
	e := newEnv(t)
	t.Setenv(testMainEnv, "1")
	ln := blackHole(t)
	logFile := filepath.Join(e.dir, "cf.log")
	e.write("c.yaml", strings.Replace(s3Config, "http://127.0.0.1:1", "http://"+ln, 1)+"logging:\n  file-path: "+logFile+"\n")
	want := `cloudfuse: bucket "b" at http://` + ln + ` did not answer within 1.5s`
	for _, args := range [][]string{
		{"mount", e.mkdir("bg"), "--config-file=c.yaml", "--wait-for-mount=3s"},
		{"mount", e.mkdir("fg"), "--config-file=c.yaml", "--wait-for-mount=3s", "--foreground"},
		{"mount", e.mkdir("dry"), "--config-file=c.yaml", "--wait-for-mount=3s", "--dry-run"},
	} {
		start := time.Now()
		r := e.run(args...)
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("%v took %s", args, took)
		}
		r.expectPrefix(t, 1, want)
	}
	if log := readFile(t, logFile); !strings.Contains(log, "store check failed") {
		t.Errorf("the log says nothing of the store check:\n%s", log)
	}
}

func TestLogDestination(t *testing.T) {
	cfg := config.Default()
	if d := logDestination(cfg, true); d.kind != "stderr" {
		t.Errorf("foreground default = %+v", d)
	}
	if d := logDestination(cfg, false); d.kind != "file" || !strings.HasSuffix(d.path, filepath.Join(".cloudfuse", "cloudfuse.log")) {
		t.Errorf("background default = %+v", d)
	}
	cfg.DefaultWorkingDir = "/srv/cf"
	if d := logDestination(cfg, false); d.path != "/srv/cf/cloudfuse.log" {
		t.Errorf("with default-working-dir = %+v", d)
	}
	cfg.Logging.FilePath = "/tmp/x.log"
	if d := logDestination(cfg, true); d.kind != "file" || d.path != "/tmp/x.log" {
		t.Errorf("with file-path = %+v", d)
	}
	cfg.Logging.Type = config.LogSyslog
	if d := logDestination(cfg, true); d.kind != "syslog" {
		t.Errorf("syslog = %+v", d)
	}
	cfg.Logging.Level = config.LogOff
	if d := logDestination(cfg, true); d.kind != "discard" {
		t.Errorf("LOG_OFF = %+v", d)
	}
	cfg.Logging.Level, cfg.Logging.Type = config.LogInfo, config.LogSilent
	if d := logDestination(cfg, true); d.kind != "discard" {
		t.Errorf("silent = %+v", d)
	}
}

func TestLoggerLevelsAndFile(t *testing.T) {
	cfg := config.Default()
	path := filepath.Join(t.TempDir(), "sub", "cf.log")
	for _, tc := range []struct {
		level          config.LogLevel
		enabled, quiet slog.Level
	}{
		{config.LogCrit, slog.LevelError + 4, slog.LevelError},
		{config.LogErr, slog.LevelError, slog.LevelWarn},
		{config.LogWarning, slog.LevelWarn, slog.LevelInfo},
		{config.LogInfo, slog.LevelInfo, slog.LevelDebug},
		{config.LogTrace, slog.LevelDebug, slog.LevelDebug - 4},
		{config.LogDebug, slog.LevelDebug - 4, slog.LevelDebug - 8},
	} {
		cfg.Logging.Level = tc.level
		log, closer, err := newLogger(cfg, logDest{kind: "file", path: path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !log.Enabled(t.Context(), tc.enabled) || log.Enabled(t.Context(), tc.quiet) {
			t.Errorf("%s: wrong threshold", tc.level)
		}
		log.Log(t.Context(), tc.enabled, "hello", "level", string(tc.level))
		closer.Close()
	}
	if got := strings.Count(readFile(t, path), "msg=hello"); got != 6 {
		t.Errorf("log file has %d records, want 6", got)
	}
}

// fakeSyslog records what the handler sends, by priority.
type fakeSyslog struct{ lines []string }

func (f *fakeSyslog) add(p, m string) error  { f.lines = append(f.lines, p+" "+m); return nil }
func (f *fakeSyslog) Crit(m string) error    { return f.add("crit", m) }
func (f *fakeSyslog) Err(m string) error     { return f.add("err", m) }
func (f *fakeSyslog) Warning(m string) error { return f.add("warning", m) }
func (f *fakeSyslog) Info(m string) error    { return f.add("info", m) }
func (f *fakeSyslog) Debug(m string) error   { return f.add("debug", m) }

func TestSyslogHandlerFormats(t *testing.T) {
	w := &fakeSyslog{}
	log := slog.New(&syslogHandler{w: w, opts: &slog.HandlerOptions{Level: slog.LevelDebug}})
	log.With("a", 1).WithGroup("g").With("b", 2).Warn("careful", "c", 3)
	log.Error("broken")
	log.Log(t.Context(), slog.LevelError+4, "dying")
	log.Info("fyi")
	log.Debug("detail")
	log.Log(t.Context(), slog.LevelDebug-4, "too detailed")
	want := []string{
		"warning level=WARN msg=careful a=1 g.b=2 g.c=3",
		"err level=ERROR msg=broken",
		"crit level=ERROR+4 msg=dying",
		"info level=INFO msg=fyi",
		"debug level=DEBUG msg=detail",
	}
	if strings.Join(w.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(w.lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestSyslogLogger(t *testing.T) {
	cfg := config.Default()
	cfg.Logging.Type, cfg.Logging.Level = config.LogSyslog, config.LogDebug
	log, closer, err := newLogger(cfg, logDest{kind: "syslog"}, nil)
	if err != nil {
		t.Skipf("no system log here: %v", err)
	}
	defer closer.Close()
	log.Debug("syslog test from cloudfuse")
}

// blackHole listens on a loopback port and never answers; it returns the
// address.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}
