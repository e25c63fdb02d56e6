package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// store is the engine's state: a Pebble database with a write-back cache in
// front of it. Operators read and write through the cache on the hot path;
// flush writes dirty entries to Pebble in one batch (at checkpoints, and when
// the cache grows past its limit, after which clean entries are dropped so
// state larger than memory stays on disk).
type store struct {
	fs    vfs.FS
	dir   string
	db    *pebble.DB
	cache map[string]*entry
	dirty []string
	limit int
}

// entry is one cached value. obj caches the decoded form of val so that hot
// keys are not decoded again on every read.
type entry struct {
	val     []byte
	obj     any
	dirty   bool
	deleted bool
}

const defaultCacheLimit = 1 << 20

func openStore(fs vfs.FS, dir string, limit int) (*store, error) {
	if limit <= 0 {
		limit = defaultCacheLimit
	}
	db, err := pebble.Open(dir, &pebble.Options{FS: fs, Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", dir, err)
	}
	return &store{fs: fs, dir: dir, db: db, cache: map[string]*entry{}, limit: limit}, nil
}

// get returns the entry for k, or nil when there is none.
func (s *store) get(k []byte) (*entry, error) {
	if e, ok := s.cache[string(k)]; ok {
		if e.deleted {
			return nil, nil
		}
		return e, nil
	}
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state get: %w", err)
	}
	e := &entry{val: append([]byte(nil), v...)}
	closer.Close()
	s.cache[string(k)] = e
	return e, nil
}

// read returns the value of k like get, but a value read from Pebble is
// not added to the cache: for callers that keep the decoded form
// themselves.
func (s *store) read(k []byte) ([]byte, bool, error) {
	if e, ok := s.cache[string(k)]; ok {
		return e.val, !e.deleted, nil
	}
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get: %w", err)
	}
	v = append([]byte(nil), v...)
	closer.Close()
	return v, true, nil
}

// set stores v (and its decoded form obj) under k.
func (s *store) set(k, v []byte, obj any) {
	e := s.write(k)
	e.val, e.obj, e.deleted = v, obj, false
}

// del deletes k.
func (s *store) del(k []byte) {
	e := s.write(k)
	e.val, e.obj, e.deleted = nil, nil, true
}

// write returns k's cache entry, created if needed, marked dirty so the
// next flush writes it.
func (s *store) write(k []byte) *entry {
	e, ok := s.cache[string(k)]
	if !ok {
		e = &entry{}
		s.cache[string(k)] = e
	}
	if !e.dirty {
		s.dirty = append(s.dirty, string(k))
		e.dirty = true
	}
	return e
}

// maybeFlush flushes when the cache has grown past its limit.
func (s *store) maybeFlush() error {
	if len(s.cache) < s.limit {
		return nil
	}
	return s.flush(true)
}

// flush writes every dirty entry to Pebble. With evict it also drops the
// cache, so that the working set is bounded.
func (s *store) flush(evict bool) error {
	if len(s.dirty) > 0 {
		b := s.db.NewBatch()
		for _, k := range s.dirty {
			e := s.cache[k]
			if e == nil || !e.dirty {
				continue
			}
			var err error
			if e.deleted {
				err = b.Delete([]byte(k), nil)
			} else {
				err = b.Set([]byte(k), e.val, nil)
			}
			if err != nil {
				b.Close()
				return fmt.Errorf("state flush: %w", err)
			}
			e.dirty = false
			if e.deleted {
				delete(s.cache, k)
			}
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("state flush: %w", err)
		}
		s.dirty = s.dirty[:0]
	}
	if evict {
		clear(s.cache)
	}
	return nil
}

// deletePrefix removes every key starting with prefix, in the cache and in
// Pebble.
func (s *store) deletePrefix(prefix []byte) error {
	for k, e := range s.cache {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) {
			if !e.dirty {
				s.dirty = append(s.dirty, k)
			}
			e.val, e.obj, e.dirty, e.deleted = nil, nil, true, true
		}
	}
	if err := s.flush(false); err != nil {
		return err
	}
	if err := s.db.DeleteRange(prefix, prefixEnd(prefix), pebble.NoSync); err != nil {
		return fmt.Errorf("state delete range: %w", err)
	}
	return nil
}

