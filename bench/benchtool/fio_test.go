package main

import "testing"

// A trimmed fio 3.x JSON report of a two-job run, with the warning fio
// prints ahead of the JSON when a job option is ignored.
const fioSample = `fio: some option had no effect
{
  "fio version" : "fio-3.33",
  "jobs" : [
    {"jobname" : "seq-read-4", "error" : 0,
     "read" : {"io_bytes" : 268435456, "total_ios" : 256},
     "write" : {"io_bytes" : 0, "total_ios" : 0}},
    {"jobname" : "seq-read-4", "error" : 0,
     "read" : {"io_bytes" : 268435456, "total_ios" : 256},
     "write" : {"io_bytes" : 4096, "total_ios" : 1}}
  ]
}`

func TestSumFioAddsEveryJob(t *testing.T) {
	ios, n, err := sumFio([]byte(fioSample), "read")
	if err != nil {
		t.Fatal(err)
	}
	if ios != 512 || n != 512<<20 {
		t.Fatalf("read: %d ios, %d bytes; want 512, %d", ios, n, 512<<20)
	}
	ios, n, err = sumFio([]byte(fioSample), "write")
	if err != nil || ios != 1 || n != 4096 {
		t.Fatalf("write: %d ios, %d bytes, %v; want 1, 4096", ios, n, err)
	}
}

func TestSumFioReportsFailures(t *testing.T) {
	for name, in := range map[string]string{
		"no json":   "fio: file not found\n",
		"no jobs":   `{"jobs": []}`,
		"job error": `{"jobs": [{"jobname": "x", "error": 5, "read": {}, "write": {}}]}`,
		"truncated": `{"jobs": [{"jobname": "x"`,
		"bad dir":   `{"jobs": [{"jobname": "x", "error": 0, "read": {}, "write": {}}]}`,
	} {
		dir := "read"
		if name == "bad dir" {
			dir = "trim"
		}
		if _, _, err := sumFio([]byte(in), dir); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
