// Package fsread reads the files the CLI is given (spec files, variable
// files, cost profiles, saved plans, state) safely: only regular files, up
// to a size limit, never blocking on a FIFO or device. It knows nothing of
// what the files contain.
package fsread
