package beam

import (
	"errors"
	"fmt"
	"math"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// The top operator on Beam: the keyed DoFn holds, per key, one group per
// window (eval.Ranker decides which records a group keeps, as on native),
// and its wake timer fires a group when the watermark reaches its fire time:
// the window's end for a top with its own window, one past the records'
// event time for a top over a windowed result. Records of a group that has
// fired (the element arrived under a watermark past the fire time) are
// late: dead letters, as on native.

// topAdd puts an element in its window's group.
func (k *keyed) topAdd(el element) error {
	rk := k.c.ranker
	r, err := decode(k.c.in[0], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
	}
	if _, err := rk.SortValues(eval.Frame{r}); err != nil {
		k.dead(el.deadLetter(k.c.op.ID, ReasonEval, err))
		return nil
	}
	el.Side = 0
	if !rk.OwnWindow() {
		fireAt := satAdd(el.TsMs, 1)
		if fireAt <= el.WmMs {
			k.dead(el.deadLetter(k.c.op.ID, ReasonLate, errors.New("the record's window has fired")))
			return nil
		}
		return k.topPut(string(rk.InputWindowEnd(r, nil)), fireAt, el)
	}
	added := false
	for _, iv := range eval.AssignWindows(*k.c.op.Top.Window, el.TsMs, nil) {
		if iv.End <= el.WmMs {
			continue
		}
		if err := k.topPut(fmt.Sprint(iv.End), iv.End, el); err != nil {
			return err
		}
		added = true
	}
	if !added {
		k.dead(el.deadLetter(k.c.op.ID, ReasonLate, errors.New("every window of the record has fired")))
	}
	return nil
}

func (k *keyed) topPut(win string, fireAt int64, el element) error {
	for i := range k.ks.Groups {
		g := &k.ks.Groups[i]
		if g.Win == win {
			g.FireAt = max(g.FireAt, fireAt)
			g.Rows = append(g.Rows, el)
			if len(g.Rows) >= 2*k.c.ranker.Limit()+8 {
				kept, err := k.topKeep(g.Rows)
				if err != nil {
					return err
				}
				g.Rows = kept
			}
			return nil
		}
	}
	k.ks.Groups = append(k.ks.Groups, topGroup{Win: win, FireAt: fireAt, Rows: []element{el}})
	return nil
}

// topKeep is eval.Ranker.Keep over elements, ties in arrival order.
func (k *keyed) topKeep(rows []element) ([]element, error) {
	rk := k.c.ranker
	ranked := make([]eval.Ranked, len(rows))
	for i, el := range rows {
		r, err := decode(k.c.in[0], el)
		if err != nil {
			return nil, fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
		}
		vals, err := rk.SortValues(eval.Frame{r})
		if err != nil {
			return nil, fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
		}
		ranked[i] = eval.Ranked{Vals: vals, Rec: r, TS: int64(i), Seq: uint64(el.Seq)}
	}
	kept := rk.Keep(ranked)
	out := make([]element, len(kept))
	for i, r := range kept {
		out[i] = rows[r.TS] // TS carries the row's index here
	}
	return out, nil
}

// topFire emits the groups due by wm, best first, in fire time order.
func (k *keyed) topFire(wm int64) error {
	for {
		best := -1
		for i, g := range k.ks.Groups {
			if g.FireAt <= wm && (best < 0 || g.FireAt < k.ks.Groups[best].FireAt) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		g := k.ks.Groups[best]
		k.ks.Groups = append(k.ks.Groups[:best], k.ks.Groups[best+1:]...)
		kept, err := k.topKeep(g.Rows)
		if err != nil {
			return err
		}
		for _, el := range kept {
			// Like an aggregate's result: behind no watermark downstream.
			el.TsMs, el.WmMs = g.FireAt-1, math.MinInt64
			k.out(el)
		}
	}
}
