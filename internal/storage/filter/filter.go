// Package filter parses and evaluates blob filters, BlobFuse2's --filter
// expressions: conditions on an object's name, size, modification time
// and tags, joined by && (all must hold) and || (any group may hold):
//
//	name=*.parquet && size>=1048576 || tag=split:train
//
// Conditions:
//
//	name=GLOB         the last path segment matches a shell pattern (path.Match)
//	format=EXT        the name ends in .EXT (BlobFuse2)
//	regex=RE          the object's full name in the bucket or container matches
//	                  the RE2 expression (unanchored: use ^ and $)
//	size OP N         OP is =, >, <, >= or <=; N in bytes
//	modtime OP TIME   TIME in RFC 3339 (2024-05-01T00:00:00Z) or RFC 1123
//	                  (Wed, 01 May 2024 00:00:00 GMT), as BlobFuse2 writes it
//	tag=KEY:VALUE     the object has the tag KEY with VALUE (blobtag= too)
//
// && binds tighter than ||; there are no parentheses, as in BlobFuse2.
package filter

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Object is what a condition looks at.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
	// Tags returns the object's tags; called only by tag conditions (a
	// store request on S3 and Azure).
	Tags func() (map[string]string, error)
}

// Expr is a parsed filter: alternatives of conjunctions.
type Expr struct {
	text string
	alts [][]cond
	tags bool
}

type cond struct {
	text string
	test func(o Object) (bool, error)
}

// String is the expression as written.
func (e *Expr) String() string { return e.text }

// UsesTags says whether evaluating needs the objects' tags.
func (e *Expr) UsesTags() bool { return e.tags }

// Match says whether o passes the filter.
func (e *Expr) Match(o Object) (bool, error) {
	for _, alt := range e.alts {
		ok := true
		for _, c := range alt {
			hit, err := c.test(o)
			if err != nil {
				return false, fmt.Errorf("filter %q: %w", c.text, err)
			}
			if !hit {
				ok = false
				break
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Parse reads a filter expression.
func Parse(s string) (*Expr, error) {
	e := &Expr{text: strings.TrimSpace(s)}
	if e.text == "" {
		return nil, errors.New("empty filter")
	}
	for _, alt := range strings.Split(e.text, "||") {
		var conds []cond
		for _, term := range strings.Split(alt, "&&") {
			c, tags, err := parseCond(strings.TrimSpace(term))
			if err != nil {
				return nil, err
			}
			e.tags = e.tags || tags
			conds = append(conds, c)
		}
		e.alts = append(e.alts, conds)
	}
	return e, nil
}

// ops are the comparison operators, longest first.
var ops = []string{">=", "<=", "=", ">", "<"}

func parseCond(t string) (cond, bool, error) {
	if t == "" {
		return cond{}, false, errors.New("empty condition (check the && and || signs)")
	}
	field, op, val := "", "", ""
	for i := range len(t) {
		for _, o := range ops {
			if strings.HasPrefix(t[i:], o) {
				field, op, val = strings.TrimSpace(t[:i]), o, strings.TrimSpace(t[i+len(o):])
				break
			}
		}
		if op != "" {
			break
		}
	}
	if op == "" {
		return cond{}, false, fmt.Errorf("%q: no operator (=, >, <, >=, <=)", t)
	}
	c := cond{text: t}
	eqOnly := func() error {
		if op != "=" {
			return fmt.Errorf("%q: %s takes only =", t, field)
		}
		return nil
	}
	switch strings.ToLower(field) {
	case "name":
		if err := eqOnly(); err != nil {
			return c, false, err
		}
		if _, err := path.Match(val, ""); err != nil {
			return c, false, fmt.Errorf("%q: bad pattern: %w", t, err)
		}
		c.test = func(o Object) (bool, error) { return path.Match(val, path.Base(o.Key)) }
	case "format":
		if err := eqOnly(); err != nil {
			return c, false, err
		}
		ext := "." + strings.TrimPrefix(val, ".")
		c.test = func(o Object) (bool, error) { return strings.HasSuffix(o.Key, ext), nil }
	case "regex":
		if err := eqOnly(); err != nil {
			return c, false, err
		}
		re, err := regexp.Compile(val)
		if err != nil {
			return c, false, fmt.Errorf("%q: %w", t, err)
		}
		c.test = func(o Object) (bool, error) { return re.MatchString(o.Key), nil }
	case "size":
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return c, false, fmt.Errorf("%q: size takes a number of bytes", t)
		}
		c.test = func(o Object) (bool, error) { return compare(op, cmpInt(o.Size, n)), nil }
	case "modtime":
		when, err := parseTime(val)
		if err != nil {
			return c, false, fmt.Errorf("%q: %w", t, err)
		}
		c.test = func(o Object) (bool, error) { return compare(op, o.ModTime.Compare(when)), nil }
	case "tag", "blobtag":
		if err := eqOnly(); err != nil {
			return c, false, err
		}
		k, v, ok := strings.Cut(val, ":")
		if !ok || k == "" {
			return c, false, fmt.Errorf("%q: a tag condition is tag=KEY:VALUE", t)
		}
		c.test = func(o Object) (bool, error) {
			if o.Tags == nil {
				return false, nil
			}
			tags, err := o.Tags()
			if err != nil {
				return false, err
			}
			got, ok := tags[k]
			return ok && got == v, nil
		}
		return c, true, nil
	default:
		return c, false, fmt.Errorf("%q: unknown field %q (name, format, regex, size, modtime, tag)", t, field)
	}
	return c, false, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	case ">=":
		return c >= 0
	}
	return c <= 0 // "<="
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC1123, time.RFC1123Z, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 (2024-05-01T00:00:00Z) nor RFC 1123 (Wed, 01 May 2024 00:00:00 GMT)", s)
}
