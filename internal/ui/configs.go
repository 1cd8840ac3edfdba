package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/a9de3765/cloudfuse/internal/atomicfile"
	"github.com/a9de3765/cloudfuse/internal/config"
)

// Form-level fields beside the config's keys.
const (
	fSource     = "source"     // the config file loaded into the form, "" for a new one
	fSavePath   = "save-path"  // where Save writes
	fEncrypt    = "encrypt"    // "true": save in the secure (encrypted) format
	fPassphrase = "passphrase" // of the loaded file, and for saving it encrypted
	fOverwrite  = "overwrite"  // "true": Save may replace another file
)

type formRequest struct {
	Values formValues `json:"values"`
}

// fieldError answers a failed action, placing err beside the field it
// blames when there is one.
func fieldError(err error) result {
	r := result{Message: err.Error()}
	key := config.BlamedKey(err)
	if key == "" {
		return r
	}
	msg := err.Error()
	var ce *config.Error
	if errors.As(err, &ce) && ce.Key == key {
		msg = ce.Msg
	}
	r.Fields = map[string]string{fieldID(key): msg}
	return r
}

// fieldID is the form field that shows key: the key itself, or the store
// choice for the components list.
func fieldID(key string) string {
	if key == "components" {
		return fStore
	}
	return key
}

// readSource reads the config file the form was loaded from, decrypted.
func readSource(path, passphrase string) ([]byte, bool, error) {
	if path == "" {
		return nil, false, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, config.BlameKey(fSource, err)
	}
	if !config.IsEncrypted(data) {
		return data, false, nil
	}
	if passphrase == "" {
		return nil, true, config.BlameKey(fPassphrase, fmt.Errorf("%s is encrypted; enter its passphrase", path))
	}
	plain, err := config.Decrypt(data, []byte(passphrase))
	if err != nil {
		return nil, true, config.BlameKey(fPassphrase, fmt.Errorf("%s: %w", path, err))
	}
	return plain, true, nil
}

// build turns the form into config text and checks it as a mount would
// (the environment and flags aside).
func (s *Server) build(v formValues) ([]byte, *config.Config, []string, error) {
	base, _, err := readSource(v[fSource], v[fPassphrase])
	if err != nil {
		return nil, nil, nil, err
	}
	data, err := applyForm(base, v)
	if err != nil {
		return nil, nil, nil, err
	}
	name := v[fSavePath]
	if name == "" {
		name = "config"
	}
	cfg, warns, err := config.Parse(name, data)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var out []string
	for _, w := range warns {
		out = append(out, w.String())
	}
	out = append(out, s.noEffect(cfg)...)
	return data, cfg, out, nil
}

// loadRequest names a config file to show in the form.
type loadRequest struct {
	Path       string `json:"path"`
	Passphrase string `json:"passphrase"`
}

type loadResult struct {
	result
	Values    formValues `json:"values,omitempty"`
	Secrets   []string   `json:"secrets,omitempty"` // secret keys the file sets
	Encrypted bool       `json:"encrypted"`
}

