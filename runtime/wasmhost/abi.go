package wasmhost

import (
	"context"
	"encoding/binary"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// This file implements the host side of the redpanda_transform ABI that the
// Redpanda transform SDK for Go v1.1.0 imports (its abi.go and
// processor.go): the module calls read_batch_header to wait for a batch,
// read_next_record once per record of it, and write_record or
// write_record_with_options for every record it writes. A record payload
// is Kafka's record encoding without the metadata: zigzag varint key
// length (-1: null) and key, value length and value, header count, and per
// header key and value the same way.

const abiModule = "redpanda_transform"

// Error returns of the ABI's functions.
const (
	errNoBatch     = -1 // read_next_record with no record left in the batch
	errBufferSmall = -2 // the module's buffer cannot hold the record
	errBadRecord   = -3 // a written payload or option does not parse
	errBadTopic    = -4 // a write to a topic the transform does not output
)

var (
	i32 = api.ValueTypeI32
)

func instantiateABI(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(abiModule)
	fn := func(name string, f api.GoModuleFunc, params, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	fn("check_abi_version_2", func(context.Context, api.Module, []uint64) {}, nil, nil)
	fn("read_batch_header", readBatchHeader,
		[]api.ValueType{i32, i32, i32, i32, i32, i32, i32, i32, i32, i32}, []api.ValueType{i32})
	fn("read_next_record", readNextRecord, []api.ValueType{i32, i32, i32, i32, i32}, []api.ValueType{i32})
	fn("write_record", writeRecord, []api.ValueType{i32, i32}, []api.ValueType{i32})
	fn("write_record_with_options", writeRecordWithOptions, []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32})
	_, err := b.Instantiate(ctx)
	return err
}

func instanceOf(ctx context.Context) *Instance {
	return ctx.Value(instanceKey{}).(*Instance)
}

// readBatchHeader finishes the current batch, if any, and blocks until the
// next one, whose header it writes. Closing the instance makes the module
// exit.
func readBatchHeader(ctx context.Context, mod api.Module, stack []uint64) {
	inst := instanceOf(ctx)
	if inst.cur != nil {
		inst.cur = nil
		inst.done <- struct{}{}
	} else if inst.mem == nil {
		inst.mem = mod.Memory()
		close(inst.ready)
	}
	b, ok := <-inst.next
	if !ok {
		_ = mod.CloseWithExitCode(ctx, 0)
		panic(sys.NewExitError(0))
	}
	inst.cur = b
	mem := mod.Memory()
	first, last := b.recs[0], b.recs[len(b.recs)-1]
	maxTs := first.TimestampMs
	for _, r := range b.recs {
		maxTs = max(maxTs, r.TimestampMs)
	}
	w := headerWriter{mem: mem, stack: stack}
	w.i64(0, first.Offset)                    // base offset
	w.i32(1, int32(len(b.recs)))              // record count
	w.i32(2, 0)                               // partition leader epoch
	w.i16(3, 0)                               // attributes
	w.i32(4, int32(last.Offset-first.Offset)) // last offset delta
	w.i64(5, first.TimestampMs)               // base timestamp
	w.i64(6, maxTs)                           // max timestamp
	w.i64(7, -1)                              // producer ID
	w.i16(8, -1)                              // producer epoch
	w.i32(9, -1)                              // base sequence
	stack[0] = ret(int32(b.maxSize))
}

// headerWriter writes read_batch_header's outputs to the pointers on the
// stack; the batch header has Kafka's field widths.
type headerWriter struct {
	mem   api.Memory
	stack []uint64
}

func (w headerWriter) ptr(i int) uint32   { return uint32(w.stack[i]) }
func (w headerWriter) i64(i int, v int64) { w.mem.WriteUint64Le(w.ptr(i), uint64(v)) }
func (w headerWriter) i32(i int, v int32) { w.mem.WriteUint32Le(w.ptr(i), uint32(v)) }
func (w headerWriter) i16(i int, v int16) { w.mem.WriteUint16Le(w.ptr(i), uint16(v)) }

// readNextRecord writes the next record's attributes, timestamp and offset
// to their pointers and its payload into the module's buffer, and returns
// the payload's size.
func readNextRecord(ctx context.Context, mod api.Module, stack []uint64) {
	inst := instanceOf(ctx)
	b := inst.cur
	attrPtr, tsPtr, offPtr, buf, size := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3]), int32(stack[4])
	if b == nil || b.next >= len(b.recs) {
		stack[0] = ret(errNoBatch)
		return
	}
	r := b.recs[b.next]
	n := payloadSize(r)
	if int(size) < n {
		stack[0] = ret(errBufferSmall)
		return
	}
	mem := mod.Memory()
	dst, ok := mem.Read(buf, uint32(n))
	if !ok {
		stack[0] = ret(errBufferSmall)
		return
	}
	b.next++
	mem.WriteByte(attrPtr, 0)
	mem.WriteUint64Le(tsPtr, uint64(r.TimestampMs))
	mem.WriteUint64Le(offPtr, uint64(r.Offset))
	p := putSized(dst[:0], r.Key)
	p = putSized(p, r.Value)
	p = binary.AppendVarint(p, int64(len(r.Headers)))
	for _, h := range r.Headers {
		p = putSized(putSized(p, h.Key), h.Value)
	}
	stack[0] = ret(int32(len(p)))
}

