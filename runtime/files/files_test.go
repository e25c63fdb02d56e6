package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSource(t *testing.T) {
	huge := strings.Repeat("x", 300<<10) // larger than bufio.Scanner's 64 KiB and our buffer
	ln := func(off int64, s string) Line { return Line{Offset: off, Value: []byte(s), Size: int64(len(s))} }
	// cut is a line of size bytes of which the first limit were kept.
	cut := func(off int64, s string, size int64) Line { return Line{Offset: off, Value: []byte(s), Size: size} }
	tests := []struct {
		name  string
		in    io.Reader
		limit int
		want  []Line
	}{
		{"empty", strings.NewReader(""), 0, nil},
		{"one without newline", strings.NewReader(`{"a":1}`), 0, []Line{ln(0, `{"a":1}`)}},
		{"blank lines counted", strings.NewReader("{\"a\":1}\n\n  \n{\"a\":2}\n"), 0, []Line{ln(0, `{"a":1}`), ln(3, `{"a":2}`)}},
		{"crlf", strings.NewReader("{}\r\n{}\r\n"), 0, []Line{ln(0, `{}`), ln(1, `{}`)}},
		{"huge line", strings.NewReader(`"` + huge + "\"\n{}"), 0, []Line{ln(0, `"`+huge+`"`), ln(1, `{}`)}},
		// With a limit, a line at it is whole; a longer one keeps the
		// limit's worth and its size, and reading goes on after it.
		{"at the limit", strings.NewReader("12345\r\n{}\n"), 5, []Line{ln(0, "12345"), ln(1, "{}")}},
		{"over the limit", strings.NewReader("123456\n{}\n"), 5, []Line{cut(0, "12345", 6), ln(1, "{}")}},
		{"huge line over the limit", strings.NewReader(`"` + huge + "\"\r\n{}"), 1000, []Line{cut(0, `"`+huge[:999], int64(len(huge))+2), ln(1, `{}`)}},
		{"blank but over the limit", strings.NewReader(strings.Repeat(" ", 10) + "\n{}"), 5, []Line{cut(0, "     ", 10), ln(1, `{}`)}},
		// /dev/zero as a line: 50 MiB without a newline (that memory is
		// bounded is TestSourceMemoryBounded's to check).
		{"endless line", io.MultiReader(io.LimitReader(zeros{}, 50<<20), strings.NewReader("\n{}\n")), 1 << 20,
			[]Line{cut(0, string(make([]byte, 1<<20)), 50<<20), ln(1, `{}`)}},
	}
	for _, tt := range tests {
		// The same lines whether the source gives them or lends them
		// (LendLines: copied here before the next Next), from the same
		// bytes.
		data, err := io.ReadAll(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		for _, lend := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/lend=%v", tt.name, lend), func(t *testing.T) {
				s := NewSource(tt.name, bytes.NewReader(data))
				s.SetLimit(tt.limit)
				if lend {
					s.LendLines()
				}
				var got []Line
				for {
					l, err := s.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if l.Truncated() != (l.Size > int64(tt.limit) && tt.limit > 0) {
						t.Errorf("line %d: Truncated() = %v with size %d and limit %d", l.Offset, l.Truncated(), l.Size, tt.limit)
					}
					l.Value = bytes.Clone(l.Value)
					got = append(got, l)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("lines (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// zeros reads as endless zero bytes, like /dev/zero.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSourceMemoryBounded reads a 200 MiB line with a 1 MiB limit and
// checks that the heap stayed far below the line's size.
func TestSourceMemoryBounded(t *testing.T) {
	s := NewSource("zeros", io.LimitReader(zeros{}, 200<<20))
	s.SetLimit(1 << 20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := s.Next()
	runtime.ReadMemStats(&after)
	if err != nil || !l.Truncated() || l.Size != 200<<20 {
		t.Fatalf("Next() = size %d, truncated %v, %v; want the 200 MiB line, truncated", l.Size, l.Truncated(), err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("reading the line allocated %d MiB, want a bounded few", grew>>20)
	}
}

func TestSinkRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "x.jsonl")
	s, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{`{"a":1}`, `{"a":2}`} {
		if err := s.Write([]byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("{\"a\":1}\n{\"a\":2}\n", string(b)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if got := s.Records(); got != 2 {
		t.Errorf("Records() = %d, want 2", got)
	}
}
