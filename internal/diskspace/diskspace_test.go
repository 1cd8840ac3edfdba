package diskspace

import "testing"

func TestOfTheTempDir(t *testing.T) {
	u, err := Of(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if u.Total <= 0 || u.Avail < 0 || u.Avail > u.Total || u.Used() != u.Total-u.Avail {
		t.Fatalf("usage %+v", u)
	}
	if _, err := Of(t.TempDir() + "/not-there"); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
