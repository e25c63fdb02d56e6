package files

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// Sink writes records to a JSON-lines file, one per line, through a buffer.
// Records reach the file on Flush and Close: the worker flushes when it
// drains or commits, so a crash loses at most the unflushed tail of a
// bounded run, which is re-run from the start.
type Sink struct {
	path string
	f    *os.File
	w    *bufio.Writer
	n    int64
}

// Create creates (or truncates) path, and its parent directories.
func Create(path string) (*Sink, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create file sink: %w", err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create file sink: %w", err)
	}
	return &Sink{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Write appends one record. value must not contain a newline (compact JSON
// never does).
func (s *Sink) Write(value []byte) error {
	if _, err := s.w.Write(value); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	s.n++
	return nil
}

// WriteLines appends n records already framed as lines: data is their
// values, each followed by '\n'. A batch of records goes to the buffer (or,
// when larger than it, to the file) in one call.
func (s *Sink) WriteLines(data []byte, n int64) error {
	if _, err := s.w.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	s.n += n
	return nil
}

// Records returns how many records were written.
func (s *Sink) Records() int64 { return s.n }

// Flush writes buffered records to the file.
func (s *Sink) Flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("flush %s: %w", s.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (s *Sink) Close() error {
	ferr := s.Flush()
	if err := s.f.Close(); err != nil && ferr == nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return ferr
}
