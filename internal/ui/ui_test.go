package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/health"
)

// fakeHost records the commands the page runs.
type fakeHost struct {
	mu     sync.Mutex
	mounts []Mount
	calls  [][]string
	files  []string // the config file text each mount command saw
	run    func(args []string) (string, error)
}

func (h *fakeHost) Mounts() ([]Mount, error) { return h.mounts, nil }

func (h *fakeHost) Run(_ context.Context, args []string) (string, error) {
	h.mu.Lock()
	h.calls = append(h.calls, args)
	for _, a := range args {
		if f, ok := strings.CutPrefix(a, "--config-file="); ok {
			data, err := os.ReadFile(f)
			if err != nil {
				h.files = append(h.files, "unreadable: "+err.Error())
			} else {
				h.files = append(h.files, string(data))
			}
		}
	}
	h.mu.Unlock()
	if h.run != nil {
		return h.run(args)
	}
	return "", nil
}

func (h *fakeHost) MountAtBoot(mountPath, configFile string, secure bool, passphrase string) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, []string{"boot", mountPath, configFile, fmt.Sprint(secure), passphrase})
	return "set " + mountPath + " to mount at boot", nil
}

func (h *fakeHost) NoEffect(cfg *config.Config) []config.Warning {
	if cfg.IsSet("lazy-write") {
		return []config.Warning{{Key: "lazy-write", Msg: "a file is uploaded before close returns"}}
	}
	return nil
}

// client is a browser that opened the printed URL.
type client struct {
	t      *testing.T
	srv    *Server
	h      http.Handler
	cookie *http.Cookie
}

func newClient(t *testing.T, host *fakeHost, o ...func(*Options)) *client {
	t.Helper()
	opts := Options{Host: host, KDF: config.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}}
	for _, f := range o {
		f(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.allowHosts(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080})
	c := &client{t: t, srv: srv, h: srv.Handler()}
	w := c.do(httptest.NewRequest("GET", "http://127.0.0.1:8080/?token="+srv.Token(), nil))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("opening the URL: %d %q", w.Code, w.Header().Get("Location"))
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == cookieName {
			c.cookie = ck
		}
	}
	if c.cookie == nil || !c.cookie.HttpOnly || c.cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie: %+v", c.cookie)
	}
	return c
}

func (c *client) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, r)
	return w
}

func (c *client) get(path string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil)
	r.AddCookie(c.cookie)
	return c.do(r)
}

func (c *client) post(path string, body any) *httptest.ResponseRecorder {
	data, _ := json.Marshal(body)
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080"+path, strings.NewReader(string(data)))
	r.AddCookie(c.cookie)
	r.Header.Set("X-CSRF-Token", c.srv.CSRF())
	r.Header.Set("Origin", "http://127.0.0.1:8080")
	return c.do(r)
}

