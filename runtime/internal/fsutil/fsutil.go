// Package fsutil holds the file-system steps that make the runtime's
// checkpoints durable. It knows nothing of what the files contain.
package fsutil

import "os"

// Checkpoints hold keys and aggregates of user records: only their owner may
// read them, whatever the umask.
const (
	DirMode  os.FileMode = 0o700
	FileMode os.FileMode = 0o600
)

// MkdirPrivate creates dir and its missing parents, and makes dir 0700.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	return os.Chmod(dir, DirMode)
}

// WriteFileSync writes b to path and syncs it to disk before returning, so a
// file that a later step (a commit) depends on survives a crash. The file is 0600.
func WriteFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	if err := f.Chmod(FileMode); err != nil {
		f.Close()
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
