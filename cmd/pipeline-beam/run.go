package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/ir"
)

// job is one submitted beam stage.
type job struct {
	stage  string
	cfg    *beamconfig.JobConfig
	job    *beambackend.Job
	awaits bool
	done   chan struct{}
}

// serveRun submits every beam stage of req.Plan, reading and writing
// req.Broker, and reports each; then it releases the barriers the core
// names on stdin and reports each awaited job's end, until stdin closes.
//
// A job waits for its upstream stages of this run before a bounded read
// (StopWhenIdle) ends: the beam stages' among themselves here, the others'
// when the core releases them.
func serveRun(ctx context.Context, req *beamclient.Request, control *json.Decoder, ev *events) error {
	p := req.Plan
	if p == nil || p.Pipeline == nil || req.Broker == nil {
		return errors.New("run: the request has no plan or broker")
	}
	cfg, diags := beamconfig.DecodeJobConfig(p.Pipeline)
	if diags.HasErrors() {
		return diags
	}
	run := fmt.Sprintf("%s-%d", p.Pipeline.Name, time.Now().UnixNano())
	barrier := func(stage string) string { return run + "/" + stage }
	conn := kafkaio.Conn{Broker: *req.Broker}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		jobs []*job
		wg   sync.WaitGroup
	)
	stopAll := func() {
		for _, j := range jobs {
			if j.cfg.InProcess() {
				_ = beambackend.Cancel(context.Background(), j.job.Endpoint, j.job.ID)
			}
		}
	}
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBeam {
			continue
		}
		io, err := beambackend.NewKafkaIO(p, st.ID, conn)
		if err != nil {
			stopAll()
			return err
		}
		io.StopWhenIdle = req.StopWhenIdle
		if cfg.Environment == beamconfig.EnvLoopback {
			// Barriers are released in this process, so only workers
			// running here see them; elsewhere a bounded read ends on
			// idleness alone.
			io.WaitFor = upstream(p, st, barrier)
		}
		pipe, err := beambackend.Build(p, st.ID, io)
		if err != nil {
			stopAll()
			return fmt.Errorf("stage %s: %w", st.ID, err)
		}
		// Named by identity, not number, so that a job keeps its name when
		// an unrelated stage is added.
		bj, err := beambackend.Submit(ctx, pipe, p.Pipeline.Name+"-"+p.Pipeline.StageIdentity(st), cfg)
		if err != nil {
			stopAll()
			return fmt.Errorf("stage %s: %w", st.ID, err)
		}
		j := &job{stage: st.ID, cfg: cfg, job: bj, awaits: cfg.InProcess() || cfg.Environment == beamconfig.EnvLoopback || req.StopWhenIdle > 0, done: make(chan struct{})}
		jobs = append(jobs, j)
		if err := ev.send(beamclient.Event{Event: beamclient.EventSubmitted, Stage: st.ID, JobID: bj.ID, Endpoint: bj.Endpoint, Runner: cfg.Runner, InProcess: cfg.InProcess(), Awaits: j.awaits}); err != nil {
			stopAll()
			return err
		}
		if !j.awaits {
			bj.Close() // it runs on: destroy cancels it
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(j.done)
			defer kafkaio.Release(barrier(j.stage))
			done := beamclient.Event{Event: beamclient.EventDone, Stage: j.stage}
			done.Error = doneError(bj.Wait(ctx), ctx.Err())
			_ = ev.send(done)
		}()
	}
	if err := ev.send(beamclient.Event{Event: beamclient.EventReady}); err != nil {
		stopAll()
		return err
	}
	// Follow the core's control lines until it closes stdin: then stop
	// what still runs here (the core is done, or gave up).
	for {
		var c beamclient.Control
		if err := control.Decode(&c); err != nil {
			if !errors.Is(err, io.EOF) {
				ev.fail(fmt.Errorf("read control: %w", err))
			}
			break
		}
		if c.Release != "" {
			kafkaio.Release(barrier(c.Release))
		}
	}
	stopAll()
	cancel()
	wg.Wait()
	return ev.send(beamclient.Event{Event: beamclient.EventOK})
}

// upstream returns, per input topic of beam stage st, the barriers of the
// stages that write it in this run.
func upstream(p *ir.Plan, st *ir.Stage, barrier func(string) string) map[string][]string {
	in := map[string]bool{}
	for _, id := range st.Operators {
		in[id] = true
	}
	wait := map[string][]string{}
	for _, ch := range p.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if !in[ch.To] || in[prod] {
			continue
		}
		if up := p.StageOf(prod); up != nil {
			wait[ch.Topic] = append(wait[ch.Topic], barrier(up.ID))
		}
	}
	return wait
}

// doneError is the reason an awaited job's done event carries: none when
// the job finished, the job's error when it failed, and a stop when this
// process was told to stop first (a signal, or the core closing the control
// stream) — a job cut short must not read as finished, or the core would
// report a run with partial output as complete.
func doneError(waitErr, stopped error) string {
	switch {
	case waitErr == nil:
		return ""
	case stopped != nil:
		return "pipeline-beam was stopped before the job finished"
	default:
		return waitErr.Error()
	}
}
