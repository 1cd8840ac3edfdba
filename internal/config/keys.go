package config

import (
	"fmt"
	"reflect"
	"time"
)

// KeyInfo describes one key of the schema, for documentation checks and
// help text.
type KeyInfo struct {
	Key         string // canonical dotted key: "file_cache.timeout-sec"
	Unsupported bool   // a key or section of another tool we do without
	Why         string // for an unsupported one: why
	EnvOnly     bool   // read from the environment only, no key
}

// Keys lists every key of the schema in schema order. A section marked
// unsupported is one entry.
func Keys() []KeyInfo {
	var out []KeyInfo
	for _, f := range newSchema().leaves() {
		out = append(out, KeyInfo{Key: f.path, Unsupported: f.unsupp, Why: f.why, EnvOnly: f.envOnly != ""})
	}
	return out
}

// VirtualDirectory says whether directories of the selected store are
// inferred from object names (azstorage.virtual-directory or
// s3storage.virtual-directory, true by default). When false only
// directories with a marker object exist.
func (c *Config) VirtualDirectory() bool {
	switch c.Storage() {
	case CompAzure:
		return c.Azure.VirtualDirectory
	case CompS3:
		return c.S3.VirtualDirectory
	}
	return true
}

// ListBlockedFor is how long after the mount directory listings return
// nothing, to save listing charges (azstorage.block-list-on-mount-sec or
// s3storage.block-list-on-mount-sec).
func (c *Config) ListBlockedFor() time.Duration {
	n := 0
	switch c.Storage() {
	case CompAzure:
		n = c.Azure.BlockListOnMountSec
	case CompS3:
		n = c.S3.BlockListOnMountSec
	}
	return time.Duration(n) * time.Second
}

// SetDataPath makes comp (CompFileCache, CompBlockCache or CompStream) the
// data path, replacing the one in the components list or adding it after
// libfuse, as BlobFuse2's --block-cache and --streaming do. origin names
// the flag.
func (c *Config) SetDataPath(comp, origin string) error {
	switch comp {
	case CompFileCache, CompBlockCache, CompStream:
	default:
		return &Error{Origin: origin, Key: "components", Msg: fmt.Sprintf("%s is not a data path", comp)}
	}
	out := make([]string, 0, len(c.Components)+1)
	placed := false
	for _, x := range c.Components {
		switch x {
		case CompFileCache, CompBlockCache, CompStream:
			if !placed {
				out = append(out, comp)
				placed = true
			}
			continue
		}
		out = append(out, x)
		if x == CompLibfuse && !placed {
			out = append(out, comp)
			placed = true
		}
	}
	if !placed {
		out = append([]string{comp}, out...)
	}
	c.setComponents(out, origin)
	return nil
}

// SetComponent adds comp to the components list (before the store) or
// removes it, as BlobFuse2's --use-attr-cache does for attr_cache.
func (c *Config) SetComponent(comp string, on bool, origin string) {
	if c.Has(comp) == on {
		return
	}
	var out []string
	for _, x := range c.Components {
		if x == comp {
			continue
		}
		if on && x == c.Storage() {
			out = append(out, comp)
			on = false
		}
		out = append(out, x)
	}
	if on {
		out = append(out, comp)
	}
	c.setComponents(out, origin)
}

func (c *Config) setComponents(list []string, origin string) {
	c.Components = list
	c.setOrigin(newSchema().find("components"), origin)
}

// Changed lists the keys (and environment-only settings) whose values
// differ between c and o, in schema order. A reload compares the running
// configuration with the file's new one this way.
func (c *Config) Changed(o *Config) []string {
	var out []string
	for _, f := range newSchema().leaves() {
		if f.unsupp {
			continue
		}
		if !reflect.DeepEqual(c.fieldValue(f).Interface(), o.fieldValue(f).Interface()) {
			out = append(out, f.path)
		}
	}
	return out
}

// Take copies the values of keys (as Changed names them) from o into c.
func (c *Config) Take(o *Config, keys []string) {
	s := newSchema()
	for _, k := range keys {
		if f := s.find(k); f != nil {
			c.fieldValue(f).Set(o.fieldValue(f))
		}
	}
}
