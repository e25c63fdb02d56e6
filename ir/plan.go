package ir

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FormatVersion is the version of the plan and diagnostics JSON formats.
// It changes when a field is removed or changes meaning.
const FormatVersion = "1.0"

// Plan is the physical plan: the logical pipeline split into stages, each
// placed on one backend, joined by channels.
type Plan struct {
	FormatVersion string    `json:"format_version"`
	Pipeline      *Pipeline `json:"pipeline"`
	// SpecHash identifies the spec and variable values the plan was made
	// from; apply refuses a plan whose spec has changed since.
	SpecHash string `json:"spec_hash"`
	// SpecPath is the spec the plan was made from, as given to plan.
	SpecPath string `json:"spec_path,omitempty"`
	// StateSerial is the serial of the local state the plan was made
	// against (0: none); apply refuses the plan once the state has moved on.
	StateSerial int64      `json:"state_serial"`
	Stages      []*Stage   `json:"stages"`
	Channels    []*Channel `json:"channels"`
	Cost        float64    `json:"cost"`
	// CostProfile is the calibration profile the backends' costs came
	// from; nil means their built-in defaults. Apply refuses a saved plan
	// whose profile differs from the one planning would use now.
	CostProfile *CostProfile `json:"cost_profile,omitempty"`
	// Changes is what applying the plan changes, compared with what the
	// last apply deployed; nil when there is no local state.
	Changes *Changes `json:"changes,omitempty"`
	// StateChanges say, for every stateful operator (aggregate, dedupe,
	// join) and every consumer (a stage reading topics), what applying the
	// plan does to its state and offsets, resets first. Derived from the
	// local state like Changes, so a saved plan's are checked again by
	// apply.
	StateChanges []StateChange `json:"state_changes,omitempty"`
	// Explain is, per operator, the backends it could have run on and why
	// each lost; filled only when asked for (plan -explain).
	Explain []OperatorChoice `json:"explain,omitempty"`
	// SecretSalt and Secrets are set in a saved plan (Sealed): its
	// sensitive values are redacted, and each is identified by a hash
	// keyed by the salt, so apply can check the values it is given again.
	SecretSalt string   `json:"secret_salt,omitempty"`
	Secrets    []Secret `json:"secrets,omitempty"`
	// Rewrites are the changes the optimizer made to the pipeline before
	// placing it, in the order made; Pipeline is the rewritten pipeline.
	Rewrites []Rewrite `json:"rewrites,omitempty"`
	// Drift is what plan -refresh found changed or removed outside apply
	// (topics, transforms, beam jobs, workers' versions), compared with
	// the local state; empty without -refresh. Not part of what apply
	// checks a saved plan against: it describes the world, not the spec.
	Drift []Drift `json:"drift,omitempty"`
}

// Drift changes.
const (
	DriftRemoved = "removed"
	DriftChanged = "changed"
)

// Drift is one object the last apply recorded that is gone or differs now.
type Drift struct {
	// Address names the object: "topic.orders",
	// "transform.shop-broker.source.orders", "beam_job.beam.aggregate.revenue",
	// "worker.w1".
	Address string `json:"address"`
	Kind    string `json:"kind"`   // topic | transform | beam_job | worker
	Change  string `json:"change"` // removed | changed
	// Detail says what differs, for people: "partitions 1 → 3".
	Detail string `json:"detail"`
}

// CostProfile identifies a calibration profile (pipeline calibrate).
type CostProfile struct {
	File       string `json:"file"`        // as found or given
	Hash       string `json:"hash"`        // Hash of the file's bytes
	MeasuredAt string `json:"measured_at"` // RFC 3339
	Cores      int    `json:"cores"`       // of the machine it was measured on
}

// Changes compares a plan with the stages the last apply deployed, in the
// plan's order: operators that move to another backend, and stages to add,
// to change (redeploy: other operators, or a changed spec) and to delete.
type Changes struct {
	Moves  []Move        `json:"moves"`
	Add    []StageChange `json:"add"`
	Change []StageChange `json:"change"`
	Delete []StageChange `json:"delete"`
}

// Move is one operator that runs on another backend than before.
type Move struct {
	Operator string `json:"operator"`
	From     string `json:"from"`
	To       string `json:"to"`
	Why      string `json:"why"` // the new stage's why
}

