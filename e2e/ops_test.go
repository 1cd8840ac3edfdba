//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The operating commands: health, secure, gen-config, unmount of busy and
// crashed mounts, mount list, the fstab mount helper. Mount all and
// unmount all are in ops_mountall_test.go.

// opsEnv gives the test its own runtime directory, so the daemons it
// starts record themselves where only this test looks.
func opsEnv(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	t.Setenv("CLOUDFUSE_RUNTIME_DIR", dir)
	return dir
}

// opsConfig writes a config file for the store section in a fresh work
// directory and returns the file, a mount directory and the log file.
func opsConfig(t *testing.T, section, extra string) (cfg, dir, log string) {
	t.Helper()
	work := t.TempDir()
	dir = filepath.Join(work, "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log = filepath.Join(work, "cloudfuse.log")
	body := fmt.Sprintf("logging:\n  level: log_info\n  file-path: %s\ncomponents: [libfuse, file_cache, attr_cache, %s]\n"+
		"libfuse:\n  attribute-expiration-sec: 1\n  entry-expiration-sec: 1\n  negative-entry-expiration-sec: 1\n"+
		"file_cache:\n  path: %s\n%s%s", log, storeComponent(section), filepath.Join(work, "cache"), section, extra)
	cfg = filepath.Join(work, "config.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, dir, log
}

// lazyUnmountAtCleanup detaches dir at the end of the test if it is still
// mounted.
func lazyUnmountAtCleanup(t *testing.T, dir string) {
	t.Cleanup(func() {
		if isMounted(dir) {
			exec.Command("fusermount3", "-u", "-z", dir).Run()
		}
	})
}

// backgroundMount mounts with `cloudfuse mount` (a daemon) and returns the
// daemon's pid as mount list reports it.
func backgroundMount(t *testing.T, dir string, args ...string) int {
	t.Helper()
	out, code := cloudfuse(t, append([]string{"mount", dir}, args...)...)
	if code != 0 {
		t.Fatalf("mount: exit %d: %s", code, out)
	}
	lazyUnmountAtCleanup(t, dir)
	return daemonPID(t, dir)
}

// daemonPID finds the daemon of the mount at dir in `mount list`.
func daemonPID(t *testing.T, dir string) int {
	t.Helper()
	return daemonPIDIn(t, dir, "")
}

// daemonPIDIn is daemonPID for mounts recorded in the runtime directory
// run ("" for the default one).
func daemonPIDIn(t *testing.T, dir, run string) int {
	t.Helper()
	cmd := exec.Command(binary, "mount", "list")
	if run != "" {
		cmd.Env = append(os.Environ(), "CLOUDFUSE_RUNTIME_DIR="+run)
	}
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if err != nil {
		t.Fatalf("mount list: %v %s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 5 && f[0] == dir && strings.HasPrefix(f[4], "pid ") {
			pid, err := strconv.Atoi(strings.TrimPrefix(f[4], "pid "))
			if err == nil {
				return pid
			}
		}
	}
	t.Fatalf("mount list does not show a daemon for %s:\n%s", dir, out)
	return 0
}

// snapshot is the part of `cloudfuse health --format=json` the tests read.
type snapshot struct {
	Mount struct {
		Mountpoint, Source, Store, Config string
	}
	Fuse        map[string]opStats
	Store       map[string]opStats
	OpenHandles int64 `json:"open_handles"`
	Passthrough int64 `json:"passthrough_handles"`
	Cache       *struct {
		Files, Bytes, Dirty int64
	}
	Preload *struct {
		Running   bool
		Listed    bool
		Files     int64
		FilesDone int64 `json:"files_done"`
		BytesDone int64 `json:"bytes_done"`
		Error     string
	}
	Process *struct {
		PID        int
		RSSBytes   int64   `json:"rss_bytes"`
		CPUSeconds float64 `json:"cpu_seconds"`
	}
}

type opStats struct {
	Count, Errors, Bytes int64
	NotFound             int64 `json:"not_found"`
	Latency              struct {
		Buckets []int64
	}
}

func healthJSON(t *testing.T, dir string) snapshot {
	t.Helper()
	out, code := cloudfuse(t, "health", dir, "--format=json")
	if code != 0 {
		t.Fatalf("health: exit %d: %s", code, out)
	}
	var s snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("health json: %v\n%s", err, out)
	}
	return s
}

// delta is what happened to each op between two snapshots.
func delta(after, before map[string]opStats) map[string]opStats {
	out := map[string]opStats{}
	for op, a := range after {
		b := before[op]
		out[op] = opStats{Count: a.Count - b.Count, Errors: a.Errors - b.Errors, Bytes: a.Bytes - b.Bytes}
	}
	return out
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestHealthCountsWhatTheTestDid mounts, makes a known set of operations
// and checks that health, the Prometheus endpoint and the JSON lines
// output all count exactly those.
func TestHealthCountsWhatTheTestDid(t *testing.T) {
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			opsEnv(t)
			port := freePort(t)
			out := t.TempDir()
			m := mountTarget(t, tg, mountOpts{extraYAML: fmt.Sprintf("health_monitor:\n  enable-monitoring: true\n"+
				"  stats-poll-interval-sec: 1\n  process-monitor-interval-sec: 1\n  output-path: %s\n  metrics-port: %d\n", out, port)})
			before := healthJSON(t, m.Dir)
			if before.Mount.Mountpoint != m.Dir || before.Process == nil || before.Process.PID != m.cmd.Process.Pid {
				t.Fatalf("health describes another mount or daemon: %+v", before)
			}

			const data = "0123456789abcdefghij" // 20 bytes
			if err := os.Mkdir(m.path("d"), 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				mustWrite(t, m.path(fmt.Sprintf("d/f%d", i)), data)
			}
			if err := os.Rename(m.path("d/f0"), m.path("d/g0")); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(m.path("d/f1")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(m.path("d/missing")); !os.IsNotExist(err) {
				t.Fatalf("stat of a missing file: %v", err)
			}
			held, err := os.Open(m.path("d/f2"))
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			if n, err := held.Read(buf); err != nil || n != len(data) {
				t.Fatalf("read %d %v", n, err)
			}

			during := healthJSON(t, m.Dir)
			d := delta(during.Fuse, before.Fuse)
			for op, want := range map[string]int64{"mkdir": 1, "create": 3, "rename": 1, "unlink": 1} {
				if d[op].Count != want || d[op].Errors != 0 {
					t.Errorf("%s: %+v, want count %d", op, d[op], want)
				}
			}
			if d["write"].Bytes != 3*int64(len(data)) {
				t.Errorf("write bytes %d, want %d", d["write"].Bytes, 3*len(data))
			}
			if d["read"].Bytes != int64(len(data)) {
				t.Errorf("read bytes %d, want %d", d["read"].Bytes, len(data))
			}
			if d["lookup"].Count < 1 {
				t.Errorf("no lookups counted: %+v", d["lookup"])
			}
			if during.OpenHandles != 1 {
				t.Errorf("open handles %d with one file open", during.OpenHandles)
			}
			// Every file was uploaded on close: three bodies of 20 bytes
			// and a zero-byte directory marker, whatever request kind the
			// store needed.
			sd := delta(during.Store, before.Store)
			if up := sd["put"].Bytes + sd["write_part"].Bytes; up != 3*int64(len(data)) {
				t.Errorf("store uploaded %d bytes, want %d: %+v", up, 3*len(data), sd)
			}
			if sd["delete"].Count < 1 {
				t.Errorf("no store delete for unlink: %+v", sd)
			}
			if nf := during.Store["head"].NotFound; nf < 1 {
				t.Errorf("no store lookup of a missing name counted: %+v", during.Store["head"])
			}
			if during.Cache == nil || during.Cache.Files < 1 || during.Process.RSSBytes <= 0 {
				t.Errorf("cache %+v process %+v", during.Cache, during.Process)
			}
			held.Close()

			// The text summary shows the same counts.
			text, code := cloudfuse(t, "health", m.Dir)
			if code != 0 {
				t.Fatalf("health: %s", text)
			}
			for _, want := range []string{m.Dir, "handles  0 open", "mkdir", "rename", "store"} {
				if !strings.Contains(text, want) {
					t.Errorf("summary lacks %q:\n%s", want, text)
				}
			}
			if lines := strings.Count(text, "\n"); lines > 50 {
				t.Errorf("summary is %d lines:\n%s", lines, text)
			}
			if got := summaryCount(text, "mkdir"); got != before.Fuse["mkdir"].Count+1 {
				t.Errorf("summary mkdir count %d:\n%s", got, text)
			}

			// Prometheus, on the opt-in localhost port.
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := fmt.Sprintf("cloudfuse_fuse_operations_total{mountpoint=%q,op=\"mkdir\"} %d", m.Dir, before.Fuse["mkdir"].Count+1)
			if !strings.Contains(string(body), want) || !strings.Contains(string(body), "process_resident_memory_bytes ") ||
				!strings.Contains(string(body), "cloudfuse_store_request_duration_seconds_bucket{") {
				t.Errorf("metrics lack %q:\n%.3000s", want, body)
			}

			// The JSON lines output, written every second.
			time.Sleep(1500 * time.Millisecond)
			lines := monitorLines(t, out, m.cmd.Process.Pid)
			var last, procs int
			for _, l := range lines {
				switch l.Kind {
				case "stats":
					last = int(l.Fuse["mkdir"].Count)
				case "process":
					procs++
				}
			}
			if last != int(before.Fuse["mkdir"].Count)+1 || procs < 1 {
				t.Errorf("monitor output: last mkdir count %d, %d process lines of %d", last, procs, len(lines))
			}
		})
	}
}

