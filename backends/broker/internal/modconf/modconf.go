// Package modconf is the contract between Compile and the generic transform
// module: the configuration a broker stage places into the module's
// reserved data, and how it is found there. Both sides link it, so it must
// build for GOOS=wasip1 and stay free of I/O.
package modconf

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Marker precedes the reserved configuration bytes in the module. It
// appears nowhere else in the module: Compile checks that it finds it once.
const Marker = "\x00pipeline:broker-stage-config:5b0e2c7d\x00"

// Size is the number of reserved bytes after Marker: the largest encoded
// Config a module can carry.
const Size = 64 << 10

// Version is the version of Config's encoding. The module refuses another.
// Version 2: the JSON is deflated behind its length, and sensitive values
// come from the environment (Secrets).
const Version = 2

// lenDigits is the width of the decimal length that precedes the deflated
// configuration in the reserved bytes.
const lenDigits = 8

// Config is what the generic module runs: one stage of a plan.
type Config struct {
	Version int `json:"version"`
	// Plan holds the stage, the operators it runs and those whose schemas
	// its channel inputs carry (schemas only), the channels it reads and
	// writes, and the variables and locals its expressions read. Nothing
	// else: no credentials, no tests, no backend settings, no other
	// stage's operators or constants. A sensitive variable or local is
	// there with a null value of its type: Resolve fills it in from the
	// environment.
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
	// Secrets maps each sensitive constant the stage reads ("var.NAME",
	// "local.NAME") to the environment variable that carries its value as
	// JSON (cty's encoding of the constant's type). The transform's
	// environment is set at deploy time: the module never holds it.
	Secrets map[string]string `json:"secrets,omitempty"`
}

// SecretEnvName is the environment variable that carries constant ref
// ("var.NAME" or "local.NAME").
func SecretEnvName(ref string) string {
	scope, name, _ := strings.Cut(ref, ".")
	return "PIPELINE_SECRET_" + strings.ToUpper(scope) + "_" + name
}

// EncodeSecret is the environment value that carries v.
func EncodeSecret(v cty.Value) (string, error) {
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "", fmt.Errorf("encode sensitive value: %w", err)
	}
	return string(b), nil
}

// Resolve fills in the sensitive constants from the environment that
// lookup reads. A missing or malformed variable is an error naming it,
// never its value.
func (c *Config) Resolve(lookup func(string) (string, bool)) error {
	pl := c.Plan.Pipeline
	for ref, env := range c.Secrets {
		scope, name, _ := strings.Cut(ref, ".")
		m := pl.Vars
		if scope == "local" {
			m = pl.Locals
		}
		k, ok := m[name]
		if !ok || (scope != "var" && scope != "local") {
			return fmt.Errorf("module config: secret %s names no constant", ref)
		}
		s, ok := lookup(env)
		if !ok {
			return fmt.Errorf("%s is not set: it carries sensitive %s", env, ref)
		}
		v, err := ctyjson.Unmarshal([]byte(s), k.Value.Type())
		if err != nil {
			return fmt.Errorf("%s does not hold a %s for sensitive %s", env, k.Value.Type().FriendlyName(), ref)
		}
		m[name] = ir.Const{Value: v, Sensitive: true}
	}
	return nil
}

// Encode returns c's encoding, which must fit in Size bytes: its JSON,
// deflated (a stage of hundreds of operators repeats the same schemas and
// keys), behind the compressed length in lenDigits decimal digits.
func Encode(c *Config) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode module config: %w", err)
	}
	var z bytes.Buffer
	z.WriteString(strings.Repeat("0", lenDigits))
	w, _ := flate.NewWriter(&z, flate.BestCompression) // the level is valid
	_, _ = w.Write(b)                                  // a bytes.Buffer does not fail
	_ = w.Close()
	out := z.Bytes()
	if len(out) > Size {
		return nil, fmt.Errorf("module config is %d bytes (%d before compression), more than the %d the module reserves", len(out), len(b), Size)
	}
	copy(out, fmt.Sprintf("%0*d", lenDigits, len(out)-lenDigits))
	return out, nil
}

// JSON returns the configuration's JSON from the reserved bytes (an
// encoded Config padded with spaces).
func JSON(b []byte) ([]byte, error) {
	if len(b) < lenDigits {
		return nil, fmt.Errorf("decode module config: %d bytes", len(b))
	}
	n, err := strconv.Atoi(string(b[:lenDigits]))
	if err != nil || n < 0 || n > len(b)-lenDigits {
		return nil, fmt.Errorf("decode module config: bad length %q", b[:lenDigits])
	}
	j, err := io.ReadAll(flate.NewReader(bytes.NewReader(b[lenDigits : lenDigits+n])))
	if err != nil {
		return nil, fmt.Errorf("decode module config: %w", err)
	}
	return j, nil
}

// Decode parses the reserved bytes: an encoded Config padded with spaces.
func Decode(b []byte) (*Config, error) {
	j, err := JSON(b)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(j, &c); err != nil {
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
