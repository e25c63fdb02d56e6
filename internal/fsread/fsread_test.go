package fsread

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "main.hcl")
	if err := os.WriteFile(regular, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.hcl")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		limit int64
		want  error
	}{
		{regular, 0, nil},
		{regular, 10, nil},
		{regular, 9, ErrTooLarge},
		{fifo, 0, ErrNotRegular},
		{zero, 0, ErrNotRegular},
		{dir, 0, ErrNotRegular},
		{filepath.Join(dir, "missing"), 0, os.ErrNotExist},
	}
	for _, tt := range tests {
		b, err := ReadFile(tt.path, tt.limit)
		if !errors.Is(err, tt.want) {
			t.Errorf("ReadFile(%s, %d) = %v, want %v", tt.path, tt.limit, err, tt.want)
		}
		if tt.want == nil && string(b) != "0123456789" {
			t.Errorf("ReadFile(%s) = %q", tt.path, b)
		}
	}
}
