package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/a9de3765/cloudfuse/internal/atomicfile"
	"github.com/a9de3765/cloudfuse/internal/config"
)

// genArgs are the flags of gen-config.
type genArgs struct {
	store, container, endpoint, region, account string
	blockCache, readOnly, force                 bool
	tmpPath, output, passphrase                 string
	cacheSizeMB                                 int
}

func (a *app) genConfigCmd() *cobra.Command {
	var g genArgs
	cmd := &cobra.Command{
		Use:   "gen-config",
		Short: "Write a working, commented config file for an S3 bucket or an Azure container",
		Long: "Write a config file from flags and the environment: AWS_REGION, AWS_ENDPOINT_URL[_S3],\n" +
			"AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_PROFILE for S3; AZURE_STORAGE_ACCOUNT,\n" +
			"AZURE_STORAGE_ACCOUNT_CONTAINER, AZURE_STORAGE_BLOB_ENDPOINT, AZURE_STORAGE_ACCESS_KEY and\n" +
			"AZURE_STORAGE_SAS_TOKEN for Azure. Credentials found in the environment are written into\n" +
			"the file (mode 0600); give --passphrase to write it encrypted. The data path is the file\n" +
			"cache unless --block-cache. The result is checked like a mount checks it.",
		Example: "  cloudfuse gen-config --container-name=photos --region=eu-west-1 -o photos.yaml\n" +
			"  cloudfuse gen-config --store=azure --account-name=acct --container-name=box --block-cache -o box.yaml\n" +
			"  cloudfuse gen-config --container-name=photos -o photos.yaml.aes --passphrase=SECRET",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.genConfig(cmd, g) },
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&g.store, "store", "", "s3 or azure (default: azure when $AZURE_STORAGE_ACCOUNT is set, else s3)")
	fs.StringVar(&g.container, "container-name", "", "the bucket (s3) or container (azure)")
	fs.StringVar(&g.endpoint, "endpoint", "", "store endpoint URL (default: AWS, or the account's blob endpoint)")
	fs.StringVar(&g.region, "region", "", "S3 region (default $AWS_REGION)")
	fs.StringVar(&g.account, "account-name", "", "Azure storage account (default $AZURE_STORAGE_ACCOUNT)")
	fs.BoolVar(&g.blockCache, "block-cache", false, "stream through block_cache instead of staging whole files in file_cache")
	fs.StringVar(&g.tmpPath, "tmp-path", "", "cache directory (default ~/.cloudfuse/file_cache)")
	fs.IntVar(&g.cacheSizeMB, "cache-size-mb", 0, "cache size limit in MiB (default: only the disk thresholds)")
	fs.BoolVar(&g.readOnly, "read-only", false, "mount read-only")
	fs.StringVarP(&g.output, "output-file", "o", "", "file to write (default: standard output)")
	fs.BoolVar(&g.force, "force", false, "replace an existing output file")
	fs.StringVar(&g.passphrase, "passphrase", "", "encrypt the file with this passphrase (see cloudfuse secure)")
	return cmd
}

func (a *app) genConfig(cmd *cobra.Command, g genArgs) error {
	store := g.store
	if store == "" {
		store = "s3"
		if a.getenv("AZURE_STORAGE_ACCOUNT") != "" && a.getenv("AWS_ACCESS_KEY_ID") == "" {
			store = "azure"
		}
	}
	var text string
	switch store {
	case "s3":
		if g.container == "" {
			return usageError{errors.New("--container-name is required: the bucket to mount")}
		}
		text = a.genS3(g)
	case "azure":
		if firstNonEmpty(g.container, a.getenv("AZURE_STORAGE_ACCOUNT_CONTAINER")) == "" {
			return usageError{errors.New("--container-name (or $AZURE_STORAGE_ACCOUNT_CONTAINER) is required: the container to mount")}
		}
		if firstNonEmpty(g.account, a.getenv("AZURE_STORAGE_ACCOUNT")) == "" {
			return usageError{errors.New("--account-name (or $AZURE_STORAGE_ACCOUNT) is required: the storage account")}
		}
		text = a.genAzure(g)
	default:
		return usageError{fmt.Errorf("--store: expected s3 or azure, got %q", store)}
	}
	cfg, _, err := config.Parse("the generated config", []byte(text))
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		return fmt.Errorf("%v; give the missing value as a flag (see cloudfuse gen-config --help)", err)
	}
	data := []byte(text)
	if g.passphrase != "" {
		if g.output == "" || g.output == "-" {
			return usageError{errors.New("an encrypted config needs --output-file")}
		}
		if data, err = config.EncryptWith(data, []byte(g.passphrase), a.kdfParams()); err != nil {
			return err
		}
	}
	if g.output == "" || g.output == "-" {
		_, err := cmd.OutOrStdout().Write(data)
		return err
	}
	if _, err := os.Stat(g.output); err == nil && !g.force {
		return fmt.Errorf("%s exists; use --force to replace it", g.output)
	}
	if err := atomicfile.Write(g.output, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", g.output)
	return nil
}