// result decodes an action's answer.
func (c *client) result(w *httptest.ResponseRecorder) result {
	c.t.Helper()
	var r result
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil {
		c.t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	return r
}

func TestEveryRequestNeedsTheSession(t *testing.T) {
	host := &fakeHost{mounts: []Mount{{Path: "/mnt/a", State: StateMounted}}}
	c := newClient(t, host)
	cases := []struct {
		name string
		req  func() *http.Request
		code int
	}{
		{"no token", func() *http.Request { return httptest.NewRequest("GET", "http://127.0.0.1:8080/api/mounts", nil) }, 403},
		{"wrong token in the URL", func() *http.Request {
			return httptest.NewRequest("GET", "http://127.0.0.1:8080/?token="+strings.Repeat("0", 64), nil)
		}, 403},
		{"wrong cookie", func() *http.Request {
			r := httptest.NewRequest("GET", "http://127.0.0.1:8080/api/mounts", nil)
			r.AddCookie(&http.Cookie{Name: cookieName, Value: "guess"})
			return r
		}, 403},
		{"foreign Host (DNS rebinding)", func() *http.Request {
			r := httptest.NewRequest("GET", "http://attacker.example:8080/api/mounts", nil)
			r.AddCookie(c.cookie)
			return r
		}, http.StatusMisdirectedRequest},
		{"foreign Host with the token", func() *http.Request {
			return httptest.NewRequest("GET", "http://attacker.example:8080/?token="+c.srv.Token(), nil)
		}, http.StatusMisdirectedRequest},
		{"POST without the CSRF token", func() *http.Request {
			r := httptest.NewRequest("POST", "http://127.0.0.1:8080/api/unmount", strings.NewReader(`{"path":"/mnt/a"}`))
			r.AddCookie(c.cookie)
			return r
		}, 403},
		{"cross-site POST", func() *http.Request {
			r := httptest.NewRequest("POST", "http://127.0.0.1:8080/api/unmount", strings.NewReader(`{"path":"/mnt/a"}`))
			r.AddCookie(c.cookie)
			r.Header.Set("X-CSRF-Token", c.srv.CSRF())
			r.Header.Set("Origin", "http://attacker.example")
			return r
		}, 403},
	}
	for _, tc := range cases {
		if w := c.do(tc.req()); w.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.code)
		}
	}
	if len(host.calls) != 0 {
		t.Fatalf("refused requests ran commands: %v", host.calls)
	}
	// The page itself carries the CSRF token and a strict policy.
	w := c.get("/")
	if w.Code != 200 || !strings.Contains(w.Body.String(), c.srv.CSRF()) {
		t.Fatalf("GET /: %d", w.Code)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("CSP = %q", csp)
	}
	if w := c.get("/static/app.js"); w.Code != 200 {
		t.Fatalf("app.js: %d", w.Code)
	}
	if w := c.get("/config"); w.Code != 200 || !strings.Contains(w.Body.String(), `name="s3storage.bucket-name"`) {
		t.Fatalf("GET /config: %d", w.Code)
	}
}

func TestUnmountRunsTheCLIAndReportsBusy(t *testing.T) {
	host := &fakeHost{mounts: []Mount{{Path: "/mnt/a", State: StateMounted}}}
	c := newClient(t, host)
	var ms []Mount
	if err := json.Unmarshal(c.get("/api/mounts").Body.Bytes(), &ms); err != nil || len(ms) != 1 || ms[0].Path != "/mnt/a" {
		t.Fatalf("mounts: %v %v", ms, err)
	}
	host.run = func([]string) (string, error) {
		return "", errors.New("unmount /mnt/a: the mount is busy: vim (pid 7); close them, or use --lazy")
	}
	r := c.result(c.post("/api/unmount", pathRequest{Path: "/mnt/a"}))
	if r.OK || !strings.Contains(r.Message, "vim (pid 7)") {
		t.Fatalf("busy unmount: %+v", r)
	}
	host.run = nil
	if r := c.result(c.post("/api/unmount", pathRequest{Path: "/mnt/a", Lazy: true})); !r.OK {
		t.Fatalf("lazy unmount: %+v", r)
	}
	want := [][]string{{"unmount", "/mnt/a"}, {"unmount", "/mnt/a", "--lazy"}}
	if len(host.calls) != 2 || strings.Join(host.calls[0], " ") != strings.Join(want[0], " ") || strings.Join(host.calls[1], " ") != strings.Join(want[1], " ") {
		t.Fatalf("calls = %v", host.calls)
	}
	// A path that is not a cloudfuse mount is never passed on.
	if w := c.post("/api/unmount", pathRequest{Path: "/etc"}); w.Code != 404 {
		t.Fatalf("unmount /etc: %d", w.Code)
	}
	if len(host.calls) != 2 {
		t.Fatalf("calls = %v", host.calls)
	}
}

