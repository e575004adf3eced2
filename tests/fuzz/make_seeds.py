#!/usr/bin/python3
"""make_seeds.py - writes the binary seeds of corpus/fuzz_modbus_decode,
fuzz_modbus_plan, fuzz_snmp_value and fuzz_command (the layouts are in each
target's header comment), and the truncated and corrupted variants of
corpus/fuzz_store/facmon.db (made by store_seed.c). Run from tests/fuzz/ to
regenerate them; scripts/fuzz only reads them."""
import os
import struct
import sqlite3
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# enum fm_value_type / fm_word_order / fm_read_kind, as in config/config.h
T = dict(bool=0, int16=1, uint16=2, int32=3, uint32=4, float32=5, int64=6,
         uint64=7, float64=8)
O = dict(abcd=0, cdab=1, badc=2, dcba=3)
R = dict(holding=0, input=1, coil=2, discrete=3)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def regs(*words):
    words = list(words) + [0] * (4 - len(words))
    return struct.pack(">4H", *words)


def decode_seeds():
    no_bit, plain1, plain01 = 0xff, 0, 1
    seeds = {
        # Eastron SDM630 voltage L1, float32 abcd: 230.1 V
        "sdm630-voltage": bytes([T["float32"], O["abcd"], no_bit, plain1]) +
        regs(*struct.unpack(">2H", struct.pack(">f", 230.1))),
        # the same read with words swapped (cdab), as many gateways send it
        "float32-cdab": bytes([T["float32"], O["cdab"], no_bit, plain1]) +
        regs(*reversed(struct.unpack(">2H", struct.pack(">f", 230.1)))),
        # XY-MD02 temperature, int16 scale 0.1: 23.5 degC, and -4.2
        "xy-md02-temp": bytes([T["int16"], 0, no_bit, plain01]) + regs(235),
        "int16-negative": bytes([T["int16"], 0, no_bit, plain01]) + regs(0xffd6),
        # fire panel status word, bit 3 (zone 4 alarm)
        "status-bit3": bytes([T["uint16"], 0, 3, plain1]) + regs(0x0009),
        # energy counter uint32 dcba, int32 badc
        "energy-uint32": bytes([T["uint32"], O["dcba"], no_bit, plain01]) + regs(0x3412, 0x7856),
        "int32-badc": bytes([T["int32"], O["badc"], no_bit, 3]) + regs(0xfeff, 0xffff),
        # 64-bit counters and a float64, with a fuzzed scale and offset
        "uint64-counter": bytes([T["uint64"], O["abcd"], no_bit, 9]) + regs(0, 1, 2, 3) +
        struct.pack("<dd", 0.001, 0.0) + struct.pack("<d", 1e19),
        "float64-offset": bytes([T["float64"], O["cdab"], no_bit, 9]) +
        regs(*struct.unpack(">4H", struct.pack(">d", 21.75))) +
        struct.pack("<dd", 1.0, -273.15) + struct.pack("<d", float("nan")),
        "int64-min": bytes([T["int64"], O["dcba"], no_bit, 9]) + regs(0, 0, 0, 0x0080) +
        struct.pack("<dd", -2.5, 1e6) + struct.pack("<d", float("inf")),
        "bool": bytes([T["bool"], 0, no_bit, plain1]) + regs(5),
    }
    for name, data in seeds.items():
        write("fuzz_modbus_decode", name, data)


def point(read, typ, address, bit=0xff):
    return bytes([R[read] | T[typ] << 2, bit]) + struct.pack(">H", address)


def plan_seeds():
    # Eastron SDM630: 3 voltages, 3 currents, 3 powers, frequency, energy
    sdm = b"".join(point("input", "float32", a) for a in (0, 2, 4, 6, 8, 10, 12, 14, 16, 70, 342))
    write("fuzz_modbus_plan", "sdm630", bytes([124, 0, 1]) + sdm)
    # the same with max_registers 10 and gaps bridged up to 8 registers
    write("fuzz_modbus_plan", "sdm630-limited", bytes([9, 8, 1]) + sdm + b"\x00\x01\x02")
    # a fire panel: a status word read as bits, a count, and its coils
    fire = b"".join(point("holding", "uint16", 0, b) for b in range(8))
    fire += point("holding", "uint16", 0) + point("holding", "uint16", 1)
    fire += b"".join(point("coil", "bool", a) for a in range(4))
    write("fuzz_modbus_plan", "fire-panel", bytes([124, 0, 1]) + fire + b"\x00\x03")
    # an 8-input DI module, not coalesced
    di = b"".join(point("discrete", "bool", a) for a in range(8))
    write("fuzz_modbus_plan", "di8-no-coalesce", bytes([124, 0, 0]) + di + b"\x01")
    # the last registers of the address space, and a float64 wider than the limit
    edge = point("holding", "float64", 65532) + point("holding", "uint16", 65535, 15)
    edge += point("input", "float64", 100) + point("input", "uint16", 101, 2)
    write("fuzz_modbus_plan", "edges", bytes([0, 0, 1]) + edge + b"\x00\x01\x02\x03")


# indexes into fuzz_snmp_value.c's fuzz_types
S = dict(integer=0, octets=1, counter=2, gauge=3, timeticks=4, uinteger=5,
         counter64=6, oid=7, ipaddress=8, opaque=9, null=10, nosuchobject=11,
         nosuchinstance=12, endofmibview=13)


def varbind(typ, scale, value, oid):
    return bytes([S[typ], scale, len(value)]) + value + oid.encode()


