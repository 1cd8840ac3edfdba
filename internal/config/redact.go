package config

import (
	"fmt"
	"log/slog"
	"reflect"
)

// LogValue lists the keys that were set, with secrets (keys, SAS tokens,
// client secrets) replaced by "REDACTED", so a Config can be logged whole.
func (c *Config) LogValue() slog.Value {
	var attrs []slog.Attr
	for _, f := range newSchema().leaves() {
		if f.unsupp {
			continue
		}
		if _, set := c.origin[f.path]; !set {
			continue
		}
		v := c.fieldValue(f)
		if f.secret {
			if !v.IsZero() {
				attrs = append(attrs, slog.String(f.path, "REDACTED"))
			}
			continue
		}
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue
			}
			v = v.Elem()
		}
		attrs = append(attrs, slog.String(f.path, fmt.Sprint(v.Interface())))
	}
	return slog.GroupValue(attrs...)
}

// Secrets returns the values of every secret key that is set (keys, SAS
// tokens, client secrets), so a log handler can keep them out of any line.
func (c *Config) Secrets() []string {
	var out []string
	for _, f := range newSchema().leaves() {
		if !f.secret || f.unsupp {
			continue
		}
		if v := c.fieldValue(f); v.Kind() == reflect.String && v.String() != "" {
			out = append(out, v.String())
		}
	}
	return out
}
