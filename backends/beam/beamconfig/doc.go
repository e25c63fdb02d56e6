// Package beamconfig declares the beam backend without the Beam SDK: its
// capabilities and costs for the optimizer, and the settings of a spec's
// backend "beam" block (runner, endpoint, environment), decoded and checked
// with diagnostics. validate and plan use it, so the core pipeline binary
// plans beam stages without the Beam SDK; only running them needs package
// beam, which only pipeline-beam links.
//
// It must not import the Beam SDK or know about the other backends.
package beamconfig
