package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// fioReport is the part of fio's --output-format=json that the harness
// reads.
type fioReport struct {
	Jobs []struct {
		Name  string `json:"jobname"`
		Error int    `json:"error"`
		Read  fioDir `json:"read"`
		Write fioDir `json:"write"`
	} `json:"jobs"`
}

type fioDir struct {
	IOBytes  int64 `json:"io_bytes"`
	TotalIOs int64 `json:"total_ios"`
}

// sumFio adds up the I/Os and bytes of one direction ("read" or "write")
// over every job of a fio JSON report. fio may print warnings before the
// JSON; they are skipped.
func sumFio(data []byte, dir string) (ios, nbytes int64, err error) {
	start := bytes.IndexByte(data, '{')
	if start < 0 {
		return 0, 0, fmt.Errorf("no JSON in fio output")
	}
	var rep fioReport
	if err := json.Unmarshal(data[start:], &rep); err != nil {
		return 0, 0, fmt.Errorf("fio output: %w", err)
	}
	if len(rep.Jobs) == 0 {
		return 0, 0, fmt.Errorf("fio output has no jobs")
	}
	for _, j := range rep.Jobs {
		if j.Error != 0 {
			return 0, 0, fmt.Errorf("fio job %s failed with error %d", j.Name, j.Error)
		}
		d := j.Read
		switch dir {
		case "read":
		case "write":
			d = j.Write
		default:
			return 0, 0, fmt.Errorf("direction %q is neither read nor write", dir)
		}
		ios += d.TotalIOs
		nbytes += d.IOBytes
	}
	return ios, nbytes, nil
}

func cmdFioSum(_ context.Context, _ environ, args []string, out io.Writer) error {
	fs := newFlags("fio-sum")
	dir := fs.String("rw", "read", "direction to sum: read or write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: fio-sum [-rw read|write] FIO.json")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	ios, n, err := sumFio(data, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d\t%d\n", ios, n)
	return nil
}
