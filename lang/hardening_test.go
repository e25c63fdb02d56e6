package lang

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestDeepNestingIsRefused: 100k nested parentheses or 50k nested "${
// overflowed the stack in HCL's parser (a fatal error that kills every
// command); now they are one positioned diagnostic (issue 17, item 7).
func TestDeepNestingIsRefused(t *testing.T) {
	const head = "pipeline \"p\" {}\nlocals {\n  x = "
	deep := func(n int, open, close string) string {
		return head + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + "\n}\n"
	}
	tests := []struct {
		name string
		src  string
		col  int // of the first level too deep; 0: accepted
	}{
		// locals { is the first level; the expression starts in column 7.
		{"100k parentheses", deep(100000, "(", ")"), 7 + MaxNesting - 1},
		// each "${ is two levels, a string and an interpolation
		{"50k template interpolations", deep(50000, `"${`, `}"`), 7 + 3*(MaxNesting/2-1) + 2},
		{"100k brackets", deep(100000, "[", "]"), 7 + MaxNesting - 1},
		{"at the limit", deep(MaxNesting-1, "(", ")"), 0},
		{"parentheses in a string do not count", head + `"` + strings.Repeat("(", 5000) + `"` + "\n}\n", 0},
		{"nor in comments", "# " + strings.Repeat("{", 5000) + "\n" + "// " + strings.Repeat("[", 5000) + "\n/* " + strings.Repeat("(", 5000) + " */\n" + head + "1\n}\n", 0},
		{"nor in a heredoc", head + "<<EOT\n" + strings.Repeat("(", 5000) + "\nEOT\n}\n", 0},
		{"escaped interpolations do not count", head + `"` + strings.Repeat("$${", 5000) + `"` + "\n}\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadFiles(map[string][]byte{"x.hcl": []byte(tt.src)}, Options{})
			var got *hcl.Diagnostic
			for _, d := range diags {
				if d.Summary == "Nesting too deep" {
					got = d
				}
			}
			if tt.col == 0 {
				if got != nil {
					t.Fatalf("refused: %v", got)
				}
				return
			}
			if got == nil || len(diags) != 1 {
				t.Fatalf("diagnostics = %v, want only Nesting too deep", diags)
			}
			want := hcl.Pos{Line: 3, Column: tt.col, Byte: len("pipeline \"p\" {}\nlocals {\n") + tt.col - 1}
			if d := cmp.Diff(want, got.Subject.Start); d != "" {
				t.Errorf("position (-want +got):\n%s", d)
			}
		})
	}
}

// TestEveryDiagnosticHasAPosition: a spec cut short anywhere (here every
// few bytes of the orders example) gives diagnostics that all point into
// the file. `x = lookup(` at the end of a file gave "Not enough function
// arguments" with no position (issue 17, item 11).
func TestEveryDiagnosticHasAPosition(t *testing.T) {
	src, err := os.ReadFile("../examples/orders/main.hcl")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{"lookup": "pipeline \"p\" {}\nlocals {\n  x = lookup("}
	for cut := 0; cut < len(src); cut += 5 {
		cases[fmt.Sprintf("orders cut at %d", cut)] = string(src[:cut])
	}
	for name, s := range cases {
		_, diags := LoadFiles(map[string][]byte{"x.hcl": []byte(s)}, Options{})
		for _, d := range diags {
			if r := d.Subject; r == nil || r.Filename != "x.hcl" || r.Start.Line < 1 {
				t.Errorf("%s: %q has no position (%v)", name, d.Summary, r)
			}
		}
	}
}

// TestTopicLoops: a dead-letter or sink topic equal to a source topic of
// the same pipeline turned one bad record into endless copies; validate
// refuses a loop through topics (or files) and warns when a sink feeds a
// source without one (issue 17, item 3).
func TestTopicLoops(t *testing.T) {
	const src = "source %q {\n  %s = %q\n  schema = object({ id = string })\n}\n"
	const snk = "sink %q {\n  input = %s\n  %s = %q\n}\n"
	const flt = "filter %q {\n  input = %s\n  where = true\n}\n"
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"a sink writes the topic its source reads",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "in", "topic", "loop-in") + fmt.Sprintf(snk, "out", "source.in", "topic", "loop-in"),
			[]string{"error x.hcl:8:11: Records loop through a topic"}},
		{"the dead-letter topic is a source's topic",
			"pipeline \"p\" {\n  dead_letter_topic = \"loop-in\"\n}\n" + fmt.Sprintf(src, "in", "topic", "loop-in") + fmt.Sprintf(snk, "out", "source.in", "topic", "out"),
			[]string{"error x.hcl:2:23: Records loop through the dead-letter topic"}},
		{"the default dead-letter topic is a source's topic",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "in", "topic", "p.dlq") + fmt.Sprintf(snk, "out", "source.in", "topic", "out"),
			[]string{"error x.hcl:3:11: Records loop through the dead-letter topic"}},
		{"a loop over two topics and a filter",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "a", "topic", "ta") + fmt.Sprintf(flt, "f", "source.a") + fmt.Sprintf(snk, "to_b", "filter.f", "topic", "tb") +
				fmt.Sprintf(src, "b", "topic", "tb") + fmt.Sprintf(snk, "to_a", "source.b", "topic", "ta"),
			[]string{"error x.hcl:12:11: Records loop through a topic", "error x.hcl:20:11: Records loop through a topic"}},
		{"a file sink appending to the file its source reads",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "in", "file", "data/x.jsonl") + fmt.Sprintf(snk, "out", "source.in", "file", "./data/x.jsonl"),
			[]string{"error x.hcl:8:10: Records loop through a file"}},
		{"a sink feeding another source is a warning",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "a", "topic", "ta") + fmt.Sprintf(snk, "mid", "source.a", "topic", "tm") +
				fmt.Sprintf(src, "m", "topic", "tm") + fmt.Sprintf(snk, "out", "source.m", "topic", "out"),
			[]string{"warning x.hcl:8:11: A sink feeds a source of the same spec"}},
		{"no loop",
			`pipeline "p" {}` + "\n" + fmt.Sprintf(src, "in", "topic", "in") + fmt.Sprintf(snk, "out", "source.in", "topic", "out"),
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadFiles(map[string][]byte{"x.hcl": []byte(tt.spec)}, Options{})
			if diff := cmp.Diff(tt.want, diagLines(diags)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, tt.spec)
			}
		})
	}
}
