package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	nativebackend "github.com/pipeline-compiler/pipeline/backends/native"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// runFlags are the flags run and apply share.
type runFlags struct {
	exitWhenIdle time.Duration
	stateDir     string
	metricsAddr  string
	partitions   int
	instanceID   string
	resetState   bool
	// workerOpts are more options for worker.Run, from a command rather
	// than a flag (replay's bounds).
	workerOpts []worker.Option
}

var runOptions = []string{
	"-exit-when-idle D", "Once no input arrives for D (e.g. 5s), drain (open windows fire) and exit 0.",
	"-state-dir DIR", "Keep operator state and checkpoints in DIR (default .pipeline/run beside the spec).",
	"-reset-state", "Start a stateful stage with empty state when its checkpoint in -state-dir is missing, damaged or does not match the committed offsets (without it the stage refuses to start). Counts restart from zero and a dedupe forgets what it saw.",
	"-metrics-addr ADDR", "Serve Prometheus metrics on ADDR (e.g. 127.0.0.1:9100) at /metrics.",
	"-partitions N", "Partitions of topics the embedded broker creates (default 1).",
	"-instance-id ID", "This worker's stable identity (default: the host name). Give each worker process on one host its own, and keep it across restarts: it names the transactional ID and the static group membership that let a restart take over at once.",
}

func (r *runFlags) register(fs interface {
	DurationVar(*time.Duration, string, time.Duration, string)
	StringVar(*string, string, string, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.BoolVar(&r.resetState, "reset-state", false, "")
	fs.DurationVar(&r.exitWhenIdle, "exit-when-idle", 0, "")
	fs.StringVar(&r.stateDir, "state-dir", "", "")
	fs.StringVar(&r.metricsAddr, "metrics-addr", "", "")
	fs.IntVar(&r.partitions, "partitions", 1, "")
	fs.StringVar(&r.instanceID, "instance-id", "", "")
}

// session is a running deployment target: the broker the stages talk to.
type session struct {
	brokers    []string // seed brokers
	clientOpts []kgo.Opt
	embedded   *embedded.Broker // nil for a configured broker
}

func (s *session) Close() {
	if s.embedded != nil {
		s.embedded.Close()
	}
}

// connect starts the embedded broker when the spec has no broker block, or
// builds client options for the one it names.
func (m *Meta) connect(ctx context.Context, p *ir.Plan, rf *runFlags) (*session, error) {
	if p.Pipeline.Broker == nil {
		b, err := embedded.Start(ctx, embedded.Partitions(rf.partitions))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(m.Stdout, "Embedded Kafka-protocol broker listening on %s (it stops when pipeline exits).\n", strings.Join(b.Addrs(), ","))
		return &session{brokers: b.Addrs(), clientOpts: []kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, embedded: b}, nil
	}
	opts, err := kafka.ClientOptions(p.Pipeline.Broker)
	if err != nil {
		return nil, err
	}
	if err := probeSASL(ctx, p.Pipeline.Broker, opts); err != nil {
		return nil, err
	}
	return &session{brokers: p.Pipeline.Broker.Brokers, clientOpts: opts}, nil
}

// execute runs the plan's native and broker stages until they finish, ctx
// ends, or the process is interrupted, showing progress on a terminal.
//
// Beam stages run as the jobs in beams (submitBeam), alongside the native
// workers; execute waits for the jobs it must wait for, and stops those in
// this process if the workers fail.
func (m *Meta) execute(ctx context.Context, p *ir.Plan, s *session, rf *runFlags, stateDir string, beams *beamJobs) error {
	if err := runnable(p); err != nil {
		return err
	}
	metrics := worker.NewMetrics()
	if rf.metricsAddr != "" {
		ln, err := net.Listen("tcp", rf.metricsAddr)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metrics.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(m.Stdout, "Metrics on http://%s/metrics\n", ln.Addr())
	}
	level := slog.LevelWarn
	if m.getenv("PIPELINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	opts := []worker.Option{
		worker.Brokers(s.brokers...),
		worker.ClientOptions(s.clientOpts...),
		worker.StateDir(stateDir),
		worker.WithMetrics(metrics),
		worker.Logger(slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))),
	}
	// backend "native" { instances = N }: N partition groups at once per
	// stage (validated when the spec was planned).
	if cfg, _ := nativebackend.DecodeConfig(p.Pipeline); cfg.Instances > 0 {
		opts = append(opts, worker.Parallelism(cfg.Instances))
	}
	if rf.instanceID != "" {
		opts = append(opts, worker.InstanceID(rf.instanceID))
	}
	if rf.resetState {
		opts = append(opts, worker.ResetState())
	}
	if rf.exitWhenIdle > 0 {
		opts = append(opts, worker.ExitWhenIdle(rf.exitWhenIdle))
	}
	if hostsTransforms(p) {
		rt, err := wasmhost.NewRuntime(ctx)
		if err != nil {
			return err
		}
		defer rt.Close(context.WithoutCancel(ctx))
		opts = append(opts, worker.StageEngines(ir.BackendBroker, broker.LocalEngines(rt)))
	}
	tty := isTerminal(m.Stderr)
	if tty {
		opts = append(opts, worker.OnProgress(func(pr worker.Progress) { writeProgress(m.Stderr, pr, false) }))
	}
	var last worker.Progress
	opts = append(opts, worker.OnProgress(func(pr worker.Progress) { last = pr }))
	opts = append(opts, beams.workerOptions()...)
	opts = append(opts, rf.workerOpts...)
	start := time.Now()
	err := worker.Run(ctx, p, opts...)
	if tty {
		fmt.Fprintln(m.Stderr)
	}
	if err != nil {
		beams.stop()
		return err
	}
	if err := beams.wait(p); err != nil {
		return err
	}
	if len(last.Stages) > 0 {
		last.Elapsed = time.Since(start)
		writeProgress(m.Stdout, last, true)
	}
	return nil
}

