package filter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	may := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	objs := map[string]Object{
		"data/a.parquet": {Key: "data/a.parquet", Size: 2 << 20, ModTime: may.Add(time.Hour)},
		"data/b.csv":     {Key: "data/b.csv", Size: 100, ModTime: may.Add(-time.Hour)},
		"img/c.png":      {Key: "img/c.png", Size: 5000, ModTime: may.Add(48 * time.Hour)},
	}
	tags := map[string]map[string]string{"img/c.png": {"split": "train"}, "data/b.csv": {"split": "test"}}
	for k, o := range objs {
		o.Tags = func() (map[string]string, error) { return tags[k], nil }
		objs[k] = o
	}
	for _, c := range []struct{ expr, want string }{
		{"name=*.parquet", "data/a.parquet"},
		{"format=csv", "data/b.csv"},
		{"regex=^data/", "data/a.parquet data/b.csv"},
		{"size>=1048576", "data/a.parquet"},
		{"size<1000", "data/b.csv"},
		{"size=5000", "img/c.png"},
		{"modtime>2024-05-01T00:00:00Z", "data/a.parquet img/c.png"},
		{"modtime<Wed, 01 May 2024 00:00:00 GMT", "data/b.csv"},
		{"tag=split:train", "img/c.png"},
		{"blobtag=split:test", "data/b.csv"},
		{"regex=^data/ && size>1000 || tag=split:train", "data/a.parquet img/c.png"},
		{" name = *.csv || name=*.png ", "data/b.csv img/c.png"},
	} {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("%q: %v", c.expr, err)
		}
		var got []string
		for _, k := range []string{"data/a.parquet", "data/b.csv", "img/c.png"} {
			ok, err := e.Match(objs[k])
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, k)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q matches %v, want %s", c.expr, got, c.want)
		}
	}
	e, _ := Parse("tag=a:b")
	if !e.UsesTags() {
		t.Error("a tag filter does not say it uses tags")
	}
	_, err := e.Match(Object{Key: "k", Tags: func() (map[string]string, error) { return nil, errors.New("store down") }})
	if err == nil || !strings.Contains(err.Error(), "store down") {
		t.Errorf("a tag error: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"":                   "empty filter",
		"name=a &&":          "empty condition",
		"colour=red":         `unknown field "colour"`,
		"size>=ten":          "size takes a number of bytes",
		"modtime>yesterday":  "neither RFC 3339",
		"regex=(":            "missing closing )",
		"name>a":             "name takes only =",
		"tag=novalue":        "tag=KEY:VALUE",
		"just words":         "no operator",
		"name=[":             "bad pattern",
		"size=1 || format=x": "",
	} {
		_, err := Parse(expr)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", expr, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", expr, err, want)
		}
	}
}
