package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/fsread"
	"github.com/pipeline-compiler/pipeline/ir"
)

// FormatVersion is the version of the state file format this build
// writes. Version 2 added what plan compares state and offsets with
// (stage identities, consumer groups, input topics, stateful operators'
// shapes, renames); a version 1 file is still read, and plan says what it
// could not compare.
const FormatVersion = "2"

// readable are the format versions Read accepts.
var readable = []string{"1", FormatVersion}

// State is what the last apply deployed.
type State struct {
	FormatVersion string    `json:"format_version"`
	Serial        int64     `json:"serial"` // increases with every apply
	Pipeline      string    `json:"pipeline"`
	SpecHash      string    `json:"spec_hash"`
	AppliedAt     time.Time `json:"applied_at"`
	// Broker is "embedded" or the seed brokers the stages were deployed to.
	Broker []string `json:"broker"`
	Stages []Stage  `json:"stages"`
	Topics []string `json:"topics"`
	// ChannelTopics are the intermediate topics among Topics: channels
	// between stages, which only the pipeline reads and writes, so destroy
	// may delete them. Source, sink and dead-letter topics are never here.
	ChannelTopics []string `json:"channel_topics,omitempty"`
	// Identities are the operators renamed with a moved block: address →
	// the address their state and identity derive from
	// (ir.Operator.Identity). Kept across applies, so a moved block may be
	// removed once applied.
	Identities map[string]string `json:"identities,omitempty"`
	// TopicDetails are the topics as apply last saw them on the broker
	// (partitions, configs set on the topic), for plan -refresh to tell
	// what changed outside apply. Topics apply did not find (a worker
	// creates them later) are missing here.
	TopicDetails []TopicDetail `json:"topic_details,omitempty"`
}

// TopicDetail is a topic as apply saw it on the broker.
type TopicDetail struct {
	Name       string `json:"name"`
	Partitions int32  `json:"partitions"`
	// Configs are the configs set on the topic itself (not the broker's
	// defaults), by key.
	Configs map[string]string `json:"configs,omitempty"`
}

// Stateful is a stateful operator (aggregate, dedupe, join) as applied.
type Stateful struct {
	Address string `json:"address"`
	// StateAddress is what its state is keyed by, when not Address.
	StateAddress string         `json:"state_address,omitempty"`
	Shape        *ir.StateShape `json:"shape"`
}

// Stage is one deployed stage.
type Stage struct {
	ID        string   `json:"id"`
	Backend   string   `json:"backend"`
	Operators []string `json:"operators"`
	// Identity is the stage's stable name (ir.Pipeline.StageIdentity);
	// Group its consumer group (native stages); Inputs the topics it
	// consumes, tables and files left out; Stateful its stateful
	// operators. Empty in a format 1 file.
	Identity string     `json:"identity,omitempty"`
	Group    string     `json:"group,omitempty"`
	Inputs   []string   `json:"inputs,omitempty"`
	Stateful []Stateful `json:"stateful,omitempty"`
	// Transform is the Redpanda data transform apply deployed for a broker
	// stage through the Admin API; nil when the stage was not deployed so.
	Transform *Transform `json:"transform,omitempty"`
	// BeamJob is the Beam job apply submitted to a job server for a beam
	// stage; nil for a stage that ran on Prism inside apply (it stopped
	// with apply).
	BeamJob *BeamJob `json:"beam_job,omitempty"`
}

// BeamJob is a submitted Beam job, which destroy cancels.
type BeamJob struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"` // the job server, host:port
	Runner   string `json:"runner"`   // flink, spark, universal or prism
}

// Transform is a deployed Redpanda data transform.
type Transform struct {
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`    // of the module: unchanged modules are not redeployed
	AdminURL string `json:"admin_url"` // where it was deployed (no credentials)
	// InputTopic, OutputTopics and Env are what it was deployed with, for
	// plan -refresh; Env holds SensitiveEnv instead of the value of a
	// variable that carries a secret. Empty in states written before.
	InputTopic   string            `json:"input_topic,omitempty"`
	OutputTopics []string          `json:"output_topics,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
}

// SensitiveEnv stands for the value of a transform's environment variable
// that carries a secret: the state never holds it.
const SensitiveEnv = "(sensitive)"

// Dir returns the state directory of the spec at specPath (a directory or a
// file): .pipeline beside it.
func Dir(specPath string) string {
	if st, err := os.Stat(specPath); err == nil && !st.IsDir() {
		specPath = filepath.Dir(specPath)
	}
	return filepath.Join(specPath, ".pipeline")
}

// Read reads the state in dir; no state file gives (nil, nil).
func Read(dir string) (*State, error) {
	b, err := fsread.ReadFile(filepath.Join(dir, "state.json"), 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read state %s: %w", filepath.Join(dir, "state.json"), err)
	}
	if !slices.Contains(readable, s.FormatVersion) {
		return nil, fmt.Errorf("read state %s: format_version %q, this build reads %s", filepath.Join(dir, "state.json"), s.FormatVersion, strings.Join(readable, " or "))
	}
	return &s, nil
}

// Serial returns the serial of the state in dir, 0 when there is none. An
// unreadable state is an error: treating it as none would let apply
// overwrite it as if nothing had been deployed.
func Serial(dir string) (int64, error) {
	s, err := Read(dir)
	if err != nil || s == nil {
		return 0, err
	}
	return s.Serial, nil
}