// genWriter builds a commented YAML file.
type genWriter struct{ b strings.Builder }

// kv writes "key: value  # comment" at the given indent.
func (w *genWriter) kv(indent int, key, value, comment string) {
	line := strings.Repeat("  ", indent) + key + ":"
	if value != "" {
		line += " " + value
	}
	if comment != "" {
		line = fmt.Sprintf("%-40s # %s", line, comment)
	}
	w.b.WriteString(line + "\n")
}

// item writes a list item with a comment.
func (w *genWriter) item(value, comment string) {
	w.b.WriteString(fmt.Sprintf("%-40s # %s\n", "  - "+value, comment))
}

func (w *genWriter) line(s string) { w.b.WriteString(s + "\n") }

// quote writes s as a YAML string scalar.
func quote(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}

func (a *app) genCommon(w *genWriter, g genArgs, storeComp, what string) {
	w.line(fmt.Sprintf("# cloudfuse config for %s, written by cloudfuse gen-config on %s.", what, time.Now().Format("2006-01-02")))
	w.line("# Mount:   cloudfuse mount <path> --config-file=<this file>")
	w.line("# Unmount: cloudfuse unmount <path>      Every key: docs/config.md")
	w.line("")
	w.kv(0, "foreground", "false", "run as a daemon; --foreground stays attached")
	w.kv(0, "read-only", fmt.Sprint(g.readOnly), "true refuses every change with EROFS")
	w.line("")
	w.line("logging:")
	w.kv(1, "type", "base", "base (a file), syslog or silent")
	w.kv(1, "level", "LOG_WARNING", "LOG_OFF, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_TRACE, LOG_DEBUG")
	w.kv(1, "file-path", "~/.cloudfuse/cloudfuse.log", "the log file of the daemon")
	w.kv(1, "max-file-size-mb", "512", "rotate the log at this size")
	w.kv(1, "file-count", "10", "keep this many log files")
	w.line("")
	data, dataNote := "file_cache", "stage whole files on local disk: small files, random writes"
	if g.blockCache {
		data, dataNote = "block_cache", "stream in blocks: large files read or written in order"
	}
	w.line("components:")
	w.item("libfuse", "the FUSE front end")
	w.item(data, dataNote)
	w.item("attr_cache", "cache attributes and listings in the daemon")
	w.item(storeComp, "the store")
	w.line("")
	w.line("libfuse:")
	w.kv(1, "attribute-expiration-sec", "120", "seconds the kernel caches attributes")
	w.kv(1, "entry-expiration-sec", "120", "seconds the kernel caches name lookups")
	w.kv(1, "negative-entry-expiration-sec", "120", "seconds the kernel caches missing names")
	w.line("")
	cache := g.tmpPath
	if cache == "" {
		cache = "~/.cloudfuse/file_cache"
	}
	if g.blockCache {
		w.line("block_cache:")
		w.kv(1, "block-size-mb", "16", "size of each ranged read and upload part")
		w.kv(1, "mem-size-mb", "0", "memory for blocks; 0: automatic")
		w.kv(1, "prefetch", "0", "blocks read ahead; 0: automatic")
		w.kv(1, "path", quote(cache), "local disk for blocks and staged writes")
	} else {
		w.line("file_cache:")
		w.kv(1, "path", quote(cache), "where files are staged; keep it off the mount")
		w.kv(1, "timeout-sec", "120", "seconds an unused file stays cached")
		w.kv(1, "max-size-mb", fmt.Sprint(g.cacheSizeMB), "cache size limit; 0: only the disk thresholds")
		w.kv(1, "high-threshold", "80", "disk use (%) that starts eviction")
		w.kv(1, "low-threshold", "60", "disk use (%) that stops it")
	}
	w.line("")
	w.line("attr_cache:")
	w.kv(1, "timeout-sec", "120", "seconds attributes and listings are cached")
	w.line("")
}

