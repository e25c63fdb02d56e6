package lang

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExamples loads every example spec: they are the language's
// acceptance corpus, so each must load without errors.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*")
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if hcls, _ := filepath.Glob(filepath.Join(dir, "*.hcl")); len(hcls) == 0 {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res, diags := Load(dir, Options{Env: []string{"KAFKA_PASSWORD=x"}})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if res.Pipeline == nil || len(res.Pipeline.Operators) == 0 {
				t.Fatal("no operators")
			}
		})
	}
}
