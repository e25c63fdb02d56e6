package eval

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// deriveProtobuf writes the proto3 schema a sink registers for records of
// type t. name is the message, optionally with its package ("web.Click").
//
// Every scalar is `optional`, since any attribute of a record may be null;
// objects are nested messages, lists and sets repeated fields, maps
// map<string, V>; numbers are doubles. Field numbers are derived from the
// field's name (a hash into 1..262143, skipping protobuf's reserved
// 19000..19999; a collision takes the next free number, in name order), not
// from its position: adding or removing an attribute then leaves every
// other field's number alone, so the derived schema stays compatible with
// the previous version, where numbering 1..n in name order would renumber
// the fields after it.
func deriveProtobuf(name string, t cty.Type) (*ir.SchemaDoc, error) {
	if !t.IsObjectType() {
		return nil, fmt.Errorf("protobuf: a record type must be an object, got %s", t.FriendlyName())
	}
	pkg, msg := "", name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		pkg, msg = name[:i], name[i+1:]
	}
	msg = protoIdent(msg)
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n\n")
	if pkg != "" {
		parts := strings.Split(pkg, ".")
		for i, p := range parts {
			parts[i] = protoIdent(p)
		}
		pkg = strings.Join(parts, ".")
		fmt.Fprintf(&b, "package %s;\n\n", pkg)
	}
	if err := writeProtoMessage(&b, msg, t, ""); err != nil {
		return nil, err
	}
	full := msg
	if pkg != "" {
		full = pkg + "." + msg
	}
	doc := &ir.SchemaDoc{Format: FormatProtobuf, Text: b.String(), Message: full}
	if protoCompilerLinked {
		set, err := compileProtoText(doc)
		if err != nil {
			return nil, fmt.Errorf("protobuf: the derived schema does not compile: %w", err)
		}
		doc.Descriptor = set
	}
	return doc, nil
}

// protoIdent turns s into a protobuf identifier: letters, digits and
// underscores, not starting with a digit.
func protoIdent(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteString("_")
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "Record"
	}
	return b.String()
}

// validProtoIdent reports whether s can be a field name as it is.
func validProtoIdent(s string) bool { return s != "" && protoIdent(s) == s }

// camel turns a field name into a message name: "line_items" -> "LineItems".
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Value"
	}
	return b.String()
}

// Derived field numbers: below 2^18, so a tag takes at most 3 bytes.
const (
	pbDerivedMaxField = 1<<18 - 1
	pbReservedFirst   = 19000
	pbReservedLast    = 19999
)

// deriveFieldNumbers assigns each name its number (see deriveProtobuf).
func deriveFieldNumbers(names []string) map[string]int {
	nums := make(map[string]int, len(names))
	used := map[int]bool{}
	for _, n := range names { // names are sorted: collisions resolve in name order
		h := fnv.New32a()
		h.Write([]byte(n))
		num := int(h.Sum32()%pbDerivedMaxField) + 1
		for used[num] || num >= pbReservedFirst && num <= pbReservedLast {
			num = num%pbDerivedMaxField + 1
		}
		used[num] = true
		nums[n] = num
	}
	return nums
}

