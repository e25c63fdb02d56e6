package native

import (
	"math"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// noState is embedded by operators without time-driven state.
type noState struct{}

func (noState) advance(*Engine, int64) error { return nil }
func (noState) drain(*Engine) error          { return nil }
func (noState) save(*Engine) error           { return nil }
func (noState) load(*Engine) error           { return nil }

// dedupeNode drops a record whose key was seen within WithinMs of its event
// time. State: 'd'+key → first-seen event time, and a time index
// 't'+time+key that a periodic sweep uses to expire keys once the watermark
// has passed time+within (expiry only reclaims space: the time comparison
// alone decides duplicates).
type dedupeNode struct {
	op        *ir.Operator
	key       *eval.Program
	out       *route
	within    int64
	prefix    []byte
	nextSweep int64
	kbuf      []byte
}

func (n *dedupeNode) operator() *ir.Operator { return n.op }

func (n *dedupeNode) stateKey(tag byte, k []byte) []byte {
	b := append(append(n.kbuf[:0], n.prefix...), tag)
	n.kbuf = append(b, k...)
	return n.kbuf
}

func (n *dedupeNode) push(e *Engine, _ int, x rec) error {
	v, err := n.key.Eval(eval.Frame{x.r})
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	if v.Kind == eval.KindNull {
		return e.deadLetter(n.op.ID, ReasonNullKey, errNullKey)
	}
	kb := appendKey(nil, v)
	sk := n.stateKey('d', kb)
	en, err := e.st.get(sk)
	if err != nil {
		return err
	}
	if en != nil && len(en.val) == 8 {
		seen := readTime(en.val)
		d := x.ts - seen
		if d < 0 {
			d = -d
		}
		if d <= n.within {
			return nil
		}
	}
	e.st.set(sk, appendTime(nil, x.ts), nil)
	idx := appendTime(append(append([]byte(nil), n.prefix...), 't'), x.ts)
	e.st.set(append(idx, kb...), nil, nil)
	return e.emit(n.out, x)
}

func (n *dedupeNode) advance(e *Engine, wm int64) error {
	if wm < n.nextSweep {
		return nil
	}
	step := n.within
	if step < 1000 {
		step = 1000
	}
	n.nextSweep = wm + step
	return n.sweep(e, wm)
}

// sweep deletes keys whose first-seen time + within is before wm.
func (n *dedupeNode) sweep(e *Engine, wm int64) error {
	if wm == math.MinInt64 {
		return nil
	}
	lo := append(append([]byte(nil), n.prefix...), 't')
	cut := wm - n.within
	if cut > wm { // overflow
		return nil
	}
	hi := appendTime(append([]byte(nil), lo...), cut)
	var expired [][]byte
	err := e.st.scan(lo, hi, func(k, _ []byte) error {
		expired = append(expired, append([]byte(nil), k...))
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range expired {
		ts := readTime(k[len(lo):])
		kb := k[len(lo)+8:]
		sk := append(append(append([]byte(nil), n.prefix...), 'd'), kb...)
		en, err := e.st.get(sk)
		if err != nil {
			return err
		}
		if en != nil && len(en.val) == 8 && readTime(en.val) == ts {
			e.st.del(sk)
		}
		e.st.del(k)
	}
	return nil
}

func (n *dedupeNode) drain(*Engine) error { return nil }
func (n *dedupeNode) save(e *Engine) error {
	e.saveInt(n.prefix, "sweep", n.nextSweep)
	return nil
}
func (n *dedupeNode) load(e *Engine) error {
	v, err := e.loadInt(n.prefix, "sweep", math.MinInt64)
	n.nextSweep = v
	return err
}
