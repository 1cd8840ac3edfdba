//go:build linux

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"
)

// screenshotsEnv names a directory where TestGUI leaves its screenshots
// (make screenshots sets it to docs/images).
const screenshotsEnv = "CLOUDFUSE_UI_SCREENSHOTS"

// gui is `cloudfuse ui` driven by a headless Chromium.
type gui struct {
	t    *testing.T
	base string // http://127.0.0.1:PORT
	ctx  context.Context
	shot string // where screenshots go
}

// startGUI starts `cloudfuse ui` with its own runtime directory and a
// browser that opens the printed address.
func startGUI(t *testing.T, runtimeDir string) *gui {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (scripts/testservers.sh installs it)")
		}
		t.Skip("chromium is not installed; scripts/testservers.sh installs it")
	}
	cmd := exec.Command(binary, "ui", "--no-browser")
	cmd.Env = append(os.Environ(), "CLOUDFUSE_RUNTIME_DIR="+runtimeDir, "DISPLAY=", "WAYLAND_DISPLAY=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var url string
	select {
	case l := <-lines:
		u, ok := strings.CutPrefix(l, "cloudfuse ui: open ")
		if !ok {
			t.Fatalf("cloudfuse ui printed %q", l)
		}
		url = u
	case <-time.After(30 * time.Second):
		t.Fatal("cloudfuse ui printed no address")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("cloudfuse ui listens at %s, not on loopback", url)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser, for as long as ctx lives.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	g := &gui{t: t, base: strings.Split(url, "/?")[0], ctx: ctx, shot: os.Getenv(screenshotsEnv)}
	if g.shot == "" {
		g.shot = t.TempDir()
	}
	g.do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("h1")))
	return g
}

// do runs browser actions, failing the test on the first error.
func (g *gui) do(actions ...chromedp.Action[chromedp.Void]) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		g.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](g *gui, expr string) T {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		g.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (g *gui) waitFor(cond string, within time.Duration) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.ctx, within)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		g.t.Fatalf("waiting for %s: %v; the message says %q", cond, err, g.message())
	}
}

