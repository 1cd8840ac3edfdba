package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/storage/filter"
)

// mountPathOperand names the mount path where an error is blamed on
// what the user gave (config.KeyError), as the GUI's field is named.
const mountPathOperand = "mount-path"

// defaultConfigFile is read when --config-file is not given, as Cloudfuse
// does.
const defaultConfigFile = "config.yaml"

// mountArgs are the mount flags that are not config keys.
type mountArgs struct {
	configFile   string
	dryRun       bool
	secureConfig bool   // the config file is encrypted
	passphrase   string // its passphrase; else $CLOUDFUSE_SECURE_CONFIG_PASSPHRASE
	pipe         string // a named pipe to read the passphrase from (Cloudfuse)
	fuseOpts     []string
	notifyFD     int // set in the background child: where to report the outcome
	// Cloudfuse's remount flags: bring the mount back at boot or login.
	remountSystem, remountUser bool
	remountAs                  string
}

func (a *app) mountCmd() *cobra.Command {
	var m mountArgs
	cmd := &cobra.Command{
		Use:   "mount <path>",
		Short: "Mount a bucket or container at path",
		Long: "Mount the bucket or container the config file describes at path, an existing empty directory.\n" +
			"By default cloudfuse runs in the background and returns once the mount is up; with\n" +
			"--foreground it stays attached and unmounts cleanly on Ctrl-C or SIGTERM.\n\n" +
			"Settings come from the config file, then AZURE_STORAGE_* environment variables, then flags.\n" +
			"A minimal config file:\n\n" +
			"  components: [libfuse, file_cache, attr_cache, s3storage]\n" +
			"  s3storage:\n" +
			"    bucket-name: my-bucket\n" +
			"    region: us-east-1",
		Example: "  cloudfuse mount ~/bucket --config-file=config.yaml\n" +
			"  cloudfuse mount ~/bucket --config-file=config.yaml --foreground --log-level=LOG_DEBUG\n" +
			"  cloudfuse mount ~/bucket --config-file=config.yaml -o allow_other,ro",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if m.pipe != "" {
				if m.passphrase != "" {
					return usageError{errors.New("give --passphrase or --passphrase-pipe, not both")}
				}
				pass, err := readPassphrasePipe(m.pipe, passphrasePipeWait)
				if err != nil {
					return err
				}
				m.passphrase = pass
			}
			return a.mount(cmd.Context(), cmd.Flags(), m, args[0])
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&m.configFile, "config-file", "", "configuration file in the Cloudfuse/BlobFuse2 schema (default ./config.yaml)")
	fs.BoolVar(&m.dryRun, "dry-run", false, "check the config, the mount path and the bucket with one request; mount nothing")
	fs.BoolVar(&m.secureConfig, "secure-config", false, "the config file is encrypted (see cloudfuse secure)")
	fs.StringVar(&m.passphrase, "passphrase", "", "passphrase of an encrypted config file (default $"+config.PassphraseEnv+")")
	fs.StringVar(&m.pipe, "passphrase-pipe", "", "read the passphrase from this named pipe (its first line), as Cloudfuse does")
	addConfigFlags(fs)
	fs.StringArrayVarP(&m.fuseOpts, "o", "o", nil, "FUSE options, repeatable and comma-separated: allow_other,ro,direct_io,attr_timeout=S,uid=N,...")
	fs.BoolVar(&m.remountSystem, "enable-remount-system", false, "also mount this again at boot (a systemd unit on Linux, the cloudfuse service's list on Windows)")
	fs.BoolVar(&m.remountUser, "enable-remount-user", false, "also mount this again when you log in (a systemd user unit on Linux, your registry on Windows)")
	fs.StringVar(&m.remountAs, "remount-system-user", "", "with --enable-remount-system on Linux: the user the mount at boot runs as (default root)")
	fs.IntVar(&m.notifyFD, "notify-fd", 0, "")
	_ = fs.MarkHidden("notify-fd")
	cmd.AddCommand(a.mountListCmd(), a.mountAllCmd())
	return cmd
}

