// Package nexmark holds the Nexmark benchmark as specs: one directory per
// query (qN/main.hcl, with its generated tests.hcl and the given records
// they share under testdata/), the event generator
// (generator, and the gen command), the plain-Go reference (ref) that the
// tests' expected records come from, and run.sh, the runner.
package nexmark

//go:generate go run ./internal/mktests
