// Command pipeline compiles HCL pipeline specs into plans placed on the
// broker, native and beam backends: validate, fmt, plan, show, graph,
// version. See "pipeline -help".
//
// main only wires the process (arguments, standard streams, environment,
// exit status) to package internal/command, which holds every command so
// that they can be tested without a process.
//
// It links no Beam and no cloud SDK (TestCoreLinksNoBeam): beam stages run
// in the pipeline-beam binary (cmd/pipeline-beam), which
// backends/beam/beamclient finds, or builds in a source checkout.
package main