// StageChange is one stage added, changed or deleted.
type StageChange struct {
	Stage     string   `json:"stage"`
	Backend   string   `json:"backend"`
	Operators []string `json:"operators"`
	// Was is a changed stage's operators as deployed.
	Was []string `json:"was,omitempty"`
}

// State change classes (StateChange.State).
const (
	StateNew     = "new"
	StateKept    = "kept"
	StateReset   = "reset"
	StateDropped = "dropped"
)

// StateChange is what applying a plan does to one stateful operator's state
// or one consumer's offsets.
type StateChange struct {
	// Address is the operator's address, or for a consumer the identity
	// of the stage that consumes (native.source.orders).
	Address string `json:"address"`
	// Kind is the operator kind, or "consumer".
	Kind  string `json:"kind"`
	State string `json:"state"` // new | kept | reset | dropped
	// Reason says why, for people: "key changed from … to …", "renamed
	// from aggregate.revenue (moved block)".
	Reason string `json:"reason,omitempty"`
	// Offsets, for a consumer, is where it reads: "resumes at committed
	// offsets" or "reads from earliest|latest|<time>".
	Offsets string `json:"offsets,omitempty"`
	// Group is a native consumer's consumer group.
	Group string `json:"group,omitempty"`
	// Topics are a consumer's input topics.
	Topics []string `json:"topics,omitempty"`
}

// StateResets returns the state changes that reset state.
func (p *Plan) StateResets() []StateChange {
	var out []StateChange
	for _, c := range p.StateChanges {
		if c.State == StateReset {
			out = append(out, c)
		}
	}
	return out
}

// Empty reports whether there is nothing to change.
func (c *Changes) Empty() bool {
	return c == nil || len(c.Moves)+len(c.Add)+len(c.Change)+len(c.Delete) == 0
}

// OperatorChoice is the optimizer's choice of backend for one operator.
type OperatorChoice struct {
	Operator     string        `json:"operator"`
	Backend      string        `json:"backend"`
	Alternatives []Alternative `json:"alternatives"`
}

// Alternative is one backend an operator could have been placed on: the
// plan's cost with only this operator moved there (0 when infeasible), and
// why it lost.
type Alternative struct {
	Backend    string  `json:"backend"`
	Cost       float64 `json:"cost"`
	Infeasible bool    `json:"infeasible,omitempty"`
	Why        string  `json:"why"`
}

// Stage is a set of operators fused to run together on one backend.
type Stage struct {
	ID        string   `json:"id"`
	Backend   string   `json:"backend"`
	Operators []string `json:"operators"` // in topological order
	Why       string   `json:"why"`
	// Inputs and Outputs are topic names: source topics, channel topics,
	// sink topics, and the dead-letter topic. File sources and sinks appear
	// as "file:PATH".
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
	Cost    float64  `json:"cost"`
	// Notes are warnings and facts about the stage (module size, memory).
	Notes []string `json:"notes,omitempty"`
	// Decodes are, per input stream with a known schema, the fields the
	// stage's operators read: a backend decodes only those.
	Decodes []Decode `json:"decodes,omitempty"`
	// SecretEnv lists the sensitive values (var.NAME, local.NAME) the
	// stage's expressions read that its backend passes through the
	// runtime's environment instead of its artifact, so that no artifact
	// holds a secret. Names only: the values are never in the plan's
	// display.
	SecretEnv []SecretEnv `json:"secret_env,omitempty"`
}

// SecretEnv is one sensitive value a stage receives through its
// environment: Value (var.NAME or local.NAME) in the variable Env.
type SecretEnv struct {
	Value string `json:"value"`
	Env   string `json:"env"`
}

