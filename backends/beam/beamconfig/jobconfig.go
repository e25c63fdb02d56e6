package beamconfig

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Runners a backend "beam" block can name.
const (
	// RunnerPrism is Beam's Go runner: in-process without an endpoint, or
	// a standalone Prism job server with one.
	RunnerPrism = "prism"
	// RunnerFlink, RunnerSpark and RunnerUniversal submit to a Beam job
	// server through the portable JobService API; the names only document
	// which engine serves it.
	RunnerFlink     = "flink"
	RunnerSpark     = "spark"
	RunnerUniversal = "universal"
)

// SDK harness environments: where a runner starts the workers that run the
// pipeline's DoFns.
const (
	// EnvLoopback runs the workers inside the submitting process. Only for a
	// runner on this machine; the job ends when the process does.
	EnvLoopback = "LOOPBACK"
	// EnvProcess has the runner start environment_config's command (Beam's
	// Go boot loader), which fetches the staged worker binary and runs it.
	EnvProcess = "PROCESS"
	// EnvDocker has the runner start a Beam Go SDK container, which fetches
	// the staged worker binary and runs it.
	EnvDocker = "DOCKER"
)

// DefaultDockerImage is the Beam Go SDK container matching the SDK this
// binary is built with: the staged worker binary must speak its protocol.
const DefaultDockerImage = "apache/beam_go_sdk:2.77.0"

// JobConfig is how beam stages run: the settings of the spec's
// backend "beam" block, decoded and checked.
type JobConfig struct {
	Runner string
	// Endpoint is the job server's host:port; "" runs Prism in-process.
	Endpoint string
	// Environment is EnvLoopback, EnvProcess or EnvDocker.
	Environment string
	// EnvironmentConfig is the container image (DOCKER) or the boot
	// command (PROCESS); unused for LOOPBACK.
	EnvironmentConfig string
	// Parallelism caps the runner's parallelism; 0 leaves it to the runner.
	Parallelism int
	// WorkerBinary is the binary staged as the Go worker; "" stages the
	// running binary (os.Executable): pipeline-beam itself.
	WorkerBinary string
}

// InProcess reports whether jobs run on a Prism started in this process.
func (c *JobConfig) InProcess() bool { return c.Endpoint == "" }

// jobSettings are the attributes backend "beam" accepts, with what they
// take. Adding a setting is one row here and one case in DecodeJobConfig.
var jobSettings = map[string]string{
	"runner":             `"prism" (default), "flink", "spark" or "universal"`,
	"endpoint":           `the Beam job server, "host:port" (required unless runner = "prism")`,
	"environment":        `where workers run: "LOOPBACK", "PROCESS" or "DOCKER"`,
	"environment_config": `the Docker image (DOCKER) or {"command": "/path/to/boot"} (PROCESS)`,
	"parallelism":        `the most parallel workers the runner may use`,
	"worker_binary":      `the Go worker binary to stage (default: pipeline-beam itself)`,
}

