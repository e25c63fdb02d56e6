// Command wasmsize reports where a Go WebAssembly module's bytes go: the
// size of each section, and the code section's function bodies grouped by
// Go package (from the module's "name" section, so build the module
// without -ldflags=-s -w). go tool nm does not read wasm files.
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -o /tmp/m.wasm ./backends/broker/module
//	go run ./bench/wasmsize -top 40 /tmp/m.wasm
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	top := flag.Int("top", 30, "packages to list")
	funcs := flag.String("funcs", "", "also list the functions of packages with this prefix")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] [-funcs PKGPREFIX] module.wasm")
		os.Exit(2)
	}
	data, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m, err := parse(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "file: %d bytes\n\nsection sizes:\n", len(data))
	for _, s := range m.sections {
		fmt.Fprintf(w, "  %-10s %9d\n", s.name, s.size)
	}
	if len(m.names) == 0 {
		fmt.Fprintln(w, "\nno name section: build without -ldflags=-s -w to group code by package")
		return
	}
	byPkg := map[string]int{}
	type fn struct {
		name string
		size int
	}
	var fns []fn
	total := 0
	for i, size := range m.bodies {
		name := m.names[m.imported+i]
		byPkg[pkgOf(name)] += size
		total += size
		if *funcs != "" && strings.HasPrefix(pkgOf(name), *funcs) {
			fns = append(fns, fn{name, size})
		}
	}
	pkgs := make([]string, 0, len(byPkg))
	for p := range byPkg {
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool {
		if byPkg[pkgs[i]] != byPkg[pkgs[j]] {
			return byPkg[pkgs[i]] > byPkg[pkgs[j]]
		}
		return pkgs[i] < pkgs[j]
	})
	fmt.Fprintf(w, "\ncode by package (%d function bodies, %d bytes):\n", len(m.bodies), total)
	for i, p := range pkgs {
		if i == *top {
			break
		}
		fmt.Fprintf(w, "  %9d  %5.1f%%  %s\n", byPkg[p], 100*float64(byPkg[p])/float64(total), p)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].size > fns[j].size })
	for i, f := range fns {
		if i == 3**top {
			break
		}
		fmt.Fprintf(w, "  %9d  %s\n", f.size, f.name)
	}
}

// pkgOf is the Go package of a function name in a wasm name section. The
// linker writes every character but letters, digits, "_" and "." as "_"
// ("github.com/a/go-b.(*T).M" is "github.com_a_go_b.__T_.M"), so packages
// are reported in that form.
func pkgOf(sym string) string {
	if i := strings.IndexByte(sym, '['); i >= 0 {
		sym = sym[:i] // generic instantiation arguments hold dots
	}
	for _, p := range []string{"type:.eq.", "type:.hash."} {
		sym = strings.TrimPrefix(sym, p)
	}
	start := 0
	if u := strings.IndexByte(sym, '_'); u >= 0 {
		if d := strings.LastIndexByte(sym[:u], '.'); d >= 0 {
			switch sym[d+1 : u] {
			case "com", "org", "net", "io", "in", "dev":
				start = u // a domain: its dot is part of the path
			}
		}
	}
	if dot := strings.IndexByte(sym[start:], '.'); dot >= 0 {
		return sym[:start+dot]
	}
	return sym
}

type section struct {
	name string
	size int
}

type module struct {
	sections []section
	imported int            // imported functions come first in the index space
	bodies   []int          // size of each defined function's body
	names    map[int]string // function index -> name
}

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"}

func parse(b []byte) (*module, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a WebAssembly module")
	}
	m := &module{names: map[int]string{}}
	r := &reader{b: b, off: 8}
	for r.off < len(b) {
		id := int(r.byte())
		size := int(r.uleb())
		body := &reader{b: b[r.off : r.off+size]}
		r.off += size
		name := fmt.Sprintf("id %d", id)
		if id < len(sectionNames) {
			name = sectionNames[id]
		}
		switch id {
		case 0:
			cname := body.name()
			name = "custom:" + cname
			if cname == "name" {
				m.readNames(body)
			}
		case 2:
			m.imported = countFuncImports(body)
		case 10:
			n := int(body.uleb())
			for i := 0; i < n; i++ {
				sz := int(body.uleb())
				body.off += sz
				m.bodies = append(m.bodies, sz)
			}
		}
		m.sections = append(m.sections, section{name, size})
		if r.err != nil || body.err != nil {
			return nil, errors.New("truncated module")
		}
	}
	return m, nil
}

func countFuncImports(r *reader) int {
	n := int(r.uleb())
	funcs := 0
	for i := 0; i < n && r.err == nil; i++ {
		r.name()
		r.name()
		switch r.byte() {
		case 0: // func: type index
			r.uleb()
			funcs++
		case 1: // table: reftype, limits
			r.byte()
			r.limits()
		case 2: // memory: limits
			r.limits()
		case 3: // global: valtype, mutability
			r.byte()
			r.byte()
		}
	}
	return funcs
}

func (m *module) readNames(r *reader) {
	for r.off < len(r.b) && r.err == nil {
		id := r.byte()
		size := int(r.uleb())
		sub := &reader{b: r.b[r.off : r.off+size]}
		r.off += size
		if id != 1 { // function names
			continue
		}
		n := int(sub.uleb())
		for i := 0; i < n && sub.err == nil; i++ {
			idx := int(sub.uleb())
			m.names[idx] = sub.name()
		}
	}
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.off >= len(r.b) {
		r.err = errors.New("eof")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uleb() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = errors.New("bad leb128")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) name() string {
	n := int(r.uleb())
	if r.off+n > len(r.b) {
		r.err = errors.New("eof")
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	return s
}

func (r *reader) limits() {
	if r.byte()&1 != 0 {
		r.uleb()
	}
	r.uleb()
}
