package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// credentialKeys are the keys a running mount takes from a changed
// config: the store's secrets, which expire and rotate. The rest take
// effect at the next mount.
var credentialKeys = map[string]bool{
	"s3storage.key-id": true, "s3storage.secret-key": true, "s3storage.session-token": true,
	"azstorage.account-key": true, "azstorage.sas": true,
}

// watchEvery is how often watch-config looks at the config file.
const watchEvery = 2 * time.Second

// reloader re-reads the config on SIGHUP, and when the file changes with
// watch-config, and hands new credentials to the running store. Requests
// already sent finish with the old ones. A config that does not load or
// validate, or credentials the store refuses, are logged and change
// nothing.
type reloader struct {
	load  func() (*config.Config, error) // reads the file, environment and flags as mount did
	apply func(*config.Config) error     // the store's setCredentials
	log   *slog.Logger

	mu  sync.Mutex
	cur *config.Config // the running config, with the credentials last applied
}

// reload reads the config again and applies changed credentials.
func (r *reloader) reload(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := r.load()
	if err != nil {
		r.log.Error("config reload refused; the mount keeps its credentials", "trigger", why, "err", err)
		return
	}
	var creds, later []string
	for _, k := range r.cur.Changed(next) {
		if credentialKeys[k] {
			creds = append(creds, k)
		} else {
			later = append(later, k)
		}
	}
	if len(later) > 0 {
		r.log.Warn("config changed; these keys take effect at the next mount", "trigger", why, "keys", strings.Join(later, ", "))
	}
	if len(creds) == 0 {
		r.log.Info("config reloaded; no credentials changed", "trigger", why)
		return
	}
	addSecrets(r.log, next.Secrets()...)
	if r.apply == nil {
		r.log.Warn("this store has no credentials to replace", "keys", strings.Join(creds, ", "))
		return
	}
	if err := r.apply(next); err != nil {
		r.log.Error("new credentials refused; the mount keeps the old ones", "keys", strings.Join(creds, ", "), "err", err)
		return
	}
	cur := r.cur.Clone()
	cur.Take(next, creds)
	r.cur = cur
	r.log.Info("credentials replaced; new requests use them", "trigger", why, "keys", strings.Join(creds, ", "))
}

// run reloads on SIGHUP and, with watch set, when the content of file
// changes, until ctx ends. The SIGHUP handler is in place when run
// returns, so a SIGHUP never kills the daemon.
func (r *reloader) run(ctx context.Context, file string, watch bool) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	last := fileSum(file)
	go func() {
		defer signal.Stop(hup)
		var tick <-chan time.Time
		if watch {
			t := time.NewTicker(watchEvery)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				last = fileSum(file)
				r.reload("SIGHUP")
			case <-tick:
				if sum := fileSum(file); sum != nil && !bytes.Equal(sum, last) {
					last = sum
					r.reload("the config file changed")
				}
			}
		}
	}()
}

// fileSum is the SHA-256 of a file's content, or nil when it cannot be
// read (a file being replaced is looked at again on the next tick).
func fileSum(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(data)
	return sum[:]
}
