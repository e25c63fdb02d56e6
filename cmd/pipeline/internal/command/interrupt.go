package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Interrupts is how the CLI process answers SIGINT and SIGTERM in every
// phase. While a command loads, plans or compiles (CPU work that does not
// watch a context), the first signal ends the process at once: nothing has
// been changed yet. Once the command runs something that stops cleanly (it
// took a context with signalContext), the first signal cancels that
// context and the second ends the process at once. Either way the process
// exits 1 with a message naming the signal: a run must never need kill -9
// (issue 17, item 9).
//
// main creates it; tests leave Meta.Interrupts nil, and commands then
// cancel their context on a signal as before, without exiting the test
// process.
type Interrupts struct {
	stderr io.Writer
	exit   func(int)

	mu       sync.Mutex
	cancels  map[int]context.CancelFunc
	next     int
	stopping bool
}

// NewInterrupts starts answering SIGINT and SIGTERM for the process:
// messages go to stderr, exit ends the process.
func NewInterrupts(stderr io.Writer, exit func(int)) *Interrupts {
	in := &Interrupts{stderr: stderr, exit: exit, cancels: map[int]context.CancelFunc{}}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range ch {
			in.handle(s)
		}
	}()
	return in
}

func (in *Interrupts) handle(s os.Signal) {
	in.mu.Lock()
	defer in.mu.Unlock()
	name := signalName(s)
	switch {
	case in.stopping:
		fmt.Fprintf(in.stderr, "\n%s again: exiting now, without waiting for the stages to stop.\n", name)
		in.exit(1)
	case len(in.cancels) == 0:
		fmt.Fprintf(in.stderr, "\nInterrupted by %s before anything was changed: exiting.\n", name)
		in.exit(1)
	default:
		in.stopping = true
		fmt.Fprintf(in.stderr, "\nInterrupted by %s: stopping (send it again to exit now).\n", name)
		for _, cancel := range in.cancels {
			cancel()
		}
	}
}

func signalName(s os.Signal) string {
	if s == os.Interrupt {
		return "SIGINT"
	}
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return s.String()
}

// signalContext returns a context that SIGINT or SIGTERM cancels, for the
// phase of a command that stops cleanly when it is cancelled; stop ends
// the phase.
func (m *Meta) signalContext() (context.Context, context.CancelFunc) {
	in := m.Interrupts
	if in == nil {
		return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.mu.Lock()
	id := in.next
	in.next++
	in.cancels[id] = cancel
	stopping := in.stopping
	in.mu.Unlock()
	if stopping {
		cancel()
	}
	return ctx, func() {
		in.mu.Lock()
		delete(in.cancels, id)
		in.mu.Unlock()
		cancel()
	}
}
