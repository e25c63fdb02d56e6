package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/fsread"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
)

// Options are the inputs to Load besides the spec files.
type Options struct {
	// Vars are -var NAME=VALUE flags, in order (later wins), as raw strings
	// parsed like Terraform does (HCL expression syntax for non-string types).
	Vars []string
	// VarFiles are -var-file paths (.hcl syntax), in order.
	VarFiles []string
	// Env is the environment (os.Environ() form) searched for
	// PIPELINE_VAR_NAME overrides and read by env(). Nil means no environment.
	Env []string
	// Lock pins the Schema Registry schemas sources and sinks of schema
	// formats resolve to. Nil: Load reads the lock file beside the spec
	// (an empty lock when there is none). Loading never contacts a
	// registry.
	Lock *schemalock.Lock
	// SchemaDir is the directory schema_file and test records_file paths
	// are relative to. Load sets it to the spec's directory when empty.
	SchemaDir string
	// Pull loads for `pipeline schemas pull`: a subject missing from Lock
	// is not an error (its records are of an unknown type), and
	// Result.Subjects lists every subject to pin.
	Pull bool
}

// Result is what Load produces.
type Result struct {
	Pipeline *ir.Pipeline // nil when there are errors
	// Files maps every parsed file's name to its parsed form, so callers can
	// render diagnostics with source lines. Variable files are included.
	Files map[string]*hcl.File
	// SpecHash identifies the spec sources and resolved variable values.
	SpecHash string
	// Subjects are the registry subjects of schema-format sources and
	// sinks, in declaration order.
	Subjects []SchemaRef
}

// Load parses, resolves and type-checks the spec at path (a directory of
// .hcl files, or one file) and lowers it to the IR.
func Load(path string, opts Options) (*Result, hcl.Diagnostics) {
	names, err := SpecFiles(path)
	if err != nil {
		return &Result{Files: map[string]*hcl.File{}}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read spec",
			Detail:   err.Error(),
		}}
	}
	files := make(map[string][]byte, len(names))
	var diags hcl.Diagnostics
	for _, name := range names {
		b, err := fsread.ReadFile(name, 0)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read spec file",
				Detail:   err.Error(),
			})
			continue
		}
		files[name] = b
	}
	if opts.SchemaDir == "" {
		opts.SchemaDir = path
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			opts.SchemaDir = filepath.Dir(path)
		}
	}
	if opts.Lock == nil {
		lock, err := schemalock.Read(schemalock.Path(path))
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the lock file", Detail: err.Error()})
			return &Result{Files: map[string]*hcl.File{}}, diags
		}
		opts.Lock = lock
	}
	res, more := LoadFiles(files, opts)
	diags = append(diags, more...)
	if diags.HasErrors() {
		res.Pipeline = nil
	}
	return res, diags
}

// SpecFiles lists the spec files at path: every *.hcl file of a directory
// (not recursive), sorted, or path itself when it is a file.
func SpecFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		names = append(names, filepath.Join(path, e.Name()))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("spec: no .hcl files in %s", path)
	}
	sort.Strings(names)
	return names, nil
}

// LoadFiles is Load over in-memory sources, keyed by file name (processed in
// sorted name order). Variable files named in opts.VarFiles are still read
// from disk.
func LoadFiles(files map[string][]byte, opts Options) (*Result, hcl.Diagnostics) {
	l := newLoader(files, opts)
	p := l.load()
	res := &Result{Files: l.files, SpecHash: l.specHash(), Subjects: l.subjects}
	diags := l.finish()
	if !diags.HasErrors() {
		res.Pipeline = p
	}
	return res, diags
}
