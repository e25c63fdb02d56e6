package files

import (
	"errors"
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
	text := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	tests := []struct {
		name  string
		in    func() io.Reader // a fresh reader for each pass
		limit int
		want  []Line
	}{
		{"empty", text(""), 0, nil},
		{"one without newline", text(`{"a":1}`), 0, []Line{ln(0, `{"a":1}`)}},
		{"blank lines counted", text("{\"a\":1}\n\n  \n{\"a\":2}\n"), 0, []Line{ln(0, `{"a":1}`), ln(3, `{"a":2}`)}},
		{"crlf", text("{}\r\n{}\r\n"), 0, []Line{ln(0, `{}`), ln(1, `{}`)}},
		{"huge line", text(`"` + huge + "\"\n{}"), 0, []Line{ln(0, `"`+huge+`"`), ln(1, `{}`)}},
		// With a limit, a line at it is whole; a longer one keeps the
		// limit's worth and its size, and reading goes on after it.
		{"at the limit", text("12345\r\n{}\n"), 5, []Line{ln(0, "12345"), ln(1, "{}")}},
		{"over the limit", text("123456\n{}\n"), 5, []Line{cut(0, "12345", 6), ln(1, "{}")}},
		{"huge line over the limit", text(`"` + huge + "\"\r\n{}"), 1000, []Line{cut(0, `"`+huge[:999], int64(len(huge))+2), ln(1, `{}`)}},
		{"blank but over the limit", text(strings.Repeat(" ", 10) + "\n{}"), 5, []Line{cut(0, "     ", 10), ln(1, `{}`)}},
		// /dev/zero as a line: 50 MiB without a newline, read in bounded
		// memory (zeros is no buffer: its bytes exist only as read).
		{"endless line", func() io.Reader { return io.MultiReader(io.LimitReader(zeros{}, 50<<20), strings.NewReader("\n{}\n")) }, 1 << 20,
			[]Line{cut(0, string(make([]byte, 1<<20)), 50<<20), ln(1, `{}`)}},
	}
	for _, tt := range tests {
		for _, view := range []bool{false, true} {
			name := tt.name
			if view {
				name += " (NextView)"
			}
			t.Run(name, func(t *testing.T) {
				testSource(t, tt.in(), tt.limit, view, tt.want)
			})
		}
	}
}

func testSource(t *testing.T, in io.Reader, limit int, view bool, want []Line) {
	t.Helper()
	s := NewSource("test", in)
	s.SetLimit(limit)
	var got []Line
	next := s.Next
	if view {
		next = func() (Line, error) {
			// A view is valid until the next call: keep a copy.
			l, err := s.NextView()
			l.Value = append([]byte(nil), l.Value...)
			return l, err
		}
	}
	for {
		l, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if l.Truncated() != (l.Size > int64(limit) && limit > 0) {
			t.Errorf("line %d: Truncated() = %v with size %d and limit %d", l.Offset, l.Truncated(), l.Size, limit)
		}
		got = append(got, l)
	}
	if len(got) == 0 {
		got = nil
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
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
	// A framed batch, larger than the buffer: it bypasses it, after what
	// the buffer holds.
	big := strings.Repeat(`{"b":3}`+"\n", 40000)
	if err := s.WriteLines([]byte(big), 40000); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteLines([]byte("{\"c\":4}\n"), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("{\"a\":1}\n{\"a\":2}\n"+big+"{\"c\":4}\n", string(b)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if got := s.Records(); got != 40003 {
		t.Errorf("Records() = %d, want 40003", got)
	}
}
