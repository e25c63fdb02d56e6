package command

import (
	"sort"

	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// testRunners are the backends `pipeline test -backend NAME` can run tests
// on. A nil runner is the native engine (testrun's default). Adding a
// backend is one line here.
var testRunners = map[string]func(*Meta) testrun.Runner{
	"native": func(*Meta) testrun.Runner { return nil },
}

func testBackends() []string {
	names := make([]string, 0, len(testRunners))
	for name := range testRunners {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
