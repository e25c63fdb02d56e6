// Package modconf is the contract between Compile and the generic transform
// module: the configuration a broker stage places into the module's
// reserved data, and how it is found there. Both sides link it, so it must
// build for GOOS=wasip1 and stay free of I/O.
package modconf

import (
	"encoding/json"
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Marker precedes the reserved configuration bytes in the module. It
// appears nowhere else in the module: Compile checks that it finds it once.
const Marker = "\x00pipeline:broker-stage-config:5b0e2c7d\x00"

// Size is the number of reserved bytes after Marker: the largest encoded
// Config a module can carry.
const Size = 64 << 10

// Version is the version of Config's encoding. The module refuses another.
const Version = 1

// Config is what the generic module runs: one stage of a plan.
type Config struct {
	Version int `json:"version"`
	// Plan holds the stage, the operators it runs and those whose schemas
	// its channel inputs carry, the channels it reads and writes, and the
	// pipeline's variables and locals. Nothing else: no credentials, no
	// tests, no backend settings.
	Plan  *ir.Plan `json:"plan"`
	Stage string   `json:"stage"`
	// Stream is the stream ID of the transform's input topic.
	Stream     string `json:"stream"`
	InputTopic string `json:"input_topic"`
	// DeadLetterTopic receives records that fail to decode or evaluate.
	DeadLetterTopic string `json:"dead_letter_topic"`
	// Taps are tapped streams and the output topics their records go to
	// (tests only).
	Taps map[string]string `json:"taps,omitempty"`
}

// Encode returns c's encoding, which must fit in Size bytes.
func Encode(c *Config) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode module config: %w", err)
	}
	if len(b) > Size {
		return nil, fmt.Errorf("module config is %d bytes, more than the %d the module reserves", len(b), Size)
	}
	return b, nil
}

// Decode parses the reserved bytes: an encoded Config padded with spaces.
func Decode(b []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode module config: %w", err)
	}
	if c.Version != Version {
		return nil, fmt.Errorf("module config version %d, this module reads %d", c.Version, Version)
	}
	if c.Plan == nil || c.Plan.Pipeline == nil {
		return nil, fmt.Errorf("module config has no plan")
	}
	return &c, nil
}
