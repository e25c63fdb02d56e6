package wasmhost

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Option configures a Runtime.
type Option func(*config)

type config struct {
	cacheDir string
	noCache  bool
}

// WithCacheDir keeps compiled modules in dir (default: pipeline/wazero in
// the user cache directory).
func WithCacheDir(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithoutCache compiles modules in memory only.
func WithoutCache() Option { return func(c *config) { c.noCache = true } }

// Runtime compiles and hosts transform modules. It is safe for concurrent
// use; close it after every Instance.
type Runtime struct {
	rt    wazero.Runtime
	cache wazero.CompilationCache

	mu       sync.Mutex
	modules  map[[32]byte]*Module               // by module digest
	compiled map[[32]byte]wazero.CompiledModule // by digest of the code compiled
}

// NewRuntime returns a runtime with the redpanda_transform host module and
// WASI. When the cache directory cannot be used, modules are compiled in
// memory (slower starts, same results).
func NewRuntime(ctx context.Context, opts ...Option) (*Runtime, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	rc := wazero.NewRuntimeConfig()
	r := &Runtime{modules: map[[32]byte]*Module{}, compiled: map[[32]byte]wazero.CompiledModule{}}
	if !cfg.noCache {
		dir := cfg.cacheDir
		if dir == "" {
			if d, err := os.UserCacheDir(); err == nil {
				dir = filepath.Join(d, "pipeline", "wazero")
			}
		}
		if dir != "" {
			if c, err := wazero.NewCompilationCacheWithDir(dir); err == nil {
				r.cache = c
				rc = rc.WithCompilationCache(c)
			}
		}
	}
	r.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r.rt); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasm: instantiate WASI: %w", err)
	}
	if err := instantiateABI(ctx, r.rt); err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("wasm: instantiate %s: %w", abiModule, err)
	}
	return r, nil
}

// Close releases every compiled module. Instances must be closed first.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.rt.Close(ctx)
	if r.cache != nil {
		if cerr := r.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}

// Module is a compiled transform module.
type Module struct {
	r        *Runtime
	compiled wazero.CompiledModule
	// area, when set, is written to memory at areaAddr before _start: the
	// module's reserved bytes (see ReservedArea).
	area     []byte
	areaAddr uint32
}

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

type compileConfig struct {
	marker []byte
	size   int
	fill   byte
}

// ReservedArea declares that the size bytes after marker in the module's
// data are per-deployment data, which are fill bytes in the module they
// were patched into. Modules that differ only there share one compilation:
// the host compiles the module with the area filled, and writes the area
// into linear memory before the module starts, where instantiating the
// patched module would have put it. The module runs exactly as the
// patched one would, without compiling every deployment again.
func ReservedArea(marker []byte, size int, fill byte) CompileOption {
	return func(c *compileConfig) { c.marker, c.size, c.fill = marker, size, fill }
}

// Compile compiles a module once per process: the same bytes return the
// same Module, and with ReservedArea modules differing only in their area
// share one compiled module.
func (r *Runtime) Compile(ctx context.Context, wasm []byte, opts ...CompileOption) (*Module, error) {
	var cc compileConfig
	for _, o := range opts {
		o(&cc)
	}
	sum := sha256.Sum256(wasm)
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.modules[sum]; m != nil {
		return m, nil
	}
	m := &Module{r: r}
	code := wasm
	if cc.marker != nil {
		start, addr, err := findArea(wasm, cc.marker, cc.size)
		if err != nil {
			return nil, fmt.Errorf("wasm: %w", err)
		}
		m.area, m.areaAddr = bytes.Clone(wasm[start:start+cc.size]), addr
		code = bytes.Clone(wasm)
		for i := start; i < start+cc.size; i++ {
			code[i] = cc.fill
		}
	}
	codeSum := sha256.Sum256(code)
	if c := r.compiled[codeSum]; c != nil {
		m.compiled = c
	} else {
		c, err := r.rt.CompileModule(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("wasm: compile module: %w", err)
		}
		r.compiled[codeSum] = c
		m.compiled = c
	}
	r.modules[sum] = m
	return m, nil
}

// Config is how a transform instance is set up, as Redpanda deploys it.
type Config struct {
	InputTopic string
	// OutputTopics are the topics the module may write; the first is the
	// default output (write_record without a topic).
	OutputTopics []string
	Env          map[string]string
	// Stderr receives the module's standard error as well (it is always
	// kept to explain a failure).
	Stderr io.Writer
}

// Header is a record header.
type Header struct {
	Key   []byte
	Value []byte
}

// Record is a record given to or written by a module.
type Record struct {
	Key         []byte // nil: no key
	Value       []byte
	Headers     []Header
	TimestampMs int64
	Offset      int64
}

// Output is a record the module wrote. Its bytes are views into the
// module's memory, valid only during the emit call.
type Output struct {
	// Input is the index in the batch of the record being transformed.
	Input   int
	Topic   string
	Key     []byte
	Value   []byte
	Headers []Header
}

// Instance is a running module: Redpanda runs one per input partition.
// It is not safe for concurrent use.
type Instance struct {
	cfg    Config
	topics map[string]bool
	stderr tail

	next   chan *batch   // to the module: the next batch
	done   chan struct{} // from the module: the batch is transformed
	ready  chan struct{} // closed when the module first asks for a batch
	exited chan struct{} // closed when the module stops
	err    error         // why the module stopped (after exited)
	mem    api.Memory
	closed atomic.Bool

	// Owned by the module's goroutine while a batch runs.
	cur *batch
}

