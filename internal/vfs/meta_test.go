package vfs

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// A listing larger than the cache's bound fills the cache to the bound
// and keeps no set of names, so it proves no absence it could not hold.
func TestPutListingStaysWithinMaxFiles(t *testing.T) {
	c := newMetaCache(time.Minute, time.Minute, 10)
	children := map[string]*node{}
	for i := range 25 {
		name := fmt.Sprintf("f%02d", i)
		children[name] = &node{Attr: Attr{Kind: KindFile}, key: "big/" + name}
	}
	l := c.beginListing("big", true)
	c.putListing(l, children)
	c.endListing(l)
	if n := c.len(); n > 10 || n == 0 {
		t.Fatalf("the cache holds %d entries, bound 10", n)
	}
	if _, ok := c.dirs["big"]; ok {
		t.Fatal("a listing that did not fit was recorded as complete")
	}
	cached := 0
	for name := range children {
		n, found := c.get("big/" + name)
		if found && n == nil {
			t.Fatalf("%s reported missing", name)
		}
		if found {
			cached++
		}
	}
	if cached != c.len() {
		t.Fatalf("%d names answered from the cache, it holds %d", cached, c.len())
	}

	// One that fits is recorded whole, and its entries share the keys'
	// bytes.
	small := map[string]*node{"a": {Attr: Attr{Kind: KindFile}, key: "dir/a"}}
	c2 := newMetaCache(time.Minute, time.Minute, 10)
	l = c2.beginListing("dir", true)
	c2.putListing(l, small)
	c2.endListing(l)
	if _, ok := c2.dirs["dir"]; !ok {
		t.Fatal("a listing that fits was not recorded as complete")
	}
	if n, found := c2.get("dir/b"); !found || n != nil {
		t.Fatal("the complete listing does not prove dir/b missing")
	}
	for k := range c2.entries {
		if k != "dir/a" || unsafe.StringData(k) != unsafe.StringData(small["a"].key) {
			t.Fatalf("entry %q does not share the key's bytes", k)
		}
	}
}
