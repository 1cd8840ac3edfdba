package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// GetKey returns the value of the dotted key in the YAML text data: a
// scalar as written, a list or a section as YAML. Names match as Load
// matches them (any letter case, section aliases such as lfuse).
func GetKey(data []byte, key string) (string, error) {
	top, err := topMapping(data)
	if err != nil {
		return "", err
	}
	n := top
	for _, seg := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return "", fmt.Errorf("%s: not in the file", key)
		}
		_, v := findPair(n, seg, aliasesOf(key, seg))
		if v == nil {
			if f := newSchema().find(key); f != nil {
				return "", fmt.Errorf("%s: not set in the file (the default applies)", key)
			}
			return "", fmt.Errorf("%s: not in the file", key)
		}
		n = resolve(v)
	}
	if n.Kind == yaml.ScalarNode {
		return n.Value, nil
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(out), "\n"), nil
}

// SetKey returns data with the dotted key set to value, keeping the rest
// of the document and its comments. The key must be one cloudfuse knows
// and not a section; a list key takes a comma-separated list. The result
// is parsed again so a value of the wrong type is refused, naming the key.
func SetKey(data []byte, key, value string) ([]byte, error) {
	f := newSchema().find(key)
	if f == nil || f.unsupp || f.envOnly != "" {
		return nil, &Error{Key: key, Msg: errUnknownKey.Error()}
	}
	// Check the value's type first, so the error names the value, not a
	// line of a document the user never sees.
	if err := Default().Set(f.path, value, "--value"); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError("config", data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	n := resolve(doc.Content[0])
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("expected key: value pairs at the top level")
	}
	segs := strings.Split(f.path, ".")
	for i, seg := range segs {
		k, v := findPair(n, seg, aliasesOf(f.path, seg))
		last := i == len(segs)-1
		if last {
			nv := valueNode(f, value)
			if k == nil {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: seg}, nv)
			} else {
				for j := 0; j+1 < len(n.Content); j += 2 {
					if n.Content[j] == k {
						nv.LineComment = n.Content[j+1].LineComment
						n.Content[j+1] = nv
					}
				}
			}
			break
		}
		switch {
		case v == nil:
			sect := &yaml.Node{Kind: yaml.MappingNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: seg}, sect)
			n = sect
		case isNull(resolve(v)):
			v.Kind, v.Tag, v.Value = yaml.MappingNode, "", ""
			n = v
		default:
			n = resolve(v)
			if n.Kind != yaml.MappingNode {
				return nil, &Error{Key: strings.Join(segs[:i+1], "."), Msg: "expected a section of key: value pairs"}
			}
		}
	}
	out, err := encode(&doc)
	if err != nil {
		return nil, err
	}
	if _, _, err := parse("config", out); err != nil {
		return nil, err
	}
	return out, nil
}

// valueNode builds the YAML node for a value given as text.
func valueNode(f *field, value string) *yaml.Node {
	if f.typ.Kind() == reflect.Slice {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, it := range strings.Split(value, ",") {
			if it = strings.TrimSpace(it); it != "" {
				seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: it})
			}
		}
		return seq
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if f.typ.Kind() == reflect.String {
		// Keep text text: "true" or "0123" in a string key is quoted.
		n.Tag = "!!str"
	}
	return n
}

// topMapping parses data and returns its top-level mapping.
func topMapping(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError("config", data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, errors.New("the config file is empty")
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, errors.New("expected key: value pairs at the top level")
	}
	return top, nil
}

// aliasesOf returns the names seg, a segment of key, may be written as.
func aliasesOf(key, seg string) []string {
	s := newSchema()
	sect, _, dotted := strings.Cut(key, ".")
	if f := lookup(s, sect); f != nil {
		if strings.EqualFold(seg, sect) {
			return f.names
		}
		if dotted && f.section != nil {
			if g := lookup(f.section, seg); g != nil {
				return g.names
			}
		}
	}
	return []string{seg}
}

// findPair finds the pair of mapping n whose key is one of names, in any
// letter case.
func findPair(n *yaml.Node, seg string, names []string) (k, v *yaml.Node) {
	names = append([]string{seg}, names...)
	for i := 0; i+1 < len(n.Content); i += 2 {
		for _, name := range names {
			if strings.EqualFold(n.Content[i].Value, name) {
				return n.Content[i], n.Content[i+1]
			}
		}
	}
	return nil, nil
}

// DeleteKey returns data without the dotted key, keeping the rest of the
// document and its comments; a section left empty goes too. A key that is
// not in the file is no error.
func DeleteKey(data []byte, key string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError("config", data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return data, nil
	}
	path := key
	if f := newSchema().find(key); f != nil {
		path = f.path
	}
	if !deletePath(resolve(doc.Content[0]), path, strings.Split(path, ".")) {
		return data, nil
	}
	return encode(&doc)
}

// deletePath removes segs from mapping n, and a section it empties; it
// says whether anything went.
func deletePath(n *yaml.Node, key string, segs []string) bool {
	if n.Kind != yaml.MappingNode {
		return false
	}
	k, v := findPair(n, segs[0], aliasesOf(key, segs[0]))
	if k == nil {
		return false
	}
	if len(segs) > 1 {
		sect := resolve(v)
		if !deletePath(sect, key, segs[1:]) {
			return false
		}
		if len(sect.Content) > 0 {
			return true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i] == k {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			break
		}
	}
	return true
}

// IsSecret says whether key holds a secret (a key, a SAS token, a client
// secret) that is never shown back or logged.
func IsSecret(key string) bool {
	f := newSchema().find(key)
	return f != nil && f.secret
}

// encode writes doc as YAML indented by two spaces, as the samples are.
func encode(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
