package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// This file records, in the metadata of every committed offset, the name
// of the snapshot the commit belongs to (checkpointMetaPrefix explains
// why), and reads it back when a partition group is rebuilt.

// checkpointIDs maps each touched partition group that wrote a snapshot
// for this commit to the snapshot's name.
func checkpointIDs(touched []*pgroup) map[int32]string {
	ids := map[int32]string{}
	for _, g := range touched {
		if g.pending != "" {
			ids[g.id] = g.pending
		}
	}
	return ids
}

// unchanged lists the committed offsets of the groups in ids that the
// commit would leave out because nothing was consumed from them since the
// last commit (a transaction that only fired windows): they are committed
// again, unchanged, so that their metadata names the new snapshot.
func (l *topicLoop) unchanged(ids map[int32]string, committed map[string]map[int32]kgo.EpochOffset, in func(topic string, p int32) bool) map[string]map[int32]kgo.EpochOffset {
	out := map[string]map[int32]kgo.EpochOffset{}
	for topic, parts := range committed {
		if _, ok := l.r.topicStreams[topic]; !ok {
			continue
		}
		for p, eo := range parts {
			// Offset 0 is franz-go's "consumed, nothing committed yet".
			if _, ok := ids[p]; !ok || eo.Offset <= 0 || in(topic, p) {
				continue
			}
			if out[topic] == nil {
				out[topic] = map[int32]kgo.EpochOffset{}
			}
			out[topic][p] = eo
		}
	}
	return out
}

// metadata returns the offset metadata naming the snapshot of the
// partition's group, nil for a partition not to be marked.
func (l *topicLoop) metadata(ids map[int32]string) func(topic string, p int32) *string {
	return func(topic string, p int32) *string {
		id, ok := ids[p]
		if _, in := l.r.topicStreams[topic]; !ok || !in {
			return nil
		}
		m := checkpointMetaPrefix + id
		return &m
	}
}

// txnMetadata returns the hook that names the snapshots in a transaction's
// offset commit. The committed offsets are read now: the hook runs inside
// franz-go's commit.
func (l *topicLoop) txnMetadata(ids map[int32]string) func(*kmsg.TxnOffsetCommitRequest) error {
	committed := l.cl.CommittedOffsets()
	return func(req *kmsg.TxnOffsetCommitRequest) error {
		if len(ids) == 0 {
			return nil
		}
		byTopic := map[string]*kmsg.TxnOffsetCommitRequestTopic{}
		for i := range req.Topics {
			t := &req.Topics[i]
			byTopic[t.Topic] = t
		}
		in := func(topic string, p int32) bool {
			if t := byTopic[topic]; t != nil {
				for _, rp := range t.Partitions {
					if rp.Partition == p {
						return true
					}
				}
			}
			return false
		}
		for topic, parts := range l.unchanged(ids, committed, in) {
			if byTopic[topic] == nil {
				rt := kmsg.NewTxnOffsetCommitRequestTopic()
				rt.Topic = topic
				req.Topics = append(req.Topics, rt)
				// Appending may move the slice: index it again.
				for i := range req.Topics {
					byTopic[req.Topics[i].Topic] = &req.Topics[i]
				}
			}
			t := byTopic[topic]
			for p, eo := range parts {
				rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
				rp.Partition, rp.Offset, rp.LeaderEpoch = p, eo.Offset, eo.Epoch
				t.Partitions = append(t.Partitions, rp)
			}
		}
		meta := l.metadata(ids)
		for _, t := range req.Topics {
			for j, p := range t.Partitions {
				if m := meta(t.Topic, p.Partition); m != nil {
					t.Partitions[j].Metadata = m
				}
			}
		}
		return nil
	}
}

// commitOffsets commits what was consumed since the last commit (at least
// once), naming the snapshots in the metadata as txnMetadata does.
func (l *topicLoop) commitOffsets(ctx context.Context, ids map[int32]string) error {
	offs := l.cl.UncommittedOffsets()
	if offs == nil {
		offs = map[string]map[int32]kgo.EpochOffset{}
	}
	extra := l.unchanged(ids, l.cl.CommittedOffsets(), func(topic string, p int32) bool { _, ok := offs[topic][p]; return ok })
	for topic, parts := range extra {
		if offs[topic] == nil {
			offs[topic] = map[int32]kgo.EpochOffset{}
		}
		for p, eo := range parts {
			offs[topic][p] = eo
		}
	}
	if len(offs) == 0 {
		return nil
	}
	meta := l.metadata(ids)
	ctx = kgo.PreCommitFnContext(ctx, func(req *kmsg.OffsetCommitRequest) error {
		for _, t := range req.Topics {
			for j, p := range t.Partitions {
				if m := meta(t.Topic, p.Partition); m != nil {
					t.Partitions[j].Metadata = m
				}
			}
		}
		return nil
	})
	var errs []error
	l.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err))
				}
			}
		}
	})
	return errors.Join(errs...)
}

// committedSnapshot returns the snapshot name that the committed offsets
// of partition group pg carry, "" when they carry none.
func (l *topicLoop) committedSnapshot(ctx context.Context, t *tick, pg int32) (string, error) {
	if t.snapshots == nil {
		// Stable: wait for a pending transactional commit to resolve.
		offs, err := kadm.NewClient(l.cl).FetchOffsets(kadm.RequireStable(ctx), l.r.group)
		if err != nil {
			return "", fmt.Errorf("fetch committed offsets of group %s: %w", l.r.group, err)
		}
		t.snapshots = offs
	}
	var id string
	for topic := range l.r.topicStreams {
		o, ok := t.snapshots.Lookup(topic, pg)
		if !ok {
			continue
		}
		if o.Err != nil {
			return "", fmt.Errorf("fetch committed offset of %s/%d: %w", topic, pg, o.Err)
		}
		got, ok := strings.CutPrefix(o.Metadata, checkpointMetaPrefix)
		if !ok {
			continue
		}
		if id != "" && got != id {
			// One commit names one snapshot for all of a group's
			// partitions: a mix means the offsets were committed by
			// something else, and no snapshot is known to match.
			if l.r.cfg.resetState {
				return "", nil
			}
			return "", &CheckpointError{Stage: l.r.stage.ID, PartitionGroup: pg,
				Dir:      l.r.groupDir(pg),
				Offsets:  l.r.groupOffsets(t.committed, pg),
				Problems: []string{fmt.Sprintf("the committed offsets of its partitions name two different checkpoints, %s and %s", id, got)}}
		}
		id = got
	}
	return id, nil
}
