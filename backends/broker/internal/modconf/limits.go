package modconf

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// LimitsEnv is the transform environment variable that tells the module
// how large a record each of its output topics accepts: topic=bytes pairs
// joined by commas, from the topics' max.message.bytes. Apply sets it at
// deploy time, when it can read the cluster's topic configs; the module
// dead-letters an output over its topic's limit as too_large instead of
// handing Redpanda a record it refuses on every retry. Unset, nothing is
// checked.
const LimitsEnv = "PIPELINE_MAX_BYTES"

// EncodeLimits is LimitsEnv's value for limits (topic → bytes; a limit of 0
// or less is left out), in topic order.
func EncodeLimits(limits map[string]int) string {
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(limits)) {
		if n := limits[t]; n > 0 {
			parts = append(parts, t+"="+strconv.Itoa(n))
		}
	}
	return strings.Join(parts, ",")
}

// DecodeLimits parses LimitsEnv's value. Topic names cannot hold "=" or
// ",", so the pairs split unambiguously.
func DecodeLimits(s string) (map[string]int, error) {
	limits := map[string]int{}
	if s == "" {
		return limits, nil
	}
	for _, p := range strings.Split(s, ",") {
		topic, n, ok := strings.Cut(p, "=")
		v, err := strconv.Atoi(n)
		if !ok || topic == "" || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: %q is not topic=bytes", LimitsEnv, p)
		}
		limits[topic] = v
	}
	return limits, nil
}