// Channel moves one stream between two stages through an intermediate topic.
type Channel struct {
	From   string  `json:"from"`   // stream ID produced in one stage
	To     string  `json:"to"`     // operator ID consuming it in another
	Topic  string  `json:"topic"`  // intermediate topic
	Stream string  `json:"stream"` // the stream ID carried
	Cost   float64 `json:"cost"`
	// Key, when non-empty, is how the producer keys the channel's Kafka
	// records: the expressions are evaluated over each record of Stream
	// (root "record") and encoded as the record key (one string value: its
	// raw bytes; otherwise the JSON array of the values), so that the
	// broker's key hashing puts all records with equal keys in the same
	// partition. A keyed operator placed after the channel (aggregate,
	// dedupe, stream–stream join), which runs once per partition group,
	// then sees every record of each of its keys.
	Key []Expr `json:"key,omitempty"`
	// Repartition marks a channel that exists to re-key its stream for the
	// consumer (Kafka Streams' repartition topic), not to cross backends.
	Repartition bool `json:"repartition,omitempty"`
}

// Stage returns the stage with the given ID, or nil.
func (p *Plan) Stage(id string) *Stage {
	for _, s := range p.Stages {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// StageOf returns the stage that hosts the operator, or nil.
func (p *Plan) StageOf(opID string) *Stage {
	for _, s := range p.Stages {
		for _, o := range s.Operators {
			if o == opID {
				return s
			}
		}
	}
	return nil
}

// Encode returns the plan's deterministic JSON encoding: the same plan gives
// the same bytes (maps are encoded with sorted keys, slices keep their order).
func (p *Plan) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodePlan parses a plan encoded by Encode.
func DecodePlan(b []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode plan: %w", err)
	}
	if p.FormatVersion == "" {
		return nil, fmt.Errorf("decode plan: not a plan file (no format_version)")
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("decode plan: format_version %q, this build reads %q", p.FormatVersion, FormatVersion)
	}
	if p.Pipeline == nil {
		return nil, fmt.Errorf("decode plan: no pipeline")
	}
	return &p, nil
}

// Redacted returns a copy with sensitive values replaced, for display. When
// nothing is sensitive the copy is shallow: callers may set its fields but
// must not modify the pipeline, stages or channels it shares with p.
func (p *Plan) Redacted() *Plan {
	if p.Pipeline == nil || !p.Pipeline.hasSensitive() {
		// Nothing to replace: a shallow copy shares what the caller may
		// not change anyway, and spares a large plan a deep copy.
		c := *p
		c.SecretSalt, c.Secrets = "", nil
		return &c
	}
	b, err := json.Marshal(p)
	if err != nil {
		return p
	}
	var c Plan
	if err := json.Unmarshal(b, &c); err != nil {
		return p
	}
	c.Pipeline.redact()
	c.SecretSalt, c.Secrets = "", nil // a saved plan shows as plan -json does
	return &c
}

// Redacted returns a deep copy of the pipeline with sensitive values replaced.
func (pl *Pipeline) Redacted() *Pipeline {
	return (&Plan{Pipeline: pl}).Redacted().Pipeline
}

const redacted = "(sensitive value)"

// hasSensitive reports whether redact would replace anything.
func (pl *Pipeline) hasSensitive() bool {
	for _, m := range []map[string]Const{pl.Vars, pl.Locals} {
		for _, c := range m {
			if c.Sensitive {
				return true
			}
		}
	}
	for _, b := range pl.Backends {
		for _, c := range b.Attributes {
			if c.Sensitive {
				return true
			}
		}
	}
	for _, r := range pl.SchemaRegistries {
		if r.Password != "" || r.Token != "" {
			return true
		}
	}
	return pl.Broker != nil && pl.Broker.SASL != nil && pl.Broker.SASL.Password != ""
}

func (pl *Pipeline) redact() {
	for _, m := range []map[string]Const{pl.Vars, pl.Locals} {
		for k, c := range m {
			if c.Sensitive {
				m[k] = redactConst(c)
			}
		}
	}
	for _, b := range pl.Backends {
		for k, c := range b.Attributes {
			if c.Sensitive {
				b.Attributes[k] = redactConst(c)
			}
		}
	}
	if pl.Broker != nil && pl.Broker.SASL != nil && pl.Broker.SASL.Password != "" {
		pl.Broker.SASL.Password = redacted
	}
	for _, r := range pl.SchemaRegistries {
		if r.Password != "" {
			r.Password = redacted
		}
		if r.Token != "" {
			r.Token = redacted
		}
	}
}

func redactConst(c Const) Const {
	c.Value = stringVal(redacted)
	return c
}