// loadConfig reads the config file, then the environment, then the flags,
// and validates the result. Warnings go to warn.
//
// before, if set, runs just before Validate (mount all names the bucket
// there).
func (a *app) loadConfig(fs *pflag.FlagSet, m mountArgs, before ...func(*config.Config) error) (*config.Config, []config.Warning, []string, error) {
	path := m.configFile
	if path == "" {
		path = defaultConfigFile
	}
	cfg, warns, err := a.readConfig(path, m)
	var nf *config.NoFileError
	if errors.As(err, &nf) && m.configFile == "" {
		return nil, nil, nil, fmt.Errorf("no --config-file given and %s not found in the current directory; "+
			"a minimal config has two lines: %s", defaultConfigFile, config.MinimalExample)
	}
	if err != nil {
		return nil, warns, nil, err
	}
	if err := cfg.ApplyEnv(a.getenv); err != nil {
		return nil, warns, nil, err
	}
	pass, err := applyFuseOptions(cfg, m.fuseOpts)
	if err != nil {
		return nil, warns, nil, err
	}
	if err := applyConfigFlags(cfg, fs); err != nil {
		return nil, warns, nil, usageError{err}
	}
	warns = append(warns, inertFlagWarnings(fs)...)
	for _, f := range before {
		if err := f(cfg); err != nil {
			return nil, warns, nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, warns, nil, err
	}
	w, err := checkFilter(cfg)
	if err != nil {
		return nil, warns, nil, err
	}
	return cfg, append(warns, w...), pass, nil
}

func (a *app) mount(ctx context.Context, fs *pflag.FlagSet, m mountArgs, path string) error {
	child := m.notifyFD > 0
	var notify *notifier
	if child {
		notify = &notifier{f: os.NewFile(uintptr(m.notifyFD), "notify")}
		if notify.f == nil {
			return fmt.Errorf("--notify-fd %d is not an open file", m.notifyFD)
		}
	}
	err := a.mountWith(ctx, fs, m, path, notify)
	if err != nil && notify != nil {
		notify.fail(err)
	}
	return err
}

func (a *app) mountWith(ctx context.Context, fs *pflag.FlagSet, m mountArgs, path string, notify *notifier) error {
	cfg, warns, pass, err := a.loadConfig(fs, m)
	if notify == nil {
		for _, w := range warns {
			fmt.Fprintf(a.stderr, "cloudfuse: warning: %s\n", w)
		}
	}
	if err != nil {
		return err
	}
	mnt, err := a.checkMountPath(path, cfg)
	if err != nil {
		return config.BlameKey(mountPathOperand, err)
	}
	switch {
	case m.dryRun:
		return a.dryRun(ctx, cfg)
	case !cfg.Foreground && notify == nil:
		if err := a.background(ctx, cfg, mnt, m); err != nil {
			return err
		}
		return a.persistMount(mnt, m)
	case notify == nil:
		if err := a.persistMount(mnt, m); err != nil {
			return err
		}
	}
	reload := func() (*config.Config, error) {
		c, _, _, err := a.loadConfig(fs, m)
		return c, err
	}
	return a.serve(ctx, cfg, warns, mnt, pass, notify, reload)
}

// persistMount records the mount at mnt to come back at boot or login
// when the remount flags ask for it, and says so.
func (a *app) persistMount(mnt string, m mountArgs) error {
	if m.remountAs != "" && !m.remountSystem {
		return usageError{errors.New("--remount-system-user goes with --enable-remount-system")}
	}
	for _, s := range []struct {
		on    bool
		scope remountScope
	}{{m.remountSystem, remountSystem}, {m.remountUser, remountUser}} {
		if !s.on {
			continue
		}
		e, err := newRemountEntry(mnt, m.configFile, m.secureConfig, m.remountAs)
		if err != nil {
			return err
		}
		msg, err := a.enableRemount(s.scope, e, m.passphrase)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n", msg)
	}
	return nil
}

// readConfig reads the config file, decrypting it first with
// --secure-config.
func (a *app) readConfig(path string, m mountArgs) (*config.Config, []config.Warning, error) {
	if !m.secureConfig && filepath.Ext(path) != secureExt {
		return config.Load(path)
	}
	pass, err := a.securePassphrase(m.passphrase)
	if err != nil && !m.secureConfig {
		return nil, nil, usageError{fmt.Errorf("%s is read as an encrypted config (its name ends in %s): %w", path, secureExt, errors.Unwrap(err))}
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &config.NoFileError{Path: path}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	plain, _, err := openSecure(path, data, pass)
	if err != nil {
		return nil, nil, err
	}
	return config.Parse(path, plain)
}

// dryRun opens the store and makes one request to it, mounting nothing.
func (a *app) dryRun(ctx context.Context, cfg *config.Config) error {
	log, closer, err := newLogger(cfg, logDestination(cfg, true), a.stderr)
	if err != nil {
		return err
	}
	defer closer.Close()
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.backend.Close()
	if err := checkStore(ctx, cfg, s, log); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "dry run: configuration valid and %s %q reachable at %s; nothing mounted\n", s.kind, s.name, s.where)
	return nil
}

// secureExt marks an encrypted config file, as in Cloudfuse: a mount of
// config.yaml.aes reads it encrypted without --secure-config.
const secureExt = ".aes"

// passphrasePipeWait is how long mount waits for a writer on
// --passphrase-pipe.
const passphrasePipeWait = 10 * time.Second

// readPassphrasePipe reads the first line of path, a named pipe another
// program writes the passphrase into (a plain file works too). It gives up
// after wait, since opening a pipe blocks until a writer comes.
func readPassphrasePipe(path string, wait time.Duration) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		line, err := bufio.NewReader(io.LimitReader(f, 64<<10)).ReadString('\n')
		if err == io.EOF && line != "" {
			err = nil
		}
		done <- result{strings.TrimRight(line, "\r\n"), err}
	}()
	select {
	case r := <-done:
		switch {
		case r.err != nil:
			return "", fmt.Errorf("--passphrase-pipe %s: %w", path, unwrapPath(r.err))
		case r.line == "":
			return "", fmt.Errorf("--passphrase-pipe %s: the first line is empty", path)
		}
		return r.line, nil
	case <-time.After(wait):
		return "", fmt.Errorf("--passphrase-pipe %s: nothing written to it within %v", path, wait)
	}
}

// checkFilter parses the store's blob filter, so a bad one is refused
// before anything is mounted, and makes a filtered mount read-only, as
// BlobFuse2 does (a file written there might not match and vanish).
func checkFilter(cfg *config.Config) ([]config.Warning, error) {
	f := cfg.Filter()
	if f == "" {
		return nil, nil
	}
	key := storeKey(cfg, keyStoreFilter)
	if _, err := filter.Parse(f); err != nil {
		return nil, &config.Error{Origin: cfg.Origin(key), Key: key, Msg: err.Error()}
	}
	if cfg.ReadOnly {
		return nil, nil
	}
	cfg.ReadOnly = true
	return []config.Warning{{Origin: cfg.Origin(key), Key: key, Msg: "a blob filter makes the mount read-only"}}, nil
}
