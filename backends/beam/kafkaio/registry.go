package kafkaio

import (
	"fmt"
	"sync"
)

// A Timestamper gives a record's event time in milliseconds since the
// epoch; ok false means "use the Kafka record timestamp" (the record may
// not decode: whoever decodes it later sends it to the dead letters).
type Timestamper interface {
	EventTimeMs(key, value []byte) (ms int64, ok bool)
}

// registry holds what serialized DoFns refer to by name. DoFns travel to
// workers as JSON, so a function cannot be a field: it is registered under
// a name at init time in every binary that runs workers, as Beam registers
// DoFns themselves, and the DoFn carries the name and a configuration.
//
// Barriers live here too: they are how the process that launched a
// loopback (in-process) job tells its reads that an upstream stage running
// outside Beam has finished.
var registry = struct {
	sync.Mutex
	timestampers map[string]func(config []byte) (Timestamper, error)
	barriers     map[string]chan struct{}
}{
	timestampers: map[string]func([]byte) (Timestamper, error){},
	barriers:     map[string]chan struct{}{},
}

// RegisterTimestamper makes a Timestamper factory known by name, for
// ReadConfig.Timestamper. Call it from an init function.
func RegisterTimestamper(name string, factory func(config []byte) (Timestamper, error)) {
	registry.Lock()
	defer registry.Unlock()
	registry.timestampers[name] = factory
}

func newTimestamper(name string, config []byte) (Timestamper, error) {
	if name == "" {
		return nil, nil
	}
	registry.Lock()
	f := registry.timestampers[name]
	registry.Unlock()
	if f == nil {
		return nil, fmt.Errorf("kafkaio: no timestamper %q registered in this binary", name)
	}
	ts, err := f(config)
	if err != nil {
		return nil, fmt.Errorf("kafkaio: timestamper %q: %w", name, err)
	}
	return ts, nil
}

func barrier(name string) chan struct{} {
	registry.Lock()
	defer registry.Unlock()
	ch := registry.barriers[name]
	if ch == nil {
		ch = make(chan struct{})
		registry.barriers[name] = ch
	}
	return ch
}

// Release opens the barrier name: bounded reads that wait for it
// (ReadConfig.WaitFor) may stop once idle. Releasing twice is harmless.
func Release(name string) {
	ch := barrier(name)
	registry.Lock()
	defer registry.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// released reports whether every named barrier is open.
func released(names []string) bool {
	for _, n := range names {
		select {
		case <-barrier(n):
		default:
			return false
		}
	}
	return true
}
