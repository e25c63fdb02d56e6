// Package beam is the Apache Beam backend: it declares what a Beam runner
// can host, translates a plan's beam stages into a Beam pipeline built from
// a fixed set of registered, generic DoFns parameterized by the stage IR, and
// runs it on Prism in-process or submits it to a Beam job server.
//
// It must not know about the other backends, HCL documents or the CLI.
package beam
