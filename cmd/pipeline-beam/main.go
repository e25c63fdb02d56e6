// Command pipeline-beam is the beam backend of pipeline, in a binary of its
// own so that the core pipeline binary links no Beam SDK and no cloud SDK
// (as Terraform keeps providers out of its core). The core finds or builds
// it (backends/beam/beamclient) and runs it when a plan has beam stages; it
// speaks the protocol documented there: one JSON request on stdin, JSON
// event lines on stdout, its log on stderr.
//
// It translates and submits beam stages (Prism in-process or a job
// server), runs test blocks and calibration on Prism, cancels jobs, and is
// the binary staged as a job's worker: a runner starts it with --worker.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "v0.1.0-dev"

func main() {
	args := os.Args[1:]
	if beambackend.IsWorker(args) {
		beambackend.WorkerMain(args) // does not return
	}
	if len(args) != 1 {
		usage()
	}
	switch args[0] {
	case "protocol":
		fmt.Println(beamclient.ProtocolVersion)
		return
	case "version":
		fmt.Printf("pipeline-beam %s (protocol %d)\n", version, beamclient.ProtocolVersion)
		return
	case beamclient.CommandRun, beamclient.CommandTest, beamclient.CommandCalibrate, beamclient.CommandCancel, beamclient.CommandState:
	default:
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	setupLogging()
	stopProfile := startProfile()
	err := serve(ctx, args[0], os.Stdin, os.Stdout)
	stopProfile()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pipeline-beam: %v\n", err)
		os.Exit(1)
	}
}

// startProfile writes a CPU profile of the whole process (Prism, the
// LOOPBACK workers and their DoFns run in it) to the file
// PIPELINE_BEAM_CPUPROFILE names, when set, for benchmarks (go tool pprof).
// A concurrent pipeline-beam (a cancel, say) would overwrite it: set it for
// one run at a time.
func startProfile() (stop func()) {
	path := os.Getenv("PIPELINE_BEAM_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pipeline-beam: cpu profile: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "pipeline-beam: cpu profile: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: pipeline-beam protocol|version|run|test|calibrate|cancel|state

pipeline-beam is started by the pipeline binary, which writes a JSON request
to its stdin (protocol %d, see package backends/beam/beamclient).
`, beamclient.ProtocolVersion)
	os.Exit(2)
}

// setupLogging keeps Beam's and Prism's progress chatter (slog's default
// logger) out of the CLI's output unless PIPELINE_LOG=debug.
func setupLogging() {
	beambackend.Init()
	level := slog.LevelWarn
	if os.Getenv("PIPELINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// serve reads one request from in, serves command, and writes events to
// out. An error is the request's failure and ends with an "error" event;
// serve returns an error only when it cannot write.
func serve(ctx context.Context, command string, in io.Reader, out io.Writer) error {
	rd := bufio.NewReader(in)
	dec := json.NewDecoder(rd)
	enc := &events{enc: json.NewEncoder(out)}
	var req beamclient.Request
	if err := dec.Decode(&req); err != nil {
		return enc.fail(fmt.Errorf("read the request: %w", err))
	}
	if req.Protocol != beamclient.ProtocolVersion {
		return enc.fail(fmt.Errorf("the pipeline binary speaks protocol %d, this pipeline-beam %d: install matching versions", req.Protocol, beamclient.ProtocolVersion))
	}
	var err error
	switch command {
	case beamclient.CommandRun:
		err = serveRun(ctx, &req, dec, enc)
	case beamclient.CommandTest:
		err = serveTest(ctx, &req, enc)
	case beamclient.CommandCalibrate:
		err = serveCalibrate(ctx, &req, enc)
	case beamclient.CommandCancel:
		if err = beambackend.Cancel(ctx, req.Endpoint, req.JobID); err == nil {
			err = enc.send(beamclient.Event{Event: beamclient.EventOK})
		}
	case beamclient.CommandState:
		var st string
		if st, err = beambackend.State(ctx, req.Endpoint, req.JobID); err == nil {
			err = enc.send(beamclient.Event{Event: beamclient.EventOK, JobState: st})
		}
	}
	if err != nil {
		return enc.fail(err)
	}
	return nil
}

// events writes event lines; jobs report from several goroutines.
type events struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

func (e *events) send(ev beamclient.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = e.enc.Encode(ev)
	}
	return e.err
}

func (e *events) fail(err error) error {
	return e.send(beamclient.Event{Event: beamclient.EventError, Error: err.Error()})
}