def snmp_seeds():
    seeds = {
        # UPS-MIB upsBatteryTemperature INTEGER 23, upsInputVoltage Gauge32 230
        "ups-battery-temp": varbind("integer", 0, struct.pack("<q", 23), "1.3.6.1.2.1.33.1.2.7.0"),
        "ups-input-voltage": varbind("gauge", 0, struct.pack("<Q", 230), ".1.3.6.1.2.1.33.1.3.3.1.3.1"),
        # a negative INTEGER with an offset, a Counter32 about to wrap
        "integer-negative": varbind("integer", 129, struct.pack("<q", -40), "1.3.6.1.4.1.318.1.1.10.4.2.3.1.5.0.1"),
        "counter32-wrap": varbind("counter", 0, struct.pack("<Q", 0xffffffff), "1.3.6.1.2.1.2.2.1.10.1"),
        "timeticks": varbind("timeticks", 2, struct.pack("<Q", 123456789), "1.3.6.1.2.1.1.3.0"),
        "counter64": varbind("counter64", 0, struct.pack("<QQ", 1, 42), "1.3.6.1.2.1.31.1.1.1.6.1"),
        # AKCP sensorProbe sends temperatures as text
        "octets-number": varbind("octets", 1, b" 23.5 ", "1.3.6.1.4.1.3854.1.2.2.1.16.1.3.0"),
        "octets-text": varbind("octets", 0, b"OnLine\x00\xff", "1.3.6.1.4.1.3854.1.2.2.1.16.1.4.0"),
        "nosuchobject": varbind("nosuchobject", 0, b"", "1.3.6.1.2.1.33.1.2.4.0"),
        "nosuchinstance": varbind("nosuchinstance", 0, b"", "1.3.6"),
        "endofmibview": varbind("endofmibview", 0, b"", "1.3.6.1.4294967295"),
        "ipaddress": varbind("ipaddress", 0, bytes([10, 0, 0, 1]), "1..3"),
        "oid-value": varbind("oid", 0, struct.pack("<4Q", 1, 3, 6, 1), "1.3.6.1.2.1.33.1.1.2.0"),
    }
    for name, data in seeds.items():
        write("fuzz_snmp_value", name, data)


def command_seeds():
    ack, silence, none = b"\x00", b"\x01", b"\x02"
    seeds = {
        "ack": ack + b'{"rule":"room-temp-high","by":"tanaka","comment":"AC tech called"}',
        "ack-row": ack + b'{"rule":"room-hot.rack_3_top","by":"suzuki"}',
        "ack-comm": ack + b'{"rule":"rack-a.comm","by":"\xe7\x94\xb0\xe4\xb8\xad","comment":"\xe8\xa8\xad46"}',
        "silence": silence + b'{"match":"rack-a.*","duration":"2h","by":"tanaka","why":"AC maintenance"}',
        "silence-seconds": silence + b'{"match":"*.comm","duration":5400,"by":"tanaka","why":""}',
        "silence-7d": silence + b'{"match":"room-temp-high","duration":"7d","by":"tanaka","why":"x"}',
        "cancel-id": silence + b'{"cancel":"12","by":"tanaka"}',
        "cancel-number": silence + b'{"cancel":12,"by":"tanaka","why":"done"}',
        "cancel-match": silence + b'{"match":"rack-a.*","cancel":true,"by":"tanaka"}',
        "escaped-nul": ack + b'{"rule":"a\\u0000b","by":"tanaka"}',
        "duplicate-key": ack + b'{"rule":"a","rule":"b","by":"tanaka"}',
        "wrong-topic": none + b'{"rule":"room-temp-high","by":"tanaka"}',
        "not-json": ack + b'rule=room-temp-high',
    }
    for name, data in seeds.items():
        write("fuzz_command", name, data)


def store_variants():
    """From facmon.db (store_seed.c): the same with small pages, truncated,
    a header and a page overwritten, and a database that is not facmon's."""
    d = os.path.join(CORPUS, "fuzz_store")
    with open(os.path.join(d, "facmon.db"), "rb") as f:
        db = f.read()
    tmp = tempfile.mkdtemp()
    try:
        small = os.path.join(tmp, "small.db")
        shutil.copy(os.path.join(d, "facmon.db"), small)
        c = sqlite3.connect(small)
        c.execute("PRAGMA journal_mode=DELETE")
        c.execute("PRAGMA page_size=512")
        c.execute("VACUUM")
        c.close()
        with open(small, "rb") as f:
            small_db = f.read()
        other = os.path.join(tmp, "other.db")
        c = sqlite3.connect(other)
        c.execute("PRAGMA page_size=512")
        c.execute("CREATE TABLE events (id TEXT)")
        c.execute("CREATE VIEW alerts AS SELECT 1")
        c.commit()
        c.close()
        with open(other, "rb") as f:
            other_db = f.read()
    finally:
        shutil.rmtree(tmp)
    write("fuzz_store", "small-pages.db", small_db)
    write("fuzz_store", "truncated-header.db", small_db[:60])
    write("fuzz_store", "truncated-half.db", small_db[:len(small_db) // 2])
    bad_header = bytearray(small_db)
    bad_header[16:18] = b"\x00\x07"  # an impossible page size
    write("fuzz_store", "bad-page-size.db", bytes(bad_header))
    bad_page = bytearray(small_db)
    bad_page[512 + 8:512 + 40] = b"\xff" * 32  # the second page's header
    write("fuzz_store", "bad-page.db", bytes(bad_page))
    write("fuzz_store", "not-facmons.db", other_db)
    write("fuzz_store", "empty.db", b"")
    write("fuzz_store", "text.db", b"facmon state\n")


if __name__ == "__main__":
    decode_seeds()
    plan_seeds()
    snmp_seeds()
    command_seeds()
    store_variants()
