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
}

// groupOffsets picks partition pg of the stage's input topics out of a
// client's offset map: topic → next offset to consume.
func (r *stageRunner) groupOffsets(all map[string]map[int32]kgo.EpochOffset, pg int32) map[string]int64 {
	out := map[string]int64{}
	for topic, parts := range all {
		if _, ok := r.topicStreams[topic]; !ok {
			continue
		}
		if eo, ok := parts[pg]; ok && eo.Offset >= 0 {
			out[topic] = eo.Offset
		}
	}
	return out
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
func (r *stageRunner) newGroup(ctx context.Context, pg int32, committed map[string]int64) (*pgroup, error) {
	g := &pgroup{id: pg}
	var opts []native.Option
	if r.cfg.stateDir != "" {
		g.dir = filepath.Join(stageStateDir(r.cfg.stateDir, r.pipeline, r.identity), "pg-"+strconv.Itoa(int(pg)))
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
	snap, others, err := findSnapshot(g.dir, committed)
	if err != nil {
		eng.Close()
		return nil, err
	}
	if snap == "" {
		if others > 0 {
			// State exists, but not for these offsets: the state directory
			// belongs to another run or lost its newest snapshots.
			r.log.Warn("no checkpoint matches the committed offsets; starting with empty state",
				"partition_group", pg, "offsets", committed, "checkpoints", others)
		}
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

// findSnapshot returns the complete snapshot directory in dir taken at
// offs, or "", and the number of complete snapshots that do not match.
func findSnapshot(dir string, offs map[string]int64) (match string, others int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", 0, nil
		}
		return "", 0, fmt.Errorf("find checkpoint: %w", err)
	}
	var best string
	var bestTime time.Time
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), liveDirName) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(filepath.Join(p, offsetsFile))
		if err != nil {
			continue // incomplete
		}
		var got map[string]int64
		if json.Unmarshal(b, &got) != nil {
			continue
		}
		if !maps.Equal(got, offs) {
			others++
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
	return best, others, nil
}

// checkpoint snapshots the engine at offs: engine state first, offsets.json
// last, then an atomic rename into place.
func (g *pgroup) checkpoint(offs map[string]int64) error {
	if g.dir == "" {
		return nil
	}
	final := filepath.Join(g.dir, offsetsTag(offs))
	tmp := final + tmpSnapshotSep + strconv.FormatInt(time.Now().UnixNano(), 36)
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
	if err := os.RemoveAll(final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	g.snaps = append(slices.DeleteFunc(g.snaps, func(s string) bool { return s == final }), final)
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
