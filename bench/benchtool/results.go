package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Units of a result: throughput in MiB/s (amount is bytes) or operations
// per second (amount is a count).
const (
	unitMiBs = "MiB/s"
	unitOps  = "ops/s"
)

// result is one measured workload: a line of the results file.
//
//	tool <TAB> workload <TAB> unit <TAB> amount <TAB> nanoseconds <TAB> peak RSS KiB <TAB> status [<TAB> requests]
//
// status is "ok" or why the workload failed; a failed row's numbers are 0.
// requests, when measured, says what the store was asked during the
// workload ("13 LIST, 2 HEAD"; see requests.go).
type result struct {
	tool, workload, unit string
	amount               int64
	elapsed              time.Duration
	rssKiB               int64 // 0: not measured
	status               string
	requests             string // "": not measured
}

func (r result) String() string {
	f := []string{r.tool, r.workload, r.unit,
		strconv.FormatInt(r.amount, 10), strconv.FormatInt(int64(r.elapsed), 10),
		strconv.FormatInt(r.rssKiB, 10), r.status}
	if r.requests != "" {
		f = append(f, r.requests)
	}
	return strings.Join(f, "\t")
}

func parseResult(line string) (result, error) {
	f := strings.Split(line, "\t")
	if len(f) != 7 && len(f) != 8 {
		return result{}, fmt.Errorf("want 7 or 8 tab-separated fields, have %d", len(f))
	}
	var r result
	r.tool, r.workload, r.unit, r.status = f[0], f[1], f[2], f[6]
	if len(f) == 8 {
		r.requests = f[7]
	}
	if r.unit != unitMiBs && r.unit != unitOps {
		return result{}, fmt.Errorf("unknown unit %q", r.unit)
	}
	nums := []*int64{&r.amount, (*int64)(&r.elapsed), &r.rssKiB}
	for i, s := range f[3:6] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return result{}, fmt.Errorf("field %d: %q is not a count", i+4, s)
		}
		*nums[i] = n
	}
	return r, nil
}

// ok says whether the row holds a measurement.
func (r result) ok() bool { return r.status == "ok" && r.elapsed > 0 }

// rate is the result in its unit.
func (r result) rate() float64 {
	if !r.ok() {
		return 0
	}
	v := float64(r.amount) / r.elapsed.Seconds()
	if r.unit == unitMiBs {
		v /= 1 << 20
	}
	return v
}
