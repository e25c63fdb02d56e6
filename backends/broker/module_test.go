package broker

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

var updateModule = flag.Bool("update-module", false, "rebuild module.wasm (go generate runs this)")

// moduleBuild is how module.wasm is built: reproducibly (no paths, no VCS
// stamp, no symbol table or DWARF), for the Redpanda transform ABI.
var moduleBuild = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o"}

// TestModuleUpToDate rebuilds the generic module from source and fails if
// the checked-in module.wasm differs: every change to the module, the
// processor or the evaluator must be followed by `go generate
// ./backends/broker`. It takes a cold build (≈ 10-30 s) on a fresh cache.
func TestModuleUpToDate(t *testing.T) {
	if testing.Short() && !*updateModule {
		t.Skip("-short: not rebuilding the transform module")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go toolchain: cannot check that module.wasm is fresh")
		}
	}
	// Reading the guest's source makes go test's result cache depend on it
	// (the test binary does not link it).
	if _, err := os.ReadFile(filepath.Join("module", "main.go")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "module.wasm")
	cmd := exec.Command(goBin, append(moduleBuild, out, "./module")...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build module: %v\n%s", err, b)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Redpanda refuses a module larger than data_transforms_binary_max_size,
	// 10 MiB by default: a dependency linked into the module must not
	// take it past that.
	const maxModule = 10 << 20
	if len(built) > maxModule {
		t.Errorf("the module is %d bytes, more than Redpanda's default limit of %d (data_transforms_binary_max_size)", len(built), maxModule)
	}
	if *updateModule {
		if err := os.WriteFile("module.wasm", built, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote module.wasm (%d bytes)", len(built))
		return
	}
	if !bytes.Equal(built, genericModule) {
		t.Fatalf("module.wasm is stale (checked in %d bytes, rebuilt %d bytes with %s): run `go generate ./backends/broker`",
			len(genericModule), len(built), runtime.Version())
	}
}
