package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
)

const (
	// FormatVersion is the version of the control and status record
	// formats this build writes and the newest it reads.
	FormatVersion = 1
	// ControlTopic holds the orders, keyed by pipeline name.
	ControlTopic = "_pipeline-control"
	// StatusTopic holds the workers' reports, keyed by worker ID.
	StatusTopic = "_pipeline-status"
)

// Order is the value of a control record: what the workers of one pipeline
// must run.
type Order struct {
	FormatVersion int    `json:"format_version"`
	Pipeline      string `json:"pipeline"`
	// Version is the state serial of the apply that published the order;
	// a worker never goes back to a lower version.
	Version     int64     `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	SpecHash    string    `json:"spec_hash,omitempty"`
	// ClusterID is the cluster apply published to; a worker connected to
	// another cluster (a mirrored control topic) refuses the order.
	ClusterID string `json:"cluster_id,omitempty"`
	// Secrets are the sensitive values the native stages need, redacted
	// in Plan: each worker supplies them itself (Resolver).
	Secrets []Secret `json:"secrets,omitempty"`
	// Plan is the plan (ir.Plan JSON, redacted) with every stage; workers
	// run its native stages.
	Plan json.RawMessage `json:"plan"`
}

// Secret is one sensitive value an order leaves out.
type Secret struct {
	Kind string          `json:"kind"` // "var" or "local"
	Name string          `json:"name"`
	Type json.RawMessage `json:"type"` // cty type JSON
}

// NewOrder builds the order for plan at version: the plan with sensitive
// values redacted, and the sensitive variables and locals its native
// stages refer to listed as Secrets.
func NewOrder(plan *ir.Plan, version int64, clusterID string) (*Order, error) {
	red := plan.Redacted()
	b, err := red.Encode()
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	o := &Order{
		FormatVersion: FormatVersion,
		Pipeline:      plan.Pipeline.Name,
		Version:       version,
		PublishedAt:   time.Now().UTC(),
		SpecHash:      plan.SpecHash,
		ClusterID:     clusterID,
		Plan:          b,
	}
	used, err := nativeText(plan)
	if err != nil {
		return nil, err
	}
	for _, m := range []struct {
		kind   string
		consts map[string]ir.Const
	}{{"var", plan.Pipeline.Vars}, {"local", plan.Pipeline.Locals}} {
		for _, name := range slices.Sorted(maps.Keys(m.consts)) {
			c := m.consts[name]
			if !c.Sensitive || !regexp.MustCompile(`\b`+m.kind+`\.`+regexp.QuoteMeta(name)+`\b`).Match(used) {
				continue
			}
			t, err := c.Value.Type().MarshalJSON()
			if err != nil {
				return nil, fmt.Errorf("order: type of %s.%s: %w", m.kind, name, err)
			}
			o.Secrets = append(o.Secrets, Secret{Kind: m.kind, Name: name, Type: t})
		}
	}
	return o, nil
}

// nativeText is the JSON of the operators of the plan's native stages and
// of the locals: what sensitive names they mention is what workers need.
func nativeText(plan *ir.Plan) ([]byte, error) {
	var ops []*ir.Operator
	for _, st := range plan.Stages {
		if st.Backend != ir.BackendNative {
			continue
		}
		for _, id := range st.Operators {
			if op := plan.Pipeline.Operator(id); op != nil {
				ops = append(ops, op)
			}
		}
	}
	b, err := json.Marshal(ops)
	if err != nil {
		return nil, fmt.Errorf("order: %w", err)
	}
	return b, nil
}

// Encode is the record value.
func (o *Order) Encode() ([]byte, error) { return json.Marshal(o) }

// DecodeOrder reads a control record's value. A newer format version, a
// key that does not match the pipeline or an unreadable plan is an error
// that names the problem.
func DecodeOrder(key, value []byte) (*Order, *ir.Plan, error) {
	var head struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal(value, &head); err != nil {
		return nil, nil, fmt.Errorf("unreadable control record for %q: %w", key, err)
	}
	if head.FormatVersion > FormatVersion {
		return nil, nil, fmt.Errorf("control record for %q has format_version %d; this worker reads up to %d: upgrade the worker", key, head.FormatVersion, FormatVersion)
	}
	if head.FormatVersion < 1 {
		return nil, nil, fmt.Errorf("control record for %q has no format_version: not written by pipeline apply", key)
	}
	var o Order
	if err := json.Unmarshal(value, &o); err != nil {
		return nil, nil, fmt.Errorf("unreadable control record for %q: %w", key, err)
	}
	if o.Pipeline != string(key) {
		return nil, nil, fmt.Errorf("control record keyed %q is for pipeline %q", key, o.Pipeline)
	}
	p, err := ir.DecodePlan(o.Plan)
	if err != nil {
		return nil, nil, fmt.Errorf("control record for %q, version %d: %w", key, o.Version, err)
	}
	return &o, p, nil
}

// EnsureTopics creates the control and status topics (compacted, one
// partition) unless they exist.
func EnsureTopics(ctx context.Context, cl *kgo.Client) error {
	adm := kadm.NewClient(cl)
	compact := "compact"
	for _, t := range []string{ControlTopic, StatusTopic} {
		resp, err := adm.CreateTopic(ctx, 1, -1, map[string]*string{"cleanup.policy": &compact}, t)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t, err)
		}
		if resp.Err != nil && !errors.Is(resp.Err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t, resp.Err)
		}
	}
	return nil
}

// ClusterID is the broker's cluster ID ("" when it has none).
func ClusterID(ctx context.Context, cl *kgo.Client) (string, error) {
	m, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		return "", fmt.Errorf("broker metadata: %w", err)
	}
	return m.Cluster, nil
}

// Publish writes o to the control topic and waits for the broker to
// acknowledge it.
func Publish(ctx context.Context, cl *kgo.Client, o *Order) error {
	if err := EnsureTopics(ctx, cl); err != nil {
		return err
	}
	b, err := o.Encode()
	if err != nil {
		return fmt.Errorf("encode order: %w", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: ControlTopic, Key: []byte(o.Pipeline), Value: b}).FirstErr(); err != nil {
		return fmt.Errorf("publish to %s: %w", ControlTopic, err)
	}
	return nil
}

// Tombstone marks pipeline destroyed on the control topic.
func Tombstone(ctx context.Context, cl *kgo.Client, pipeline string) error {
	if err := EnsureTopics(ctx, cl); err != nil {
		return err
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: ControlTopic, Key: []byte(pipeline)}).FirstErr(); err != nil {
		return fmt.Errorf("tombstone on %s: %w", ControlTopic, err)
	}
	return nil
}

// sortedStages returns the native stages of p by identity.
func sortedStages(p *ir.Plan) []*ir.Stage {
	var out []*ir.Stage
	for _, st := range p.Stages {
		if st.Backend == ir.BackendNative {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return p.Pipeline.StageIdentity(out[i]) < p.Pipeline.StageIdentity(out[j])
	})
	return out
}
