package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/a9de3765/cloudfuse/internal/config"
	"github.com/a9de3765/cloudfuse/internal/mounttab"
	"github.com/a9de3765/cloudfuse/internal/storage/azstore"
	"github.com/a9de3765/cloudfuse/internal/storage/s3store"
)

// placeholderName stands in for the bucket or container while mount all
// reads a config that names none.
const placeholderName = "mount-all"

func (a *app) mountAllCmd() *cobra.Command {
	var m mountArgs
	cmd := &cobra.Command{
		Use:   "all <path>",
		Short: "Mount every bucket or container the credentials can list, each at <path>/<name>",
		Long: "List the buckets (s3storage) or containers (azstorage) the credentials can see and mount\n" +
			"each in the background at <path>/<name>, with the same config and flags. mountall:\n" +
			"container-allowlist keeps only the names it lists; container-denylist then drops names.\n" +
			"Each mount gets its own cache directory (<cache>/<name>) and, when logging to a file,\n" +
			"its own log (<log>_<name>); with --metrics-port=P the n-th mount serves on P+n.",
		Example: "  cloudfuse mount all ~/buckets --config-file=config.yaml\n" +
			"  cloudfuse mount all ~/buckets --config-file=config.yaml --dry-run",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.mountAll(cmd.Context(), cmd, m, args[0])
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&m.configFile, "config-file", "", "configuration file in the Cloudfuse/BlobFuse2 schema (default ./config.yaml)")
	fs.BoolVar(&m.dryRun, "dry-run", false, "list what would be mounted; mount nothing")
	fs.BoolVar(&m.secureConfig, "secure-config", false, "the config file is encrypted (see cloudfuse secure)")
	fs.StringVar(&m.passphrase, "passphrase", "", "passphrase of an encrypted config file (default $"+config.PassphraseEnv+")")
	addConfigFlags(fs)
	fs.StringArrayVarP(&m.fuseOpts, "o", "o", nil, "FUSE options for every mount")
	return cmd
}

