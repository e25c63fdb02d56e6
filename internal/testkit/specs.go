package testkit

import (
	"os"
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
