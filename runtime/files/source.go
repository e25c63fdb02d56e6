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
	// that the caller may keep, unless the source lends its lines
	// (LendLines). For a line longer than the source's limit it holds the
	// limit's worth of bytes from the line's start.
	Value []byte
	// Size is the line's length, also past the limit; Size > len(Value)
	// only for a line longer than the limit (Truncated).
	Size int64
}

// Truncated reports whether the line was longer than the source's limit
// and only its start was kept.
func (l Line) Truncated() bool { return l.Size > int64(len(l.Value)) }

// Source reads a JSON-lines file one line at a time. Lines may be of any
// length up to the limit (SetLimit): it uses bufio.Reader, not
// bufio.Scanner and its 64 KiB limit. Past the limit a line is skipped
// (only its start is kept), so memory stays bounded whatever the input,
// /dev/zero included.
type Source struct {
	path  string
	f     *os.File
	r     *bufio.Reader
	next  int64
	limit int
	lend  bool
	buf   []byte // a lent line that spans the reader's buffer
}

// SetLimit bounds the bytes of a line kept in memory (0: no bound); see
// Line.Truncated.
func (s *Source) SetLimit(n int) { s.limit = n }

// LendLines makes Next return lines in memory the source reuses: a
// Line's Value is valid only until the next call to Next. A reader that
// copies what it keeps (as a stage does with its inputs) then reads a
// file without allocating per line.
func (s *Source) LendLines() { s.lend = true }

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
		b, size, cr, err := s.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return Line{}, fmt.Errorf("read %s line %d: %w", s.path, s.next+1, err)
		}
		if size == 0 && err != nil {
			return Line{}, io.EOF
		}
		off := s.next
		s.next++
		if cr {
			size--
			b = b[:min(int64(len(b)), size)]
		}
		if s.limit > 0 && size > int64(s.limit) {
			return Line{Offset: off, Value: b[:s.limit], Size: size}, nil
		}
		if len(bytes.TrimSpace(b)) == 0 {
			if err != nil {
				return Line{}, io.EOF
			}
			continue
		}
		return Line{Offset: off, Value: b, Size: size}, nil
	}
}

// readLine reads through the next '\n' (or the end of the input) and
// returns the line without the '\n', of which it keeps at most limit+1
// bytes, the line's full size, and whether it ends in '\r' (counted in
// size). err is nil when a '\n' ended the line.
func (s *Source) readLine() (b []byte, size int64, cr bool, err error) {
	if s.lend {
		b = s.buf[:0]
	}
	for {
		chunk, err := s.r.ReadSlice('\n')
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		if len(chunk) > 0 {
			cr = chunk[len(chunk)-1] == '\r'
		}
		size += int64(len(chunk))
		keep := len(chunk)
		if s.limit > 0 {
			keep = min(keep, max(s.limit+1-len(b), 0))
		}
		if s.lend && size == int64(len(chunk)) && !errors.Is(err, bufio.ErrBufferFull) {
			// The whole line is in the reader's buffer: lend it from there.
			return chunk[:keep], size, cr, err
		}
		b = append(b, chunk[:keep]...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			if s.lend {
				s.buf = b[:0] // kept for the next line that spans the buffer
			}
			return b, size, cr, err
		}
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
