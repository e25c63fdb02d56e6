// Package registry is the one list of execution backends and the interface
// each implements: name, capabilities and costs (optimizer.Capabilities,
// whose Hosts is the one answer to "can this backend run this operator"),
// validation of its backend block into diagnostics, calibration and the
// test runner. The CLI plans, validates, calibrates and tests through it
// instead of per-backend tables; adding a backend is one line in Default.
//
// It is in the style of Benthos's Environment and franz-go's options: an
// Environment is built from options, Default is the standard one.
//
// The beam entry is beamclient's thin client: the Beam SDK runs in the
// pipeline-beam binary, never in a process that imports this package.
// It must not know about the CLI (flags, state files, output rendering).
package registry
