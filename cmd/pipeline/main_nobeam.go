//go:build nobeam

package main

// beamWorker does nothing in a binary built without the beam backend: it
// is never a Beam worker.
func beamWorker([]string) {}