// hostsTransforms reports whether p has broker stages to run in the local
// WebAssembly host: there are some, and backend "broker" sets no admin_url
// (with one, they run in Redpanda).
func hostsTransforms(p *ir.Plan) bool {
	if !slices.ContainsFunc(p.Stages, func(s *ir.Stage) bool { return s.Backend == ir.BackendBroker }) {
		return false
	}
	cfg, diags := broker.DecodeConfig(p.Pipeline)
	return !diags.HasErrors() && (cfg == nil || cfg.AdminURL == "")
}

// runnable reports the first stage this build cannot run: native stages
// run in-process, broker stages in the local WebAssembly host, and beam
// stages as Beam jobs in pipeline-beam (which must be installed or, in a
// source checkout, buildable). apply and run check it before they touch
// anything.
func runnable(p *ir.Plan) error {
	for _, st := range p.Stages {
		if st.Backend == ir.BackendBeam {
			if err := beamRunnable(p); err != nil {
				return fmt.Errorf("stage %s: %w", st.ID, err)
			}
			continue
		}
		if st.Backend != ir.BackendNative && st.Backend != ir.BackendBroker {
			return fmt.Errorf("stage %s is placed on %s, which this build cannot run yet; pin its operators with backend = \"native\" or remove the backend %q block", st.ID, st.Backend, st.Backend)
		}
	}
	return nil
}

// writeProgress renders one progress line per stage: on a terminal it
// rewrites the line in place; final prints the summary once.
func writeProgress(w io.Writer, pr worker.Progress, final bool) {
	var b strings.Builder
	for i, st := range pr.Stages {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %d in, %d out, %d dead letters, lag %d", st.Stage, st.RecordsIn, st.RecordsOut, st.DeadLetters, st.Lag)
		b.WriteString(stateResetNote(st.StateResets))
	}
	if final {
		fmt.Fprintf(w, "Ran %s in %s.\n", b.String(), pr.Elapsed.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(w, "\r\x1b[K[%s] %s", pr.Elapsed.Round(time.Second), b.String())
}

// isTerminal reports whether w is a character device (a terminal): progress
// is shown there and kept out of CI logs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var errInterrupted = errors.New("interrupted")

// connectTimeout bounds the check that the spec's broker accepts the
// spec's credentials.
const connectTimeout = 10 * time.Second

// probeSASL checks, within connectTimeout, that a broker the spec sets SASL
// for authenticates this client. Without the check, a sasl block pointed at
// a listener without SASL retried for half a minute and then said
// "create topics: EOF". When SASL fails and a client without it gets
// through, the listener does not use SASL, and the error says so.
func probeSASL(ctx context.Context, b *ir.Broker, opts []kgo.Opt) error {
	if b.SASL == nil {
		return nil
	}
	ping := func(opts []kgo.Opt) error {
		ctx, cancel := context.WithTimeout(ctx, connectTimeout/2)
		defer cancel()
		cl, err := kgo.NewClient(append(slices.Clone(opts), kgo.RequestRetries(0), kgo.DialTimeout(connectTimeout/2))...)
		if err != nil {
			return err
		}
		defer cl.Close()
		return cl.Ping(ctx)
	}
	err := ping(opts)
	if err == nil {
		return nil
	}
	noSASL := *b
	noSASL.SASL = nil
	if plain, perr := kafka.ClientOptions(&noSASL); perr == nil && ping(plain) == nil {
		return fmt.Errorf("broker %q: %s rejected SASL %s (%v), but accepts connections without SASL: this listener does not use SASL; remove the sasl block or point brokers at the SASL listener",
			b.Name, strings.Join(b.Brokers, ","), b.SASL.Mechanism, err)
	}
	return fmt.Errorf("broker %q: cannot connect to %s with SASL %s within %s: %w", b.Name, strings.Join(b.Brokers, ","), b.SASL.Mechanism, connectTimeout, err)
}

// stateResetNote says, for progress and status lines, that a stage started
// partition groups with empty state under -reset-state.
func stateResetNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", STATE RESET: %d partition groups started with empty state (-reset-state)", n)
}