// batch is one batch handed to the module.
type batch struct {
	recs    []Record
	next    int // index of the next record to read
	maxSize int
	emit    func(Output) error
	err     error
	hdrs    []Header
	topic   []byte
}

type instanceKey struct{}

// Start instantiates the module and runs it until it waits for its first
// batch. The module runs on its own goroutine until Close.
func (m *Module) Start(ctx context.Context, cfg Config) (*Instance, error) {
	inst := &Instance{
		cfg:    cfg,
		topics: map[string]bool{},
		next:   make(chan *batch),
		done:   make(chan struct{}),
		ready:  make(chan struct{}),
		exited: make(chan struct{}),
	}
	for _, t := range cfg.OutputTopics {
		inst.topics[t] = true
	}
	var stderr io.Writer = &inst.stderr
	if cfg.Stderr != nil {
		stderr = io.MultiWriter(&inst.stderr, cfg.Stderr)
	}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithArgs("transform").
		WithStderr(stderr).
		WithStdout(stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithEnv("REDPANDA_INPUT_TOPIC", cfg.InputTopic)
	for i, t := range cfg.OutputTopics {
		mc = mc.WithEnv("REDPANDA_OUTPUT_TOPIC_"+strconv.Itoa(i), t)
	}
	for k, v := range cfg.Env {
		mc = mc.WithEnv(k, v)
	}
	runCtx := context.WithValue(context.WithoutCancel(ctx), instanceKey{}, inst)
	go func() {
		defer close(inst.exited)
		inst.err = m.run(runCtx, mc, inst)
	}()
	select {
	case <-inst.ready:
		return inst, nil
	case <-inst.exited:
		return nil, inst.err
	case <-ctx.Done():
		inst.Close(context.WithoutCancel(ctx))
		return nil, ctx.Err()
	}
}

// run instantiates the module, writes its reserved area and runs _start,
// which returns only when the module stops.
func (m *Module) run(ctx context.Context, mc wazero.ModuleConfig, inst *Instance) error {
	mod, err := m.r.rt.InstantiateModule(ctx, m.compiled, mc)
	if err != nil {
		return fmt.Errorf("wasm: instantiate module: %w%s", err, inst.stderr.explain())
	}
	defer mod.Close(ctx)
	if m.area != nil && !mod.Memory().Write(m.areaAddr, m.area) {
		return errors.New("wasm: reserved area lies outside the module's memory")
	}
	start := mod.ExportedFunction("_start")
	if start == nil {
		return errors.New("wasm: module exports no _start")
	}
	_, err = start.Call(ctx)
	var exit *sys.ExitError
	if inst.closed.Load() && (err == nil || errors.As(err, &exit) && exit.ExitCode() == 0) {
		return nil
	}
	if err == nil {
		err = errors.New("module returned from _start")
	}
	return fmt.Errorf("wasm: transform stopped: %w%s", err, inst.stderr.explain())
}

// Process hands recs to the module as one batch and calls emit, on this
// goroutine's behalf, for every record the module writes, in order.
func (i *Instance) Process(ctx context.Context, recs []Record, emit func(Output) error) error {
	if len(recs) == 0 {
		return nil
	}
	if i.closed.Load() {
		return errors.New("wasm: instance is closed")
	}
	b := &batch{recs: recs, emit: emit}
	for _, r := range recs {
		b.maxSize = max(b.maxSize, payloadSize(r))
	}
	select {
	case i.next <- b:
	case <-i.exited:
		return i.err
	case <-ctx.Done():
		return ctx.Err()
	}
	// The module now runs the batch; it cannot be interrupted safely
	// between records, so wait for it whatever ctx says.
	select {
	case <-i.done:
	case <-i.exited:
		return i.err
	}
	return b.err
}

// MemoryBytes returns the size of the module's linear memory now.
func (i *Instance) MemoryBytes() uint64 {
	if i.mem == nil {
		return 0
	}
	return uint64(i.mem.Size())
}

// Close stops the module.
func (i *Instance) Close(ctx context.Context) error {
	if i.closed.Swap(true) {
		return nil
	}
	close(i.next)
	select {
	case <-i.exited:
	case <-ctx.Done():
		return ctx.Err()
	}
	return i.err
}

// tail keeps the end of a module's standard error to explain a failure.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tail) explain() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := bytes.TrimSpace(t.buf)
	if len(s) == 0 {
		return ""
	}
	return "; module's stderr:\n" + string(s)
}

// payloadSize is the size of a record's payload as read_next_record
// writes it.
func payloadSize(r Record) int {
	n := sizedLen(r.Key) + sizedLen(r.Value) + varintLen(int64(len(r.Headers)))
	for _, h := range r.Headers {
		n += sizedLen(h.Key) + sizedLen(h.Value)
	}
	return n
}

func sizedLen(b []byte) int {
	if b == nil {
		return varintLen(-1)
	}
	return varintLen(int64(len(b))) + len(b)
}

func varintLen(v int64) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutVarint(buf[:], v)
}
