package files

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSource(t *testing.T) {
	huge := strings.Repeat("x", 300<<10) // larger than bufio.Scanner's 64 KiB and our buffer
	tests := []struct {
		name string
		in   string
		want []Line
	}{
		{"empty", "", nil},
		{"one without newline", `{"a":1}`, []Line{{0, []byte(`{"a":1}`)}}},
		{"blank lines counted", "{\"a\":1}\n\n  \n{\"a\":2}\n", []Line{{0, []byte(`{"a":1}`)}, {3, []byte(`{"a":2}`)}}},
		{"crlf", "{}\r\n{}\r\n", []Line{{0, []byte(`{}`)}, {1, []byte(`{}`)}}},
		{"huge line", `"` + huge + "\"\n{}", []Line{{0, []byte(`"` + huge + `"`)}, {1, []byte(`{}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSource(tt.name, strings.NewReader(tt.in))
			var got []Line
			for {
				l, err := s.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, l)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
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
