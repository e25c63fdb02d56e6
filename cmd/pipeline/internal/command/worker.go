package command

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/control"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// WorkerCommand is the long-running worker: it runs the native stages of
// every pipeline applied to its broker (see runtime/control).
type WorkerCommand struct{ *Meta }

func (c *WorkerCommand) Synopsis() string {
	return "Run the native stages of every applied pipeline (long-running)"
}

func (c *WorkerCommand) Help() string {
	return help("worker -brokers HOST:PORT,... [options]", `
Follows the control topic (`+control.ControlTopic+`) on the broker and runs the
native stages of every pipeline that apply published there, sharing their
partitions with the other workers through consumer groups. Reconciles on
every apply: unchanged stages keep running, changed ones restart on the new
plan (keeping their state when their stateful operators are unchanged), and
a destroyed pipeline's stages stop and its local state is deleted. Reports
to the status topic (`+control.StatusTopic+`) every -report-interval: see
"pipeline status". Runs until interrupted.

Sensitive values are never in the control topic: a plan that needs a
sensitive variable takes it from this worker's -var, -var-file or
PIPELINE_VAR_NAME; without it the pipeline is reported failed and the other
pipelines keep running.`,
		"-brokers LIST", "Seed brokers, comma-separated (overrides the -config broker's list).",
		"-config FILE", "An .hcl file with a broker block (SASL, TLS); it may use var.* and env().",
		"-var NAME=VALUE", "A variable for -config and for the plans' sensitive variables; repeatable.",
		"-var-file FILE", "Read variable values from an .hcl file; repeatable.",
		"-pipeline NAME", "Serve only this pipeline (default: every pipeline on the broker).",
		"-state-dir DIR", "Keep operator state and checkpoints in DIR (default .pipeline/worker). Workers that share partitions share it (one host, or a shared volume).",
		"-instance-id ID", "This worker's stable identity (default: the host name); one per worker, kept across restarts.",
		"-metrics-addr ADDR", "Serve Prometheus metrics on ADDR at /metrics (and /healthz).",
		"-health-addr ADDR", "Serve /healthz (200 once the control topic was read) on ADDR.",
		"-report-interval D", "How often to publish status (default 5s).",
		"-session-timeout D", "Consumer group session timeout (default 45s): how long a crashed worker's partitions wait.",
		"-partitions N", "Partitions of topics the worker creates because they are missing (default: the broker's default).",
		"-reset-state", "Start a stateful stage with empty state when its checkpoint in -state-dir is missing, damaged or does not match the committed offsets (without it the stage refuses to start and status shows the error). Counts restart from zero and a dedupe forgets what it saw; status, the log and pipeline_state_resets_total say so. Restart without it once the stages run.",
	)
}

