package beamclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Client runs pipeline-beam commands. The zero value finds the binary with
// a zero Locator and logs to os.Stderr.
type Client struct {
	Locator *Locator
	// Stderr receives pipeline-beam's log (default os.Stderr).
	Stderr io.Writer
	// Env is the environment of pipeline-beam (default: this process's).
	Env []string
}

var defaultLocator Locator

func (c *Client) locator() *Locator {
	if c.Locator != nil {
		return c.Locator
	}
	return &defaultLocator
}

// proc is one running pipeline-beam command.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events *json.Decoder
	mu     sync.Mutex // serializes writes to stdin
}

// start starts `pipeline-beam command` and writes req.
func (c *Client) start(ctx context.Context, command string, req Request) (*proc, error) {
	bin, err := c.locator().Find()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, command)
	cmd.Env = c.Env
	cmd.Stderr = c.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, stdin: stdin, events: json.NewDecoder(bufio.NewReader(stdout))}
	req.Protocol = ProtocolVersion
	if err := p.write(req); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *proc) write(v any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = p.stdin.Write(append(b, '\n'))
	if err != nil {
		return fmt.Errorf("%s: %w", Binary, err)
	}
	return nil
}

// next reads the next event; at the end of its output it reports how the
// process exited.
func (p *proc) next() (Event, error) {
	var ev Event
	if err := p.events.Decode(&ev); err != nil {
		werr := p.cmd.Wait()
		if werr == nil {
			werr = errors.New("it ended without a result")
		}
		if !errors.Is(err, io.EOF) {
			werr = errors.Join(fmt.Errorf("read its output: %w", err), werr)
		}
		return Event{}, fmt.Errorf("%s: %w", Binary, werr)
	}
	return ev, nil
}

// stop closes stdin (the command's cue to stop what it runs) and waits.
func (p *proc) stop() error {
	p.mu.Lock()
	p.stdin.Close()
	p.mu.Unlock()
	_, _ = io.Copy(io.Discard, p.events.Buffered())
	return p.cmd.Wait()
}

// call runs a command to its final event, passing the others to progress.
func (c *Client) call(ctx context.Context, command string, req Request, progress func(Event)) (Event, error) {
	p, err := c.start(ctx, command, req)
	if err != nil {
		return Event{}, err
	}
	p.stdin.Close()
	for {
		ev, err := p.next()
		if err != nil {
			return Event{}, err
		}
		switch ev.Event {
		case EventOK, EventError:
			_ = p.cmd.Wait()
			return ev, nil
		}
		if progress != nil {
			progress(ev)
		}
	}
}

// TestRunner runs test blocks on Beam through pipeline-beam: each test is
// one Prism job there. It implements testrun.Runner.
type TestRunner struct{ Client *Client }

var _ testrun.Runner = TestRunner{}

func (r TestRunner) Run(ctx context.Context, p *ir.Pipeline, t *ir.Test, taps []string) (testrun.Outputs, error) {
	c := r.Client
	if c == nil {
		c = &Client{}
	}
	ev, err := c.call(ctx, CommandTest, Request{Pipeline: p, Test: t.Name, Taps: taps}, nil)
	switch {
	case err != nil:
		return testrun.Outputs{}, err
	case ev.Skip != "":
		return testrun.Outputs{}, &testrun.SkipError{Reason: ev.Skip}
	case ev.Event == EventError:
		return testrun.Outputs{}, errors.New(ev.Error)
	case ev.Outputs == nil:
		return testrun.Outputs{}, nil
	}
	return *ev.Outputs, nil
}

// Calibrate measures the beam backend in pipeline-beam (on Prism there).
// It implements costprofile.Calibrator.
func (c *Client) Calibrate(ctx context.Context, p *ir.Pipeline, cal costprofile.Calibration) (costprofile.Measurements, error) {
	ev, err := c.call(ctx, CommandCalibrate, Request{Pipeline: p, Duration: cal.Duration}, func(ev Event) {
		switch {
		case ev.Event == EventStarted && cal.Started != nil:
			cal.Started(ev.Kind, ev.Operator)
		case ev.Event == EventMeasured && cal.Measured != nil && ev.Measurement != nil:
			cal.Measured(ev.Kind, *ev.Measurement)
		}
	})
	if err != nil {
		return nil, err
	}
	if ev.Event == EventError {
		return nil, errors.New(ev.Error)
	}
	return ev.Measurements, nil
}

