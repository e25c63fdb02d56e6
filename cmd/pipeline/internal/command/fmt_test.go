package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	unformatted = "filter \"big\" {\n  input = source.orders\n  where   = record.amount > 100\n}\n"
	formatted   = "filter \"big\" {\n  input = source.orders\n  where = record.amount > 100\n}\n"
	badSyntax   = "filter \"big\" {\n  where = record.amount >\n}\n"
)

// fmtDir writes files (name → content) into a new directory.
func fmtDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFmt(t *testing.T) {
	const diff = "--- a/DIR/a.hcl\n+++ b/DIR/a.hcl\n@@ -1,4 +1,4 @@\n filter \"big\" {\n   input = source.orders\n-  where   = record.amount > 100\n+  where = record.amount > 100\n }\n"
	tests := []struct {
		name  string
		files map[string]string
		args  []string // DIR is replaced by the directory
		stdin string
		want  check
		after map[string]string // file contents afterwards
	}{
		{
			name:  "formats in place and lists the file",
			files: map[string]string{"a.hcl": unformatted, "b.hcl": formatted, "notes.txt": "x   =  1"},
			args:  []string{"fmt", "DIR"},
			want:  check{stdout: str("DIR/a.hcl\n"), stderr: str("")},
			after: map[string]string{"a.hcl": formatted, "b.hcl": formatted, "notes.txt": "x   =  1"},
		},
		{
			name:  "-check exits 3 and writes nothing",
			files: map[string]string{"a.hcl": unformatted},
			args:  []string{"fmt", "-check", "DIR"},
			want:  check{code: 3, stdout: str("DIR/a.hcl\n")},
			after: map[string]string{"a.hcl": unformatted},
		},
		{
			name:  "-check on formatted files exits 0",
			files: map[string]string{"a.hcl": formatted},
			args:  []string{"fmt", "-check", "DIR"},
			want:  check{stdout: str("")},
		},
		{
			name:  "-diff -write=false",
			files: map[string]string{"a.hcl": unformatted},
			args:  []string{"fmt", "-diff", "-write=false", "DIR"},
			want:  check{stdout: str("DIR/a.hcl\n" + diff)},
			after: map[string]string{"a.hcl": unformatted},
		},
		{
			name:  "--check --diff with a file path",
			files: map[string]string{"a.hcl": unformatted},
			args:  []string{"fmt", "--check", "--diff", "DIR/a.hcl"},
			want:  check{code: 3, stdout: str("DIR/a.hcl\n" + diff)},
		},
		{
			name:  "subdirectories only with -recursive",
			files: map[string]string{"sub/a.hcl": unformatted, ".hidden/a.hcl": unformatted},
			args:  []string{"fmt", "-check", "DIR"},
			want:  check{stdout: str("")},
		},
		{
			name:  "-recursive skips hidden directories",
			files: map[string]string{"sub/a.hcl": unformatted, ".hidden/a.hcl": unformatted},
			args:  []string{"fmt", "-recursive", "DIR"},
			want:  check{stdout: str("DIR/sub/a.hcl\n")},
			after: map[string]string{"sub/a.hcl": formatted, ".hidden/a.hcl": unformatted},
		},
		{
			name:  "syntax error: diagnostic with caret, file untouched",
			files: map[string]string{"a.hcl": badSyntax},
			args:  []string{"fmt", "DIR"},
			want:  check{code: 1, stdout: str(""), errHas: []string{"DIR/a.hcl:2:26: error: Invalid expression\n  2 |   where = record.amount >\n    |                          ^\n"}},
			after: map[string]string{"a.hcl": badSyntax},
		},
		{
			name: "missing path",
			args: []string{"fmt", "DIR/nope"},
			want: check{code: 1, stderr: str("error: No such file or directory: DIR/nope\n")},
		},
		{
			name:  "stdin to stdout",
			args:  []string{"fmt", "-"},
			stdin: unformatted,
			want:  check{stdout: str(formatted)},
		},
		{
			name:  "stdin -check",
			args:  []string{"fmt", "-check", "-"},
			stdin: unformatted,
			want:  check{code: 3, stdout: str("")},
		},
		{
			name:  "stdin -check formatted",
			args:  []string{"fmt", "-check", "-"},
			stdin: formatted,
			want:  check{stdout: str("")},
		},
		{
			name:  "stdin -diff",
			args:  []string{"fmt", "-diff", "-"},
			stdin: unformatted,
			want:  check{stdout: str("--- a/<stdin>\n+++ b/<stdin>\n@@ -1,4 +1,4 @@\n filter \"big\" {\n   input = source.orders\n-  where   = record.amount > 100\n+  where = record.amount > 100\n }\n")},
		},
		{
			name:  "stdin syntax error",
			args:  []string{"fmt", "-"},
			stdin: badSyntax,
			want:  check{code: 1, stdout: str(""), errHas: []string{"<stdin>:2:26: error: Invalid expression"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fmtDir(t, tt.files)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = replaceDir(a, dir)
			}
			got := run(t, nil, tt.stdin, args...)
			want := tt.want
			if want.stdout != nil {
				want.stdout = str(replaceDir(*want.stdout, dir))
			}
			if want.stderr != nil {
				want.stderr = str(replaceDir(*want.stderr, dir))
			}
			for i, f := range want.errHas {
				want.errHas = append([]string(nil), want.errHas...)
				want.errHas[i] = replaceDir(f, dir)
			}
			want.verify(t, got)
			for name, content := range tt.after {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(content, string(b)); diff != "" {
					t.Errorf("%s afterwards (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func replaceDir(s, dir string) string { return strings.ReplaceAll(s, "DIR", dir) }

func TestUnifiedDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16"
	b := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	want := "--- a/f\n+++ b/f\n" +
		"@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n" +
		"@@ -13,4 +13,4 @@\n 13\n 14\n 15\n-16\n\\ No newline at end of file\n+16\n"
	if diff := cmp.Diff(want, unifiedDiff("f", []byte(a), []byte(b))); diff != "" {
		t.Errorf("diff (-want +got):\n%s", diff)
	}
	if got := unifiedDiff("f", []byte(a), []byte(a)); got != "" {
		t.Errorf("diff of equal inputs = %q, want empty", got)
	}
	if diff := cmp.Diff("--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n", unifiedDiff("f", nil, []byte("x\n"))); diff != "" {
		t.Errorf("diff from empty (-want +got):\n%s", diff)
	}
}
