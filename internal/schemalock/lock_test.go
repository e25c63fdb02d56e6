package schemalock

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func doc(v, id int) *ir.SchemaDoc {
	return &ir.SchemaDoc{Format: "json_schema", Text: "{}", Subject: "s", Version: v, ID: id}
}

func TestRoundTripAndDeterminism(t *testing.T) {
	l := New()
	l.SetSubject("main", "b-value", &Subject{Compatibility: "BACKWARD", Latest: doc(3, 7), Versions: []*ir.SchemaDoc{doc(2, 5), doc(1, 4)}})
	l.SetSubject("main", "a-value", &Subject{Compatibility: "FULL"})
	path := filepath.Join(t.TempDir(), FileName)
	if err := l.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	a, _ := l.Encode()
	b, _ := back.Encode()
	if string(a) != string(b) {
		t.Error("encoding is not deterministic")
	}
	s := back.Subject("main", "b-value")
	if got := s.Version(0); got.Version != 3 {
		t.Errorf("Version(0) = %d, want the latest, 3", got.Version)
	}
	if got := s.Version(1); got == nil || got.ID != 4 {
		t.Errorf("Version(1) = %+v", got)
	}
	if got := s.Version(9); got != nil {
		t.Errorf("Version(9) = %+v, want nil", got)
	}
	var ids []int
	for _, d := range s.Others(1) {
		ids = append(ids, d.ID)
	}
	if diff := cmp.Diff([]int{7, 5}, ids); diff != "" {
		t.Errorf("Others(1) IDs (-want +got):\n%s", diff)
	}
	if missing, err := Read(filepath.Join(t.TempDir(), FileName)); err != nil || len(missing.Registries) != 0 {
		t.Errorf("a missing lock file = %+v, %v; want an empty lock", missing, err)
	}
	if _, err := Decode([]byte(`{"version":9}`)); err == nil {
		t.Error("a future lock version was accepted")
	}
}

func TestChanges(t *testing.T) {
	old := New()
	old.SetSubject("main", "a-value", &Subject{Compatibility: "BACKWARD", Latest: doc(1, 1)})
	old.SetSubject("main", "gone-value", &Subject{Compatibility: "BACKWARD"})
	next := New()
	next.SetSubject("main", "a-value", &Subject{Compatibility: "FULL", Latest: doc(2, 5)})
	next.SetSubject("main", "new-value", &Subject{Compatibility: "BACKWARD"})
	want := []string{
		"main/a-value: version 1 (id 1) -> version 2 (id 5)",
		"main/a-value: compatibility BACKWARD -> FULL",
		"main/gone-value: no longer used, unpinned",
		"main/new-value: pinned not registered yet",
	}
	if diff := cmp.Diff(want, Changes(old, next)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := Changes(next, next); len(got) != 0 {
		t.Errorf("no change reported %v", got)
	}
}
