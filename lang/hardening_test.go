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