func (g *gui) message() string {
	ctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("message")||{}).textContent||""`))
	return s
}

// screenshot saves the page as name.png.
func (g *gui) screenshot(name string) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		g.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(g.shot, name+".png"), png, 0o644); err != nil {
		g.t.Fatal(err)
	}
}

// field is the CSS selector of the form field that edits key.
func field(key string) chromedp.CSS { return chromedp.CSS(`[name="` + key + `"]`) }

// openForm opens the config form.
func (g *gui) openForm() {
	g.do(chromedp.Navigate(g.base+"/config"), chromedp.WaitVisible(chromedp.CSS("#configform")))
}

// choose picks an option of a select as a user does, firing change.
func (g *gui) choose(key, value string) {
	g.t.Helper()
	g.do(chromedp.SetValue(field(key), value))
	eval[bool](g, `document.getElementById("configform").dispatchEvent(new Event("change", {bubbles: true}))`)
}

// typeIn types text into a visible field.
func (g *gui) typeIn(vals ...string) {
	g.t.Helper()
	for i := 0; i+1 < len(vals); i += 2 {
		g.do(chromedp.WaitVisible(field(vals[i])))
		eval[bool](g, `(document.querySelector('`+string(field(vals[i]))+`').value = "", true)`)
		g.do(chromedp.SendKeys(field(vals[i]), vals[i+1]))
	}
}

// press clicks an action button and waits for its answer.
func (g *gui) press(id string) string {
	g.t.Helper()
	eval[bool](g, `(document.getElementById("message").textContent = "", true)`)
	g.do(chromedp.Click(chromedp.ID(id)))
	g.waitFor(`(t => t !== "" && t !== "working…")(document.getElementById("message").textContent)`, 2*time.Minute)
	return g.message()
}

// fieldError is the error shown beside the field of key.
func (g *gui) fieldError(key string) string {
	return eval[string](g, `document.querySelector('.err[data-for="`+key+`"]').textContent`)
}

// bucketOf reads a value out of a store section of the harness.
func sectionValue(t *testing.T, section, key string) string {
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `: (.*)$`).FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("no %s in %s", key, section)
	}
	return strings.TrimSpace(m[1])
}

// TestGUI drives `cloudfuse ui` in a real browser: the S3 form is filled
// for MinIO, tested, saved and mounted with the file cache; a file written
// through the mount shows on the Mounts page's charts; the mount is
// unmounted from the page. Then the same for Azurite with streaming, a
// config loaded back into the form, and a bad credential shown beside its
// field. Screenshots of each page are taken on the way.
func TestGUI(t *testing.T) {
	endpoint, key, secret := s3Env(t)
	_, s3section := setupS3(t)
	_, azsection := setupAzure(t)
	work := t.TempDir()
	if os.Getenv(screenshotsEnv) != "" {
		// Screenshots for the docs show short, stable paths.
		work = filepath.Join(os.TempDir(), "cloudfuse-gui")
		_ = os.RemoveAll(work)
		if err := os.MkdirAll(work, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(work) })
	}
	runtimeDir := filepath.Join(work, "run")
	g := startGUI(t, runtimeDir)

	mountAndWatch := func(name string, fill func(dir string), check func(dir string)) {
		dir := filepath.Join(work, name+"-mnt")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if isMounted(dir) {
				_ = exec.Command("fusermount3", "-u", "-z", dir).Run()
			}
		})
		g.openForm()
		fill(dir)
		g.typeIn("mount-path", dir, "save-path", filepath.Join(work, name+".yaml"))
		eval[bool](g, `(document.getElementById("f-advanced").checked = true, document.getElementById("configform").dispatchEvent(new Event("change")), true)`)
		g.typeIn("logging.file-path", filepath.Join(work, name+".log"))
		if msg := g.press("test"); !strings.Contains(msg, "dry run: configuration valid") {
			t.Fatalf("%s: Test says %q", name, msg)
		}
		if isMounted(dir) {
			t.Fatalf("%s: Test mounted", name)
		}
		if msg := g.press("save"); !strings.Contains(msg, "saved "+filepath.Join(work, name+".yaml")) {
			t.Fatalf("%s: Save says %q", name, msg)
		}
		st, err := os.Stat(filepath.Join(work, name+".yaml"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: saved config: %v %v", name, st, err)
		}
		g.screenshot("ui-config-" + name)
		if msg := g.press("mount"); !strings.Contains(msg, "mounted "+dir) {
			t.Fatalf("%s: Mount says %q", name, msg)
		}
		if !isMounted(dir) {
			t.Fatalf("%s: not mounted after Mount", name)
		}
		check(dir)

		// Keep the mount busy while the Mounts page samples it, so its
		// charts have something to show.
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(150 * time.Millisecond):
				}
				_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("busy-%d", i%4)), []byte(strings.Repeat("x", 64<<10)), 0o644)
			}
		}()
		g.do(chromedp.Navigate(g.base + "/"))
		card := `document.querySelector('.mount[data-path="` + dir + `"]')`
		g.waitFor(card+` && `+card+`.dataset.state === "mounted"`, 30*time.Second)
		g.waitFor(`(c => c.querySelector('[data-metric="write_bps"]').textContent !== "" &&
			!c.querySelector('[data-metric="write_bps"]').textContent.startsWith("0 B") &&
			!c.querySelector('[data-chart="ops"] .now').textContent.startsWith("0.00"))(`+card+`)`, 45*time.Second)
		// A few more samples draw the lines the screenshot shows.
		g.waitFor(card+`.dataset.samples >= 5`, 30*time.Second)
		close(stop)
		<-done
		text := eval[string](g, card+`.textContent`)
		for _, want := range []string{filepath.Join(work, name+".yaml"), "pid "} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the card lacks %q: %s", name, want, text)
			}
		}
		g.screenshot("ui-mounts-" + name)

		// The log opens in the page.
		g.do(chromedp.Click(chromedp.CSS(`.mount[data-path="` + dir + `"] .showlog`)))
		g.waitFor(`!document.getElementById("logpanel").hidden`, 10*time.Second)
		if got := eval[string](g, `document.getElementById("logname").textContent`); got != filepath.Join(work, name+".log") {
			t.Errorf("%s: log panel shows %q", name, got)
		}

		// A busy mount is refused, naming the process that holds it.
		held, err := os.Open(filepath.Join(dir, "busy-0"))
		if err != nil {
			t.Fatal(err)
		}
		eval[bool](g, `(document.getElementById("message").textContent = "", true)`)
		g.do(chromedp.Click(chromedp.CSS(`.mount[data-path="` + dir + `"] .unmount`)))
		g.waitFor(`document.getElementById("message").textContent !== ""`, time.Minute)
		if msg := g.message(); !strings.Contains(msg, "busy") || !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Errorf("%s: Unmount of a busy mount says %q", name, msg)
		}
		held.Close()
		if !isMounted(dir) {
			t.Fatalf("%s: a busy mount was unmounted", name)
		}

		// Unmount from the page.
		eval[bool](g, `(document.getElementById("message").textContent = "", true)`)
		g.do(chromedp.Click(chromedp.CSS(`.mount[data-path="` + dir + `"] .unmount`)))
		g.waitFor(`document.getElementById("message").textContent.startsWith("unmounted")`, time.Minute)
		if isMounted(dir) {
			t.Fatalf("%s: still mounted after Unmount", name)
		}
		g.waitFor(`!`+card, 10*time.Second)
	}

	bucket := sectionValue(t, s3section, "bucket-name")
	mountAndWatch("s3", func(dir string) {
		g.choose("store", "s3storage")
		g.typeIn("s3storage.bucket-name", bucket, "s3storage.endpoint", endpoint, "s3storage.region", "us-east-1")
		g.choose("s3auth", "keys")
		g.typeIn("s3storage.key-id", key, "s3storage.secret-key", secret)
		g.do(chromedp.Click(field("s3storage.use-path-style")))
		g.choose("datapath", "file_cache")
		g.typeIn("file_cache.path", filepath.Join(work, "s3-cache"))
	}, func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("written through the GUI's mount\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if data, err := os.ReadFile(filepath.Join(dir, "hello.txt")); err != nil || string(data) != "written through the GUI's mount\n" {
			t.Fatalf("read back: %q %v", data, err)
		}
	})
	// The file is in the bucket, as the mount wrote it.
	cl := s3Client(endpoint, key, secret)
	if _, err := cl.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("hello.txt")}); err != nil {
		t.Fatalf("hello.txt is not in the bucket: %v", err)
	}

	azEndpoint := sectionValue(t, azsection, "endpoint")
	container := sectionValue(t, azsection, "container")
	mountAndWatch("azure", func(dir string) {
		g.choose("store", "azstorage")
		g.typeIn("azstorage.account-name", sectionValue(t, azsection, "account-name"), "azstorage.container", container,
			"azstorage.endpoint", azEndpoint)
		g.choose("azstorage.mode", "key")
		g.typeIn("azstorage.account-key", sectionValue(t, azsection, "account-key"))
		g.choose("datapath", "block_cache")
		g.typeIn("block_cache.mem-size-mb", "64")
	}, func(dir string) {
		big := make([]byte, 5<<20)
		for i := range big {
			big[i] = byte(i * 7)
		}
		if err := os.WriteFile(filepath.Join(dir, "stream.bin"), big, 0o644); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "stream.bin"))
		if err != nil || string(data) != string(big) {
			t.Fatalf("streamed file read back wrong: %d bytes, %v", len(data), err)
		}
	})
	azCfg, err := os.ReadFile(filepath.Join(work, "azure.yaml"))
	if err != nil || !strings.Contains(string(azCfg), "block_cache") || !strings.Contains(string(azCfg), "mem-size-mb: 64") {
		t.Fatalf("azure config:\n%s", azCfg)
	}

	// Load the saved Azure config back: the form shows it, the key only
	// as "set".
	g.openForm()
	g.typeIn("source", filepath.Join(work, "azure.yaml"))
	if msg := g.press("load"); !strings.HasPrefix(msg, "loaded") {
		t.Fatalf("Load says %q", msg)
	}
	if v := eval[string](g, `document.querySelector('[name="azstorage.container"]').value`); v != container {
		t.Fatalf("loaded container = %q", v)
	}
	if v := eval[string](g, `(e => e.value + "|" + e.placeholder)(document.querySelector('[name="azstorage.account-key"]'))`); v != "|set (type to replace)" {
		t.Fatalf("account key field after load = %q", v)
	}
	if v := eval[string](g, `document.querySelector('[name="datapath"]').value`); v != "block_cache" {
		t.Fatalf("loaded data path = %q", v)
	}

	// A BlobFuse2 config with keys that do nothing here says so.
	bf2 := filepath.Join(work, "blobfuse2.yaml")
	if err := os.WriteFile(bf2, []byte("components: [libfuse, file_cache, attr_cache, azstorage]\nlibfuse:\n  max-fuse-threads: 64\n"+
		azsection), 0o600); err != nil {
		t.Fatal(err)
	}
	g.typeIn("source", bf2)
	if msg := g.press("load"); !strings.HasPrefix(msg, "loaded") {
		t.Fatalf("Load says %q", msg)
	}
	if w := eval[string](g, `document.getElementById("warnings").textContent`); !strings.Contains(w, "libfuse.max-fuse-threads has no effect here") {
		t.Fatalf("warnings after loading a BlobFuse2 config: %q", w)
	}

	// A bad credential: the error sits beside the secret key field.
	g.openForm()
	g.choose("store", "s3storage")
	g.typeIn("s3storage.bucket-name", bucket, "s3storage.endpoint", endpoint, "s3storage.region", "us-east-1")
	g.choose("s3auth", "keys")
	g.typeIn("s3storage.key-id", key, "s3storage.secret-key", "not-the-secret")
	g.do(chromedp.Click(field("s3storage.use-path-style")))
	g.typeIn("mount-path", filepath.Join(work, "s3-mnt"))
	msg := g.press("test")
	if e := g.fieldError("s3storage.secret-key"); !strings.Contains(e, "access denied") {
		t.Fatalf("bad secret: field error %q, message %q", e, msg)
	}
	if strings.Contains(eval[string](g, `document.body.innerHTML`), secret) {
		t.Fatal("the page holds the real secret key")
	}
	g.screenshot("ui-config-error")

	// And a bucket that does not exist, beside the bucket field.
	g.typeIn("s3storage.bucket-name", "no-such-bucket-"+strings.ToLower(randomName("")), "s3storage.secret-key", secret)
	g.press("test")
	if e := g.fieldError("s3storage.bucket-name"); !strings.Contains(e, "does not exist") {
		t.Fatalf("missing bucket: field error %q", e)
	}
	if isMounted(filepath.Join(work, "s3-mnt")) {
		t.Fatal("a failed Test left a mount")
	}
}

// TestGUIRefusesRequestsWithoutItsToken checks the running server, not
// only its handler: no token, a foreign Host, and a POST without the CSRF
// token are refused.
func TestGUIRefusesRequestsWithoutItsToken(t *testing.T) {
	cmd := exec.Command(binary, "ui", "--no-browser", "--port", "0")
	cmd.Env = append(os.Environ(), "CLOUDFUSE_RUNTIME_DIR="+t.TempDir(), "DISPLAY=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "cloudfuse ui: open "))
	base := strings.Split(url, "/?")[0]
	code := func(args ...string) string {
		o, _ := exec.Command("curl", append([]string{"-s", "-o", "/dev/null", "-w", "%{http_code}"}, args...)...).Output()
		return string(o)
	}
	if c := code(base + "/api/mounts"); c != "403" {
		t.Errorf("no token: %s", c)
	}
	if c := code("-H", "Host: rebind.example", url); c != "421" {
		t.Errorf("foreign Host: %s", c)
	}
	jar := filepath.Join(t.TempDir(), "jar")
	if c := code("-c", jar, url); c != "303" {
		t.Fatalf("with the token: %s", c)
	}
	if c := code("-b", jar, base+"/api/mounts"); c != "200" {
		t.Errorf("with the cookie: %s", c)
	}
	if c := code("-b", jar, "-X", "POST", "-d", `{"path":"/"}`, base+"/api/unmount"); c != "403" {
		t.Errorf("POST without CSRF: %s", c)
	}
	var ms []json.RawMessage
	o, _ := exec.Command("curl", "-s", "-b", jar, base+"/api/mounts").Output()
	if err := json.Unmarshal(o, &ms); err != nil {
		t.Fatalf("mounts: %s", o)
	}
	// Anything but loopback needs --address, and is warned about.
	o, _ = exec.Command(binary, "ui", "--address", "not-an-ip").CombinedOutput()
	if !strings.Contains(string(o), "--address") {
		t.Errorf("bad --address: %s", o)
	}
}
