// Package zstd stands in for github.com/DataDog/zstd inside this
// repository's workspace (go.work): it offers the part of DataDog's API that
// Pebble's sstable package calls when cgo is on, implemented with
// klauspost/compress/zstd, the pure-Go codec Pebble itself uses without cgo.
//
// Why: DataDog's binding compiles 38 C files with gcc, one after another,
// which took about 40 s of a fresh checkout's first `go run ./cmd/pipeline`
// on a 2-core machine; the project's Pebble stores use Snappy, so the zstd
// code is not on any path it runs. Both produce and read standard zstd
// frames, so data written with either reads with the other. `go install`
// of a released version ignores go.work and links DataDog's binding.
package zstd

import (
	"bytes"
	"io"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"
)

// DefaultCompression is the level NewWriter and Compress use, as in
// DataDog's package.
const DefaultCompression = 5

var decoder = sync.OnceValues(func() (*kzstd.Decoder, error) { return kzstd.NewReader(nil) })

// Compress compresses src at DefaultCompression, appending to dst[:0].
func Compress(dst, src []byte) ([]byte, error) {
	return CompressLevel(dst, src, DefaultCompression)
}

// CompressLevel compresses src at the zstd level, appending to dst[:0].
func CompressLevel(dst, src []byte, level int) ([]byte, error) {
	enc, err := kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.EncoderLevelFromZstd(level)))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(src, dst[:0]), nil
}

// Decompress decompresses src, reusing dst's capacity when it suffices.
func Decompress(dst, src []byte) ([]byte, error) {
	dec, err := decoder()
	if err != nil {
		return nil, err
	}
	return dec.DecodeAll(src, dst[:0])
}

// Writer compresses what is written to it into one zstd frame, written to
// the underlying writer on Close.
type Writer struct {
	w     io.Writer
	level int
	buf   bytes.Buffer
}

// NewWriter returns a Writer at DefaultCompression.
func NewWriter(w io.Writer) *Writer { return NewWriterLevel(w, DefaultCompression) }

// NewWriterLevel returns a Writer at the zstd level.
func NewWriterLevel(w io.Writer, level int) *Writer { return &Writer{w: w, level: level} }

// Write buffers p.
func (w *Writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

// Close compresses the buffered bytes and writes the frame.
func (w *Writer) Close() error {
	out, err := CompressLevel(nil, w.buf.Bytes(), w.level)
	if err != nil {
		return err
	}
	_, err = w.w.Write(out)
	return err
}
