package lang

import (
	"path/filepath"
	"strings"
)

// topicLoops reports records that would flow back into the pipeline
// through a topic or file it writes. A sink (or the dead-letter topic)
// writing where a source reads makes a loop when that source's records can
// reach the writer again: one record becomes endless copies and an
// unbounded run never goes idle. A sink feeding a source of the same spec
// without a loop is legal but worth a warning: the spec depends on its own
// output.
func (l *loader) topicLoops(order []*opDecl) {
	where := func(d *opDecl) string {
		var topic, file string
		switch {
		case d.op.Source != nil:
			topic, file = d.op.Source.Topic, d.op.Source.File
		case d.op.Sink != nil:
			topic, file = d.op.Sink.Topic, d.op.Sink.File
		}
		switch {
		case topic != "":
			return "topic " + topic
		case file != "":
			return "file " + filepath.Clean(file)
		}
		return ""
	}
	readers := map[string][]*opDecl{} // sources by what they read
	for _, d := range order {
		if d.op.Source != nil {
			if w := where(d); w != "" {
				readers[w] = append(readers[w], d)
			}
		}
	}
	if len(readers) == 0 {
		return
	}
	// consumers[d] are the operators reading d's output directly; a sink's
	// consumers are the sources reading what it writes.
	consumers := map[*opDecl][]*opDecl{}
	for _, d := range order {
		for _, ref := range d.refs {
			if ref.producer != nil {
				consumers[ref.producer] = append(consumers[ref.producer], d)
			}
		}
		if d.op.Sink != nil {
			consumers[d] = append(consumers[d], readers[where(d)]...)
		}
	}
	reaches := func(from, to *opDecl) bool {
		seen := map[*opDecl]bool{from: true}
		stack := []*opDecl{from}
		for len(stack) > 0 {
			d := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if d == to {
				return true
			}
			for _, c := range consumers[d] {
				if !seen[c] {
					seen[c] = true
					stack = append(stack, c)
				}
			}
		}
		return false
	}
	for _, d := range order {
		if d.op.Sink == nil {
			continue
		}
		w := where(d)
		for _, src := range readers[w] {
			if reaches(src, d) {
				l.errorf(d.at, "Records loop through a "+kindOfPlace(w),
					"%s writes %s, which %s reads, and %s's records reach %s again: every record would be written and read forever. Write to another %s.",
					d.op.ID, w, src.op.ID, src.op.ID, d.op.ID, kindOfPlace(w))
			} else {
				l.warnf(d.at, "A sink feeds a source of the same spec",
					"%s writes %s, which %s reads: this spec consumes its own output. That is no loop, but the two parts depend on each other's deployment; consider two specs.",
					d.op.ID, w, src.op.ID)
			}
		}
	}
	if l.p.DeadLetterTopic == "" {
		return
	}
	for _, src := range readers["topic "+l.p.DeadLetterTopic] {
		at := src.at
		if l.dlqAt != nil {
			at = *l.dlqAt
		}
		l.errorf(at, "Records loop through the dead-letter topic",
			"The dead-letter topic %s is also read by %s: a record that fails there would be dead-lettered, read again and fail again, forever. Set pipeline's dead_letter_topic to a topic no source reads.",
			l.p.DeadLetterTopic, src.op.ID)
	}
}

// kindOfPlace is "topic" or "file" for a where of topicLoops.
func kindOfPlace(w string) string {
	if strings.HasPrefix(w, "topic ") {
		return "topic"
	}
	return "file"
}
