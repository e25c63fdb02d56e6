// Package costprofile is the cost profile file: what `pipeline calibrate`
// measured on one machine, per backend and operator kind, checked in next
// to the spec as cost-profile.json, and how those measurements replace a
// backend's default Costs before planning.
//
// Data flows one way: backend packages measure (each offers a Calibrator),
// the CLI writes and reads the file, and the optimizer only ever sees the
// resulting Capabilities. This package must not know any backend by name,
// nor how a backend runs code, nor about the CLI or HCL documents; problems
// in a profile file are hcl.Diagnostics with the file's line and column so
// the CLI can show them like spec errors.
package costprofile
