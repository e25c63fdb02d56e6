package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

func TestLockNamesItsHolderWaitsAndForceUnlocks(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockAs(dir, "apply specs/orders", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockAs(dir, "destroy specs/orders", 0)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder == nil {
		t.Fatalf("second LockAs = %v, want a *LockedError naming the holder", err)
	}
	host, _ := os.Hostname()
	h := le.Holder
	if h.Command != "apply specs/orders" || h.PID != os.Getpid() || h.Host != host || h.ID == "" || time.Since(h.Since) > time.Minute {
		t.Errorf("holder = %+v, want apply specs/orders, this pid and host, now", h)
	}
	for _, s := range []string{h.ID, `"apply specs/orders"`, "pipeline force-unlock " + h.ID} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}

	// -lock-timeout: waits for the holder to finish.
	go func() { time.Sleep(300 * time.Millisecond); unlock() }()
	unlock2, err := LockAs(dir, "apply again", 10*time.Second)
	if err != nil {
		t.Fatalf("LockAs with a timeout: %v", err)
	}

	// force-unlock: only by the holder's ID; then the lock is free.
	h2, _ := ReadHolder(dir)
	if _, err := ForceUnlock(dir, "not-the-id"); err == nil {
		t.Error("ForceUnlock with another ID succeeded")
	}
	if _, err := ForceUnlock(dir, h2.ID); err != nil {
		t.Fatalf("ForceUnlock: %v", err)
	}
	unlock3, err := LockAs(dir, "after force-unlock", 0)
	if err != nil {
		t.Fatalf("LockAs after force-unlock: %v", err)
	}
	unlock3()
	unlock2() // the old holder's release does not free the new lock file
	if _, err := ForceUnlock(dir, h2.ID); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("ForceUnlock of a free lock = %v, want not locked", err)
	}
}
