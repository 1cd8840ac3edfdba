// Package storagetest is the conformance suite every storage.Backend must
// pass, plus helpers that backend and higher-layer tests reuse.
//
// A backend's own test calls Run with a constructor that returns a fresh,
// empty store each time (a new bucket, container, prefix or directory). The
// suite calls the constructor once per subtest and runs subtests in
// parallel, so the constructor must be safe to call concurrently. The suite
// never closes a backend: register Close with t.Cleanup in the constructor.
package storagetest

import (
	"testing"

	"github.com/a9de3765/cloudfuse/internal/storage"
)

// Options tunes a run of the suite.
type Options struct {
	// Skip names subtests (as "Group/Name", e.g. "List/StartAfter") that a
	// store knowingly cannot pass, with the reason shown in the test log.
	// Every entry is a known gap that the store's documentation must admit.
	Skip map[string]string
	// Serial runs subtests one at a time instead of in parallel.
	Serial bool
}

// Run runs the whole conformance suite against stores made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend) {
	RunWith(t, newBackend, Options{})
}

// RunWith is Run with options.
func RunWith(t *testing.T, newBackend func(t *testing.T) storage.Backend, opts Options) {
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					if reason, ok := opts.Skip[g.name+"/"+c.name]; ok {
						t.Skip(reason)
					}
					if !opts.Serial {
						t.Parallel()
					}
					b := newBackend(t)
					c.fn(t, b)
				})
			}
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, b storage.Backend)
}

type group struct {
	name  string
	cases []testCase
}

func groups() []group {
	return []group{
		{"Keys", keyCases()},
		{"Object", objectCases()},
		{"Errors", errorCases()},
		{"List", listCases()},
		{"Range", rangeCases()},
		{"Conditional", conditionalCases()},
		{"Multipart", multipartCases()},
		{"Copy", copyCases()},
		{"Uploads", uploadCases()},
	}
}