// ret encodes an i32 result on the stack.
func ret(v int32) uint64 { return uint64(uint32(v)) }

func putSized(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	return append(binary.AppendVarint(dst, int64(len(b))), b...)
}

// writeRecord writes a record to the default (first) output topic.
func writeRecord(ctx context.Context, mod api.Module, stack []uint64) {
	inst := instanceOf(ctx)
	topic := ""
	if len(inst.cfg.OutputTopics) > 0 {
		topic = inst.cfg.OutputTopics[0]
	}
	stack[0] = ret(inst.write(mod, uint32(stack[0]), uint32(stack[1]), topic))
}

// writeRecordWithOptions writes a record with options; the only option is
// 0x01, the output topic.
func writeRecordWithOptions(ctx context.Context, mod api.Module, stack []uint64) {
	inst := instanceOf(ctx)
	opts, ok := mod.Memory().Read(uint32(stack[2]), uint32(stack[3]))
	if !ok || len(opts) < 2 || opts[0] != 0x01 {
		stack[0] = ret(errBadRecord)
		return
	}
	topic, rest, ok := sized(opts[1:])
	if !ok || topic == nil || len(rest) != 0 {
		stack[0] = ret(errBadRecord)
		return
	}
	stack[0] = ret(inst.write(mod, uint32(stack[0]), uint32(stack[1]), string(topic)))
}

// write parses a written payload and hands it to the batch's emit; it
// returns the payload's length, or a negative error.
func (i *Instance) write(mod api.Module, ptr, n uint32, topic string) int32 {
	b := i.cur
	if b == nil || b.next == 0 {
		return errNoBatch
	}
	if !i.topics[topic] {
		return errBadTopic
	}
	data, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return errBadRecord
	}
	o := Output{Input: b.next - 1, Topic: topic}
	var rest []byte
	if o.Key, rest, ok = sized(data); !ok {
		return errBadRecord
	}
	if o.Value, rest, ok = sized(rest); !ok {
		return errBadRecord
	}
	hc, k := binary.Varint(rest)
	if k <= 0 || hc < 0 || hc > int64(len(rest)) {
		return errBadRecord
	}
	rest = rest[k:]
	b.hdrs = b.hdrs[:0]
	for range hc {
		var h Header
		if h.Key, rest, ok = sized(rest); !ok {
			return errBadRecord
		}
		if h.Value, rest, ok = sized(rest); !ok {
			return errBadRecord
		}
		b.hdrs = append(b.hdrs, h)
	}
	if len(b.hdrs) > 0 {
		o.Headers = b.hdrs
	}
	// An emit failure stops the run, but not the module mid-batch: it is
	// reported by Process once the batch is through.
	if b.err == nil {
		b.err = b.emit(o)
	}
	return int32(n)
}

// sized reads a varint-length-prefixed byte string (-1: nil).
func sized(b []byte) (v, rest []byte, ok bool) {
	l, k := binary.Varint(b)
	if k <= 0 || l < -1 || l > int64(len(b)-k) {
		return nil, nil, false
	}
	if l < 0 {
		return nil, b[k:], true
	}
	return b[k : k+int(l)], b[k+int(l):], true
}