func writeProtoMessage(b *strings.Builder, name string, t cty.Type, indent string) error {
	attrs := t.AttributeTypes()
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		if !validProtoIdent(n) {
			return fmt.Errorf("protobuf: attribute %q is not a valid protobuf field name (letters, digits and _)", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	nums := deriveFieldNumbers(names)
	fmt.Fprintf(b, "%smessage %s {\n", indent, name)
	inner := indent + "  "
	nested := map[string]bool{}
	nestedName := func(field string) string {
		n := camel(field)
		for nested[n] || n == name {
			n += "_"
		}
		nested[n] = true
		return n
	}
	for _, n := range names {
		at := attrs[n]
		label, elem := "optional ", at
		switch {
		case at.IsListType() || at.IsSetType():
			label, elem = "repeated ", at.ElementType()
		case at.IsMapType():
			label, elem = "", at.ElementType()
		}
		var typ string
		switch {
		case elem == cty.Bool:
			typ = "bool"
		case elem == cty.Number:
			typ = "double"
		case elem == cty.String:
			typ = "string"
		case elem.IsObjectType():
			typ = nestedName(n)
			if err := writeProtoMessage(b, typ, elem, inner); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		default:
			return fmt.Errorf("protobuf: attribute %s of type %s has no protobuf equivalent (lists of lists, maps of collections, tuples and dynamic values are not supported)", n, at.FriendlyName())
		}
		if at.IsMapType() {
			typ = "map<string, " + typ + ">"
		}
		fmt.Fprintf(b, "%s%s%s %s = %d;\n", inner, label, typ, n, nums[n])
	}
	fmt.Fprintf(b, "%s}\n", indent)
	return nil
}

// Protobuf compatibility follows the Confluent Schema Registry's rules,
// computed from the differences between the previous schema and the next
// (for the message each schema's Message names). Each difference breaks
// BACKWARD (a reader with next reads data written with prev), FORWARD (the
// reverse), or both; FULL is both. The rule names are Confluent's.
//
//	PACKAGE_CHANGED, MESSAGE_RENAMED            both
//	MESSAGE_REMOVED (a message of prev's file)  BACKWARD
//	MESSAGE_ADDED                               FORWARD
//	FIELD_KIND_CHANGED (scalar, enum, message, map; singular/repeated
//	  except for length-delimited types)        both
//	FIELD_SCALAR_KIND_CHANGED (outside the wire-compatible groups
//	  int32/uint32/int64/uint64/bool, sint32/sint64, fixed32/sfixed32,
//	  fixed64/sfixed64, string/bytes)           both
//	FIELD_NAMED_TYPE_CHANGED (another message or enum)  both
//	REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED        both
//	ONEOF_FIELD_REMOVED                         BACKWARD
//	FIELD_ADDED_TO_EXISTING_ONEOF (a new field) FORWARD
//	FIELD_MOVED_TO_EXISTING_ONEOF               BACKWARD
//	MULTIPLE_FIELDS_MOVED_TO_ONEOF              BACKWARD
//
// Adding or removing optional fields, renaming fields and adding enum
// values are compatible: protobuf resolves by field number, skips unknown
// fields and defaults missing ones. One difference from Confluent: an enum
// field changed to an integer (or back) is FIELD_KIND_CHANGED, since the
// record type holds enums as strings.
func protobufCompatible(level string, prev, next *ir.SchemaDoc) ([]Incompatibility, error) {
	var backward, forward bool
	switch level {
	case CompatNone:
		return nil, nil
	case CompatBackward, CompatBackwardTransitive:
		backward = true
	case CompatForward, CompatForwardTransitive:
		forward = true
	case CompatFull, CompatFullTransitive:
		backward, forward = true, true
	default:
		return nil, fmt.Errorf("unknown compatibility level %q", level)
	}
	ps, err := loadProtoSchema(prev)
	if err != nil {
		return nil, fmt.Errorf("previous schema: %w", err)
	}
	ns, err := loadProtoSchema(next)
	if err != nil {
		return nil, fmt.Errorf("next schema: %w", err)
	}
	pm, err := ps.message(prev.Message)
	if err != nil {
		return nil, fmt.Errorf("previous schema: %w", err)
	}
	nm, err := ns.message(next.Message)
	if err != nil {
		return nil, fmt.Errorf("next schema: %w", err)
	}
	var diffs []pbDiff
	if ps.main.pkg != ns.main.pkg {
		diffs = append(diffs, pbDiff{rule: "PACKAGE_CHANGED", both: true, reason: fmt.Sprintf("package changed from %q to %q", ps.main.pkg, ns.main.pkg)})
	}
	if pm.name != nm.name {
		diffs = append(diffs, pbDiff{rule: "MESSAGE_RENAMED", both: true, reason: fmt.Sprintf("message changed from %s to %s", pm.name, nm.name)})
	}
	for _, name := range sortedMessageNames(ps.main) {
		if ns.messages[name] == nil && ps.main.pkg == ns.main.pkg && name != pm.name {
			diffs = append(diffs, pbDiff{rule: "MESSAGE_REMOVED", backward: true, reason: fmt.Sprintf("message %s removed", name)})
		}
	}
	for _, name := range sortedMessageNames(ns.main) {
		if ps.messages[name] == nil && ps.main.pkg == ns.main.pkg && name != nm.name {
			diffs = append(diffs, pbDiff{rule: "MESSAGE_ADDED", forward: true, reason: fmt.Sprintf("message %s added", name)})
		}
	}
	diffs = diffMessages(diffs, "", pm, nm, map[string]bool{})
	var out []Incompatibility
	for _, d := range diffs {
		if d.both || d.backward && backward || d.forward && forward {
			out = append(out, Incompatibility{Field: d.field, Reason: d.reason + " (" + d.rule + ")"})
		}
	}
	return out, nil
}

// pbDiff is one difference between two schemas and the levels it breaks.
type pbDiff struct {
	field, rule, reason     string
	both, backward, forward bool
}

func sortedMessageNames(f *pbFile) []string {
	var names []string
	var walk func(ms []*pbMsg)
	walk = func(ms []*pbMsg) {
		for _, m := range ms {
			if !m.mapEntry {
				names = append(names, m.name)
			}
			walk(m.nested)
		}
	}
	walk(f.messages)
	sort.Strings(names)
	return names
}

// pbWireGroup names the group of scalar types that share an encoding, so
// that a change within a group is compatible.
func pbWireGroup(t int32) string {
	switch t {
	case pbInt32, pbUint32, pbInt64, pbUint64, pbBool:
		return "varint"
	case pbSint32, pbSint64:
		return "zigzag"
	case pbFixed32, pbSfixed32:
		return "fixed32"
	case pbFixed64, pbSfixed64:
		return "fixed64"
	case pbString, pbBytes:
		return "bytes"
	}
	return pbTypeNames[t]
}

// pbKind is what a field is, for FIELD_KIND_CHANGED.
func pbKind(f *pbField) string {
	switch {
	case f.isMap():
		return "map"
	case f.typ == pbMessage || f.typ == pbGroup:
		return "message"
	case f.typ == pbEnum:
		return "enum"
	}
	return "scalar"
}

// diffMessages appends the differences between fields of p and n, and of
// the messages their fields hold.
func diffMessages(diffs []pbDiff, path string, p, n *pbMsg, seen map[string]bool) []pbDiff {
	key := p.name + "\x00" + n.name
	if seen[key] {
		return diffs
	}
	seen[key] = true
	oneofHad := map[string]bool{}
	for _, o := range p.oneofs {
		oneofHad[o] = true
	}
	movedToNewOneof := map[string][]string{}
	for _, pf := range p.fields {
		nf := n.byNumber[pf.number]
		fpath := joinPath(path, pf.name)
		if nf == nil {
			if pf.label == pbLabelRequired {
				diffs = append(diffs, pbDiff{field: fpath, rule: "REQUIRED_FIELD_REMOVED", both: true, reason: fmt.Sprintf("required field %s (number %d) removed", pf.name, pf.number)})
			}
			if pf.realOneof() >= 0 {
				diffs = append(diffs, pbDiff{field: fpath, rule: "ONEOF_FIELD_REMOVED", backward: true, reason: fmt.Sprintf("field %s (number %d) removed from oneof %s", pf.name, pf.number, p.oneofs[pf.oneof])})
			}
			continue
		}
		fpath = joinPath(path, nf.name)
		if pf.label != pbLabelRequired && nf.label == pbLabelRequired {
			diffs = append(diffs, pbDiff{field: fpath, rule: "REQUIRED_FIELD_ADDED", both: true, reason: fmt.Sprintf("field %s (number %d) became required", nf.name, nf.number)})
		}
		if pf.label == pbLabelRequired && nf.label != pbLabelRequired {
			diffs = append(diffs, pbDiff{field: fpath, rule: "REQUIRED_FIELD_REMOVED", both: true, reason: fmt.Sprintf("field %s (number %d) is no longer required", nf.name, nf.number)})
		}
		if pf.realOneof() < 0 && nf.realOneof() >= 0 {
			o := n.oneofs[nf.oneof]
			if oneofHad[o] {
				diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_MOVED_TO_EXISTING_ONEOF", backward: true, reason: fmt.Sprintf("field %s (number %d) moved into the existing oneof %s", nf.name, nf.number, o)})
			} else {
				movedToNewOneof[o] = append(movedToNewOneof[o], nf.name)
			}
		}
		pk, nk := pbKind(pf), pbKind(nf)
		if pk != nk {
			diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_KIND_CHANGED", both: true, reason: fmt.Sprintf("field number %d changed from %s to %s", nf.number, pf.typeString(), nf.typeString())})
			continue
		}
		if pf.repeated() != nf.repeated() && !(pf.typ == nf.typ && (pf.typ == pbString || pf.typ == pbBytes || pf.typ == pbMessage)) {
			diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_KIND_CHANGED", both: true, reason: fmt.Sprintf("field number %d changed from %s%s to %s%s", nf.number, repeatedWord(pf), pf.typeString(), repeatedWord(nf), nf.typeString())})
			continue
		}
		switch pk {
		case "scalar":
			if pbWireGroup(pf.typ) != pbWireGroup(nf.typ) {
				diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_SCALAR_KIND_CHANGED", both: true, reason: fmt.Sprintf("field %s (number %d) changed from %s to %s", nf.name, nf.number, pf.typeString(), nf.typeString())})
			}
		case "enum":
			if pf.enum.name != nf.enum.name {
				diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_NAMED_TYPE_CHANGED", both: true, reason: fmt.Sprintf("field %s (number %d) changed from enum %s to %s", nf.name, nf.number, pf.enum.name, nf.enum.name)})
			}
		case "message":
			if pf.msg.name != nf.msg.name {
				diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_NAMED_TYPE_CHANGED", both: true, reason: fmt.Sprintf("field %s (number %d) changed from message %s to %s", nf.name, nf.number, pf.msg.name, nf.msg.name)})
				continue
			}
			diffs = diffMessages(diffs, fpath, pf.msg, nf.msg, seen)
		case "map":
			pk, nk := pf.msg.byNumber[1], nf.msg.byNumber[1]
			if pk != nil && nk != nil && pbWireGroup(pk.typ) != pbWireGroup(nk.typ) {
				diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_SCALAR_KIND_CHANGED", both: true, reason: fmt.Sprintf("map %s (number %d) keys changed from %s to %s", nf.name, nf.number, pk.typeString(), nk.typeString())})
			}
			diffs = diffMessages(diffs, fpath, pf.msg, nf.msg, seen)
		}
	}
	for o, fields := range movedToNewOneof {
		if len(fields) > 1 {
			sort.Strings(fields)
			diffs = append(diffs, pbDiff{field: joinPath(path, fields[0]), rule: "MULTIPLE_FIELDS_MOVED_TO_ONEOF", backward: true, reason: fmt.Sprintf("fields %s moved into the new oneof %s", strings.Join(fields, ", "), o)})
		}
	}
	for _, nf := range n.fields {
		if p.byNumber[nf.number] != nil {
			continue
		}
		fpath := joinPath(path, nf.name)
		if nf.label == pbLabelRequired {
			diffs = append(diffs, pbDiff{field: fpath, rule: "REQUIRED_FIELD_ADDED", both: true, reason: fmt.Sprintf("required field %s (number %d) added", nf.name, nf.number)})
		}
		if nf.realOneof() >= 0 && oneofHad[n.oneofs[nf.oneof]] {
			diffs = append(diffs, pbDiff{field: fpath, rule: "FIELD_ADDED_TO_EXISTING_ONEOF", forward: true, reason: fmt.Sprintf("field %s (number %d) added to the existing oneof %s", nf.name, nf.number, n.oneofs[nf.oneof])})
		}
	}
	return diffs
}

func repeatedWord(f *pbField) string {
	if f.repeated() {
		return "repeated "
	}
	return ""
}
