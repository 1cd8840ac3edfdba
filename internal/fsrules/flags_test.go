package fsrules

import "testing"

func TestRefusedUnderWriteback(t *testing.T) {
	for _, c := range []struct {
		strict, writeback bool
		f                 Flags
		want              bool
	}{
		{true, true, Flags{Access: WriteOnly}, true},
		{true, true, Flags{Access: ReadWrite, Append: true}, true},
		{true, true, Flags{Access: WriteOnly, Creat: true, Trunc: true}, true},
		{true, true, Flags{Access: ReadWrite}, false},
		{true, true, Flags{Access: ReadOnly}, false},
		{true, false, Flags{Access: WriteOnly, Append: true}, false},  // no writeback cache
		{false, true, Flags{Access: WriteOnly, Append: true}, false},  // ignore-open-flags
		{false, false, Flags{Access: WriteOnly, Append: true}, false}, // both
	} {
		if got := c.f.RefusedUnderWriteback(c.writeback, c.strict); got != c.want {
			t.Errorf("strict=%v writeback=%v flags=%s: %v, want %v", c.strict, c.writeback, c.f, got, c.want)
		}
	}
	f := Flags{Access: ReadWrite, Trunc: true, Creat: true}
	if s := f.String(); s != "O_RDWR|O_TRUNC|O_CREAT" {
		t.Errorf("String = %q", s)
	}
	if v := f.VFS(); !v.Write || !v.Truncate || v.Excl {
		t.Errorf("VFS = %+v", v)
	}
}

func TestParent(t *testing.T) {
	for p, want := range map[string]string{"a": "", "a/b": "a", "a/b/c": "a/b", "": ""} {
		if got := Parent(p); got != want {
			t.Errorf("Parent(%q) = %q, want %q", p, got, want)
		}
	}
}
