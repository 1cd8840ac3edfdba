package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads the configuration file at path. It checks YAML syntax, key
// names and value types, not whether the values fit together: call
// ApplyEnv, Set for flags, then Validate.
//
// Unknown keys come back as warnings, each naming the key, the file and the
// line. The error, if any, is the first problem in file order and names the
// key, the file and the line. A missing file is a *NoFileError.
func Load(path string) (*Config, []Warning, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, &NoFileError{Path: path}
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, &Error{Origin: path, Msg: fmt.Sprintf("cannot read config file: %v", err)}
	}
	if IsEncrypted(data) {
		return nil, nil, &Error{Origin: path, Msg: "the config file is encrypted; mount it with --secure-config " +
			"and the passphrase (--passphrase or $" + PassphraseEnv + ")"}
	}
	return parse(path, data)
}

// Parse reads a configuration from data, as Load does from a file; name
// is what messages call the file. It serves configurations that were
// decrypted in memory and never written to disk.
func Parse(name string, data []byte) (*Config, []Warning, error) {
	return parse(name, data)
}

// parse decodes data, read from the file name.
func parse(name string, data []byte) (*Config, []Warning, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, yamlError(name, data, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 || isNull(resolve(root.Content[0])) {
		return nil, nil, &Error{Origin: name, Msg: "the config file is empty; a minimal one has two lines: " + MinimalExample}
	}
	top := resolve(root.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, nil, &Error{Origin: fmt.Sprintf("%s:%d", name, top.Line),
			Msg: fmt.Sprintf("expected key: value pairs at the top level, got %s", describe(top))}
	}

	cfg := Default()
	cfg.file = name
	d := &decoder{file: name, cfg: cfg}
	d.mapping(top, newSchema(), "")
	if len(d.errs) > 0 {
		return nil, d.warnings, d.errs[0]
	}
	d.fixComponents(top)
	return cfg, d.warnings, nil
}

// ignoredComponent says whether comp is a BlobFuse2 component we accept in
// the list and do without: our metadata cache covers entry_cache.
func ignoredComponent(comp string) bool { return comp == "entry_cache" }

// fixComponents drops ignored components with a warning, and infers the
// list when the file has none but has exactly one store section.
func (d *decoder) fixComponents(top *yaml.Node) {
	c := d.cfg
	if _, ok := c.origin["components"]; ok {
		var kept []string
		origins := map[string]string{}
		for i, comp := range c.Components {
			at := c.origin[fmt.Sprintf("components[%d]", i)]
			delete(c.origin, fmt.Sprintf("components[%d]", i))
			if ignoredComponent(comp) {
				d.warnings = append(d.warnings, Warning{Origin: at, Key: "components",
					Msg: fmt.Sprintf("component %s is not needed by cloudfuse, ignored", comp)})
				continue
			}
			origins[fmt.Sprintf("components[%d]", len(kept))] = at
			kept = append(kept, comp)
		}
		for k, v := range origins {
			c.origin[k] = v
		}
		c.Components = kept
		return
	}
	var stores []string
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch name := strings.ToLower(top.Content[i].Value); name {
		case CompS3, CompAzure, CompLoopback:
			stores = append(stores, name)
		}
	}
	if len(stores) != 1 {
		return
	}
	c.Components = []string{CompLibfuse, CompFileCache, CompAttrCache, stores[0]}
	d.warnings = append(d.warnings, Warning{Origin: d.file, Key: "components",
		Msg: fmt.Sprintf("missing, using [%s]", strings.Join(c.Components, ", "))})
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into an
// Error naming the file and line.
func yamlError(name string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	origin := name
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				origin = fmt.Sprintf("%s:%d", name, n)
				msg = tail
				if lines := strings.Split(string(data), "\n"); n >= 1 && n <= len(lines) &&
					strings.Contains(lines[n-1][:len(lines[n-1])-len(strings.TrimLeft(lines[n-1], " \t"))], "\t") {
					msg += " (indent with spaces, not tabs)"
				}
			}
		}
	}
	return &Error{Origin: origin, Msg: "invalid YAML: " + msg}
}
