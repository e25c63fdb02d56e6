package beam

import (
	"fmt"
	"math"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Session aggregates run in the keyed DoFn rather than on Beam's Sessions
// window function, for two reasons. Runners merge session windows their
// own way (Prism merges windows that only touch, [0,10) and [10,20), which
// eval.MergeSessions keeps apart, and merges only what one firing of the
// GroupByKey holds, so a key's records that reach it in separate bundles
// can end up in separate panes), while a session must mean what eval says
// on every backend. And native fires a session once the watermark passes
// its end: a later record that would have overlapped it starts a new
// session, which only the arrival order (Record.Seq) can tell.

// session is one open session window of a key and its accumulator
// (eval.Acc.MarshalBinary).
type session struct {
	Start, End int64
	Acc        []byte
}

// session adds a record to its key's sessions, as native does: sessions
// the watermark the record arrived under has closed fire first; then the
// record's proto-session [ts, ts+gap) merges with the open sessions it
// overlaps (eval.MergeSessions), their accumulators folded in start order
// and the record's last. assignFn has dead-lettered late records already.
func (k *keyed) session(el element) error {
	a, agg := k.c.op.Aggregate, k.c.agg
	if err := k.fireSessions(satSub(el.WmMs, a.AllowedLatenessMs)); err != nil {
		return err
	}
	r, err := decode(k.c.in[0], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
	}
	racc := agg.NewAcc()
	if err := agg.Add(racc, eval.Frame{r}, el.TsMs); err != nil {
		k.dead(el.deadLetter(k.c.op.ID, ReasonEval, err))
		return nil
	}
	iv := eval.Interval{Start: el.TsMs, End: satAdd(el.TsMs, a.Window.GapMs)}
	ivs := []eval.Interval{iv}
	for _, s := range k.ks.Sessions {
		ivs = append(ivs, eval.Interval{Start: s.Start, End: s.End})
	}
	var m eval.Interval
	for _, c := range eval.MergeSessions(ivs) {
		if c.Start <= iv.Start && iv.End <= c.End {
			m = c
			break
		}
	}
	var acc *eval.Acc
	keep := k.ks.Sessions[:0]
	for _, s := range k.ks.Sessions {
		if s.Start < m.Start || s.End > m.End {
			keep = append(keep, s)
			continue
		}
		sacc, err := eval.UnmarshalAcc(agg, s.Acc)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
		}
		if acc == nil {
			acc = sacc
		} else {
			agg.Merge(acc, sacc)
		}
	}
	if acc == nil {
		acc = racc
	} else {
		agg.Merge(acc, racc)
	}
	b, err := acc.MarshalBinary()
	if err != nil {
		return err
	}
	k.ks.Sessions = append(keep, session{Start: m.Start, End: m.End, Acc: b})
	slices.SortFunc(k.ks.Sessions, func(x, y session) int { return cmpInt(x.Start, y.Start) })
	return nil
}

// fireSessions emits the key's sessions that end at or before upTo, in end
// order, and forgets them.
func (k *keyed) fireSessions(upTo int64) error {
	if len(k.ks.Sessions) == 0 || k.ks.Sessions[0].End > upTo {
		return nil
	}
	agg := k.c.agg
	key, err := eval.DecodeJSON(agg.KeyLayout(), []byte(k.key))
	if err != nil {
		return fmt.Errorf("beam: %s: key: %w", k.c.op.ID, err)
	}
	keep := k.ks.Sessions[:0]
	for _, s := range k.ks.Sessions {
		if s.End > upTo {
			keep = append(keep, s)
			continue
		}
		acc, err := eval.UnmarshalAcc(agg, s.Acc)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
		}
		r := agg.Result(key, acc, eval.Interval{Start: s.Start, End: s.End})
		if err := eval.FiniteRecord(r); err != nil {
			k.dead(windowDeadLetter(k.c.op.ID, eval.Interval{Start: s.Start, End: s.End}, err))
			continue
		}
		k.out(element{Value: r.AppendJSON(nil), TsMs: s.End - 1, WmMs: math.MinInt64, OriginStream: k.c.op.ID})
	}
	k.ks.Sessions = keep
	return nil
}