// summaryCount reads the count column of op in the health summary.
func summaryCount(text, op string) int64 {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == op {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

type monitorLine struct {
	Kind string
	Fuse map[string]opStats
}

func monitorLines(t *testing.T, dir string, pid int) []monitorLine {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, fmt.Sprintf("monitor_%d.jsonl", pid)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []monitorLine
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		var l monitorLine
		if err := json.Unmarshal(s.Bytes(), &l); err != nil {
			t.Fatalf("monitor line %q: %v", s.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// TestSecureConfigMount generates a config from the environment, encrypts
// it, mounts it with the passphrase from the environment, and checks the
// failure paths: a wrong passphrase mounts nothing and writes nothing.
func TestSecureConfigMount(t *testing.T) {
	opsEnv(t)
	endpoint, key, secret := s3Env(t)
	b, section := setupS3(t)
	bucket := strings.TrimSpace(strings.TrimPrefix(strings.Split(section, "\n")[1], "  bucket-name:"))
	work := t.TempDir()
	dir := filepath.Join(work, "mnt")
	os.Mkdir(dir, 0o755)
	plain := filepath.Join(work, "gen.yaml")

	gen := exec.Command(binary, "gen-config", "--container-name="+bucket, "--tmp-path="+filepath.Join(work, "cache"), "-o", plain)
	gen.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+endpoint, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gen-config: %v %s", err, out)
	}
	// Keep the daemon's log in the test's directory.
	body := strings.Replace(mustRead(t, plain), "~/.cloudfuse/cloudfuse.log", filepath.Join(work, "log"), 1)
	mustWrite(t, plain, body)

	out, code := cloudfuse(t, "secure", "encrypt", "--config-file="+plain, "--passphrase=correct horse")
	if code != 0 {
		t.Fatalf("encrypt: %s", out)
	}
	enc := plain + ".aes"
	if st, err := os.Stat(enc); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("encrypted file %v %v", st, err)
	}
	if strings.Contains(mustRead(t, enc), secret) {
		t.Fatal("the secret is readable in the encrypted file")
	}

	// Wrong passphrase: one line, non-zero, nothing mounted, nothing
	// written.
	out, code = cloudfuse(t, "mount", dir, "--config-file="+enc, "--secure-config", "--passphrase=wrong")
	expectOneLineError(t, out, code, dir, "wrong passphrase")
	out, code = cloudfuse(t, "secure", "decrypt", "--config-file="+enc, "--passphrase=wrong", "--output-file="+plain)
	expectOneLineError(t, out, code, "", "wrong passphrase")
	if _, err := os.Stat(plain); !os.IsNotExist(err) {
		t.Fatal("a failed decrypt left a file behind")
	}
	if ents, _ := os.ReadDir(work); len(ents) != 2 {
		t.Errorf("work directory holds %d entries, want mnt and the encrypted file", len(ents))
	}
	// A .aes file is read encrypted without --secure-config, as in
	// Cloudfuse; with no passphrase the message says so.
	out, code = cloudfuse(t, "mount", dir, "--config-file="+enc)
	expectOneLineError(t, out, code, dir, "is read as an encrypted config (its name ends in .aes): no passphrase")

	// The passphrase from the environment; the daemon's command line
	// never shows it.
	t.Setenv("CLOUDFUSE_SECURE_CONFIG_PASSPHRASE", "correct horse")
	pid := backgroundMount(t, dir, "--config-file="+enc, "--secure-config")
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if strings.Contains(string(cmdline), "horse") {
		t.Errorf("the passphrase is on the daemon's command line: %q", cmdline)
	}
	mustWrite(t, filepath.Join(dir, "via-secure.txt"), "encrypted config works")
	if got, err := storeGet(t, b, "via-secure.txt"); err != nil || got != "encrypted config works" {
		t.Fatalf("store has %q %v", got, err)
	}
	out, code = cloudfuse(t, "secure", "get", "--config-file="+enc, "--key=s3storage.bucket-name")
	if code != 0 || strings.TrimSpace(out) != bucket {
		t.Fatalf("secure get: %d %q", code, out)
	}
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}
}

// TestUnmountRefusesABusyMount holds a file open: unmount refuses with a
// clear line naming this process, --lazy detaches at once and the open
// file stays readable until closed.
func TestUnmountRefusesABusyMount(t *testing.T) {
	opsEnv(t)
	_, section := setupS3(t)
	cfg, dir, _ := opsConfig(t, section, "")
	pid := backgroundMount(t, dir, "--config-file="+cfg)
	mustWrite(t, filepath.Join(dir, "held.txt"), "held open")
	f, err := os.Open(filepath.Join(dir, "held.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	out, code := cloudfuse(t, "unmount", dir)
	expectOneLineError(t, out, code, "", "busy", "--lazy", fmt.Sprintf("pid %d", os.Getpid()))
	if !isMounted(dir) {
		t.Fatal("a refused unmount unmounted")
	}

	out, code = cloudfuse(t, "unmount", "--lazy", dir)
	if code != 0 {
		t.Fatalf("unmount --lazy: %d %s", code, out)
	}
	if isMounted(dir) {
		t.Fatal("still in the mount table after a lazy unmount")
	}
	data, err := io.ReadAll(f)
	if err != nil || string(data) != "held open" {
		t.Fatalf("read from the detached mount: %q %v", data, err)
	}
	f.Close()
	waitGone(t, pid)
}

// waitGone waits for a process to exit.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("daemon %d still runs", pid)
}

// TestUnmountCleansACrashedMount kills the daemon with SIGKILL: the mount
// point is stale (ENOTCONN), mount list and health say so, and unmount
// cleans it up so the path can be mounted again.
func TestUnmountCleansACrashedMount(t *testing.T) {
	run := opsEnv(t)
	b, section := setupS3(t)
	cfg, dir, _ := opsConfig(t, section, "")
	pid := backgroundMount(t, dir, "--config-file="+cfg)
	mustWrite(t, filepath.Join(dir, "before-crash.txt"), "uploaded on close")

	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	// The kernel answers ENOTCONN once the connection is down. While it is
	// still tearing it down a request may end ECONNABORTED, or EIO (a
	// request in flight when the daemon died): those pass.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := os.Stat(dir)
		if errors.Is(err, syscall.ENOTCONN) {
			break
		}
		if !errors.Is(err, syscall.ECONNABORTED) && !errors.Is(err, syscall.EIO) || time.Now().After(deadline) {
			t.Fatalf("stat of the crashed mount: %v, want ENOTCONN", err)
		}
		t.Logf("stat of the crashed mount while it goes down: %v", err)
	}
	out, _ := cloudfuse(t, "mount", "list")
	if !strings.Contains(out, dir) || !strings.Contains(out, "stale") {
		t.Fatalf("mount list does not flag the stale mount:\n%s", out)
	}
	out, code := cloudfuse(t, "health", dir)
	expectOneLineError(t, out, code, "", "stale", "cloudfuse unmount")
	out, code = cloudfuse(t, "mount", dir, "--config-file="+cfg)
	expectOneLineError(t, out, code, "", "cloudfuse unmount")

	out, code = cloudfuse(t, "unmount", dir)
	if code != 0 || !strings.Contains(out, "stale") {
		t.Fatalf("unmount of the crashed mount: %d %s", code, out)
	}
	if isMounted(dir) {
		t.Fatal("still mounted")
	}
	if ents, _ := os.ReadDir(run); len(ents) != 0 {
		t.Errorf("the crashed daemon's records are left in %s: %v", run, ents)
	}
	if got, err := storeGet(t, b, "before-crash.txt"); err != nil || got != "uploaded on close" {
		t.Fatalf("store has %q %v", got, err)
	}
	// The path mounts again.
	backgroundMount(t, dir, "--config-file="+cfg)
	if got := mustRead(t, filepath.Join(dir, "before-crash.txt")); got != "uploaded on close" {
		t.Fatalf("after remount %q", got)
	}
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}
}

// TestMountHelperForFstab runs the binary as mount(8) runs
// /sbin/mount.fuse.cloudfuse for an fstab line, and as mount.fuse3 runs
// it for `-t fuse.cloudfuse`.
func TestMountHelperForFstab(t *testing.T) {
	opsEnv(t)
	b, section := setupS3(t)
	cfg, dir, _ := opsConfig(t, section, "")
	storePut(t, b, "from-store.txt", "fstab")
	helper := filepath.Join(t.TempDir(), "mount.fuse.cloudfuse")
	if err := os.Symlink(binary, helper); err != nil {
		t.Fatal(err)
	}
	// fstab: CONFIG  DIR  fuse.cloudfuse  _netdev,nofail,x-systemd.automount,ro  0 0
	out, err := exec.Command(helper, cfg, dir, "-o", "rw,_netdev,nofail,x-systemd.automount,ro", "-t", "fuse.cloudfuse").CombinedOutput()
	if err != nil {
		t.Fatalf("mount helper: %v %s", err, out)
	}
	lazyUnmountAtCleanup(t, dir)
	if got := mustRead(t, filepath.Join(dir, "from-store.txt")); got != "fstab" {
		t.Fatalf("read %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("write on a ro fstab mount: %v", err)
	}
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}

	outs, code := cloudfuse(t, "cloudfuse#"+cfg, dir, "-o", "dev,suid,_netdev")
	if code != 0 {
		t.Fatalf("mount.fuse3 style: %d %s", code, outs)
	}
	lazyUnmountAtCleanup(t, dir)
	if got := mustRead(t, filepath.Join(dir, "from-store.txt")); got != "fstab" {
		t.Fatalf("read %q", got)
	}
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}
}

