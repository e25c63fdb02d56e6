package native

import (
	"fmt"
	"io"
	"os"

	"github.com/cockroachdb/pebble/vfs"
)

// Modes of state on disk. State holds keys and aggregates of user records,
// so only the owner may read it, like the apply state file. The modes are
// set with chmod after creation, so they do not depend on the umask.
const (
	privateDirMode  os.FileMode = 0o700
	privateFileMode os.FileMode = 0o600
)

// diskFS is the file system of on-disk state: Pebble's OS file system with
// every file it creates 0600 and every directory 0700 (Pebble itself
// creates them 0666 and 0755, less the umask).
var diskFS vfs.FS = privateFS{vfs.Default}

type privateFS struct{ vfs.FS }

func (p privateFS) Create(name string) (vfs.File, error) {
	f, err := p.FS.Create(name)
	return private(f, err, name)
}

func (p privateFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := p.FS.OpenReadWrite(name, opts...)
	return private(f, err, name)
}

func (p privateFS) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	f, err := p.FS.ReuseForWrite(oldname, newname)
	return private(f, err, newname)
}

func (p privateFS) Lock(name string) (io.Closer, error) {
	c, err := p.FS.Lock(name)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, privateFileMode); err != nil {
		c.Close()
		return nil, fmt.Errorf("restrict %s: %w", name, err)
	}
	return c, nil
}

func (p privateFS) MkdirAll(dir string, _ os.FileMode) error {
	if err := p.FS.MkdirAll(dir, privateDirMode); err != nil {
		return err
	}
	return os.Chmod(dir, privateDirMode)
}

func private(f vfs.File, err error, name string) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, privateFileMode); err != nil {
		f.Close()
		return nil, fmt.Errorf("restrict %s: %w", name, err)
	}
	return f, nil
}