// DecodeJobConfig decodes and checks the backend "beam" block of p. It
// returns nil and no diagnostics when the beam backend is not enabled, and
// nil with errors when a setting is wrong. Diagnostics point at the block:
// ir.Const does not carry an attribute's own range.
func DecodeJobConfig(p *ir.Pipeline) (*JobConfig, hcl.Diagnostics) {
	if p == nil {
		return nil, nil
	}
	be := p.Backend(ir.BackendBeam)
	if be == nil {
		return nil, nil
	}
	rng := be.Range.HCL()
	var diags hcl.Diagnostics
	bad := func(summary, format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng})
	}
	str := func(name string) string {
		c, ok := be.Attributes[name]
		if !ok {
			return ""
		}
		if c.Value.IsNull() || !c.Value.IsKnown() || c.Value.Type() != cty.String {
			bad("Invalid beam backend setting", "%s: want a string, got %s.", name, c.Value.Type().FriendlyName())
			return ""
		}
		return c.Value.AsString()
	}

	names := make([]string, 0, len(be.Attributes))
	for n := range be.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := jobSettings[n]; !ok {
			bad("Unsupported beam backend setting", "backend \"beam\" has no setting %q. Settings are %s.", n, strings.Join(jobSettingNames(), ", "))
		}
	}

	cfg := &JobConfig{
		Runner:            strings.ToLower(str("runner")),
		Endpoint:          str("endpoint"),
		Environment:       strings.ToUpper(str("environment")),
		EnvironmentConfig: str("environment_config"),
		WorkerBinary:      str("worker_binary"),
	}
	if c, ok := be.Attributes["parallelism"]; ok {
		if c.Value.IsNull() || !c.Value.IsKnown() || c.Value.Type() != cty.Number {
			bad("Invalid beam backend setting", "parallelism: want a whole number, got %s.", c.Value.Type().FriendlyName())
		} else if bf := c.Value.AsBigFloat(); !bf.IsInt() || bf.Sign() <= 0 {
			bad("Invalid beam backend setting", "parallelism: want a positive whole number, got %s.", bf.String())
		} else if n, _ := bf.Int64(); n > 1<<20 {
			bad("Invalid beam backend setting", "parallelism: %d is more than any runner can use.", n)
		} else {
			cfg.Parallelism = int(n)
		}
	}

	switch cfg.Runner {
	case "":
		cfg.Runner = RunnerPrism
	case RunnerPrism, RunnerFlink, RunnerSpark, RunnerUniversal:
	default:
		bad("Invalid beam backend setting", "runner: want %s, got %q.", jobSettings["runner"], cfg.Runner)
	}
	if cfg.Endpoint != "" {
		if _, port, err := net.SplitHostPort(cfg.Endpoint); err != nil || !validPort(port) {
			bad("Invalid beam backend setting", "endpoint: want the job server as \"host:port\" (e.g. \"localhost:8099\"), got %q.", cfg.Endpoint)
		}
	} else if cfg.Runner != RunnerPrism && !diags.HasErrors() {
		bad("Missing beam job server", "runner = %q submits to a Beam job server: set endpoint = \"host:port\" (Flink's job server listens on 8099 by default).", cfg.Runner)
	}

	switch cfg.Environment {
	case "":
		cfg.Environment = EnvLoopback
		if cfg.Runner != RunnerPrism {
			cfg.Environment = EnvDocker
		}
	case EnvLoopback:
		if cfg.Runner != RunnerPrism {
			// Loopback workers live in the submitting process; a cluster's
			// task managers cannot reach them reliably and the job dies
			// with the CLI.
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Loopback environment on a job server",
				Detail: fmt.Sprintf("environment = \"LOOPBACK\" runs the workers inside this pipeline process: runner = %q must reach it, and the job stops when the process does. Use \"DOCKER\" or \"PROCESS\" for a deployment.", cfg.Runner), Subject: &rng})
		}
	case EnvProcess:
		if cfg.EnvironmentConfig == "" {
			bad("Missing beam environment_config", "environment = \"PROCESS\" needs environment_config = \"{\\\"command\\\": \\\"/path/to/boot\\\"}\": the command the runner starts on each worker machine (Beam's Go boot loader, built with go build github.com/apache/beam/sdks/v2/go/container).")
		}
	case EnvDocker:
	default:
		bad("Invalid beam backend setting", "environment: want %s, got %q.", jobSettings["environment"], cfg.Environment)
	}
	if cfg.Environment == EnvDocker && cfg.EnvironmentConfig == "" {
		cfg.EnvironmentConfig = DefaultDockerImage
	}
	if cfg.Environment == EnvLoopback && cfg.EnvironmentConfig != "" {
		bad("Invalid beam backend setting", "environment_config: not used with environment = \"LOOPBACK\".")
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return cfg, diags
}

// ValidateJobConfig checks the backend "beam" block of p, if any.
func ValidateJobConfig(p *ir.Pipeline) hcl.Diagnostics {
	_, diags := DecodeJobConfig(p)
	return diags
}

// validPort reports whether s is a TCP port number.
func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 1<<16
}

func jobSettingNames() []string {
	names := make([]string, 0, len(jobSettings))
	for n := range jobSettings {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
