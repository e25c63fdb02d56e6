// Package broker is the Redpanda Data Transforms backend: it declares what
// a transform can host (stateless single-record operators reading one
// topic, at most eight outputs, at-least-once), compiles a broker stage into
// a WebAssembly module (the one generic module built with the project, with
// the stage's IR placed into its reserved data segment), and deploys modules
// through Redpanda's Admin API.
//
// It must not know about the other backends, HCL documents or the CLI.
package broker
