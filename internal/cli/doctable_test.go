package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/a9de3765/cloudfuse/internal/config"
)

// docRow is one row of a flag or key table in docs/config.md.
type docRow struct {
	line   int
	name   string // the key, or the flag without dashes ("o" for -o)
	key    string // flags: the Key cell, "" for "—"
	status string
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	flagName   = regexp.MustCompile(`^--?([a-z0-9-]+)`)
)

// readDocTables reads the tables of docs/config.md whose header starts
// "| Flag | Key | Status" or "| Key | Status".
func readDocTables(t *testing.T) (flags, keys []docRow) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kind := ""
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if !strings.HasPrefix(line, "|") {
			kind = ""
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case len(cells) >= 3 && cells[0] == "Flag" && cells[1] == "Key" && cells[2] == "Status":
			kind = "flag"
			continue
		case len(cells) >= 2 && cells[0] == "Key" && cells[1] == "Status":
			kind = "key"
			continue
		case kind == "" || strings.HasPrefix(cells[0], "---"):
			continue
		}
		m := backticked.FindStringSubmatch(cells[0])
		if m == nil {
			t.Errorf("docs/config.md:%d: first cell %q names no `key` or `--flag`", n, cells[0])
			continue
		}
		switch kind {
		case "flag":
			fm := flagName.FindStringSubmatch(m[1])
			if fm == nil {
				t.Errorf("docs/config.md:%d: %q is not a flag", n, m[1])
				continue
			}
			r := docRow{line: n, name: fm[1], status: cells[2]}
			if km := backticked.FindStringSubmatch(cells[1]); km != nil {
				r.key = km[1]
			}
			flags = append(flags, r)
		case "key":
			keys = append(keys, docRow{line: n, name: m[1], status: cells[1]})
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return flags, keys
}

// Statuses a row may have.
var docStatuses = map[string]bool{"implemented": true, "ours": true, "partly": true, "no effect": true, "not supported": true, "refused": true}

// refused says whether key is one a mount refuses (config.NotYet).
func refused(key string) bool { return slices.Contains(config.NotYet(), key) }

// inertStatus says whether a status admits that some value does nothing.
func inertStatus(s string) bool { return s == "no effect" || s == "partly" }

// The key table of docs/config.md lists every key of the schema once, and
// its status agrees with the code: a key that may do nothing is in
// inertKeys and is marked "no effect" or "partly", and the reverse.
func TestDocTableListsEveryKeyWithItsStatus(t *testing.T) {
	_, rows := readDocTables(t)
	inert := inertKeys()
	known := map[string]config.KeyInfo{}
	for _, k := range config.Keys() {
		if !k.EnvOnly {
			known[k.Key] = k
		}
	}
	seen := map[string]int{}
	for _, r := range rows {
		k, ok := known[r.name]
		switch {
		case !ok:
			t.Errorf("docs/config.md:%d: %s is not a key cloudfuse knows", r.line, r.name)
			continue
		case seen[r.name] != 0:
			t.Errorf("docs/config.md:%d: %s is listed again (first at line %d)", r.line, r.name, seen[r.name])
		case !docStatuses[r.status]:
			t.Errorf("docs/config.md:%d: %s: unknown status %q", r.line, r.name, r.status)
		case k.Unsupported != (r.status == "not supported"):
			t.Errorf("docs/config.md:%d: %s: status %q, but the schema says unsupported=%v", r.line, r.name, r.status, k.Unsupported)
		case refused(r.name) != (r.status == "refused"):
			t.Errorf("docs/config.md:%d: %s: status %q, but config.NotYet has it=%v", r.line, r.name, r.status, refused(r.name))
		case !k.Unsupported && (inert[r.name] != "") != inertStatus(r.status):
			t.Errorf("docs/config.md:%d: %s: status %q, but inertKeys has it=%v", r.line, r.name, r.status, inert[r.name] != "")
		}
		seen[r.name] = r.line
	}
	for key := range known {
		if seen[key] == 0 {
			t.Errorf("docs/config.md does not list the key %s", key)
		}
	}
	for key := range inert {
		if _, ok := known[key]; !ok {
			t.Errorf("inertKeys names %s, which is not a key", key)
		}
	}
}

// mountFlagSet is every flag `cloudfuse mount` accepts, its own and the
// inherited ones, without help and the internal notify-fd.
func mountFlagSet(t *testing.T) map[string]*pflag.Flag {
	t.Helper()
	e := newEnv(t)
	cmd := findCmd(&app{getenv: func(k string) string { return e.vars[k] }}, "mount")
	out := map[string]*pflag.Flag{}
	add := func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "notify-fd" {
			out[f.Name] = f
		}
	}
	cmd.LocalFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	return out
}

// The flag table lists every mount flag once, with the key it sets and a
// status that agrees with that key's.
func TestDocTableListsEveryFlagWithItsKey(t *testing.T) {
	rows, _ := readDocTables(t)
	all := mountFlagSet(t)
	keyOf := map[string]string{}
	for _, f := range configFlags() {
		keyOf[f.name] = f.key
	}
	inert := inertKeys()
	seen := map[string]int{}
	for _, r := range rows {
		if _, ok := all[r.name]; !ok {
			t.Errorf("docs/config.md:%d: --%s is not a mount flag", r.line, r.name)
			continue
		}
		if seen[r.name] != 0 {
			t.Errorf("docs/config.md:%d: --%s is listed again (first at line %d)", r.line, r.name, seen[r.name])
		}
		seen[r.name] = r.line
		if !docStatuses[r.status] || r.status == "not supported" {
			t.Errorf("docs/config.md:%d: --%s: status %q", r.line, r.name, r.status)
		}
		if r.key != keyOf[r.name] {
			t.Errorf("docs/config.md:%d: --%s sets %q, the doc says %q", r.line, r.name, keyOf[r.name], r.key)
		}
		if refused(keyOf[r.name]) != (r.status == "refused") {
			t.Errorf("docs/config.md:%d: --%s: status %q, but config.NotYet has its key=%v", r.line, r.name, r.status, refused(keyOf[r.name]))
		}
		var wantInert, mixed bool
		switch key := keyOf[r.name]; {
		case key != "":
			n := 0
			vs := keyVariants(key)
			for _, k := range vs {
				if inert[k] != "" {
					n++
				}
			}
			wantInert, mixed = n > 0, n > 0 && n < len(vs)
		default:
			_, wantInert = inertFlags()[r.name]
		}
		switch {
		case mixed && r.status != "partly":
			t.Errorf("docs/config.md:%d: --%s: some of its keys have no effect, so it is partly, not %q", r.line, r.name, r.status)
		case wantInert != inertStatus(r.status):
			t.Errorf("docs/config.md:%d: --%s: status %q, but the code says it may have no effect=%v", r.line, r.name, r.status, wantInert)
		}
	}
	for name := range all {
		if seen[name] == 0 {
			t.Errorf("docs/config.md does not list the mount flag --%s", name)
		}
	}
}

// keyVariants resolves a flag's key for every store and data path.
func keyVariants(key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, comps := range [][]string{
		{config.CompLibfuse, config.CompFileCache, config.CompS3},
		{config.CompLibfuse, config.CompBlockCache, config.CompAzure},
	} {
		cfg := config.Default()
		cfg.Components = comps
		if k := storeKey(cfg, key); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
