package wasmhost

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// findArea finds the size bytes after marker in module and returns their
// position in the module and the linear-memory address an active data
// segment places them at.
func findArea(module, marker []byte, size int) (start int, addr uint32, err error) {
	i := bytes.Index(module, marker)
	if i < 0 {
		return 0, 0, errors.New("reserved area marker not found")
	}
	if bytes.Contains(module[i+1:], marker) {
		return 0, 0, errors.New("reserved area marker found more than once")
	}
	start = i + len(marker)
	end := start + size
	if end > len(module) {
		return 0, 0, errors.New("reserved area runs past the end of the module")
	}
	err = eachDataSegment(module, func(offset uint32, data, dataPos int) bool {
		if start >= dataPos && end <= dataPos+data {
			addr = offset + uint32(start-dataPos)
			return true
		}
		return false
	})
	return start, addr, err
}

// eachDataSegment calls fn with the memory offset, length and position in
// the module of every active data segment with a constant offset, until fn
// returns true. It fails if fn never does.
func eachDataSegment(m []byte, fn func(offset uint32, size, pos int) bool) error {
	if len(m) < 8 || string(m[:4]) != "\x00asm" {
		return errors.New("not a WebAssembly module")
	}
	r := reader{b: m, i: 8}
	for r.i < len(m) {
		id := r.byte()
		size := int(r.uleb())
		end := r.i + size
		if r.err != nil || end > len(m) {
			return errors.New("malformed section")
		}
		if id != 11 { // data
			r.i = end
			continue
		}
		for n := r.uleb(); n > 0 && r.err == nil; n-- {
			flags := r.uleb()
			if flags == 1 { // passive
				l := int(r.uleb())
				r.i += l
				continue
			}
			if flags == 2 {
				r.uleb() // memory index
			}
			if r.byte() != 0x41 { // i32.const
				return errors.New("data segment offset is not a constant")
			}
			off := uint32(r.sleb())
			if r.byte() != 0x0b { // end
				return errors.New("malformed data segment offset")
			}
			l := int(r.uleb())
			if r.err == nil && fn(off, l, r.i) {
				return nil
			}
			r.i += l
		}
		if r.err != nil {
			return fmt.Errorf("malformed data section: %w", r.err)
		}
		r.i = end
	}
	return errors.New("reserved area is in no active data segment")
}

// reader reads LEB128 integers and bytes from a module.
type reader struct {
	b   []byte
	i   int
	err error
}

func (r *reader) byte() byte {
	if r.i >= len(r.b) {
		r.err = errors.New("unexpected end")
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

func (r *reader) uleb() uint64 {
	if r.i >= len(r.b) {
		r.err = errors.New("unexpected end")
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.err = errors.New("malformed integer")
		return 0
	}
	r.i += n
	return v
}

func (r *reader) sleb() int64 {
	var v int64
	var shift uint
	for {
		c := r.byte()
		if r.err != nil {
			return 0
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
		if shift >= 64 {
			r.err = errors.New("malformed integer")
			return 0
		}
	}
}
