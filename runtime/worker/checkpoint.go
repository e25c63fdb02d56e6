package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/internal/fsutil"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

const (
	liveDirName    = "live"
	engineDirName  = "engine"
	offsetsFile    = "offsets.json"
	keptSnapshots  = 2
	tmpSnapshotSep = ".tmp-"
)

// pgroup is the engine of one partition group and its checkpoints.
type pgroup struct {
	id  int32
	eng Engine
	// dir is STATE/<pipeline>/<stage identity>/pg-<N>, "" without a state directory.
	dir   string
	snaps []string // snapshot directories written by this process, newest last
	// offsets are the group's offsets (topic → next offset) as of its
	// newest snapshot, or as committed when it was built.
	offsets map[string]int64
	// pending names the snapshot written for the transaction in flight;
	// the commit records it in the offset metadata of the group's
	// partitions (see commitMetadata).
	pending string
}

// checkpointMetaPrefix starts the offset-commit metadata that names the
// snapshot a commit belongs to.
//
// Why a name and not the offsets alone: a partition group's state also
// changes without consuming anything (Advance fires windows by the wall
// clock, Drain fires every open window at idle), so one set of committed
// offsets can stand for two states, before and after such a transaction.
// Choosing by offsets alone once restored the post-drain snapshot after the
// drain's transaction had been aborted by a rebalance, and the windows it
// had fired were lost. The metadata is committed atomically with the
// offsets and the output (TxnOffsetCommit), so it always names the state
// that the committed output came from.
const checkpointMetaPrefix = "pipeline-checkpoint:"

// groupOffsets picks partition pg of the stage's input topics out of a
// client's offset map: topic → next offset to consume. Offset 0 is left
// out: franz-go reports it as the committed offset of a partition that it
// consumed but that has no commit yet, and a real commit is past at least
// one record, so 0 always means "nothing committed".
func (r *stageRunner) groupOffsets(all map[string]map[int32]kgo.EpochOffset, pg int32) map[string]int64 {
	out := map[string]int64{}
	for topic, parts := range all {
		if _, ok := r.topicStreams[topic]; !ok {
			continue
		}
		if eo, ok := parts[pg]; ok && eo.Offset > 0 {
			out[topic] = eo.Offset
		}
	}
	return out
}

// groupDir is partition group pg's directory in the state directory.
func (r *stageRunner) groupDir(pg int32) string {
	return filepath.Join(stageStateDir(r.cfg.stateDir, r.pipeline, r.identity), "pg-"+strconv.Itoa(int(pg)))
}

// offsetsTag names the snapshot taken at offs.
func offsetsTag(offs map[string]int64) string {
	h := sha256.New()
	for _, t := range slices.Sorted(maps.Keys(offs)) {
		fmt.Fprintf(h, "%s\x00%d\n", t, offs[t])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// newGroup builds the engine of partition group pg and restores the
// snapshot matching committed, the group's committed offsets.
// snapID is the snapshot name the commit recorded in the offset metadata
// ("" when the offsets were committed without one: by another tool, or by
// a version before names were recorded).
func (r *stageRunner) newGroup(ctx context.Context, pg int32, committed map[string]int64, snapID string) (*pgroup, error) {
	g := &pgroup{id: pg}
	var opts []native.Option
	if r.cfg.stateDir != "" {
		g.dir = r.groupDir(pg)
		// Snapshots are shared by every worker that points at this state
		// directory, so a partition group that moves to another worker in a
		// rebalance resumes from them; the live store is this worker's own.
		live := filepath.Join(g.dir, liveDirName+"-"+safeName(r.cfg.instance))
		// The live store holds state past the last commit: never trust it.
		if err := os.RemoveAll(live); err != nil {
			return nil, fmt.Errorf("reset state of partition group %d: %w", pg, err)
		}
		if err := fsutil.MkdirPrivate(live); err != nil {
			return nil, fmt.Errorf("state of partition group %d: %w", pg, err)
		}
		opts = append(opts, native.WithStateDir(live))
	}
	eng, err := r.newEngine(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("engine for partition group %d: %w", pg, err)
	}
	g.eng = eng
	// Declare the group's partitions so that the watermark waits for all of
	// them, not only those that delivered first.
	for _, stream := range r.topicStreams {
		eng.AddPartitions(stream, r.enginePartitions(stream, pg)...)
	}
	for _, fi := range r.fileInputs {
		eng.AddPartitions(fi.stream, 0)
	}
	if g.dir == "" || len(committed) == 0 {
		return g, nil
	}
	snap, damage, err := findSnapshot(g.dir, committed, snapID)
	if err != nil {
		eng.Close()
		return nil, err
	}
	if snap == "" {
		if !r.stateful() {
			// A stateless stage loses nothing without its snapshot.
			return g, nil
		}
		if !r.cfg.resetState {
			eng.Close()
			return nil, &CheckpointError{Stage: r.stage.ID, PartitionGroup: pg, Dir: g.dir, Offsets: committed, Problems: damage}
		}
		r.stateResets.Add(1)
		r.m.stateResets.WithLabelValues(r.pipeline, r.stage.ID).Inc()
		r.log.Warn("state reset: no checkpoint matches the committed offsets; starting with empty state as asked",
			"partition_group", pg, "offsets", committed, "dir", g.dir, "problems", strings.Join(damage, "; "))
		return g, nil
	}
	if err := eng.Restore(filepath.Join(snap, engineDirName)); err != nil {
		eng.Close()
		return nil, fmt.Errorf("restore partition group %d from %s: %w", pg, snap, err)
	}
	g.snaps = []string{snap}
	r.log.Debug("restored checkpoint", "partition_group", pg, "snapshot", snap)
	return g, nil
}

// findSnapshot returns the snapshot directory in dir that the commit at
// offs recorded (id), or "" and what is wrong (for the error that refuses
// to start without one). Without an id it falls back to the newest
// complete snapshot taken at offs. A snapshot is complete once its
// offsets.json exists, which is written last; a temporary directory
// without it is an interrupted checkpoint, not damage.
func findSnapshot(dir string, offs map[string]int64, id string) (match string, problems []string, err error) {
	if id != "" {
		p := filepath.Join(dir, id)
		file := filepath.Join(p, offsetsFile)
		b, err := os.ReadFile(file)
		var got map[string]int64
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "", []string{fmt.Sprintf("%s: the committed offsets name this checkpoint, and it is missing", file)}, nil
		case err != nil:
			return "", []string{fmt.Sprintf("%s: %v", file, err)}, nil
		case json.Unmarshal(b, &got) != nil:
			return "", []string{fmt.Sprintf("%s: not a valid offsets file", file)}, nil
		case !maps.Equal(got, offs):
			return "", []string{fmt.Sprintf("%s: taken at offsets %v, not at the committed ones", file, got)}, nil
		}
		return p, nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", []string{dir + " does not exist"}, nil
		}
		return "", nil, fmt.Errorf("find checkpoint: %w", err)
	}
	var best string
	var bestTime time.Time
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), liveDirName) {
			continue
		}
		tmp := strings.Contains(e.Name(), tmpSnapshotSep)
		p := filepath.Join(dir, e.Name())
		file := filepath.Join(p, offsetsFile)
		b, err := os.ReadFile(file)
		if err != nil {
			if !tmp || !errors.Is(err, os.ErrNotExist) {
				problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			}
			continue
		}
		var got map[string]int64
		if err := json.Unmarshal(b, &got); err != nil {
			problems = append(problems, fmt.Sprintf("%s: not a valid offsets file: %v", file, err))
			continue
		}
		if !maps.Equal(got, offs) {
			problems = append(problems, fmt.Sprintf("%s: taken at other offsets %v", file, got))
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if best == "" || info.ModTime().After(bestTime) {
			best, bestTime = p, info.ModTime()
		}
	}
	if best == "" && len(problems) == 0 {
		problems = append(problems, dir+" holds no checkpoint")
	}
	return best, problems, nil
}

