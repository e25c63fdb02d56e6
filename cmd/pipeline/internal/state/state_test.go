package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteReadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".pipeline")
	if s, err := Read(dir); s != nil || err != nil {
		t.Fatalf("Read of no state = %v, %v; want nil, nil", s, err)
	}
	want := &State{Serial: 3, Pipeline: "orders", SpecHash: "abc", AppliedAt: time.Unix(100, 0).UTC(),
		Broker: []string{"embedded"}, Stages: []Stage{{ID: "native.1", Backend: "native", Operators: []string{"source.orders"}}},
		Topics: []string{"orders.dlq"}}
	if err := Write(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("state round trip (-want +got):\n%s", d)
	}
	st, err := os.Stat(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Errorf("state file mode = %o, want 600", perm)
	}
	if n, err := Serial(dir); n != 3 || err != nil {
		t.Errorf("Serial = %d, %v, want 3", n, err)
	}
}

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open file descriptions, so a second open in the
	// same process conflicts just as another process would.
	if _, err := Lock(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock2()
}

func TestReadRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil {
		t.Error("Read accepted a corrupt state file")
	}
}
