package config

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// field describes one key of the schema, read from the struct tags of
// Config and its sections.
type field struct {
	path     string   // canonical dotted key: "file_cache.timeout-sec"
	names    []string // names as they may be written, canonical first
	index    []int    // reflect field index from the Config value
	typ      reflect.Type
	section  []*field // non-nil for a section
	min      float64
	max      float64 // 0: no upper bound
	zeroDef  bool    // 0 in the file keeps the default
	isPath   bool
	secret   bool
	unsupp   bool   // Unsupported marker
	why      string // for an Unsupported marker: why we do without it
	envOnly  string // environment variable for a field with no key
	sectName string // canonical name of the enclosing section, "" at top level
}

var unsupportedType = reflect.TypeOf(Unsupported{})

// schema is the list of top-level keys; sections hold their own keys.
type schema []*field

// newSchema reads the schema from Config's struct tags. It is cheap enough
// to build per call, so no package state holds it.
func newSchema() schema {
	return fieldsOf(reflect.TypeOf(Config{}), nil, "")
}

func fieldsOf(t reflect.Type, index []int, section string) []*field {
	var out []*field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("key")
		idx := append(append([]int(nil), index...), i)
		if !ok {
			if env := sf.Tag.Get("env"); env != "" {
				out = append(out, &field{
					path: joinKey(section, strings.ToLower(sf.Name)), index: idx, typ: sf.Type,
					envOnly: env, secret: sf.Tag.Get("secret") == "true", sectName: section,
				})
			}
			continue
		}
		names := strings.Split(tag, ",")
		f := &field{
			path:     joinKey(section, names[0]),
			names:    names,
			index:    idx,
			typ:      sf.Type,
			zeroDef:  sf.Tag.Get("zero") == "default",
			isPath:   sf.Tag.Get("kind") == "path",
			secret:   sf.Tag.Get("secret") == "true",
			unsupp:   sf.Type == unsupportedType,
			why:      sf.Tag.Get("why"),
			sectName: section,
		}
		if v := sf.Tag.Get("min"); v != "" {
			f.min, _ = strconv.ParseFloat(v, 64)
		}
		if v := sf.Tag.Get("max"); v != "" {
			f.max, _ = strconv.ParseFloat(v, 64)
		}
		if sf.Type.Kind() == reflect.Struct && !f.unsupp {
			f.section = fieldsOf(sf.Type, idx, names[0])
		}
		out = append(out, f)
	}
	return out
}

func joinKey(section, name string) string {
	if section == "" {
		return name
	}
	return section + "." + name
}

// lookup finds a key by one of its names, ignoring case as Cloudfuse does.
func lookup(fields []*field, name string) *field {
	for _, f := range fields {
		for _, n := range f.names {
			if strings.EqualFold(n, name) {
				return f
			}
		}
	}
	return nil
}

// find resolves a dotted key ("file_cache.timeout-sec") to its field.
func (s schema) find(key string) *field {
	sect, name, dotted := strings.Cut(key, ".")
	if !dotted {
		f := lookup(s, key)
		if f == nil || f.section != nil {
			return nil
		}
		return f
	}
	sf := lookup(s, sect)
	if sf == nil || sf.section == nil {
		return nil
	}
	f := lookup(sf.section, name)
	if f == nil || f.section != nil {
		return nil
	}
	return f
}

// leaves returns every non-section field, sections' keys included.
func (s schema) leaves() []*field {
	var out []*field
	for _, f := range s {
		if f.section != nil {
			out = append(out, f.section...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// suggest returns the known name closest to name when it is close enough
// to be a likely misspelling, else "".
func suggest(fields []*field, name string) string {
	best, bestDist := "", 4
	lname := strings.ToLower(name)
	var cands []string
	for _, f := range fields {
		if f.envOnly != "" {
			continue
		}
		cands = append(cands, f.names[0])
	}
	sort.Strings(cands)
	for _, c := range cands {
		d := editDistance(lname, strings.ToLower(c))
		limit := 1 + len(c)/4
		if d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
