package record

import (
	"encoding/binary"
	"fmt"
)

// Record sizes as the broker measures them, in plain lengths so that every
// producer can use them: the native worker and Beam on franz-go records
// (runtime/kafka), and the broker module on the transform SDK's records,
// which cannot link a Kafka client.

// BatchBytes is the size of a record batch that holds only one record with
// a key of keyLen bytes, a value of valueLen bytes and headers headers
// taking headerBytes (the sum of HeaderBytes of each): the batch header,
// then the record with its varint lengths at their widest for the
// timestamp and offset deltas. It is an upper bound of what the producer
// and the broker measure, uncompressed.
func BatchBytes(keyLen, valueLen, headers, headerBytes int) int {
	const batchHeader = 61
	body := 1 + binary.MaxVarintLen64 + 5 + varintLen(keyLen) + keyLen + varintLen(valueLen) + valueLen + varintLen(headers) + headerBytes
	return batchHeader + varintLen(body) + body
}

// HeaderBytes is what one header with a key of keyLen bytes and a value of
// valueLen bytes adds to a record.
func HeaderBytes(keyLen, valueLen int) int {
	return varintLen(keyLen) + keyLen + varintLen(valueLen) + valueLen
}

// TruncatedHeaderBytes bounds what the HeaderTruncated header adds.
const TruncatedHeaderBytes = 40

// DeadLetterCuts says how a dead letter over its topic's limit by over
// bytes is cut to fit: how many bytes to take off the end of its value,
// then of its key, then of its error text (HeaderError), in that order, so
// that the headers that locate the input stay whole. It leaves room for the
// HeaderTruncated header the caller then adds. over ≤ 0 cuts nothing.
func DeadLetterCuts(over, valueLen, keyLen, errLen int) (value, key, errText int) {
	if over <= 0 {
		return 0, 0, 0
	}
	over += TruncatedHeaderBytes
	value = min(over, valueLen)
	over -= value
	key = min(over, keyLen)
	over -= key
	errText = min(over, errLen)
	return value, key, errText
}

// TooLargeError is the HeaderError text of an output dead-lettered as
// too_large: size bytes (BatchBytes) for a topic that accepts limit.
func TooLargeError(size, limit int, topic string) []byte {
	return fmt.Appendf(nil, "a record of %d bytes is larger than the %d bytes topic %s accepts (its max.message.bytes, or the producer's batch limit)", size, limit, topic)
}

func varintLen(n int) int {
	var buf [binary.MaxVarintLen64]byte
	return binary.PutVarint(buf[:], int64(n))
}
