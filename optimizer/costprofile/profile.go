package costprofile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"runtime"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// FormatVersion is the version of the cost profile format.
const FormatVersion = "1"

// DefaultFile is the profile's name beside the spec, where plan finds it.
const DefaultFile = "cost-profile.json"

// Profile is what calibration measured on one machine.
type Profile struct {
	FormatVersion string `json:"format_version"`
	// Pipeline is the name of the spec whose operators were measured.
	Pipeline string `json:"pipeline"`
	// MeasuredAt is when, in RFC 3339 (UTC).
	MeasuredAt string  `json:"measured_at"`
	Machine    Machine `json:"machine"`
	// Duration is how long each operator kind was measured ("500ms").
	Duration string `json:"duration"`
	// Backends holds, per backend, the measured operator kinds. A backend
	// or kind that is absent keeps its built-in default cost.
	Backends map[string]Measurements `json:"backends"`
}

// Machine describes where a profile was measured.
type Machine struct {
	Cores     int    `json:"cores"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GoVersion string `json:"go_version"`
}

// ThisMachine describes the machine this process runs on.
func ThisMachine() Machine {
	return Machine{Cores: runtime.NumCPU(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version()}
}

// Measurements are one backend's measured kinds.
type Measurements map[ir.Kind]Measurement

// Measurement is the CPU cost of one operator kind on one backend.
//
// It is the process CPU time (all threads, garbage collection included) per
// input record of the operator running as a stage of its own on the
// backend, its input decoded from and its output encoded to JSON as on a
// channel: every backend is measured the same way, so their costs compare.
type Measurement struct {
	NsPerRecord float64 `json:"cpu_ns_per_record"`
	// Operator is the spec's operator that was measured.
	Operator string `json:"operator"`
	// Records is how many input records the measurement covers.
	Records int64 `json:"records"`
}

// Calibration is what a Calibrator is asked to do.
type Calibration struct {
	// Duration is how long to measure each operator kind.
	Duration time.Duration
	// Started and Measured, when set, are called before and after each
	// measurement, to show progress: calibration takes seconds.
	Started  func(kind ir.Kind, operator string)
	Measured func(kind ir.Kind, m Measurement)
}

// Calibrator measures one backend on this machine by running p's own
// operators (one of each kind p has) on synthetic records generated from
// their input schemas. Each backend package that can measure itself offers
// one. An error means the backend could not be calibrated here; it keeps its
// defaults.
type Calibrator func(ctx context.Context, p *ir.Pipeline, c Calibration) (Measurements, error)

// Apply returns caps with the profile's measured CPU costs for backend in
// place of the defaults. The profile may be nil.
func (p *Profile) Apply(backend string, caps optimizer.Capabilities) optimizer.Capabilities {
	if p == nil || len(p.Backends[backend]) == 0 {
		return caps
	}
	cpu := maps.Clone(caps.Costs.CPUPerRecord)
	if cpu == nil {
		cpu = map[ir.Kind]float64{}
	}
	for kind, m := range p.Backends[backend] {
		cpu[kind] = m.NsPerRecord * 1e-9 // Costs are in CPU-seconds
	}
	caps.Costs.CPUPerRecord = cpu
	return caps
}

// Ref identifies the profile read from file with contents src, for a plan.
func (p *Profile) Ref(file string, src []byte) *ir.CostProfile {
	return &ir.CostProfile{File: file, Hash: ir.Hash(src), MeasuredAt: p.MeasuredAt, Cores: p.Machine.Cores}
}

// Encode returns the profile's deterministic JSON: sorted keys, two-space
// indent, costs rounded to a tenth of a nanosecond, a final newline.
func (p *Profile) Encode() ([]byte, error) {
	c := *p
	c.Backends = make(map[string]Measurements, len(p.Backends))
	for b, ms := range p.Backends {
		rounded := make(Measurements, len(ms))
		for k, m := range ms {
			m.NsPerRecord = math.Round(m.NsPerRecord*10) / 10
			rounded[k] = m
		}
		c.Backends[b] = rounded
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encode cost profile: %w", err)
	}
	return buf.Bytes(), nil
}
