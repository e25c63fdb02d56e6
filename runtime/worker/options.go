package worker

import (
	"log/slog"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// Option configures Run.
type Option func(*config)

type config struct {
	brokers        []string
	clientOpts     []kgo.Opt
	stateDir       string
	idle           time.Duration
	logger         *slog.Logger
	progress       []func(Progress)
	progressTick   time.Duration
	metrics        *Metrics
	stages         []string
	partitions     int32
	instance       string
	static         bool
	engineOpts     []native.Option
	pollMax        int
	parallelism    int // partition groups a stage processes at once; 0: all
	deadLetterFile string
	resetState     bool
	engines        map[string]EngineFactory         // by backend (StageEngines)
	external       map[string]<-chan struct{}       // by stage ID (ExternalUpstream)
	bounds         map[string]map[int32]OffsetRange // by topic and partition (Bounded)
	boundsFromMs   int64
}

func defaults() config {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	return config{
		logger:       slog.New(slog.DiscardHandler),
		progressTick: time.Second,
		partitions:   -1,
		instance:     host,
		pollMax:      10000,
	}
}

// Brokers sets the seed brokers, e.g. embedded.Broker.Addrs().
func Brokers(addrs ...string) Option {
	return func(c *config) { c.brokers = append(c.brokers, addrs...) }
}

// ClientOptions adds franz-go options to every client the worker creates,
// for example those of kafka.ClientOptions (SASL, TLS, seed brokers) or
// kgo.ProducerLinger.
func ClientOptions(opts ...kgo.Opt) Option {
	return func(c *config) { c.clientOpts = append(c.clientOpts, opts...) }
}

// StateDir keeps operator state and checkpoints under dir (see the package
// documentation). Without it, state lives in memory and is lost on restart.
func StateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// ResetState lets a stateful partition group whose committed offsets have
// no matching checkpoint (missing, unreadable or from other offsets) start
// with empty state. Without it such a group stops its stage with a
// *CheckpointError naming the files, because starting empty silently loses
// state (counts restart from zero, a dedupe lets duplicates through). Each
// reset is logged at WARN, counted in pipeline_state_resets_total and in
// StageProgress.StateResets.
func ResetState() Option { return func(c *config) { c.resetState = true } }

// ExitWhenIdle makes a stage drain (every open window fires), commit and
// finish when no input record arrived on any of its inputs for d. Run
// returns nil when every stage has finished. Zero (the default) runs until
// ctx is cancelled.
func ExitWhenIdle(d time.Duration) Option { return func(c *config) { c.idle = d } }

// Logger receives the worker's log (default: discarded).
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// OnProgress calls fn about every second, and once at the end, with the
// counts so far. fn runs on its own goroutine and must not block for long;
// whether to render anything (a terminal or not) is the caller's decision.
// Several OnProgress options add up: each fn is called, in order.
func OnProgress(fn func(Progress)) Option {
	return func(c *config) { c.progress = append(c.progress, fn) }
}

// WithMetrics records metrics into m instead of a private registry, so that
// the caller can serve m.Handler().
func WithMetrics(m *Metrics) Option { return func(c *config) { c.metrics = m } }

// Stages restricts Run to the stages with these IDs (default: all that it
// runs: native ones, and those of backends given StageEngines).
func Stages(ids ...string) Option { return func(c *config) { c.stages = append(c.stages, ids...) } }

// TopicPartitions sets the partition count of topics the worker creates
// because they are missing (default: the broker's default).
func TopicPartitions(n int32) Option { return func(c *config) { c.partitions = n } }

// InstanceID names this worker among the workers of a stage (default: the
// host name). The transactional ID of an exactly-once stage is
// "<pipeline>.<stage identity>.<instance>" (ir.Pipeline.StageIdentity, such
// as orders.native.aggregate.revenue.w1): a restarted worker with the same instance
// ID fences its crashed predecessor and aborts its open transaction at once.
// An explicit instance ID also makes the worker a static member of its
// consumer group (group.instance.id), so a restart takes over the crashed
// member's partitions without waiting for its session to time out. Two
// workers running at the same time need different IDs.
func InstanceID(id string) Option { return func(c *config) { c.instance, c.static = id, true } }

// EngineOptions passes options to every native.Engine.
func EngineOptions(opts ...native.Option) Option {
	return func(c *config) { c.engineOpts = append(c.engineOpts, opts...) }
}

// DeadLetterFile is where dead letters go when no broker is configured (a
// stage that reads and writes files only): one JSON object per line with the
// headers, key and value. Default: <dead letter topic>.jsonl in the state
// directory (or the working directory).
func DeadLetterFile(path string) Option { return func(c *config) { c.deadLetterFile = path } }

// Parallelism caps how many partition groups' engines each stage runs at
// once (backend "native" { instances }). Groups are independent, so the cap
// changes only how many cores a stage uses, never its results. n < 1, the
// default, runs every assigned group concurrently.
func Parallelism(n int) Option { return func(c *config) { c.parallelism = max(n, 0) } }

// MaxPollRecords bounds the records taken per poll, which is also the most
// records per transaction or offset commit (default 10000). Smaller values
// commit more often and redo less work after a crash.
func MaxPollRecords(n int) Option { return func(c *config) { c.pollMax = max(n, 1) } }

// ExternalUpstream tells Run that stage stageID of the plan runs outside
// it (a Beam job of the same apply) and is finished once done is closed.
// With ExitWhenIdle, a stage reading stageID's channel topics drains only
// after that, as it waits for upstream stages of its own Run: the
// upstream's last outputs may arrive after the reader went idle.
func ExternalUpstream(stageID string, done <-chan struct{}) Option {
	return func(c *config) {
		if c.external == nil {
			c.external = map[string]<-chan struct{}{}
		}
		c.external[stageID] = done
	}
}