func s3Form(dir string) formValues {
	return formValues{
		fStore: config.CompS3, "s3storage.bucket-name": "b", "s3storage.endpoint": "http://127.0.0.1:9",
		fS3Auth: s3Keys, "s3storage.key-id": "AKID", "s3storage.secret-key": "SECRET-VALUE",
		fDataPath: dpFile, "file_cache.path": filepath.Join(dir, "cache"), fMountPath: filepath.Join(dir, "mnt"),
		fSavePath: filepath.Join(dir, "cfg", "s3.yaml"), "s3storage.use-path-style": "true", "read-only": "false",
	}
}

func TestTestRunsTheDryRunOnTheFormsConfig(t *testing.T) {
	dir := t.TempDir()
	host := &fakeHost{}
	c := newClient(t, host)
	host.run = func([]string) (string, error) { return "dry run: configuration valid and bucket \"b\" reachable", nil }
	r := c.result(c.post("/api/config/test", formRequest{Values: s3Form(dir)}))
	if !r.OK || !strings.Contains(r.Message, "dry run") {
		t.Fatalf("test: %+v", r)
	}
	args := host.calls[0]
	if args[0] != "mount" || args[1] != filepath.Join(dir, "mnt") || args[len(args)-1] != "--dry-run" {
		t.Fatalf("args = %v", args)
	}
	cfg, _, err := config.Parse("seen", []byte(host.files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.S3.BucketName != "b" || cfg.S3.SecretKey != "SECRET-VALUE" || !cfg.S3.UsePathStyle || cfg.DataPath() != config.CompFileCache || cfg.ReadOnly {
		t.Fatalf("config seen by the dry run:\n%s", host.files[0])
	}
	// Nothing is left: the temporary config is gone, and nothing was saved.
	f := strings.TrimPrefix(args[2], "--config-file=")
	if _, err := os.Stat(filepath.Dir(f)); !os.IsNotExist(err) {
		t.Fatalf("temporary config left at %s", f)
	}
	if _, err := os.Stat(filepath.Join(dir, "cfg")); !os.IsNotExist(err) {
		t.Fatal("Test saved the config")
	}

	// The store's refusal lands beside the field the CLI blames.
	host.run = func([]string) (string, error) {
		return "", config.BlameKey("s3storage.secret-key", errors.New(`bucket "b": access denied, check the credentials`))
	}
	r = c.result(c.post("/api/config/test", formRequest{Values: s3Form(dir)}))
	if r.OK || !strings.Contains(r.Fields["s3storage.secret-key"], "access denied") {
		t.Fatalf("bad credential: %+v", r)
	}
	// A bad value is refused before any command runs, beside its field.
	calls := len(host.calls)
	v := s3Form(dir)
	v["file_cache.timeout-sec"] = "soon"
	r = c.result(c.post("/api/config/test", formRequest{Values: v}))
	if r.OK || !strings.Contains(r.Fields["file_cache.timeout-sec"], "soon") {
		t.Fatalf("bad number: %+v", r)
	}
	v = s3Form(dir)
	v[fMountPath] = ""
	r = c.result(c.post("/api/config/test", formRequest{Values: v}))
	if r.OK || r.Fields[fMountPath] == "" {
		t.Fatalf("no mount path: %+v", r)
	}
	if len(host.calls) != calls {
		t.Fatalf("bad input ran commands: %v", host.calls[calls:])
	}
}

func TestSaveLoadKeepsWhatTheFormDoesNotShowAndNeverReturnsSecrets(t *testing.T) {
	dir := t.TempDir()
	c := newClient(t, &fakeHost{})
	src := filepath.Join(dir, "old.yaml")
	old := "# written by hand\nlazy-write: true\ncomponents: [libfuse, block_cache, attr_cache, azstorage]\n" +
		"azstorage:\n  account-name: acct\n  container: c\n  account-key: KEY-VALUE\n  mode: key\n  tier: hot # keep me\n" +
		"block_cache:\n  block-size-mb: 8\n"
	if err := os.WriteFile(src, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var lr loadResult
	w := c.post("/api/config/load", loadRequest{Path: src})
	if err := json.Unmarshal(w.Body.Bytes(), &lr); err != nil || !lr.OK {
		t.Fatalf("load: %s %v", w.Body, err)
	}
	if strings.Contains(w.Body.String(), "KEY-VALUE") {
		t.Fatal("load sent a secret to the browser")
	}
	if lr.Values[fStore] != config.CompAzure || lr.Values[fDataPath] != dpStream || lr.Values["block_cache.block-size-mb"] != "8" ||
		len(lr.Secrets) != 1 || lr.Secrets[0] != "azstorage.account-key" {
		t.Fatalf("loaded %+v secrets %v", lr.Values, lr.Secrets)
	}
	if !strings.Contains(strings.Join(lr.Warnings, "\n"), "lazy-write has no effect here") {
		t.Fatalf("warnings = %v", lr.Warnings)
	}
	// Save it back with one change; the secret stays, as do the keys and
	// comments the form does not show.
	v := lr.Values
	v["block_cache.block-size-mb"] = "32"
	r := c.result(c.post("/api/config/save", formRequest{Values: v}))
	if !r.OK || r.Saved != src {
		t.Fatalf("save: %+v", r)
	}
	data, _ := os.ReadFile(src)
	for _, want := range []string{"# written by hand", "KEY-VALUE", "tier: hot # keep me", "lazy-write: true", "block-size-mb: 32"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved config lacks %q:\n%s", want, data)
		}
	}
	if st, _ := os.Stat(src); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
	// Another existing file is not replaced unless asked.
	other := filepath.Join(dir, "other.yaml")
	_ = os.WriteFile(other, []byte("keep"), 0o600)
	v[fSavePath] = other
	r = c.result(c.post("/api/config/save", formRequest{Values: v}))
	if r.OK || !strings.Contains(r.Fields[fSavePath], "exists") {
		t.Fatalf("save over another file: %+v", r)
	}
	if data, _ := os.ReadFile(other); string(data) != "keep" {
		t.Fatal("the other file changed")
	}
	// A file that is not YAML is refused, naming it.
	_ = os.WriteFile(other, []byte("{{{"), 0o600)
	w = c.post("/api/config/load", loadRequest{Path: other})
	if err := json.Unmarshal(w.Body.Bytes(), &lr); err != nil || lr.OK || !strings.Contains(lr.Fields[fSource], other) {
		t.Fatalf("load of a bad file: %s", w.Body)
	}
}

func TestEncryptedConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	host := &fakeHost{}
	c := newClient(t, host)
	v := s3Form(dir)
	v[fEncrypt], v[fPassphrase] = "true", "correct horse"
	v[fSavePath] = filepath.Join(dir, "s3.yaml.aes")
	r := c.result(c.post("/api/config/mount", formRequest{Values: v}))
	if !r.OK {
		t.Fatalf("mount: %+v", r)
	}
	data, _ := os.ReadFile(v[fSavePath])
	if !config.IsEncrypted(data) || strings.Contains(string(data), "SECRET-VALUE") {
		t.Fatal("the config was not saved encrypted")
	}
	// The dry run, then the mount, with the passphrase.
	if len(host.calls) != 2 || host.calls[0][len(host.calls[0])-1] != "--dry-run" {
		t.Fatalf("calls = %v", host.calls)
	}
	joined := strings.Join(host.calls[1], " ")
	if !strings.Contains(joined, "--secure-config") || !strings.Contains(joined, "--passphrase=correct horse") || strings.Contains(joined, "--dry-run") {
		t.Fatalf("mount args = %v", host.calls[1])
	}
	var lr loadResult
	w := c.post("/api/config/load", loadRequest{Path: v[fSavePath]})
	_ = json.Unmarshal(w.Body.Bytes(), &lr)
	if lr.OK || !lr.Encrypted || lr.Fields[fPassphrase] == "" {
		t.Fatalf("load without passphrase: %s", w.Body)
	}
	w = c.post("/api/config/load", loadRequest{Path: v[fSavePath], Passphrase: "wrong"})
	_ = json.Unmarshal(w.Body.Bytes(), &lr)
	if lr.OK || lr.Fields[fPassphrase] == "" {
		t.Fatalf("load with a wrong passphrase: %s", w.Body)
	}
	lr = loadResult{}
	w = c.post("/api/config/load", loadRequest{Path: v[fSavePath], Passphrase: "correct horse"})
	_ = json.Unmarshal(w.Body.Bytes(), &lr)
	if !lr.OK || lr.Values["s3storage.bucket-name"] != "b" || lr.Values[fEncrypt] != "true" || strings.Contains(w.Body.String(), "SECRET-VALUE") {
		t.Fatalf("load with the passphrase: %s", w.Body)
	}
}

func TestMountAtBootSavesThenAsksTheCLI(t *testing.T) {
	dir := t.TempDir()
	host := &fakeHost{}
	c := newClient(t, host)
	v := s3Form(dir)
	r := c.result(c.post("/api/config/boot", formRequest{Values: v}))
	if !r.OK || !strings.Contains(r.Message, "mount at boot") || r.Saved != v[fSavePath] {
		t.Fatalf("boot: %+v", r)
	}
	if _, err := os.Stat(v[fSavePath]); err != nil {
		t.Fatalf("the config was not saved first: %v", err)
	}
	want := []string{"boot", filepath.Join(dir, "mnt"), v[fSavePath], "false", ""}
	if len(host.calls) != 1 || strings.Join(host.calls[0], "|") != strings.Join(want, "|") {
		t.Fatalf("calls = %v", host.calls)
	}
}

func TestStatsAreRatesFromTheDaemon(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "h.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mon := health.New(health.Options{Mount: health.MountInfo{Mountpoint: "/mnt/a"}})
	hs := health.Serve(ln, mon, nil)
	defer hs.Close()
	host := &fakeHost{mounts: []Mount{{Path: "/mnt/a", State: StateMounted, Socket: sock}, {Path: "/mnt/b", State: StateStale}}}
	c := newClient(t, host)
	mon.FuseOp("read", 2*time.Millisecond)
	mon.FuseBytes("read", 1<<20)
	var s stats
	if err := json.Unmarshal(c.get("/api/stats?path=/mnt/a").Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.ReadBps <= 0 || s.Ops != 1 || s.P50Ms != 2.5 {
		t.Fatalf("first sample: %+v", s)
	}
	// The next sample covers only what happened since the first.
	time.Sleep(20 * time.Millisecond)
	if err := json.Unmarshal(c.get("/api/stats?path=/mnt/a").Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.ReadBps != 0 || s.OpsPerSec != 0 || s.Ops != 1 {
		t.Fatalf("idle sample: %+v", s)
	}
	if w := c.get("/api/stats?path=/mnt/b"); w.Code != http.StatusConflict {
		t.Fatalf("stale mount: %d", w.Code)
	}
	if w := c.get("/api/stats?path=/etc"); w.Code != http.StatusNotFound {
		t.Fatalf("not a mount: %d", w.Code)
	}
}

func TestLogShowsTheEndOfTheMountsLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "cloudfuse.log")
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		b.WriteString("line of the log that is long enough to need a tail\n")
	}
	b.WriteString("the last line\n")
	_ = os.WriteFile(log, []byte(b.String()), 0o600)
	c := newClient(t, &fakeHost{mounts: []Mount{{Path: "/mnt/a", State: StateMounted, Log: log}, {Path: "/mnt/s", Log: "syslog"}}})
	r := c.result(c.get("/api/log?path=/mnt/a"))
	if !r.OK || len(r.Warnings) != 1 || !strings.HasSuffix(r.Warnings[0], "the last line\n") || len(r.Warnings[0]) > logTail ||
		!strings.HasPrefix(r.Warnings[0], "line of") {
		t.Fatalf("log: ok=%v %d bytes", r.OK, len(r.Warnings[0]))
	}
	if r := c.result(c.get("/api/log?path=/mnt/s")); !strings.Contains(r.Message, "journalctl") {
		t.Fatalf("syslog: %+v", r)
	}
}
