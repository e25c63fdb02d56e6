package command

import (
	"sort"

	backendreg "github.com/pipeline-compiler/pipeline/backends/registry"
)

// backends are the backends this command plans, validates, calibrates and
// tests with: backends/registry's one list, the beam entry running
// pipeline-beam with this command's stderr and environment.
func (m *Meta) backends() *backendreg.Environment {
	return backendreg.Default(backendreg.BeamClient(m.beamClient()))
}

// backendNames are the names of the registry's backends, sorted.
func backendNames() []string {
	names := backendreg.Default().Names()
	sort.Strings(names)
	return names
}