func (s *Server) apiLoad(w http.ResponseWriter, r *http.Request) {
	var req loadRequest
	if !readJSON(w, r, &req) {
		return
	}
	path := config.ExpandPath(strings.TrimSpace(req.Path))
	if path == "" {
		writeJSON(w, http.StatusOK, loadResult{result: fieldError(config.BlameKey(fSource, errors.New("give the config file to load")))})
		return
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	data, enc, err := readSource(path, req.Passphrase)
	if err != nil {
		writeJSON(w, http.StatusOK, loadResult{result: fieldError(err), Encrypted: enc})
		return
	}
	cfg, warns, err := config.Parse(path, data)
	if err != nil {
		r := fieldError(err)
		r.Fields = map[string]string{fSource: err.Error()}
		writeJSON(w, http.StatusOK, loadResult{result: r, Encrypted: enc})
		return
	}
	vals, secrets := loadForm(data, cfg)
	vals[fSource], vals[fSavePath] = path, path
	if enc {
		vals[fEncrypt] = "true"
	}
	res := loadResult{result: result{OK: true, Message: "loaded " + path}, Values: vals, Secrets: secrets, Encrypted: enc}
	for _, w := range warns {
		res.Warnings = append(res.Warnings, w.String())
	}
	res.Warnings = append(res.Warnings, s.noEffect(cfg)...)
	writeJSON(w, http.StatusOK, res)
}

// mountPath is the form's mount directory, absolute.
func mountPath(v formValues) (string, error) {
	p := strings.TrimSpace(v[fMountPath])
	if p == "" {
		return "", config.BlameKey(fMountPath, errors.New("give the directory to mount at"))
	}
	abs, err := filepath.Abs(config.ExpandPath(p))
	if err != nil {
		return "", config.BlameKey(fMountPath, err)
	}
	return abs, nil
}

// dryRun runs `cloudfuse mount <path> --config-file=<file> --dry-run`.
func (s *Server) dryRun(ctx context.Context, file, mnt string, secure bool, pass string) (string, error) {
	return s.opts.Host.Run(ctx, mountArgs(file, mnt, secure, pass, "--dry-run"))
}

func mountArgs(file, mnt string, secure bool, pass string, extra ...string) []string {
	args := []string{"mount", mnt, "--config-file=" + file}
	if secure {
		args = append(args, "--secure-config", "--passphrase="+pass)
	}
	return append(args, extra...)
}

func (s *Server) apiTest(w http.ResponseWriter, r *http.Request) {
	var req formRequest
	if !readJSON(w, r, &req) {
		return
	}
	data, _, warns, err := s.build(req.Values)
	var out string
	if err == nil {
		var mnt string
		if mnt, err = mountPath(req.Values); err == nil {
			out, err = s.testText(r.Context(), data, mnt)
		}
	}
	answer(w, err, firstLine(out, "the dry run passed"), warns, "")
}

// answer replies to a form action: its error beside the field it blames,
// or msg; with the config file saved, if any, and the warnings.
func answer(w http.ResponseWriter, err error, msg string, warns []string, saved string) {
	res := result{OK: true, Message: msg}
	if err != nil {
		res = fieldError(err)
	}
	res.Warnings, res.Saved = warns, saved
	writeJSON(w, http.StatusOK, res)
}

// testText runs the dry run on config text not saved yet, from a private
// temporary file that is removed before it returns.
func (s *Server) testText(ctx context.Context, data []byte, mnt string) (string, error) {
	dir, err := os.MkdirTemp("", "cloudfuse-ui-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := s.dryRun(ctx, file, mnt, false, "")
	if err != nil {
		// The temporary file means nothing to the user.
		err = rename(err, file+":", "config:")
	}
	return out, err
}

// rename replaces old with new in err's message, keeping the key it
// blames.
func rename(err error, old, new string) error {
	if !strings.Contains(err.Error(), old) {
		return err
	}
	return config.BlameKey(config.BlamedKey(err), errors.New(strings.ReplaceAll(err.Error(), old, new)))
}

// save writes the form's config where it asks, and returns the path.
func (s *Server) save(v formValues) (string, []string, error) {
	data, _, warns, err := s.build(v)
	if err != nil {
		return "", warns, err
	}
	p := strings.TrimSpace(v[fSavePath])
	if p == "" {
		return "", warns, config.BlameKey(fSavePath, errors.New("give the file to save the config in"))
	}
	p, err = filepath.Abs(config.ExpandPath(p))
	if err != nil {
		return "", warns, config.BlameKey(fSavePath, err)
	}
	if st, err := os.Stat(p); err == nil {
		switch {
		case st.IsDir():
			return "", warns, config.BlameKey(fSavePath, fmt.Errorf("%s is a directory; give a file name", p))
		case p != v[fSource] && v[fOverwrite] != "true":
			return "", warns, config.BlameKey(fSavePath, fmt.Errorf("%s exists; tick \"replace\" to overwrite it", p))
		}
	}
	if v[fEncrypt] == "true" {
		if v[fPassphrase] == "" {
			return "", warns, config.BlameKey(fPassphrase, errors.New("an encrypted config needs a passphrase"))
		}
		if data, err = config.EncryptWith(data, []byte(v[fPassphrase]), s.opts.KDF); err != nil {
			return "", warns, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", warns, config.BlameKey(fSavePath, err)
	}
	if err := atomicfile.Write(p, data, 0o600); err != nil {
		return "", warns, config.BlameKey(fSavePath, err)
	}
	return p, warns, nil
}

func (s *Server) apiSave(w http.ResponseWriter, r *http.Request) {
	var req formRequest
	if !readJSON(w, r, &req) {
		return
	}
	p, warns, err := s.save(req.Values)
	answer(w, err, "saved "+p, warns, p)
}

// saveToMount checks the mount directory is given and saves the config,
// for an action that mounts it.
func (s *Server) saveToMount(v formValues) (mnt, file string, warns []string, err error) {
	if mnt, err = mountPath(v); err != nil {
		return "", "", nil, err
	}
	file, warns, err = s.save(v)
	return mnt, file, warns, err
}

// apiMount saves the config, runs the dry run, then mounts in the
// background as `cloudfuse mount` does.
func (s *Server) apiMount(w http.ResponseWriter, r *http.Request) {
	var req formRequest
	if !readJSON(w, r, &req) {
		return
	}
	v := req.Values
	mnt, file, warns, err := s.saveToMount(v)
	if err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
		defer cancel()
		secure := v[fEncrypt] == "true"
		if _, err = s.dryRun(ctx, file, mnt, secure, v[fPassphrase]); err == nil {
			_, err = s.opts.Host.Run(ctx, mountArgs(file, mnt, secure, v[fPassphrase]))
		}
	}
	answer(w, err, "mounted "+mnt+" (config "+file+")", warns, file)
}

// apiBoot saves the config and sets it to be mounted at boot, as
// `cloudfuse mount --enable-remount-system` does.
func (s *Server) apiBoot(w http.ResponseWriter, r *http.Request) {
	var req formRequest
	if !readJSON(w, r, &req) {
		return
	}
	v := req.Values
	mnt, file, warns, err := s.saveToMount(v)
	var msg string
	if err == nil {
		msg, err = s.opts.Host.MountAtBoot(mnt, file, v[fEncrypt] == "true", v[fPassphrase])
	}
	answer(w, err, msg, warns, file)
}

// noEffect says which keys set in cfg change nothing here, and why.
func (s *Server) noEffect(cfg *config.Config) []string {
	var out []string
	for _, w := range s.opts.Host.NoEffect(cfg) {
		out = append(out, w.Key+" has no effect here: "+w.Msg)
	}
	return out
}