// Cancel cancels job id at the job service at endpoint. A job that already
// finished, or that the service no longer knows, counts as cancelled.
func (c *Client) Cancel(ctx context.Context, endpoint, id string) error {
	ev, err := c.call(ctx, CommandCancel, Request{Endpoint: endpoint, JobID: id}, nil)
	if err != nil {
		return err
	}
	if ev.Event == EventError {
		return errors.New(ev.Error)
	}
	return nil
}

// JobState returns the job service's state of job id at endpoint, such as
// "RUNNING" or "FAILED", for pipeline status.
func (c *Client) JobState(ctx context.Context, endpoint, id string) (string, error) {
	ev, err := c.call(ctx, CommandState, Request{Endpoint: endpoint, JobID: id}, nil)
	if err != nil {
		return "", err
	}
	if ev.Event == EventError {
		return "", errors.New(ev.Error)
	}
	return ev.JobState, nil
}

// Run is a `run` in progress: the beam stages of one apply or run.
type Run struct {
	p *proc
	// Jobs are the submitted stages, in plan order.
	Jobs []Event

	mu   sync.Mutex
	done map[string]chan struct{} // per awaited stage, closed when it finished
	errs map[string]error
	exit chan struct{} // closed when the event reader stopped
	perr error         // why the process ended early, if it did
}

// Start submits p's beam stages, reading and writing broker b's topics,
// and returns once every job was accepted.
func (c *Client) Start(ctx context.Context, p *ir.Plan, b *ir.Broker, stopWhenIdle time.Duration) (*Run, error) {
	pr, err := c.start(ctx, CommandRun, Request{Plan: p, Broker: b, StopWhenIdle: stopWhenIdle})
	if err != nil {
		return nil, err
	}
	r := &Run{p: pr, done: map[string]chan struct{}{}, errs: map[string]error{}, exit: make(chan struct{})}
	for {
		ev, err := pr.next()
		if err != nil {
			return nil, err
		}
		switch ev.Event {
		case EventSubmitted:
			r.Jobs = append(r.Jobs, ev)
			if ev.Awaits {
				r.done[ev.Stage] = make(chan struct{})
			}
			continue
		case EventError:
			_ = pr.stop()
			return nil, errors.New(ev.Error)
		case EventReady:
		default:
			continue
		}
		break
	}
	go r.read()
	return r, nil
}

// read follows the run's events until pipeline-beam exits; a job it never
// reported done then failed with the reason.
func (r *Run) read() {
	defer close(r.exit)
	for {
		ev, err := r.p.next()
		if err != nil {
			r.finish(err)
			return
		}
		if ev.Event == EventDone {
			r.mu.Lock()
			if ch, ok := r.done[ev.Stage]; ok {
				if ev.Error != "" {
					r.errs[ev.Stage] = errors.New(ev.Error)
				}
				close(ch)
				delete(r.done, ev.Stage)
			}
			r.mu.Unlock()
		}
		if ev.Event == EventOK || ev.Event == EventError {
			var err error
			if ev.Error != "" {
				err = errors.New(ev.Error)
			}
			_ = r.p.cmd.Wait()
			r.finish(err)
			return
		}
	}
}

func (r *Run) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.perr = err
	for stage, ch := range r.done {
		if err == nil {
			err = errors.New("pipeline-beam stopped before the job finished")
		}
		r.errs[stage] = err
		close(ch)
		delete(r.done, stage)
	}
}

// Done returns a channel closed when the awaited job of stage finished
// (nil when the stage is not awaited).
func (r *Run) Done(stage string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch, ok := r.done[stage]; ok {
		return ch
	}
	for _, j := range r.Jobs {
		if j.Stage == stage && j.Awaits {
			ch := make(chan struct{})
			close(ch)
			return ch
		}
	}
	return nil
}

// Err is why stage's job failed, once Done is closed.
func (r *Run) Err(stage string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs[stage]
}

// Release tells pipeline-beam that stage finished outside it.
func (r *Run) Release(stage string) {
	_ = r.p.write(Control{Release: stage})
}

// Close stops what still runs in pipeline-beam and waits for it to exit.
func (r *Run) Close() error {
	r.p.mu.Lock()
	r.p.stdin.Close()
	r.p.mu.Unlock()
	<-r.exit
	return r.perr
}