// scan calls fn for every key in [lo, hi) in order, after flushing the cache
// so that Pebble holds everything. fn must not modify the store.
func (s *store) scan(lo, hi []byte, fn func(k, v []byte) error) error {
	if err := s.flush(false); err != nil {
		return err
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("state scan: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("state scan: %w", err)
	}
	return nil
}

// iterate calls fn for the keys in [lo, hi) that Pebble holds, in order,
// until fn returns false. Unlike scan it does not flush the cache first, so
// it sees what was last flushed; k and v are valid only during the call.
func (s *store) iterate(lo, hi []byte, fn func(k, v []byte) bool) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("state scan: %w", err)
	}
	for ok := it.First(); ok && fn(it.Key(), it.Value()); ok = it.Next() {
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("state scan: %w", err)
	}
	return nil
}

// checkpoint flushes and writes a Pebble checkpoint (hard links to the
// immutable SSTables plus the manifest and WAL) to dir on the store's FS.
func (s *store) checkpoint(dir string) error {
	if err := s.flush(false); err != nil {
		return err
	}
	// Flush the memtable into an SSTable so that the snapshot's WAL is
	// empty: restoring then hard-links SSTables and replays no log, and
	// takes the same time whatever the state's size.
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("state checkpoint: %w", err)
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("state checkpoint: %w", err)
	}
	return nil
}

func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("close state store: %w", err)
	}
	return nil
}

// prefixEnd returns the smallest key greater than every key with prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// copyTree copies the regular files of directory src on srcFS into dst on
// dstFS. When both are the OS filesystem it hard-links instead, which is
// safe for Pebble because SSTables are immutable; MANIFEST, OPTIONS and WAL
// files are copied because the opened database appends to them.
func copyTree(srcFS vfs.FS, src string, dstFS vfs.FS, dst string) error {
	if err := dstFS.MkdirAll(dst, privateDirMode); err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	names, err := srcFS.List(src)
	if err != nil {
		return fmt.Errorf("list %s: %w", src, err)
	}
	bothOS := srcFS == diskFS && dstFS == diskFS
	for _, name := range names {
		from, to := srcFS.PathJoin(src, name), dstFS.PathJoin(dst, name)
		st, err := srcFS.Stat(from)
		if err != nil {
			return fmt.Errorf("stat %s: %w", from, err)
		}
		if st.IsDir() {
			continue
		}
		if bothOS && filepath.Ext(name) == ".sst" {
			if err := os.Link(from, to); err == nil {
				continue
			}
		}
		if err := copyFile(srcFS, from, dstFS, to); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(srcFS vfs.FS, from string, dstFS vfs.FS, to string) error {
	in, err := srcFS.Open(from)
	if err != nil {
		return fmt.Errorf("open %s: %w", from, err)
	}
	defer in.Close()
	out, err := dstFS.Create(to)
	if err != nil {
		return fmt.Errorf("create %s: %w", to, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", from, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("sync %s: %w", to, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", to, err)
	}
	return nil
}

// quietLogger keeps Pebble's informational messages out of the engine's
// output; fatal errors still stop the process as Pebble requires.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}

// Key encoding helpers. State keys are operator prefix, a one-byte tag, and
// then big-endian integers and length-prefixed byte strings, so that range
// scans see keys in time order.

func appendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// appendTime encodes a signed time so that byte order equals numeric order.
func appendTime(b []byte, ms int64) []byte { return appendUint64(b, uint64(ms)^(1<<63)) }

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func readBytes(b []byte) (v, rest []byte, err error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, errors.New("corrupt state value")
	}
	return b[w : w+int(n)], b[w+int(n):], nil
}
