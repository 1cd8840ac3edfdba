package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(time.Duration(0))

// fieldValue returns the settable value of f inside c.
func (c *Config) fieldValue(f *field) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}

// setText parses s into v, the value of field f. The error text says what
// was expected; callers add the key and the origin.
func setText(v reflect.Value, f *field, s string) error {
	if v.Kind() == reflect.Pointer {
		nv := reflect.New(v.Type().Elem())
		if err := setText(nv.Elem(), f, s); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	if p, ok := v.Addr().Interface().(scalar); ok {
		return p.parse(s)
	}
	if v.Type() == durationType {
		return setDuration(v, f, s)
	}
	t := strings.TrimSpace(s)
	switch v.Kind() {
	case reflect.Bool:
		b, ok := parseBool(t)
		if !ok {
			return fmt.Errorf("expected true or false, got %q", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return fmt.Errorf("expected an integer, got %q", s)
		}
		if err := checkRange(f, float64(n), t); err != nil {
			return err
		}
		if n == 0 && f.zeroDef {
			return nil
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(t, "-") {
			return fmt.Errorf("must not be negative, got %s", t)
		}
		n, err := strconv.ParseUint(strings.ReplaceAll(t, "_", ""), 10, 64)
		if err != nil || v.OverflowUint(n) {
			return fmt.Errorf("expected a non-negative integer, got %q", s)
		}
		if err := checkRange(f, float64(n), t); err != nil {
			return err
		}
		v.SetUint(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return fmt.Errorf("expected a number, got %q", s)
		}
		if err := checkRange(f, x, t); err != nil {
			return err
		}
		if x == 0 && f.zeroDef {
			return nil
		}
		v.SetFloat(x)
	case reflect.String:
		if f.isPath {
			s = ExpandPath(s)
		}
		v.SetString(s)
	case reflect.Slice:
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot be set from text")
	}
	return nil
}

func setDuration(v reflect.Value, f *field, s string) error {
	t := strings.TrimSpace(s)
	d, err := time.ParseDuration(t)
	if err != nil {
		// A bare number is seconds, as in the *-sec keys.
		n, nerr := strconv.ParseInt(t, 10, 64)
		if nerr != nil {
			return fmt.Errorf("expected a duration such as 10s or 2m, got %q", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		return fmt.Errorf("must not be negative, got %s", t)
	}
	if f.min > 0 && d == 0 {
		return fmt.Errorf("must be longer than zero, got %s", t)
	}
	v.SetInt(int64(d))
	return nil
}

// checkRange applies the min/max tags. Numbers are never negative unless
// the tag allows it.
func checkRange(f *field, x float64, text string) error {
	if x < 0 && f.min >= 0 {
		return fmt.Errorf("must not be negative, got %s", text)
	}
	if x < f.min {
		return fmt.Errorf("must be at least %v, got %s", f.min, text)
	}
	if f.max > 0 && x > f.max {
		return fmt.Errorf("must be at most %v, got %s", f.max, text)
	}
	return nil
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "t", "y":
		return true, true
	case "false", "no", "off", "0", "f", "n":
		return false, true
	}
	return false, false
}

// ExpandPath expands a leading "~" to the home directory and $VAR or
// ${VAR} references, as Cloudfuse does for paths in its config.
func ExpandPath(p string) string {
	if p == "" {
		return p
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	return os.ExpandEnv(p)
}

// errUnknownKey is the message for a key not in the schema.
var errUnknownKey = errors.New("unknown key")
