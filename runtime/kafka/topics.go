package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// EnsureTopics creates the topics that do not exist yet with the given
// partition count (-1: the broker's default) and the broker's default
// replication factor. Existing topics are left as they are, whatever their
// partition count.
func EnsureTopics(ctx context.Context, adm *kadm.Client, topics []string, partitions int32) error {
	want := dedupe(topics)
	if len(want) == 0 {
		return nil
	}
	resps, err := adm.CreateTopics(ctx, partitions, -1, nil, want...)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var errs []error
	for _, t := range want {
		r, ok := resps[t]
		if !ok || r.Err == nil || errors.Is(r.Err, kerr.TopicAlreadyExists) {
			continue
		}
		errs = append(errs, fmt.Errorf("create topic %q: %w", t, r.Err))
	}
	return errors.Join(errs...)
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
