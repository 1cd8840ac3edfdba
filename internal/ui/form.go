package ui

import (
	"errors"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// A field of the config form. Key is the dotted config key it edits, or a
// name of the form's own ("store", "datapath", "s3auth", "mount-path")
// for choices that are not one key.
type field struct {
	Key      string
	Label    string
	Kind     string   // "text", "number", "secret", "bool", "select"
	Choices  []string // for "select": value, label pairs
	Help     string
	Show     string // when the field applies: "store=s3storage", "s3auth=keys", ...; "" always
	Drop     bool   // delete the key when the field does not apply (auth fields)
	Advanced bool
}

// group is a fieldset of the form.
type group struct {
	Title    string
	Show     string
	Advanced bool
	Fields   []field
}

// Pseudo fields: choices of the form that are not one config key.
const (
	fStore     = "store"
	fDataPath  = "datapath"
	fS3Auth    = "s3auth"
	fMountPath = "mount-path"
)

// Data path choices (fDataPath).
const (
	dpFile   = "file_cache"
	dpStream = "block_cache"
	dpNone   = "none"
)

// S3 credential choices (fS3Auth).
const (
	s3Keys    = "keys"
	s3Profile = "profile"
	s3Chain   = "env"
)

// formGroups is the form, in page order.
func formGroups() []group {
	return []group{
		{Title: "Store", Fields: []field{
			{Key: fStore, Label: "Store", Kind: "select", Choices: []string{config.CompS3, "S3 or S3-compatible", config.CompAzure, "Azure Blob Storage"}},
		}},
		{Title: "S3 bucket", Show: "store=" + config.CompS3, Fields: []field{
			{Key: "s3storage.bucket-name", Label: "Bucket", Kind: "text", Help: "the bucket to mount"},
			{Key: "s3storage.endpoint", Label: "Endpoint", Kind: "text", Help: "empty for Amazon S3; the URL of another S3 store (MinIO, Ceph, R2, ...)"},
			{Key: "s3storage.region", Label: "Region", Kind: "text", Help: "e.g. us-east-1; empty: from the AWS config, else us-east-1"},
			{Key: fS3Auth, Label: "Credentials", Kind: "select", Choices: []string{s3Keys, "Access key", s3Profile, "Profile from ~/.aws", s3Chain, "Environment, then instance or pod role"}},
			{Key: "s3storage.key-id", Label: "Access key ID", Kind: "secret", Show: "s3auth=" + s3Keys, Drop: true},
			{Key: "s3storage.secret-key", Label: "Secret access key", Kind: "secret", Show: "s3auth=" + s3Keys, Drop: true},
			{Key: "s3storage.session-token", Label: "Session token", Kind: "secret", Show: "s3auth=" + s3Keys, Drop: true, Help: "only for temporary (STS) credentials"},
			{Key: "s3storage.profile", Label: "Profile", Kind: "text", Show: "s3auth=" + s3Profile, Drop: true},
			{Key: "s3storage.use-path-style", Label: "Path-style requests", Kind: "bool", Help: "needed by most stores other than Amazon S3"},
			{Key: "s3storage.subdirectory", Label: "Subdirectory", Kind: "text", Advanced: true, Help: "mount only this prefix of the bucket"},
			{Key: "s3storage.max-retries", Label: "Retries", Kind: "number", Advanced: true},
			{Key: "s3storage.concurrency", Label: "Parallel transfers", Kind: "number", Advanced: true},
		}},
		{Title: "Azure container", Show: "store=" + config.CompAzure, Fields: []field{
			{Key: "azstorage.account-name", Label: "Account", Kind: "text"},
			{Key: "azstorage.container", Label: "Container", Kind: "text"},
			{Key: "azstorage.endpoint", Label: "Endpoint", Kind: "text", Help: "empty: https://<account>.blob.core.windows.net"},
			{Key: "azstorage.type", Label: "Account type", Kind: "select", Choices: []string{"block", "Block blob", "adls", "ADLS Gen2 (hierarchical namespace)"}},
			{Key: "azstorage.mode", Label: "Authentication", Kind: "select", Choices: []string{
				"key", "Account key", "sas", "SAS token", "spn", "Service principal", "msi", "Managed identity",
				"azcli", "Azure CLI login", "workloadidentity", "Workload identity"}},
			{Key: "azstorage.account-key", Label: "Account key", Kind: "secret", Show: "azstorage.mode=key", Drop: true},
			{Key: "azstorage.sas", Label: "SAS token", Kind: "secret", Show: "azstorage.mode=sas", Drop: true},
			{Key: "azstorage.tenantid", Label: "Tenant ID", Kind: "text", Show: "azstorage.mode=spn|workloadidentity", Drop: true},
			{Key: "azstorage.clientid", Label: "Client ID", Kind: "text", Show: "azstorage.mode=spn|workloadidentity", Drop: true},
			{Key: "azstorage.clientsecret", Label: "Client secret", Kind: "secret", Show: "azstorage.mode=spn", Drop: true},
			{Key: "azstorage.appid", Label: "Identity client ID", Kind: "text", Show: "azstorage.mode=msi", Drop: true, Help: "one of client, resource or object ID; empty: the system identity"},
			{Key: "azstorage.resid", Label: "Identity resource ID", Kind: "text", Show: "azstorage.mode=msi", Drop: true},
			{Key: "azstorage.objid", Label: "Identity object ID", Kind: "text", Show: "azstorage.mode=msi", Drop: true},
			{Key: "azstorage.use-http", Label: "Plain HTTP", Kind: "bool", Advanced: true, Help: "for a local emulator such as Azurite"},
			{Key: "azstorage.subdirectory", Label: "Subdirectory", Kind: "text", Advanced: true, Help: "mount only this directory of the container"},
			{Key: "azstorage.max-retries", Label: "Retries", Kind: "number", Advanced: true},
			{Key: "azstorage.max-concurrency", Label: "Parallel transfers", Kind: "number", Advanced: true},
		}},
		{Title: "Data path", Fields: []field{
			{Key: fDataPath, Label: "Caching", Kind: "select", Choices: []string{
				dpFile, "File cache: whole files on local disk (small files, random writes)",
				dpStream, "Streaming: read ahead and upload in parts (large files, little disk)",
				dpNone, "None chosen (files are staged in the file cache)"}},
			{Key: "file_cache.path", Label: "Cache directory", Kind: "text", Show: "datapath=" + dpFile},
			{Key: "file_cache.max-size-mb", Label: "Cache size (MiB)", Kind: "number", Show: "datapath=" + dpFile, Help: "0: only the disk thresholds limit it"},
			{Key: "file_cache.timeout-sec", Label: "Keep closed files (s)", Kind: "number", Show: "datapath=" + dpFile},
			{Key: "file_cache.allow-non-empty-temp", Label: "Persist file cache", Kind: "bool", Show: "datapath=" + dpFile, Help: "keep cached copies across remounts"},
			{Key: "file_cache.cleanup-on-start", Label: "Empty the cache at mount", Kind: "bool", Show: "datapath=" + dpFile, Advanced: true},
			{Key: "block_cache.block-size-mb", Label: "Part size (MiB)", Kind: "number", Show: "datapath=" + dpStream},
			{Key: "block_cache.mem-size-mb", Label: "Memory budget (MiB)", Kind: "number", Show: "datapath=" + dpStream},
			{Key: "block_cache.prefetch", Label: "Parts read ahead", Kind: "number", Show: "datapath=" + dpStream},
			{Key: "block_cache.path", Label: "Disk tier directory", Kind: "text", Show: "datapath=" + dpStream, Help: "empty: memory only"},
			{Key: "block_cache.disk-size-mb", Label: "Disk tier size (MiB)", Kind: "number", Show: "datapath=" + dpStream, Advanced: true},
		}},
		{Title: "Advanced", Advanced: true, Fields: []field{
			{Key: "attr_cache.timeout-sec", Label: "Attribute cache (s)", Kind: "number"},
			{Key: "allow-other", Label: "Allow other users", Kind: "bool"},
			{Key: "read-only", Label: "Read-only", Kind: "bool"},
			{Key: "libfuse.uid", Label: "Owner uid", Kind: "number"},
			{Key: "libfuse.gid", Label: "Owner gid", Kind: "number"},
			{Key: "libfuse.umask", Label: "umask", Kind: "text", Help: "octal, e.g. 022"},
			{Key: "logging.level", Label: "Log level", Kind: "select", Choices: []string{
				"", "default (LOG_WARNING)", "LOG_ERR", "LOG_ERR", "LOG_WARNING", "LOG_WARNING", "LOG_INFO", "LOG_INFO", "LOG_DEBUG", "LOG_DEBUG"}},
			{Key: "logging.file-path", Label: "Log file", Kind: "text", Help: "empty: ~/.cloudfuse/cloudfuse.log"},
		}},
	}
}

// fields lists every field of the form.
func fields() []field {
	var out []field
	for _, g := range formGroups() {
		for _, f := range g.Fields {
			if f.Show == "" {
				f.Show = g.Show
			}
			out = append(out, f)
		}
	}
	return out
}

// applies says whether a field shows for the values vals: every
// condition "name=a|b" of show holds.
func applies(show string, vals map[string]string) bool {
	if show == "" {
		return true
	}
	name, want, _ := strings.Cut(show, "=")
	for _, w := range strings.Split(want, "|") {
		if vals[name] == w {
			return true
		}
	}
	return false
}

// formValues are the form's fields as the page sends them: text by key,
// "true"/"false" for a checkbox, and "" for a secret left as it was.
type formValues map[string]string

// pseudo reads the form's own choices out of a config file's text.
func pseudo(cfg *config.Config) formValues {
	v := formValues{fStore: config.CompS3, fDataPath: dpFile, fS3Auth: s3Chain}
	if cfg.Storage() == config.CompAzure {
		v[fStore] = config.CompAzure
	}
	switch cfg.DataPath() {
	case config.CompBlockCache, config.CompStream:
		v[fDataPath] = dpStream
	case "":
		v[fDataPath] = dpNone
	}
	switch {
	case cfg.S3.KeyID != "" || cfg.S3.SecretKey != "":
		v[fS3Auth] = s3Keys
	case cfg.S3.Profile != "":
		v[fS3Auth] = s3Profile
	}
	return v
}

// loadForm returns the form's values for a config file's text, with
// secrets left out, and the secret keys that are set.
func loadForm(data []byte, cfg *config.Config) (formValues, []string) {
	vals := pseudo(cfg)
	if vals["azstorage.mode"] == "" {
		vals["azstorage.mode"] = string(cfg.Azure.Mode)
	}
	var secrets []string
	for _, f := range fields() {
		if f.Key == fStore || f.Key == fDataPath || f.Key == fS3Auth {
			continue
		}
		s, err := config.GetKey(data, f.Key)
		if err != nil {
			continue
		}
		if f.Kind == "secret" {
			if s != "" {
				secrets = append(secrets, f.Key)
			}
			continue
		}
		vals[f.Key] = s
	}
	if vals["azstorage.mode"] == "" {
		vals["azstorage.mode"] = "key"
		if cfg.Azure.SAS != "" {
			vals["azstorage.mode"] = "sas"
		}
	}
	if vals["azstorage.type"] == "" {
		vals["azstorage.type"] = string(config.AccountBlock)
	}
	return vals, secrets
}

// applyForm writes the form's values into a config file's text (empty for
// a new file), keeping every key the form does not show and the file's
// comments. A field left empty removes its key, so the default applies;
// a secret left empty keeps its value. Errors name the key.
func applyForm(data []byte, vals formValues) ([]byte, error) {
	var err error
	comps := []string{config.CompLibfuse}
	switch vals[fDataPath] {
	case dpFile:
		comps = append(comps, config.CompFileCache)
	case dpStream:
		comps = append(comps, config.CompBlockCache)
	}
	comps = append(comps, config.CompAttrCache)
	switch vals[fStore] {
	case config.CompS3, config.CompAzure:
		comps = append(comps, vals[fStore])
	default:
		return nil, config.BlameKey(fStore, errors.New("choose S3 or Azure"))
	}
	if data, err = config.SetKey(data, "components", strings.Join(comps, ",")); err != nil {
		return nil, err
	}
	for _, f := range fields() {
		switch f.Key {
		case fStore, fDataPath, fS3Auth:
			continue
		}
		v := strings.TrimSpace(vals[f.Key])
		if !applies(f.Show, vals) {
			if f.Drop && applies(storeOf(f.Key), vals) {
				data, err = config.DeleteKey(data, f.Key)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case f.Kind == "secret" && v == "":
			continue // keep what the file holds
		case v == "" || (f.Kind == "bool" && v != "true"):
			data, err = config.DeleteKey(data, f.Key)
		default:
			data, err = config.SetKey(data, f.Key, v)
		}
		if err != nil {
			return nil, config.BlameKey(f.Key, err)
		}
	}
	return data, nil
}

// storeOf is the condition that the store a key belongs to is chosen:
// an auth field of the other store is left alone.
func storeOf(key string) string {
	sect, _, _ := strings.Cut(key, ".")
	switch sect {
	case config.CompS3, config.CompAzure:
		return fStore + "=" + sect
	}
	return ""
}
