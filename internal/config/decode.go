package config

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree into a Config, remembering the line of
// every key, collecting warnings for unknown keys and errors for values of
// the wrong type.
type decoder struct {
	file     string
	cfg      *Config
	warnings []Warning
	errs     []*Error
}

func (d *decoder) at(line int) string { return fmt.Sprintf("%s:%d", d.file, line) }

func (d *decoder) fail(line int, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{Origin: d.at(line), Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warn(line int, key, format string, args ...any) {
	d.warnings = append(d.warnings, Warning{Origin: d.at(line), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section of key: value pairs"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// mapping decodes the pairs of a mapping node into fields. prefix is the
// section name as written ("" at the top level).
func (d *decoder) mapping(n *yaml.Node, fields []*field, prefix string) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		name := k.Value
		key := joinKey(prefix, name)
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, prefix, "a key must be a plain name, got %s", describe(k))
			continue
		}
		if first, dup := seen[strings.ToLower(name)]; dup {
			d.fail(k.Line, key, "duplicate key (first given at line %d)", first)
			continue
		}
		seen[strings.ToLower(name)] = k.Line

		f := lookup(fields, name)
		if f == nil {
			if s := suggest(fields, name); s != "" {
				d.warn(k.Line, key, "unknown key, ignored (did you mean %q?)", s)
			} else {
				d.warn(k.Line, key, "unknown key, ignored")
			}
			continue
		}
		if f.unsupp {
			d.cfg.fieldValue(f).Addr().Interface().(*Unsupported).mark()
			d.warn(k.Line, key, "not supported by cloudfuse, ignored: %s", f.why)
			continue
		}
		if f.section != nil {
			switch {
			case isNull(v):
			case v.Kind != yaml.MappingNode:
				d.fail(v.Line, key, "expected a section of key: value pairs, got %s", describe(v))
			default:
				d.cfg.origin[f.path] = d.at(k.Line)
				d.mapping(v, f.section, name)
			}
			continue
		}
		d.leaf(f, key, k, v)
	}
}

// leaf decodes the value of one key.
func (d *decoder) leaf(f *field, key string, k, v *yaml.Node) {
	val := d.cfg.fieldValue(f)
	if isNull(v) {
		// "key:" with nothing after it keeps the default, as in the
		// Cloudfuse sample configs.
		return
	}
	if val.Kind() == reflect.Slice {
		if v.Kind != yaml.SequenceNode {
			d.fail(v.Line, key, "expected a list, got %s", describe(v))
			return
		}
		items := make([]string, 0, len(v.Content))
		for j, it := range v.Content {
			it = resolve(it)
			if it.Kind != yaml.ScalarNode || isNull(it) {
				d.fail(it.Line, key, "expected a list of names, item %d is %s", j+1, describe(it))
				return
			}
			items = append(items, it.Value)
			d.cfg.origin[fmt.Sprintf("%s[%d]", f.path, j)] = d.at(it.Line)
		}
		val.Set(reflect.ValueOf(items))
		d.cfg.origin[f.path] = d.at(k.Line)
		return
	}
	if v.Kind != yaml.ScalarNode {
		d.fail(v.Line, key, "expected a single value, got %s", describe(v))
		return
	}
	if err := setText(val, f, v.Value); err != nil {
		d.fail(v.Line, key, "%v", err)
		return
	}
	d.cfg.origin[f.path] = d.at(k.Line)
}
