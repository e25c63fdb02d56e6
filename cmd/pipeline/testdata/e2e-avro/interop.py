"""Kafka interop for the Avro format with independent clients: confluent-kafka
(librdkafka, Debian python3-confluent-kafka) moves the records, Apache Avro's
Python library (python3-avro) encodes and decodes them, framed by hand in the
Confluent wire format (magic byte 0, 4-byte big-endian schema ID, payload).

  interop.py produce BROKER TOPIC SCHEMA_FILE SCHEMA_ID
      produces RECORDS, framed with SCHEMA_ID, then one value that is not a frame
  interop.py consume BROKER TOPIC REGISTRY_URL COUNT
      reads COUNT records from the beginning, looks each frame's schema up by
      its ID in the registry (GET /schemas/ids/ID) and prints one JSON line per
      record, keys sorted, with the frame's ID as "_schema_id"
"""
import io
import json
import struct
import sys
import time
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, Producer

RECORDS = [
    {"id": "a", "amount": 150, "note": "gift"},
    {"id": "b", "amount": 50, "note": None},
    {"id": "c", "amount": 100, "note": None},
]


def produce(broker, topic, schema_file, schema_id):
    with open(schema_file) as f:
        schema = avro.schema.parse(f.read())
    writer = avro.io.DatumWriter(schema)
    p = Producer({"bootstrap.servers": broker})
    for rec in RECORDS:
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, schema_id))
        writer.write(rec, avro.io.BinaryEncoder(buf))
        p.produce(topic, value=buf.getvalue())
    p.produce(topic, value=b"not an avro frame")
    if p.flush(30) != 0:
        sys.exit("produce: records left unsent")


def consume(broker, topic, registry, count):
    c = Consumer({"bootstrap.servers": broker, "group.id": "interop-py",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    schemas, out, deadline = {}, [], time.time() + 30
    while len(out) < count and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            sys.exit("consume: %s" % msg.error())
        value = msg.value()
        magic, schema_id = struct.unpack(">bI", value[:5])
        if magic != 0:
            sys.exit("consume: magic byte %d" % magic)
        if schema_id not in schemas:
            with urllib.request.urlopen("%s/schemas/ids/%d" % (registry, schema_id)) as r:
                schemas[schema_id] = avro.schema.parse(json.load(r)["schema"])
        reader = avro.io.DatumReader(schemas[schema_id])
        rec = reader.read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))
        rec["_schema_id"] = schema_id
        out.append(json.dumps(rec, sort_keys=True))
    c.close()
    for line in sorted(out):
        print(line)


def main():
    mode = sys.argv[1]
    if mode == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "consume":
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
