package broker

import (
	"context"
	"fmt"
	"sync"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// Host compiles the artifact's module in rt for local runs. Every stage's
// module is the generic module plus its configuration, so they share one
// compilation (wasmhost.ReservedArea): the first stage compiles, the
// others start at once.
func (a *Artifact) Host(ctx context.Context, rt *wasmhost.Runtime) (*wasmhost.Module, error) {
	m, err := rt.Compile(ctx, a.Module(), wasmhost.ReservedArea([]byte(modconf.Marker), modconf.Size, ' '))
	if err != nil {
		return nil, fmt.Errorf("broker: stage %s: %w", a.Stage, err)
	}
	return m, nil
}

// Transform is how the local host runs the artifact: as Redpanda would
// deploy it, with what each output topic means to the stage.
func (a *Artifact) Transform() wasmhost.Transform {
	return wasmhost.Transform{
		Config:          wasmhost.Config{InputTopic: a.InputTopic, OutputTopics: a.OutputTopics, Env: a.Env},
		Stream:          a.InputStream,
		Targets:         a.Targets,
		DeadLetterTopic: a.DeadLetterTopic,
	}
}

// LocalEngines returns the worker's engine factory for broker stages run
// locally: each stage is compiled once, and each partition group runs its
// own instance of the module, as Redpanda runs one per input partition.
func LocalEngines(rt *wasmhost.Runtime) worker.EngineFactory {
	type stage struct {
		mod *wasmhost.Module
		t   wasmhost.Transform
	}
	var (
		mu     sync.Mutex
		stages = map[string]*stage{}
	)
	return func(ctx context.Context, p *ir.Plan, stageID string) (worker.Engine, error) {
		mu.Lock()
		s := stages[stageID]
		if s == nil {
			a, err := Compile(p, stageID)
			if err != nil {
				mu.Unlock()
				return nil, err
			}
			m, err := a.Host(ctx, rt)
			if err != nil {
				mu.Unlock()
				return nil, err
			}
			s = &stage{mod: m, t: a.Transform()}
			stages[stageID] = s
		}
		mu.Unlock()
		return wasmhost.NewEngine(ctx, s.mod, s.t)
	}
}
