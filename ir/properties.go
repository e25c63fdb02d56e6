package ir

// Properties are what the optimizer needs to know about an operator to decide
// where it may run, independent of any backend.
type Properties struct {
	Stateless    bool   `json:"stateless"`     // keeps no state across records
	SingleRecord bool   `json:"single_record"` // output depends on one input record only
	Keyed        bool   `json:"keyed"`         // state partitioned by a key
	Windowed     bool   `json:"windowed"`      // event-time windows or time bounds
	Inputs       int    `json:"inputs"`
	Outputs      int    `json:"outputs"`
	Delivery     string `json:"delivery,omitempty"` // required by a sink
	Bounded      bool   `json:"bounded,omitempty"`  // a file source
}

// PerRecord reports whether the operator handles each record on its own and
// keeps nothing between records: what a backend without state can host and
// what the stateless operator core runs. Backends ask this (through
// optimizer.Capabilities.Hosts) instead of listing kinds.
func (p Properties) PerRecord() bool { return p.Stateless && p.SingleRecord }

// Properties derives the operator's properties from its kind and spec.
func (op *Operator) Properties() Properties {
	p := Properties{Inputs: len(op.Inputs), Outputs: len(op.Streams())}
	switch op.Kind {
	case KindSource:
		p.Stateless, p.SingleRecord = true, true
		if op.Source != nil {
			p.Bounded = op.Source.File != ""
			// A table source is materialized as latest value per key.
			if op.Source.Table {
				p.Stateless, p.SingleRecord, p.Keyed = false, false, true
			}
		}
	case KindFilter, KindMap, KindRoute:
		p.Stateless, p.SingleRecord = true, true
	case KindSink:
		p.Stateless, p.SingleRecord = true, true
		if op.Sink != nil {
			p.Delivery = op.Sink.Delivery
		}
	case KindJoin:
		p.Keyed = true
		p.Windowed = op.Join != nil && op.Join.WithinMs > 0
	case KindDedupe:
		p.Keyed, p.Windowed = true, true
	case KindAggregate, KindTop:
		p.Keyed, p.Windowed = true, true
	}
	return p
}
