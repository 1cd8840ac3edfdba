//go:build linux

package csi

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// A volume is a store (an S3 bucket or an Azure container) and a prefix
// in it. Its attributes come from the PersistentVolume's
// volumeAttributes (static) or the StorageClass parameters (dynamic);
// its credentials from a Secret. Keys are case-insensitive; the names
// blob-csi-driver and mountpoint-s3-csi-driver users write are accepted
// beside ours.
type volume struct {
	store     string // "s3" or "azure"
	bucket    string // bucket or container
	account   string // Azure account
	endpoint  string
	region    string
	prefix    string // subdirectory, no slashes at the ends
	dataPath  string // file_cache, block_cache, stream
	authMode  string // Azure: key, sas, msi, spn, workloadidentity, azcli
	keyID     string
	secretKey string
	token     string // S3 session token
	accKey    string // Azure account key
	sas       string
	onDelete  string // controller: "retain" keeps a deleted volume's data
	perVolume string // controller: "true" gives each volume a bucket of its own
}

// attribute names, lower case, by field.
var attrNames = map[string][]string{
	"store":     {"store", "protocol"},
	"bucket":    {"bucketname", "bucket", "containername", "container"},
	"account":   {"accountname", "storageaccount", "azurestorageaccountname"},
	"endpoint":  {"endpoint", "endpointurl", "endpoint-url"},
	"region":    {"region"},
	"prefix":    {"subdirectory", "prefix", "subdir"},
	"dataPath":  {"datapath", "data-path"},
	"authMode":  {"authmode", "mode"},
	"onDelete":  {"ondelete"},
	"perVolume": {"bucketpervolume", "containerpervolume"},
	// Secrets.
	"keyID":     {"accesskeyid", "access_key_id", "key_id", "awsaccesskeyid"},
	"secretKey": {"secretaccesskey", "secret_access_key", "access_key", "awssecretaccesskey"},
	"token":     {"sessiontoken", "session_token"},
	"accKey":    {"azurestorageaccountkey", "accountkey"},
	"sas":       {"azurestorageaccountsastoken", "sastoken"},
}

// parseVolume reads attributes and secrets; an attribute it does not know
// is an error naming it, so a typo never mounts something else. The
// bucket may still be missing (see volumeOf).
func parseVolume(attrs, secrets map[string]string) (volume, error) {
	var v volume
	fields := map[string]*string{
		"store": &v.store, "bucket": &v.bucket, "account": &v.account, "endpoint": &v.endpoint,
		"region": &v.region, "prefix": &v.prefix, "dataPath": &v.dataPath, "authMode": &v.authMode,
		"onDelete": &v.onDelete, "perVolume": &v.perVolume, "keyID": &v.keyID, "secretKey": &v.secretKey, "token": &v.token, "accKey": &v.accKey, "sas": &v.sas,
	}
	byName := map[string]string{}
	for f, names := range attrNames {
		for _, n := range names {
			byName[n] = f
		}
	}
	set := func(src map[string]string, what string, ignoreUnknown bool) error {
		for k, val := range src {
			f, ok := byName[strings.ToLower(k)]
			switch {
			case ok:
				*fields[f] = strings.TrimSpace(val)
			case strings.HasPrefix(k, "csi.storage.k8s.io/") || ignoreUnknown:
				// Set by Kubernetes (pod info, provisioner names).
			default:
				return fmt.Errorf("unknown %s %q (known: store, bucketName, containerName, accountName, endpoint, region, subdirectory, dataPath, authMode, onDelete, bucketPerVolume)", what, k)
			}
		}
		return nil
	}
	if err := set(attrs, "volume attribute", false); err != nil {
		return v, err
	}
	if err := set(secrets, "secret key", true); err != nil {
		return v, err
	}
	v.prefix = strings.Trim(v.prefix, "/")
	v.store = strings.ToLower(v.store)
	switch v.store {
	case "":
		v.store = "s3"
		if v.account != "" || v.accKey != "" || v.sas != "" {
			v.store = "azure"
		}
	case "blob", "fuse", "fuse2":
		v.store = "azure" // blob-csi-driver's protocol names
	case "s3", "azure":
	default:
		return v, fmt.Errorf("store %q: expected s3 or azure", v.store)
	}
	switch strings.ToLower(v.perVolume) {
	case "", "false":
		v.perVolume = ""
	case "true":
		v.perVolume = "true"
	default:
		return v, fmt.Errorf("bucketPerVolume %q: expected true or false", v.perVolume)
	}
	switch v.onDelete {
	case "", "delete", "retain":
	default:
		return v, fmt.Errorf("onDelete %q: expected delete or retain", v.onDelete)
	}
	switch v.dataPath {
	case "", "file_cache", "block_cache", "stream":
	default:
		return v, fmt.Errorf("dataPath %q: expected file_cache, block_cache or stream", v.dataPath)
	}
	return v, nil
}

// config is the cloudfuse config of a mount of v with its cache under
// cacheDir and its log in logPath. Credentials missing here come from the environment of the
// daemon (the pod's or node's identity) as the SDKs find them.
func (v volume) config(cacheDir, logPath string, readOnly bool) ([]byte, error) {
	dp := v.dataPath
	if dp == "" {
		dp = "file_cache"
	}
	storeComp := "s3storage"
	if v.store == "azure" {
		storeComp = "azstorage"
	}
	cfg := map[string]any{
		"logging":    map[string]any{"type": "base", "level": "log_warning", "file-path": logPath},
		"components": []string{"libfuse", dp, "attr_cache", storeComp},
		"attr_cache": map[string]any{"timeout-sec": 120},
		"read-only":  readOnly,
	}
	switch dp {
	case "file_cache":
		cfg["file_cache"] = map[string]any{"path": cacheDir}
	case "block_cache":
		cfg["block_cache"] = map[string]any{"path": cacheDir}
	}
	st := map[string]any{}
	put := func(k, val string) {
		if val != "" {
			st[k] = val
		}
	}
	put("subdirectory", v.prefix)
	put("endpoint", v.endpoint)
	if v.store == "s3" {
		put("bucket-name", v.bucket)
		put("region", v.region)
		put("key-id", v.keyID)
		put("secret-key", v.secretKey)
		put("session-token", v.token)
	} else {
		put("container", v.bucket)
		put("account-name", v.account)
		put("account-key", v.accKey)
		put("sas", v.sas)
		mode := v.authMode
		switch {
		case mode != "":
		case v.accKey != "":
			mode = "key"
		case v.sas != "":
			mode = "sas"
		default:
			mode = "msi"
		}
		put("mode", mode)
	}
	cfg[storeComp] = st
	return yaml.Marshal(cfg)
}

// errNoBucket says a volume names no bucket or container.
var errNoBucket = fmt.Errorf("no bucket or container: set bucketName (S3) or containerName (Azure)")
