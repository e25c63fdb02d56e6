package broker

import (
	"fmt"
	"maps"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
)

// SetTopicLimits tells the transform how large a record each of its output
// topics (the dead-letter topic included) accepts, from limits (topic →
// the topic's max.message.bytes; a topic not in it is not checked): the
// module then dead-letters an output over its topic's limit as too_large,
// and cuts a dead letter to fit, instead of failing on it forever. Apply
// calls it at deploy time, when it can read the cluster's topic configs;
// the limits travel in the transform's environment (modconf.LimitsEnv),
// so a changed limit redeploys the transform, and the module is
// unchanged. When the environment would exceed Redpanda's limits, the
// artifact is left as it was and the error says why.
func (a *Artifact) SetTopicLimits(limits map[string]int) error {
	mine := map[string]int{}
	for _, t := range a.OutputTopics {
		if n := limits[t]; n > 0 {
			mine[t] = n
		}
	}
	env := maps.Clone(a.Env)
	if env == nil {
		env = map[string]string{}
	}
	delete(env, modconf.LimitsEnv)
	if len(mine) > 0 {
		env[modconf.LimitsEnv] = modconf.EncodeLimits(mine)
	}
	if err := CheckEnv(env); err != nil {
		return fmt.Errorf("transform %s: output topic limits: %w", a.Name, err)
	}
	a.Env = env
	return nil
}