func (a *app) mountAll(ctx context.Context, cmd *cobra.Command, m mountArgs, path string) error {
	fs := cmd.Flags()
	if fs.Changed("container-name") {
		return usageError{errors.New("mount all mounts every bucket or container; --container-name names one (use cloudfuse mount)")}
	}
	cfg, warns, _, err := a.loadConfig(fs, m, func(cfg *config.Config) error {
		key := storeKey(cfg, keyStoreContainer)
		if !cfg.IsSet(key) {
			return cfg.Set(key, placeholderName, "mount all")
		}
		return nil
	})
	for _, w := range warns {
		fmt.Fprintf(a.stderr, "cloudfuse: warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	names, err := listContainers(ctx, cfg)
	if err != nil {
		return err
	}
	selected := filterContainers(names, cfg.MountAll.ContainerAllowlist, cfg.MountAll.ContainerDenylist)
	out := cmd.OutOrStdout()
	if len(selected) == 0 {
		return fmt.Errorf("nothing to mount: the store lists %d, and mountall.container-allowlist/denylist leave none", len(names))
	}
	base, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if m.dryRun {
		for _, n := range selected {
			fmt.Fprintf(out, "would mount %s at %s\n", n, filepath.Join(base, n))
		}
		return nil
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("mount path %s: %w", base, unwrapPath(err))
	}
	entries, err := a.mountTable()
	if err != nil {
		return err
	}
	pass := m.passphrase
	if pass == "" {
		pass = a.getenv(config.PassphraseEnv)
	}
	var env []string
	if m.secureConfig && pass != "" {
		env = append(env, config.PassphraseEnv+"="+pass)
	}
	common := childFlags(fs, "config-file", "dry-run", "passphrase", "container-name", "tmp-path",
		"block-cache-path", "log-file-path", "metrics-port", "foreground")
	var failed []string
	for i, name := range selected {
		dir := filepath.Join(base, name)
		if e, ok := mounttab.Find(entries, dir); ok {
			fmt.Fprintf(out, "skipped %s: %s is already mounted (%s)\n", name, dir, e.Source)
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", name, unwrapPath(err)))
			fmt.Fprintf(a.stderr, "cloudfuse: %s: %v\n", name, unwrapPath(err))
			continue
		}
		child, extra, err := childConfig(cfg, name, i)
		if err != nil {
			return err
		}
		args := append([]string{"mount", dir}, common...)
		if m.configFile != "" {
			args = append(args, "--config-file="+m.configFile)
		}
		args = append(args, extra...)
		if err := a.spawn(ctx, child, dir, args, env); err != nil {
			failed = append(failed, name)
			fmt.Fprintf(a.stderr, "cloudfuse: %s: %s\n", name, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(out, "mounted %s at %s\n", name, dir)
	}
	if len(failed) > 0 {
		return fmt.Errorf("mount all: %d of %d did not mount: %s", len(failed), len(selected), strings.Join(failed, ", "))
	}
	return nil
}

// listContainers lists the buckets or containers the credentials see.
func listContainers(ctx context.Context, cfg *config.Config) ([]string, error) {
	var names []string
	var err error
	switch cfg.Storage() {
	case config.CompS3:
		o := s3Options(cfg, nil)
		names, err = s3store.ListBuckets(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("listing buckets at %s: %s", firstNonEmpty(o.Endpoint, "AWS S3"), shortErr(err))
		}
	case config.CompAzure:
		o := azureOptions(cfg, nil)
		names, err = azstore.ListContainers(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("listing containers of %s: %s", firstNonEmpty(o.Endpoint, "account "+o.AccountName), shortErr(err))
		}
	default:
		return nil, fmt.Errorf("mount all needs s3storage or azstorage in components, not %s", cfg.Storage())
	}
	sort.Strings(names)
	return names, nil
}

// filterContainers keeps the names in allow (all names when allow is
// empty), then drops the names in deny.
func filterContainers(names, allow, deny []string) []string {
	var out []string
	for _, n := range names {
		if len(allow) > 0 && !slices.Contains(allow, n) {
			continue
		}
		if slices.Contains(deny, n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// childFlags rebuilds the flags the user gave, except skip, as
// --name=value arguments for a child.
func childFlags(fs *pflag.FlagSet, skip ...string) []string {
	var out []string
	fs.Visit(func(f *pflag.Flag) {
		if slices.Contains(skip, f.Name) {
			return
		}
		if f.Value.Type() == "stringArray" {
			vals, _ := fs.GetStringArray(f.Name)
			for _, v := range vals {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return out
}

// childConfig is the config of the i-th mount of mount all, named name,
// and the flags that make the child use it: its own bucket or container,
// cache directory, log file and metrics port.
func childConfig(cfg *config.Config, name string, i int) (*config.Config, []string, error) {
	c := cfg.Clone()
	var args []string
	set := func(key, flag, val string) error {
		args = append(args, "--"+flag+"="+val)
		return c.Set(key, val, "mount all")
	}
	if err := set(storeKey(c, keyStoreContainer), "container-name", name); err != nil {
		return nil, nil, err
	}
	if dir := cacheDir(cfg); dir != "" {
		flag, key := "tmp-path", "file_cache.path"
		if cfg.DataPath() == config.CompBlockCache && cfg.BlockCache.Path != "" {
			flag, key = "block-cache-path", "block_cache.path"
		}
		if err := set(key, flag, filepath.Join(dir, name)); err != nil {
			return nil, nil, err
		}
	}
	if dest := logDestination(cfg, false); dest.kind == "file" {
		ext := filepath.Ext(dest.path)
		p := strings.TrimSuffix(dest.path, ext) + "_" + name + ext
		if err := set("logging.file-path", "log-file-path", p); err != nil {
			return nil, nil, err
		}
	}
	if port := cfg.HealthMonitor.MetricsPort; port > 0 {
		if err := set("health_monitor.metrics-port", "metrics-port", strconv.Itoa(port+i)); err != nil {
			return nil, nil, err
		}
	}
	return c, args, nil
}
