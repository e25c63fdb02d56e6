package testkit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// SpecDirs lists the subdirectories of dir, sorted: one spec each, such
// as the reproductions under testdata/issue16 that every backend runs, so
// that a new case runs everywhere without being listed again.
func SpecDirs(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("no specs under %s", dir)
	}
	return names
}

// DeadLetters reads dir/dead_letters.json: per "spec/test block" under dir,
// the dead letters ("operator: reason", sorted) every backend that hosts
// the test must produce.
func DeadLetters(t testing.TB, dir string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "dead_letters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return want
}