// BeforeRename, when set, runs in Write once the new state is written and
// synced to its temporary file, just before the rename that makes it the
// state. Test-only: apply sets it for PIPELINE_TEST_PAUSE_AT=state-rename,
// so a test can kill apply there.
var BeforeRename func()

// Write replaces the state in dir atomically and durably, creating dir
// (0700) and the file (0600): the new state goes to a temporary file in
// dir, which is synced, renamed over state.json, and dir synced, so that a
// process killed (or a machine that loses power) at any point leaves the
// old state or the new one, never a torn file. A temporary file left by a
// killed Write is removed by the next lock holder.
func Write(dir string, s *State) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	s.FormatVersion = FormatVersion
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "state-*.json")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if BeforeRename != nil {
		BeforeRename()
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "state.json")); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	// The rename is durable once the directory is.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// syncDir flushes dir's entries (a rename into it) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some filesystems cannot sync a directory
		return err
	}
	return nil
}

// removeOrphans deletes the temporary files (state-*.json) that a Write
// killed before its rename leaves behind. Only the lock holder writes, so
// once the lock is taken no temporary file can belong to a live writer.
func removeOrphans(dir string) {
	orphans, _ := filepath.Glob(filepath.Join(dir, "state-*.json"))
	for _, f := range orphans {
		_ = os.Remove(f)
	}
}

// ErrLocked is returned (wrapped in a *LockedError) by Lock when another
// process holds the state.
var ErrLocked = errors.New("the state is locked by another pipeline process")

// Holder is who holds the state lock, written into the lock file while it
// is held, so the next command can name it.
type Holder struct {
	ID      string    `json:"id"` // what force-unlock takes
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"` // e.g. "apply specs/orders"
	Since   time.Time `json:"since"`
}

func (h *Holder) String() string {
	return fmt.Sprintf("lock %s, held by %q (pid %d on %s) since %s", h.ID, h.Command, h.PID, h.Host, h.Since.UTC().Format(time.RFC3339))
}

// LockedError says who holds the lock (nil Holder: unknown, e.g. a lock
// taken by an older build).
type LockedError struct {
	Path   string
	Holder *Holder
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%v (%s)", ErrLocked, e.Path)
	}
	return fmt.Sprintf("%v: %s. It is released when that process ends; if it is stuck, stop it, or release the lock with \"pipeline force-unlock %s\"", ErrLocked, e.Holder, e.Holder.ID)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// Lock takes an exclusive lock on the state in dir for this process, without
// waiting. The lock is released by the returned function or when the
// process exits, however it exits.
func Lock(dir string) (unlock func(), err error) {
	return LockAs(dir, "", 0)
}

// LockAs takes the state lock as Lock does, recording command as the
// holder; it waits up to timeout for a held lock (0: fails at once, naming
// the holder).
func LockAs(dir, command string, timeout time.Duration) (unlock func(), err error) {
	deadline := time.Now().Add(timeout)
	for {
		unlock, err := tryLock(dir, command)
		var le *LockedError
		if err == nil || !errors.As(err, &le) || !time.Now().Before(deadline) {
			return unlock, err
		}
		time.Sleep(min(200*time.Millisecond, time.Until(deadline)))
	}
}

func lockPath(dir string) string { return filepath.Join(dir, "state.lock") }

func tryLock(dir, command string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	path := lockPath(dir)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h, _ := ReadHolder(dir)
			return nil, &LockedError{Path: path, Holder: h}
		}
		return nil, fmt.Errorf("lock state: %w", err)
	}
	// force-unlock removes the file: a lock on a removed file is no lock.
	var held, now syscall.Stat_t
	if syscall.Fstat(int(f.Fd()), &held) != nil || syscall.Stat(path, &now) != nil || held.Ino != now.Ino || held.Dev != now.Dev {
		f.Close()
		return tryLock(dir, command)
	}
	host, _ := os.Hostname()
	h := Holder{ID: newLockID(), PID: os.Getpid(), Host: host, Command: command, Since: time.Now().UTC()}
	if b, err := json.Marshal(h); err == nil {
		_ = f.Truncate(0)
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	removeOrphans(dir)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func newLockID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ReadHolder returns who holds the lock in dir as its holder recorded it,
// nil when nobody does (or the holder recorded nothing).
func ReadHolder(dir string) (*Holder, error) {
	b, err := fsread.ReadFile(lockPath(dir), 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("read lock %s: %w", lockPath(dir), err)
	}
	return &h, nil
}

// ForceUnlock releases the lock in dir that id names, for a holder that is
// stuck or whose host is gone: it removes the lock file, so the next
// command locks a new one. The holder, if it still runs, is not stopped.
// It fails when the lock is free or held under another ID.
func ForceUnlock(dir, id string) (*Holder, error) {
	unlock, err := tryLock(dir, "force-unlock")
	if err == nil {
		unlock()
		return nil, fmt.Errorf("the state in %s is not locked", dir)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		return nil, err
	}
	if le.Holder == nil || le.Holder.ID != id {
		return le.Holder, fmt.Errorf("the lock in %s is not %s: %w", dir, id, err)
	}
	if err := os.Remove(lockPath(dir)); err != nil {
		return le.Holder, fmt.Errorf("force-unlock: %w", err)
	}
	return le.Holder, nil
}
