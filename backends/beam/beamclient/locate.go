package beamclient

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Binary is the name of the beam backend's executable.
const Binary = "pipeline-beam"

// modulePath is the module this package belongs to, which a source
// checkout's go.mod declares.
const modulePath = "github.com/pipeline-compiler/pipeline"

// InstallHint says how to get pipeline-beam when Find cannot.
const InstallHint = "install it with `go install " + modulePath + "/cmd/pipeline-beam@VERSION` (the version of this pipeline binary) or put it beside the pipeline binary"

// Locator finds the pipeline-beam binary. The zero value looks in the
// usual places; Find memoizes its answer.
type Locator struct {
	// Getenv reads the environment (default os.Getenv). PIPELINE_BEAM,
	// when set, names the binary to use and nothing else is tried.
	Getenv func(string) string
	// Progress receives the one line printed before a first-use build
	// (default os.Stderr).
	Progress io.Writer

	once sync.Once
	path string
	err  error
}

// Find returns the path of a pipeline-beam binary that speaks
// ProtocolVersion: $PIPELINE_BEAM, else the one beside this executable,
// else the one on PATH, else, in a source checkout, one built from it once
// into the user cache directory, keyed by a hash of the sources.
func (l *Locator) Find() (string, error) {
	l.once.Do(func() { l.path, l.err = l.find() })
	return l.path, l.err
}

func (l *Locator) find() (string, error) {
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv("PIPELINE_BEAM"); p != "" {
		if err := checkProtocol(p); err != nil {
			return "", fmt.Errorf("PIPELINE_BEAM=%s: %w", p, err)
		}
		return p, nil
	}
	var tried []string
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), Binary+exeSuffix())
		if _, err := os.Stat(p); err == nil {
			if err := checkProtocol(p); err == nil {
				return p, nil
			} else {
				tried = append(tried, err.Error())
			}
		}
	}
	if p, err := exec.LookPath(Binary); err == nil {
		if err := checkProtocol(p); err == nil {
			return p, nil
		} else {
			tried = append(tried, err.Error())
		}
	}
	if root := sourceRoot(); root != "" {
		return l.build(root)
	}
	msg := "the beam backend runs in a separate binary, " + Binary + ", which was not found beside this executable or on PATH"
	if len(tried) > 0 {
		msg += " (" + strings.Join(tried, "; ") + ")"
	}
	return "", fmt.Errorf("%s; %s", msg, InstallHint)
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// checkProtocol runs `bin protocol` and compares its answer.
func checkProtocol(bin string) error {
	out, err := exec.Command(bin, "protocol").Output()
	if err != nil {
		return fmt.Errorf("%s protocol: %w", bin, err)
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || v != ProtocolVersion {
		return fmt.Errorf("%s speaks protocol %q, this pipeline binary %d: install the matching version", bin, strings.TrimSpace(string(out)), ProtocolVersion)
	}
	return nil
}

// sourceRoot returns the root of the source checkout this binary was built
// from, when it is still there: the directory holding this module's go.mod
// above this file's compile-time path (absent with -trimpath or in an
// installed binary whose sources are gone).
func sourceRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	for dir := filepath.Dir(file); ; {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			sc.Scan()
			f.Close()
			if strings.TrimSpace(sc.Text()) == "module "+modulePath {
				if _, err := os.Stat(filepath.Join(dir, "cmd", Binary, "main.go")); err == nil {
					return dir
				}
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// build builds cmd/pipeline-beam of the checkout at root into the user
// cache, unless a build of the same sources is there already.
func (l *Locator) build(root string) (string, error) {
	key, err := sourceKey(root)
	if err != nil {
		return "", fmt.Errorf("%s: hash the sources at %s: %w", Binary, root, err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%s: %w; %s", Binary, err, InstallHint)
	}
	dir := filepath.Join(cache, "pipeline")
	bin := filepath.Join(dir, Binary+"-"+key+exeSuffix())
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", Binary, err)
	}
	unlock, err := lockFile(bin + ".lock")
	if err != nil {
		return "", fmt.Errorf("%s: %w", Binary, err)
	}
	defer unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // built while we waited for the lock
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, serr := os.Stat(goTool); serr != nil {
			return "", fmt.Errorf("%s: no go tool to build it from the checkout at %s; %s", Binary, root, InstallHint)
		}
	}
	progress := l.Progress
	if progress == nil {
		progress = os.Stderr
	}
	fmt.Fprintf(progress, "building %s (first use, about a minute)...\n", Binary)
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	cmd := exec.Command(goTool, "build", "-o", tmp, "./cmd/"+Binary)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("build %s in %s: %w\n%s", Binary, root, err, out.Bytes())
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("%s: %w", Binary, err)
	}
	return bin, nil
}

// sourceKey hashes what a build of pipeline-beam depends on in the
// checkout (Go files, go.mod, go.sum, go.work, embedded assets under the module;
// hidden directories and testdata left out) with the Go version and
// target, so that an edit or an upgrade builds anew.
func sourceKey(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s protocol %d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, ProtocolVersion)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "examples" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.go") || !(strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" || name == "go.work" || strings.HasSuffix(name, ".wasm")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// lockFile takes an exclusive lock by creating path, waiting while another
// process holds it; a lock older than ten minutes is a crashed build's.
func lockFile(path string) (func(), error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > 10*time.Minute {
			os.Remove(path)
			continue
		}
		time.Sleep(200 * time.Millisecond)
	}
}
