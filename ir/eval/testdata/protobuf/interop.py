"""Writes and reads Confluent-framed Protobuf records with the protobuf
runtime (python3-protobuf) and classes protoc generated from shop.proto,
for TestProtobufInterop.

  interop.py GENDIR write   prints framed records, one hex line each
  interop.py GENDIR read    reads hex lines of framed Orders on stdin and
                            prints each as JSON (proto field names)
"""
import json
import struct
import sys

sys.path.insert(0, sys.argv[1])
import shop_pb2  # noqa: E402
from google.protobuf import json_format  # noqa: E402

SCHEMA_ID = 7


def frame(payload, indexes):
    # Confluent wire format: magic 0, big-endian schema ID, message indexes.
    return b"\x00" + struct.pack(">I", SCHEMA_ID) + indexes + payload


def read_varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return result, i


def zigzag(n):
    return (n >> 1) ^ -(n & 1)


def write():
    o = shop_pb2.Order(id="o1", amount=150.5, customer_id=1234567890123456789,
                       status=shop_pb2.Order.SHIPPED)
    o.items.add(sku="a", qty=2)
    o.items.add(sku="b")
    o.tags["x"] = 1
    o.ts.FromJsonString("2026-01-01T00:00:05.250Z")
    o.note.value = "hi"
    o.coupon = ""
    o.iban = "DE00"
    o.blob = b"\x01\x02"
    o.codes.extend([1, -2, 3])
    o.address.city = "Oslo"
    o.ratio = 0.1
    o.delta = -5
    o.paid = True
    o.by_id[7].city = "X"
    print(frame(o.SerializeToString(), b"\x00").hex())
    print(frame(shop_pb2.Order().SerializeToString(), b"\x00").hex())
    # Refund is the file's second message: indexes [1].
    print(frame(shop_pb2.Refund(order_id="o9").SerializeToString(), b"\x02\x02").hex())


def read():
    for line in sys.stdin:
        data = bytes.fromhex(line.strip())
        assert data[0] == 0, "magic byte"
        schema_id = struct.unpack(">I", data[1:5])[0]
        count, i = read_varint(data, 5)
        count = zigzag(count)
        indexes = [0]
        if count:
            indexes = []
            for _ in range(count):
                v, i = read_varint(data, i)
                indexes.append(zigzag(v))
        o = shop_pb2.Order.FromString(data[i:])
        print(json.dumps({"id": schema_id, "indexes": indexes,
                          "order": json_format.MessageToDict(o, preserving_proto_field_name=True)},
                         sort_keys=True))


{"write": write, "read": read}[sys.argv[2]]()
