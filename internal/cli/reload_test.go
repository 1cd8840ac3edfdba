package cli

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// A reload applies changed credentials only, warns about other changed
// keys, and keeps the old credentials when the new config does not load
// or the store refuses them. The log never shows the secrets.
func TestReloaderAppliesCredentials(t *testing.T) {
	cur := config.Default()
	cur.Components = []string{config.CompLibfuse, config.CompFileCache, config.CompS3}
	cur.S3.KeyID, cur.S3.SecretKey = "old-id", "old-secret-value"
	var logs bytes.Buffer
	log := slog.New(newRedactHandler(slog.NewTextHandler(&logs, nil), cur.Secrets()))
	var next *config.Config
	var loadErr, applyErr error
	var applied []string
	r := &reloader{
		load: func() (*config.Config, error) { return next, loadErr },
		apply: func(c *config.Config) error {
			if applyErr == nil {
				applied = append(applied, c.S3.KeyID)
			}
			return applyErr
		},
		log: log, cur: cur,
	}
	step := func(want string) {
		t.Helper()
		logs.Reset()
		r.reload("test")
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
		if strings.Contains(logs.String(), "new-secret-value") || strings.Contains(logs.String(), "old-secret-value") {
			t.Errorf("a secret reached the log: %s", logs.String())
		}
	}

	next = cur.Clone()
	step("no credentials changed")

	loadErr = errors.New("config.yaml:3: s3storage.key-id: bad")
	step("config reload refused; the mount keeps its credentials")
	loadErr = nil

	next = cur.Clone()
	next.S3.KeyID, next.S3.SecretKey = "new-id", "new-secret-value"
	applyErr = errors.New("refused")
	step("new credentials refused; the mount keeps the old ones")
	applyErr = nil

	next.AttrCache.TimeoutSec = 7
	step("credentials replaced; new requests use them")
	if !strings.Contains(logs.String(), "attr_cache.timeout-sec") || len(applied) != 1 || applied[0] != "new-id" {
		t.Errorf("applied %v; log %s", applied, logs.String())
	}
	// The same file again changes no credentials, and still warns.
	step("no credentials changed")
	if !strings.Contains(logs.String(), "take effect at the next mount") {
		t.Errorf("no warning about attr_cache.timeout-sec: %s", logs.String())
	}
}
