// Package testkit is the one kit the project's tests share: a
// Kafka-protocol broker in its own process (built once per test binary),
// an in-process broker closed with t.Cleanup, kcat to produce and read
// records as an independent client, and builders for hand-made IR.
//
// It is test support: only _test.go files and other test-support packages
// import it. It must not know about operator semantics, backends or HCL.
package testkit
