package config

import (
	"fmt"
	"reflect"
)

// Set sets one key from text, as a flag or an environment variable gives
// it. key is dotted ("file_cache.timeout-sec"); aliases and any letter case
// are accepted. A list key takes a comma-separated list. origin names where
// the value came from ("--file-cache-timeout", "$AZURE_STORAGE_ACCOUNT") and
// prefixes any error, e.g.
//
//	--file-cache-timeout: file_cache.timeout-sec: expected an integer, got "abc"
func (c *Config) Set(key, value, origin string) error {
	f := newSchema().find(key)
	if f == nil || f.unsupp {
		return &Error{Origin: origin, Key: key, Msg: errUnknownKey.Error()}
	}
	v := c.fieldValue(f)
	if err := setText(v, f, value); err != nil {
		return &Error{Origin: origin, Key: f.path, Msg: err.Error()}
	}
	c.setOrigin(f, origin)
	return nil
}

func (c *Config) setOrigin(f *field, origin string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[f.path] = origin
	if v := c.fieldValue(f); v.Kind() == reflect.Slice {
		for k := range c.origin {
			if len(k) > len(f.path) && k[:len(f.path)+1] == f.path+"[" {
				delete(c.origin, k)
			}
		}
		for i := 0; i < v.Len(); i++ {
			c.origin[fmt.Sprintf("%s[%d]", f.path, i)] = origin
		}
	}
}

// IsSet says whether key was given in the file, the environment or a flag,
// as opposed to holding its default.
func (c *Config) IsSet(key string) bool {
	f := newSchema().find(key)
	if f == nil {
		return false
	}
	_, ok := c.origin[f.path]
	return ok
}

// Origin says where key's value came from: "config.yaml:12", "--flag",
// "$ENV", or "" for a default.
func (c *Config) Origin(key string) string {
	f := newSchema().find(key)
	if f == nil {
		return ""
	}
	return c.origin[f.path]
}

// Clone returns a copy of c that Set can change without changing c.
func (c *Config) Clone() *Config {
	d := *c
	d.origin = make(map[string]string, len(c.origin))
	for k, v := range c.origin {
		d.origin[k] = v
	}
	return &d
}