func (a *app) genS3(g genArgs) string {
	var w genWriter
	region := firstNonEmpty(g.region, a.getenv("AWS_REGION"), a.getenv("AWS_DEFAULT_REGION"))
	endpoint := firstNonEmpty(g.endpoint, a.getenv("AWS_ENDPOINT_URL_S3"), a.getenv("AWS_ENDPOINT_URL"))
	a.genCommon(&w, g, config.CompS3, fmt.Sprintf("S3 bucket %q", g.container))
	w.line("s3storage:")
	w.kv(1, "bucket-name", quote(g.container), "the bucket to mount")
	if region != "" {
		w.kv(1, "region", quote(region), "")
	}
	if endpoint != "" {
		w.kv(1, "endpoint", quote(endpoint), "an S3-compatible service")
		if !strings.Contains(endpoint, "amazonaws.com") {
			w.kv(1, "use-path-style", "true", "address the bucket in the path, as most S3-compatible services need")
		}
	}
	id, secret := a.getenv("AWS_ACCESS_KEY_ID"), a.getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "" && secret != "":
		w.kv(1, "key-id", quote(id), "from $AWS_ACCESS_KEY_ID; drop both keys to use the SDK's credential chain")
		w.kv(1, "secret-key", quote(secret), "from $AWS_SECRET_ACCESS_KEY; encrypt with cloudfuse secure encrypt")
	case a.getenv("AWS_PROFILE") != "":
		w.kv(1, "profile", quote(a.getenv("AWS_PROFILE")), "from $AWS_PROFILE")
	default:
		w.line("  # No key-id/secret-key: the AWS SDK's chain applies (environment, ~/.aws, instance role).")
	}
	w.kv(1, "part-size-mb", "8", "multipart upload part size")
	w.kv(1, "concurrency", "5", "parts uploaded at once per file")
	return w.b.String()
}

func (a *app) genAzure(g genArgs) string {
	var w genWriter
	account := firstNonEmpty(g.account, a.getenv("AZURE_STORAGE_ACCOUNT"))
	container := firstNonEmpty(g.container, a.getenv("AZURE_STORAGE_ACCOUNT_CONTAINER"))
	endpoint := firstNonEmpty(g.endpoint, a.getenv("AZURE_STORAGE_BLOB_ENDPOINT"))
	a.genCommon(&w, g, config.CompAzure, fmt.Sprintf("Azure container %q", container))
	w.line("azstorage:")
	w.kv(1, "type", "block", "block (Blob) or adls (Data Lake Gen2)")
	w.kv(1, "account-name", quote(account), "the storage account")
	w.kv(1, "container", quote(container), "the container to mount")
	if endpoint != "" {
		w.kv(1, "endpoint", quote(endpoint), "")
		if strings.HasPrefix(endpoint, "http://") {
			w.kv(1, "use-http", "true", "the endpoint is plain HTTP")
		}
	}
	key, sas := a.getenv("AZURE_STORAGE_ACCESS_KEY"), a.getenv("AZURE_STORAGE_SAS_TOKEN")
	switch {
	case key != "":
		w.kv(1, "mode", "key", "")
		w.kv(1, "account-key", quote(key), "from $AZURE_STORAGE_ACCESS_KEY; encrypt with cloudfuse secure encrypt")
	case sas != "":
		w.kv(1, "mode", "sas", "")
		w.kv(1, "sas", quote(sas), "from $AZURE_STORAGE_SAS_TOKEN; encrypt with cloudfuse secure encrypt")
	default:
		w.kv(1, "mode", "msi", "managed identity; or key, sas, spn, azcli, workloadidentity")
	}
	w.kv(1, "block-size-mb", "16", "upload block size")
	w.kv(1, "max-concurrency", "32", "blocks uploaded at once")
	return w.b.String()
}
