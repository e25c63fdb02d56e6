// Package fsutil holds the file-system steps that make the runtime's
// checkpoints durable. It knows nothing of what the files contain.
package fsutil

import "os"

// WriteFileSync writes b to path and syncs it to disk before returning, so a
// file that a later step (a commit) depends on survives a crash.
func WriteFileSync(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
