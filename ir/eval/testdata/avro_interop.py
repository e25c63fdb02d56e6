"""Interop check for the Avro codec with Apache Avro's Python library
(Debian python3-avro), in the Confluent wire format.

  avro_interop.py write SCHEMA_FILE SCHEMA_ID   prints framed records, one hex line each
  avro_interop.py read SCHEMA_FILE              reads hex lines on stdin, prints one JSON
                                                line per record (bytes as base64, timestamps
                                                as epoch ms, dates ISO, decimals as text)
"""
import base64
import datetime
import decimal
import io
import json
import struct
import sys

import avro.io
import avro.schema

UTC = datetime.timezone.utc

RECORDS = [
    {"id": "p1", "qty": 7, "total": 9007199254740993, "price": 2.5, "paid": True, "note": None,
     "raw": b"\x00\xff", "status": "SHIPPED", "tags": ["x", "y"], "attrs": {"a": 1, "b": -5},
     "customer": {"name": "Zo\u00eb", "vip": True},
     "ts": datetime.datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC), "day": datetime.date(2026, 1, 1),
     "amount": decimal.Decimal("-12.34")},
    {"id": "", "qty": -1, "total": 0, "price": -0.125, "paid": False, "note": "n",
     "raw": b"", "status": "NEW", "tags": [], "attrs": {},
     "customer": {"name": "Bo", "vip": False},
     "ts": datetime.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), "day": datetime.date(1969, 12, 31),
     "amount": decimal.Decimal("1000.00")},
]


def plain(v):
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    if isinstance(v, datetime.datetime):
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=UTC)
        return delta // datetime.timedelta(milliseconds=1)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main():
    mode, schema_file = sys.argv[1], sys.argv[2]
    with open(schema_file) as f:
        schema = avro.schema.parse(f.read())
    if mode == "write":
        schema_id = int(sys.argv[3])
        writer = avro.io.DatumWriter(schema)
        for rec in RECORDS:
            buf = io.BytesIO()
            buf.write(struct.pack(">bI", 0, schema_id))
            writer.write(rec, avro.io.BinaryEncoder(buf))
            print(buf.getvalue().hex())
    elif mode == "read":
        reader = avro.io.DatumReader(schema)
        for line in sys.stdin:
            data = bytes.fromhex(line.strip())
            magic, schema_id = struct.unpack(">bI", data[:5])
            assert magic == 0, magic
            payload = io.BytesIO(data[5:])
            rec = reader.read(avro.io.BinaryDecoder(payload))
            assert payload.tell() == len(data) - 5, "bytes after the record"
            rec = plain(rec)
            rec["_schema_id"] = schema_id
            print(json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    else:
        sys.exit("unknown mode " + mode)


main()
