//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// TestPOSIX is a broad POSIX conformance run on a real mount, in the spirit
// of pjdfstest's groups: many small checks per operation, made with system
// calls directly, as root and as unprivileged users through allow-other.
// The attributes and names the checks leave behind are checked again after
// an unmount and remount (the persistence groups).
//
// Every check must pass, except
//   - checks marked unsupported, which assert that an operation the store
//     cannot hold is refused the way docs/semantics.md says, and
//   - checks marked knownBug, which record a defect not fixed yet (listed
//     in posix_bugs_test.go). Such a check may fail without failing the
//     test; when it passes, the log says the mark can go.
//
// The log ends with a table of results per target and group.
func TestPOSIX(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the POSIX run acts as several users and must run as root")
	}
	withUmask(t, 0o022)
	var rows []posixRow
	for _, tg := range targets() {
		t.Run(tg.name, func(t *testing.T) {
			m := mountTarget(t, tg, mountOpts{flags: []string{"--allow-other"}})
			openUp(t, m)
			r := &posixRun{t: t, target: tg.name, root: m.path("posix"), store: m.Store, mountDir: m.Dir}
			if err := posixMkdir(r.root, 0o755, 0, 0); err != nil {
				t.Fatal(err)
			}
			for _, g := range posixGroups() {
				r.runGroup(g)
			}
			m.remount()
			r.runGroup(r.persistenceGroup(false))
			m.remount()
			r.runGroup(r.persistenceGroup(true))
			rows = append(rows, r.rows()...)
		})
	}
	t.Log("POSIX conformance summary\n" + posixSummary(rows))
}

// withUmask runs the rest of the test with the process umask u: the checks
// expect the modes a usual umask gives, whatever the test process started
// with (CI has run it with 0077).
func withUmask(t *testing.T, u int) {
	old := syscall.Umask(u)
	if old != u {
		t.Logf("process umask %04o, set to %04o for the run", old, u)
	}
	t.Cleanup(func() { syscall.Umask(old) })
}

// TestPOSIXChecksOnLocalDisk runs the same checks on a directory of the
// machine's own disk, where every check must pass (except those about the
// documented refusals and the mount itself). This keeps the checks honest:
// each one expects what Linux does.
func TestPOSIXChecksOnLocalDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the POSIX run acts as several users and must run as root")
	}
	dir := t.TempDir()
	openPath(t, dir)
	withUmask(t, 0o022)
	r := &posixRun{t: t, target: "local", local: true, root: filepath.Join(dir, "posix")}
	if err := posixMkdir(r.root, 0o755, 0, 0); err != nil {
		t.Fatal(err)
	}
	for _, g := range posixGroups() {
		r.runGroup(g)
	}
	t.Log("POSIX checks on the local disk\n" + posixSummary(r.rows()))
}

// posixCheck is one small conformance check. run records its first
// failure in c.err; none means the mount behaved as a local Linux
// filesystem would (or, for an unsupported check, as documented).
type posixCheck struct {
	name string
	run  func(c *pc)
	// unsupported names the documented refusal the check asserts.
	unsupported string
	// knownBug names a defect the check exposes that is not fixed yet (one
	// of the constants in posix_bugs_test.go); bugOn limits it to one
	// target ("s3" or "azure"), empty meaning all.
	knownBug, bugOn string
	// mountOnly marks checks about the mount itself, not POSIX behaviour.
	mountOnly bool
}

// posixGroup is a named table of checks, one per operation.
type posixGroup struct {
	name   string
	checks []posixCheck
}

func posixGroups() []posixGroup {
	return []posixGroup{
		{"chmod", chmodChecks()},
		{"chown", chownChecks()},
		{"open", openChecks()},
		{"mkdir", mkdirChecks()},
		{"rmdir", rmdirChecks()},
		{"unlink", unlinkChecks()},
		{"rename", renameChecks()},
		{"symlink", symlinkChecks()},
		{"truncate", truncateChecks()},
		{"utimensat", utimensChecks()},
		{"link", linkChecks()},
		{"mknod", mknodChecks()},
		{"statfs", statfsChecks()},
		{"names", nameChecks()},
	}
}

// posixTally counts the outcomes of one group.
type posixTally struct {
	passed, failed, unsupported, knownBug int
}

type posixRow struct {
	target, group string
	posixTally
}

// posixRun is one target's run: the tallies, and what the checks asked to
// be checked again after the remount.
type posixRun struct {
	t      *testing.T
	target string
	local  bool // the local-disk run: no documented refusals, no known bugs
	root   string
	// store and mountDir let mountOnly checks write objects behind the
	// mount's back; nil in the local run.
	store    storage.Backend
	mountDir string
	seq      int
	order    []string
	tallies  map[string]*posixTally
	kept     []posixKept
	after    []posixCheck
}

func (r *posixRun) tally(g string) *posixTally {
	if r.tallies == nil {
		r.tallies = map[string]*posixTally{}
	}
	if r.tallies[g] == nil {
		r.tallies[g] = &posixTally{}
		r.order = append(r.order, g)
	}
	return r.tallies[g]
}

