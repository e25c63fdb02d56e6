package broker

import (
	"encoding/binary"
	"errors"
)

// heapHeadroom is the linear memory the module grows into at run time
// beyond its initial size: the Go runtime's heap while it runs a stage
// (decode buffers, compiled expressions, garbage between collections),
// with the module's GOGC of 200 (module/main.go). Measured with
// wasmhost.Instance.MemoryBytes on examples/lognorm at steady state
// (BenchmarkLognorm, 200k and 1M records: 10.3 MiB above the initial
// 4.4 MiB), rounded up; TestHostRunsPatchedModule checks it.
const heapHeadroom = 11 << 20

// moduleMemoryBytes returns the linear memory the module needs at run
// time: its initial memory plus heapHeadroom.
func moduleMemoryBytes(module []byte) (int64, error) {
	pages, err := initialPages(module)
	if err != nil {
		return 0, err
	}
	return int64(pages)*wasmPageSize + heapHeadroom, nil
}

const wasmPageSize = 64 << 10

// initialPages reads the minimum page count of the module's memory from
// its memory section (id 5).
func initialPages(m []byte) (uint64, error) {
	if len(m) < 8 || string(m[:4]) != "\x00asm" {
		return 0, errors.New("not a WebAssembly module")
	}
	i := 8
	for i < len(m) {
		id := m[i]
		size, n := binary.Uvarint(m[i+1:])
		if n <= 0 {
			return 0, errors.New("malformed section header")
		}
		body := i + 1 + n
		end := body + int(size)
		if end > len(m) || end < body {
			return 0, errors.New("section runs past the end of the module")
		}
		if id == 5 {
			s := m[body:end]
			count, n := binary.Uvarint(s)
			if n <= 0 || count == 0 || len(s) < n+2 {
				return 0, errors.New("malformed memory section")
			}
			min, k := binary.Uvarint(s[n+1:])
			if k <= 0 {
				return 0, errors.New("malformed memory limits")
			}
			return min, nil
		}
		i = end
	}
	return 0, errors.New("module defines no memory")
}
