package files

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Line is one record read from a JSON-lines file.
type Line struct {
	// Offset is the zero-based line number, counting blank lines, so that a
	// dead letter names the line an operator can find with `sed -n`
	// (line Offset+1).
	Offset int64
	// Value is the line without its line terminator. It is a fresh slice
	// that the caller may keep.
	Value []byte
}

// Source reads a JSON-lines file one line at a time. Lines may be of any
// length: it uses bufio.Reader, not bufio.Scanner and its 64 KiB limit.
type Source struct {
	path string
	f    *os.File
	r    *bufio.Reader
	next int64
}

// Open opens path for reading.
func Open(path string) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open file source: %w", err)
	}
	return &Source{path: path, f: f, r: bufio.NewReaderSize(f, 256<<10)}, nil
}

// NewSource reads lines from r; name appears in errors.
func NewSource(name string, r io.Reader) *Source {
	return &Source{path: name, r: bufio.NewReaderSize(r, 256<<10)}
}

// Next returns the next non-blank line, or io.EOF after the last one. A
// final line without a terminator is returned like any other.
func (s *Source) Next() (Line, error) {
	for {
		b, err := s.r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return Line{}, fmt.Errorf("read %s line %d: %w", s.path, s.next+1, err)
		}
		if len(b) == 0 && err != nil {
			return Line{}, io.EOF
		}
		off := s.next
		s.next++
		b = bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(b)) == 0 {
			if err != nil {
				return Line{}, io.EOF
			}
			continue
		}
		return Line{Offset: off, Value: b}, nil
	}
}

// Close closes the file.
func (s *Source) Close() error {
	if s.f == nil {
		return nil
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}