func (r *posixRun) rows() []posixRow {
	var rows []posixRow
	for _, g := range r.order {
		rows = append(rows, posixRow{target: r.target, group: g, posixTally: *r.tallies[g]})
	}
	return rows
}

// runGroup runs every check of g, each in a fresh directory owned by root
// with mode 0755.
func (r *posixRun) runGroup(g posixGroup) {
	tl := r.tally(g.name)
	r.t.Run(g.name, func(t *testing.T) {
		for _, ck := range g.checks {
			if r.local && (ck.unsupported != "" || ck.mountOnly) {
				continue
			}
			t.Run(ck.name, func(t *testing.T) { r.runCheck(t, tl, g.name, ck) })
		}
	})
}

func (r *posixRun) runCheck(t *testing.T, tl *posixTally, group string, ck posixCheck) {
	r.seq++
	dir := filepath.Join(r.root, fmt.Sprintf("%s-%03d", group, r.seq))
	if err := posixMkdir(dir, 0o755, 0, 0); err != nil {
		t.Fatalf("check directory: %v", err)
	}
	c := &pc{dir: dir, group: group, check: ck.name, store: r.store, mountDir: r.mountDir}
	ck.run(c)
	bug := ck.knownBug
	if r.local || (ck.bugOn != "" && ck.bugOn != r.target) {
		bug = ""
	}
	err := c.err
	switch {
	case err == nil && bug != "":
		tl.passed++
		t.Logf("PASSES NOW on %s: remove the knownBug mark (%s)", r.target, bug)
	case err == nil && ck.unsupported != "":
		tl.unsupported++
		t.Logf("refused as documented: %s", ck.unsupported)
	case err == nil:
		tl.passed++
	case bug != "":
		tl.knownBug++
		t.Logf("KNOWN BUG (%s): %v", bug, err)
	default:
		tl.failed++
		t.Errorf("%v", err)
	}
	if err == nil {
		r.remember(t, c)
	}
}

// eintr runs a step of the run itself (not of a check). A signal to the
// calling thread must never make a request fail, so there is no retry.
func (r *posixRun) eintr(t *testing.T, tl *posixTally, step func() error) error {
	return step()
}

// remember snapshots what a passing check asked to keep, for the
// persistence group.
func (r *posixRun) remember(t *testing.T, c *pc) {
	for _, k := range c.keeps {
		var st posixAttrs
		err := r.eintr(t, r.tally(c.group), func() (err error) {
			st, err = posixSnapshot(k.path, k.atime)
			return err
		})
		if err != nil {
			t.Errorf("snapshot of %s for the remount check: %v", k.path, err)
			continue
		}
		k.want = st
		r.kept = append(r.kept, k)
	}
	r.after = append(r.after, c.after...)
}

// persistenceGroup checks, on a fresh mount, that everything kept shows
// the same attributes (and data, and link targets) as before. The first
// round looks each entry up directly (stat) and also runs the checks that
// asked to run again, such as removed names staying removed; the second
// (listFirst, on another fresh mount) lists each entry's directory first,
// as ls -l does, so the kernel takes the attributes from the listing.
func (r *posixRun) persistenceGroup(listFirst bool) posixGroup {
	g := posixGroup{name: "persistence"}
	if listFirst {
		g.name = "persistence-ls"
	}
	for _, k := range r.kept {
		ck := posixCheck{name: k.label, run: func(c *pc) {
			var typ uint8
			if listFirst {
				if typ = c.listed(k.path); c.err != nil {
					return
				}
			}
			got, err := posixSnapshot(k.path, k.atime)
			if err == nil {
				err = k.want.diff(got)
			}
			if err == nil && listFirst && typ != posixDirentType(got.mode) {
				err = fmt.Errorf("listed with d_type %d, want %d", typ, posixDirentType(got.mode))
			}
			c.err = err
		}}
		if !listFirst {
			ck.knownBug, ck.bugOn = k.knownBug, k.bugOn
		}
		g.checks = append(g.checks, ck)
	}
	if !listFirst {
		g.checks = append(g.checks, r.after...)
	}
	return g
}

// posixSummary formats the result table.
func posixSummary(rows []posixRow) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\tgroup\tpassed\tfailed\texpected-unsupported\tknown-bug\t")
	sums := map[string]*posixTally{}
	var targets []string
	line := func(target, group string, s posixTally) {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t\n", target, group,
			s.passed, s.failed, s.unsupported, s.knownBug)
	}
	for _, row := range rows {
		line(row.target, row.group, row.posixTally)
		s := sums[row.target]
		if s == nil {
			s = &posixTally{}
			sums[row.target] = s
			targets = append(targets, row.target)
		}
		s.passed += row.passed
		s.failed += row.failed
		s.unsupported += row.unsupported
		s.knownBug += row.knownBug
	}
	for _, tg := range targets {
		line(tg, "TOTAL", *sums[tg])
	}
	w.Flush()
	return b.String()
}