// TestLogTypesAndSecrets mounts with --log-type=silent and checks nothing
// is logged, then with --log-type=file at LOG_DEBUG and checks the secret
// never reaches the log.
func TestLogTypesAndSecrets(t *testing.T) {
	opsEnv(t)
	_, _, secret := s3Env(t)
	_, section := setupS3(t)
	cfg, dir, log := opsConfig(t, section, "")
	backgroundMount(t, dir, "--config-file="+cfg, "--log-type=silent", "--log-level=LOG_DEBUG")
	mustWrite(t, filepath.Join(dir, "f"), "x")
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}
	if data, err := os.ReadFile(log); err == nil && len(data) > 0 {
		t.Fatalf("silent mount logged:\n%s", data)
	}
	backgroundMount(t, dir, "--config-file="+cfg, "--log-type=file", "--log-level=LOG_DEBUG")
	mustWrite(t, filepath.Join(dir, "f"), "y")
	if out, code := cloudfuse(t, "unmount", dir); code != 0 {
		t.Fatalf("unmount: %s", out)
	}
	data := mustRead(t, log)
	if !strings.Contains(data, "level=DEBUG") || !strings.Contains(data, "REDACTED") {
		t.Fatalf("debug log lacks the redacted configuration:\n%s", tail(log))
	}
	if strings.Contains(data, secret) {
		t.Fatal("the secret key is in the log")
	}
}
