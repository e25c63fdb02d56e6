// Package backends is the root of the per-backend packages: broker
// (Redpanda Data Transforms), native (this project's Go runtime) and beam
// (Apache Beam). Each sub-package declares its backend's capabilities and
// cost parameters for the optimizer, compiles a plan's stages into the
// backend's artifact, and deploys it. Each also exports a Backend value,
// and backends/registry lists them all behind one interface; the beam
// entry there is beamclient's thin client for the pipeline-beam binary.
//
// A backend package must not know about the other backends, nor about HCL
// documents (lang) or the CLI. It may use the runtime packages that run its
// artifacts on this machine.
package backends