// CheckpointError is the refusal to start a stateful partition group whose
// committed offsets have no matching checkpoint: the checkpoint is
// missing, unreadable or from other offsets, and starting with empty state
// would silently break the stage's results (counts from zero, duplicates
// past a dedupe). The ResetState option accepts that loss explicitly.
type CheckpointError struct {
	Stage          string
	PartitionGroup int32
	Dir            string           // the partition group's checkpoint directory
	Offsets        map[string]int64 // the committed offsets, topic → next offset
	Problems       []string         // each names a file or directory
}

func (e *CheckpointError) Error() string {
	return fmt.Sprintf("stage %s partition group %d: no checkpoint in %s matches the committed offsets %v (%s); "+
		"refusing to start with empty state, which would lose the stage's state; "+
		"restore the checkpoint, or restart with the reset-state option (pipeline run, apply or worker -reset-state) to start from empty state",
		e.Stage, e.PartitionGroup, e.Dir, e.Offsets, strings.Join(e.Problems, "; "))
}

// stateful reports whether the stage keeps state across records, which a
// lost checkpoint would lose.
func (r *stageRunner) stateful() bool {
	for _, id := range r.stage.Operators {
		if op := r.plan.Pipeline.Operator(id); op != nil && !op.Properties().Stateless {
			return true
		}
	}
	return false
}

// checkpoint snapshots the engine at offs: engine state first, offsets.json
// last, then an atomic rename into place.
func (g *pgroup) checkpoint(offs map[string]int64) error {
	if g.dir == "" {
		return nil
	}
	// A new name for every snapshot, even at unchanged offsets: the
	// committed one must stay intact until the commit naming its
	// successor succeeds.
	now := strconv.FormatInt(time.Now().UnixNano(), 36)
	name := offsetsTag(offs) + "-" + now
	final := filepath.Join(g.dir, name)
	tmp := final + tmpSnapshotSep + now
	if err := fsutil.MkdirPrivate(tmp); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := g.eng.Checkpoint(filepath.Join(tmp, engineDirName)); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("checkpoint partition group %d: %w", g.id, err)
	}
	b, err := json.Marshal(offs)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := fsutil.WriteFileSync(filepath.Join(tmp, offsetsFile), b); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	g.snaps = append(g.snaps, final)
	g.pending = name
	return nil
}

// prune deletes every snapshot but the newest two, after a commit.
func (g *pgroup) prune() error {
	if g.dir == "" {
		return nil
	}
	if len(g.snaps) > keptSnapshots {
		g.snaps = g.snaps[len(g.snaps)-keptSnapshots:]
	}
	keep := map[string]bool{}
	for _, s := range g.snaps {
		keep[filepath.Base(s)] = true
	}
	entries, err := os.ReadDir(g.dir)
	if err != nil {
		return fmt.Errorf("prune checkpoints: %w", err)
	}
	for _, e := range entries {
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), liveDirName) {
			if err := os.RemoveAll(filepath.Join(g.dir, e.Name())); err != nil {
				return fmt.Errorf("prune checkpoints: %w", err)
			}
		}
	}
	return nil
}

// safeName makes an instance ID usable as a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}
