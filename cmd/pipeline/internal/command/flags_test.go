package command

import (
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args       []string
		positional []string
		json       bool
		out        string
		vars       []string
	}{
		{args: nil},
		{args: []string{"dir"}, positional: []string{"dir"}},
		{args: []string{"-json", "dir"}, positional: []string{"dir"}, json: true},
		{args: []string{"dir", "-json"}, positional: []string{"dir"}, json: true},
		{args: []string{"--json", "--out", "f", "dir"}, positional: []string{"dir"}, json: true, out: "f"},
		{args: []string{"-out=f", "a", "-var", "x=1", "b", "-var", "y=2"}, positional: []string{"a", "b"}, out: "f", vars: []string{"x=1", "y=2"}},
		{args: []string{"-"}, positional: []string{"-"}},
		{args: []string{"a", "--", "-json"}, positional: []string{"a", "-json"}},
		{args: []string{"--", "-json"}, positional: []string{"-json"}},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		jsonOut := fs.Bool("json", false, "")
		out := fs.String("out", "", "")
		var vars stringList
		fs.Var(&vars, "var", "")
		pos, err := parse(fs, tt.args)
		if err != nil {
			t.Errorf("parse(%q): %v", tt.args, err)
			continue
		}
		got := []any{pos, *jsonOut, *out, []string(vars)}
		want := []any{tt.positional, tt.json, tt.out, tt.vars}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("parse(%q) (-want +got):\n%s", tt.args, diff)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parse(fs, []string{"dir", "-nope"}); err == nil {
		t.Errorf("parse accepted an undefined flag after a positional argument")
	}
}
