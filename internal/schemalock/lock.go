// Package schemalock owns pipeline.lock.json, the file beside a spec that
// pins the Schema Registry schemas the spec resolves: each source subject's
// schema (and the other versions its records may have been written with)
// and each sink subject's latest version and compatibility level.
// validate, plan and test read schemas only from it, so they work offline
// and give the same answer tomorrow; `pipeline schemas pull` rewrites it.
package schemalock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/pipeline-compiler/pipeline/ir"
)

// FileName is the lock file's name, in the spec's directory.
const FileName = "pipeline.lock.json"

// FormatVersion is the lock file layout this build reads and writes.
const FormatVersion = 1

// Lock is the content of a lock file.
type Lock struct {
	Version int `json:"version"`
	// Registries are keyed by schema_registry block name.
	Registries map[string]*Registry `json:"registries"`
}

// Registry holds the pinned subjects of one schema_registry block.
type Registry struct {
	// Subjects are keyed by subject name.
	Subjects map[string]*Subject `json:"subjects"`
}

// Subject is one pinned subject.
type Subject struct {
	// Compatibility is the subject's level (or the registry's default) when
	// pulled, as BACKWARD.
	Compatibility string `json:"compatibility"`
	// Latest is the subject's latest version when pulled; nil when the
	// subject did not exist yet (a sink that will register it).
	Latest *ir.SchemaDoc `json:"latest,omitempty"`
	// Versions are the subject's other versions (older writers, or a
	// version a source names), ascending.
	Versions []*ir.SchemaDoc `json:"versions,omitempty"`
}

// New returns an empty lock.
func New() *Lock { return &Lock{Version: FormatVersion, Registries: map[string]*Registry{}} }

// Path is the lock file of the spec at specPath (a directory or a file).
func Path(specPath string) string {
	if st, err := os.Stat(specPath); err == nil && !st.IsDir() {
		return filepath.Join(filepath.Dir(specPath), FileName)
	}
	return filepath.Join(specPath, FileName)
}

// Read reads the lock file at path. A missing file is an empty lock.
func Read(path string) (*Lock, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	return Decode(b)
}

// Decode parses a lock file.
func Decode(b []byte) (*Lock, error) {
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if l.Version != FormatVersion {
		return nil, fmt.Errorf("lock file: version %d, this build reads %d (run pipeline schemas pull)", l.Version, FormatVersion)
	}
	if l.Registries == nil {
		l.Registries = map[string]*Registry{}
	}
	return &l, nil
}

// Encode returns the lock file's bytes: indented, keys sorted, versions
// ascending, so the same pins always give the same file (a clean diff in
// review).
func (l *Lock) Encode() ([]byte, error) {
	for _, r := range l.Registries {
		for _, s := range r.Subjects {
			sort.Slice(s.Versions, func(i, j int) bool { return s.Versions[i].Version < s.Versions[j].Version })
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	return buf.Bytes(), nil
}

// Write writes the lock file to path.
func (l *Lock) Write(path string) error {
	b, err := l.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	return nil
}

// Subject returns the pin of subject in registry, or nil.
func (l *Lock) Subject(registry, subject string) *Subject {
	if l == nil {
		return nil
	}
	r := l.Registries[registry]
	if r == nil {
		return nil
	}
	return r.Subjects[subject]
}

// SetSubject pins subject in registry.
func (l *Lock) SetSubject(registry, subject string, s *Subject) {
	r := l.Registries[registry]
	if r == nil {
		r = &Registry{Subjects: map[string]*Subject{}}
		l.Registries[registry] = r
	}
	r.Subjects[subject] = s
}

// Version returns the pinned version v (0: the latest), or nil.
func (s *Subject) Version(v int) *ir.SchemaDoc {
	if s == nil {
		return nil
	}
	if s.Latest != nil && (v == 0 || s.Latest.Version == v) {
		return s.Latest
	}
	if v == 0 {
		return nil
	}
	for _, d := range s.Versions {
		if d.Version == v {
			return d
		}
	}
	return nil
}

// Others are the pinned versions other than the one v selects.
func (s *Subject) Others(v int) []*ir.SchemaDoc {
	sel := s.Version(v)
	var out []*ir.SchemaDoc
	for _, d := range append([]*ir.SchemaDoc{s.Latest}, s.Versions...) {
		if d != nil && d != sel {
			out = append(out, d)
		}
	}
	return out
}

// Changes lists, in a stable order, what differs between old and new, as
// `pipeline schemas pull` reports it: "main/orders-value: version 3 -> 4".
func Changes(old, new *Lock) []string {
	type key struct{ reg, subj string }
	keys := map[key]bool{}
	for _, l := range []*Lock{old, new} {
		for rn, r := range l.Registries {
			for sn := range r.Subjects {
				keys[key{rn, sn}] = true
			}
		}
	}
	sorted := make([]key, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].reg != sorted[j].reg {
			return sorted[i].reg < sorted[j].reg
		}
		return sorted[i].subj < sorted[j].subj
	})
	var out []string
	for _, k := range sorted {
		o, n := old.Subject(k.reg, k.subj), new.Subject(k.reg, k.subj)
		name := k.reg + "/" + k.subj
		switch {
		case o == nil:
			out = append(out, fmt.Sprintf("%s: pinned %s", name, describe(n)))
		case n == nil:
			out = append(out, fmt.Sprintf("%s: no longer used, unpinned", name))
		default:
			ov, nv := describe(o), describe(n)
			if ov != nv {
				out = append(out, fmt.Sprintf("%s: %s -> %s", name, ov, nv))
			} else if o.Latest != nil && n.Latest != nil && o.Latest.Text != n.Latest.Text {
				out = append(out, fmt.Sprintf("%s: the text of %s changed in the registry", name, nv))
			}
			if o.Compatibility != n.Compatibility {
				out = append(out, fmt.Sprintf("%s: compatibility %s -> %s", name, o.Compatibility, n.Compatibility))
			}
		}
	}
	return out
}

func describe(s *Subject) string {
	if s.Latest == nil {
		return "not registered yet"
	}
	return "version " + strconv.Itoa(s.Latest.Version) + " (id " + strconv.Itoa(s.Latest.ID) + ")"
}
