//go:build !wasip1

package ir

import (
	"crypto/sha256"
	"encoding/hex"
)

// Hash returns a short hex SHA-256 of b, used for spec and module hashes.
//
// This file and seal.go are left out of GOOS=wasip1 builds: the broker's
// transform module decodes plans but never hashes or seals them, and the
// crypto packages (with their FIPS self-test inits, which the linker
// keeps) cost the module 190 KB of its 10 MiB limit.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])[:16]
}
