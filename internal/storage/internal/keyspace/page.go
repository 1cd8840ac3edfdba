package keyspace

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// DefaultMaxKeys is the page size when ListOptions.MaxKeys is 0, and the
// largest page a store returns, as on S3.
const DefaultMaxKeys = 1000

// Token kinds: the last entry of a page was an object or a common prefix.
const (
	tokenObject = 'o'
	tokenPrefix = 'p'
)

// Page builds one listing page from keys offered in lexical order.
//
// A store walks its keys in order, skips subtrees for which SkipPrefix is
// true, and offers each key with Add until Add returns false. Page then
// returns the result.
type Page struct {
	prefix, delim string
	max           int

	after      string // only keys > after
	skipPrefix string // keys with this prefix are already rolled up

	page      storage.ListPage
	last      string
	lastKind  byte
	truncated bool
}

// NewPage starts a page for opts. A malformed continuation token is an
// error.
func NewPage(opts storage.ListOptions) (*Page, error) {
	p := &Page{prefix: opts.Prefix, delim: opts.Delimiter, max: opts.MaxKeys}
	if p.max <= 0 || p.max > DefaultMaxKeys {
		p.max = DefaultMaxKeys
	}
	if opts.ContinuationToken == "" {
		p.after = opts.StartAfter
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(opts.ContinuationToken)
	if err != nil || len(raw) < 2 || (raw[0] != tokenObject && raw[0] != tokenPrefix) {
		return nil, storage.Errorf("list", opts.Prefix, nil, errors.New("malformed continuation token"))
	}
	p.after = string(raw[1:])
	if raw[0] == tokenPrefix {
		p.skipPrefix = p.after
	}
	return p, nil
}

// After is the key a walk may start after: every key <= After is ignored.
func (p *Page) After() string { return p.after }

// Prefix is the listing's prefix.
func (p *Page) Prefix() string { return p.prefix }

// SkipPrefix reports whether no key starting with s can appear on the page:
// such keys are outside the prefix, already rolled up into a common prefix,
// or at or before the starting point.
func (p *Page) SkipPrefix(s string) bool {
	if !strings.HasPrefix(s, p.prefix) && !strings.HasPrefix(p.prefix, s) {
		return true
	}
	if p.skipPrefix != "" && strings.HasPrefix(s, p.skipPrefix) {
		return true
	}
	// Keys starting with s all sort before after unless after starts with s
	// or s sorts after it.
	return s < p.after && !strings.HasPrefix(p.after, s)
}

// RolledUp is the common prefix most recently emitted; keys starting with
// it are skipped. It lets a store jump over them.
func (p *Page) RolledUp() string { return p.skipPrefix }

// Add offers the next key in lexical order. obj describes it and returns
// false when the key turned out not to exist, and the key is then ignored;
// it is called for every key that can land on the page, even one that only
// rolls up into a common prefix, so a missing key never makes a phantom
// prefix. Add returns false when the page is complete and the walk should
// stop.
func (p *Page) Add(key string, obj func() (storage.Object, bool)) bool {
	if !strings.HasPrefix(key, p.prefix) || key <= p.after {
		return true
	}
	if p.skipPrefix != "" && strings.HasPrefix(key, p.skipPrefix) {
		return true
	}
	o, ok := obj()
	if !ok {
		return true
	}
	if p.full() {
		p.truncated = true
		return false
	}
	if p.delim != "" {
		rest := key[len(p.prefix):]
		if i := strings.Index(rest, p.delim); i >= 0 {
			cp := p.prefix + rest[:i+len(p.delim)]
			p.page.CommonPrefixes = append(p.page.CommonPrefixes, cp)
			p.skipPrefix = cp
			p.last, p.lastKind = cp, tokenPrefix
			return true
		}
	}
	o.Key = key
	p.page.Objects = append(p.page.Objects, o)
	p.last, p.lastKind = key, tokenObject
	return true
}

func (p *Page) full() bool {
	return len(p.page.Objects)+len(p.page.CommonPrefixes) >= p.max
}

// Result returns the page, with a continuation token when entries remain.
func (p *Page) Result() storage.ListPage {
	if p.truncated {
		p.page.NextToken = base64.RawURLEncoding.EncodeToString(append([]byte{p.lastKind}, p.last...))
	}
	return p.page
}