func (c *WorkerCommand) Run(args []string) int {
	fs := c.newFlagSet("worker")
	brokers := fs.String("brokers", "", "")
	configFile := fs.String("config", "", "")
	only := fs.String("pipeline", "", "")
	stateDir := fs.String("state-dir", "", "")
	instance := fs.String("instance-id", "", "")
	metricsAddr := fs.String("metrics-addr", "", "")
	healthAddr := fs.String("health-addr", "", "")
	interval := fs.Duration("report-interval", control.DefaultInterval, "")
	session := fs.Duration("session-timeout", 0, "")
	partitions := fs.Int("partitions", -1, "")
	resetState := fs.Bool("reset-state", false, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(pos) != 0 {
		return c.usageError("worker", "worker takes no arguments, got %d", len(pos))
	}
	opts, diags := c.workerBroker(*configFile, *brokers, &v)
	if len(opts) == 0 && !diags.HasErrors() {
		diags = append(diags, errorDiag("worker needs -brokers or a -config file with a broker block"))
	}
	c.showDiags(diags, nil)
	if diags.HasErrors() {
		return 1
	}
	if *session > 0 {
		opts = append(opts, kgo.SessionTimeout(*session), kgo.HeartbeatInterval(*session/3))
	}
	if *stateDir == "" {
		*stateDir = ".pipeline/worker"
	}
	host, _ := os.Hostname()
	id := *instance
	if id == "" {
		id = host
	}
	level := slog.LevelInfo
	if c.getenv("PIPELINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(c.Stderr, &slog.HandlerOptions{Level: level}))
	metrics := worker.NewMetrics()
	var ready atomic.Bool
	health := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "reading the control topic", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	for _, srv := range []struct {
		addr    string
		metrics bool
	}{{*metricsAddr, true}, {*healthAddr, false}} {
		if srv.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", srv.addr)
		if err != nil {
			c.showDiags(diagsOf(errorDiag("Cannot listen on %s: %v", srv.addr, err)), nil)
			return 1
		}
		mux := http.NewServeMux()
		mux.Handle("/healthz", health)
		if srv.metrics {
			mux.Handle("/metrics", metrics.Handler())
		}
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		logger.Info("listening", "addr", ln.Addr().String(), "metrics", srv.metrics)
	}
	stageOpts := []worker.Option{
		worker.WithMetrics(metrics),
		worker.Logger(logger),
		worker.TopicPartitions(int32(*partitions)),
	}
	if *instance != "" {
		stageOpts = append(stageOpts, worker.InstanceID(*instance))
	}
	if *resetState {
		stageOpts = append(stageOpts, worker.ResetState())
	}
	ctx, stop := c.signalContext()
	defer stop()
	err = control.Serve(ctx, control.Config{
		ClientOptions: opts,
		WorkerID:      id,
		Host:          host,
		Only:          *only,
		StateDir:      *stateDir,
		Interval:      *interval,
		Resolve:       secretResolver(v, c.Env),
		StageOptions:  stageOpts,
		Metrics:       metrics,
		Logger:        logger,
		Ready:         func() { ready.Store(true) },
	})
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Worker stopped: %v (brokers: %s)", err, brokerList(*brokers, *configFile))), nil)
		return 1
	}
	return 0
}

func brokerList(flag, config string) string {
	if flag != "" {
		return flag
	}
	return "from " + config
}

// workerBroker builds the client options of a worker: the broker block of
// the -config file (with its variables), its list replaced by -brokers.
func (m *Meta) workerBroker(configFile, brokers string, v *varFlags) ([]kgo.Opt, hcl.Diagnostics) {
	b := &ir.Broker{Name: "worker"}
	if configFile != "" {
		src, err := os.ReadFile(configFile)
		if err != nil {
			return nil, diagsOf(errorDiag("Cannot read -config: %v", err))
		}
		// The file is loaded as a spec of its own, so that its broker block
		// means exactly what it means in a spec (var.*, env(), sensitive).
		res, diags := lang.LoadFiles(map[string][]byte{
			configFile:     src,
			"<worker>.hcl": []byte(`pipeline "worker" {}` + "\n"),
		}, lang.Options{Vars: v.vars, VarFiles: v.varFiles, Env: m.Env})
		if diags.HasErrors() {
			return nil, diags
		}
		if res.Pipeline == nil || res.Pipeline.Broker == nil {
			return nil, diagsOf(errorDiag("-config %s has no broker block", configFile))
		}
		b = res.Pipeline.Broker
	}
	if brokers != "" {
		b.Brokers = strings.Split(brokers, ",")
	}
	if len(b.Brokers) == 0 {
		return nil, nil
	}
	opts, err := kafka.ClientOptions(b)
	if err != nil {
		return nil, diagsOf(errorDiag("Invalid broker settings: %v", err))
	}
	return opts, nil
}

// secretResolver puts the sensitive variables an order left out back into
// its plan, from this worker's -var, -var-file and PIPELINE_VAR_NAME (in
// increasing precedence: environment, files, flags).
func secretResolver(v varFlags, env []string) control.Resolver {
	return func(o *control.Order, p *ir.Plan) error {
		for _, s := range o.Secrets {
			if s.Kind != "var" {
				return fmt.Errorf("the plan needs the sensitive %s.%s, which a worker cannot supply: make it a sensitive variable", s.Kind, s.Name)
			}
			ty, err := ctyjson.UnmarshalType(s.Type)
			if err != nil {
				return fmt.Errorf("variable %s: %w", s.Name, err)
			}
			val, ok, err := workerVar(s.Name, ty, v, env)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("the plan needs the sensitive variable %q, which this worker was not given: pass it with -var, -var-file or PIPELINE_VAR_%s", s.Name, s.Name)
			}
			if p.Pipeline.Vars == nil {
				p.Pipeline.Vars = map[string]ir.Const{}
			}
			p.Pipeline.Vars[s.Name] = ir.Const{Value: val, Sensitive: true}
		}
		return nil
	}
}

// workerVar finds variable name's value for a worker; values are never
// included in errors.
func workerVar(name string, ty cty.Type, v varFlags, env []string) (cty.Value, bool, error) {
	var raw *string
	var val cty.Value
	found := false
	for _, kv := range env {
		if k, s, ok := strings.Cut(kv, "="); ok && k == "PIPELINE_VAR_"+name {
			raw, found = &s, true
		}
	}
	parseRaw := func(s string) (cty.Value, error) {
		if ty == cty.String {
			return cty.StringVal(s), nil
		}
		expr, diags := hclsyntax.ParseExpression([]byte(s), "-var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("variable %s: the value does not parse as %s", name, ty.FriendlyName())
		}
		x, diags := expr.Value(nil)
		if diags.HasErrors() {
			return cty.NilVal, fmt.Errorf("variable %s: the value is not a constant", name)
		}
		return x, nil
	}
	if raw != nil {
		x, err := parseRaw(*raw)
		if err != nil {
			return cty.NilVal, false, err
		}
		val = x
	}
	for _, path := range v.varFiles {
		f, diags := hclparse.NewParser().ParseHCLFile(path)
		if diags.HasErrors() {
			return cty.NilVal, false, fmt.Errorf("-var-file %s does not parse", path)
		}
		attrs, _ := f.Body.JustAttributes()
		if a := attrs[name]; a != nil {
			x, diags := a.Expr.Value(nil)
			if diags.HasErrors() {
				return cty.NilVal, false, fmt.Errorf("variable %s in %s is not a constant", name, path)
			}
			val, found = x, true
		}
	}
	for _, kv := range v.vars {
		if k, s, ok := strings.Cut(kv, "="); ok && k == name {
			x, err := parseRaw(s)
			if err != nil {
				return cty.NilVal, false, err
			}
			val, found = x, true
		}
	}
	if !found {
		return cty.NilVal, false, nil
	}
	out, err := convert.Convert(val, ty)
	if err != nil {
		return cty.NilVal, false, fmt.Errorf("variable %s: the value is not a %s", name, ty.FriendlyName())
	}
	return out, true, nil
}
