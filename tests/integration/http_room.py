"""http_room.py - what the tests of outputs.http share.

Owns: a room with the HTTP endpoint on, and reading what it serves:

  HttpRoom        a broker, the simulator (two XY-MD02 at the racks, in
                  location "Server room 1"), an MqttWatch on the agent's
                  topics and `facmon run` with room-temp-high (rack-a's
                  temperature above 30) and `outputs = { http = { listen =
                  "<address>:<free port>"; }; }`, started healthy: the
                  alert ok, telemetry of both racks on MQTT, the port open
  http_get        one request with Python's http.client: (status, headers,
                  body)
  parse_metrics   Prometheus's text format read line by line, strictly:
                  every sample's family has HELP and TYPE before it, label
                  values unescaped; a line of any other form is an error
  skip            exit 77 (CTest: skipped), saying why

Runs under Debian's /usr/bin/python3, with harness.py.
"""

import http.client
import re
import sys

from harness import (Agent, HOST, Mosquitto, MqttWatch, Sim, free_port, room_config,
                     wait_port)

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    severity = "critical"; location = "Server room 1"; }
"""
# rack-a adds a point whose unit needs escaping in a label value
DEVICES = """
  { name = "rack-a"; bus = "sim"; unit = 1; profile = "xy-md02"; interval = 1;
    location = "Server room 1";
    points = ( { name = "pressure"; read = "holding"; address = 259; type = "int16";
                 scale = 0.1; unit = "in\\"H2O\\\\x"; } ); },
  { name = "rack-b"; bus = "sim"; unit = 2; profile = "xy-md02"; interval = 1;
    down_after = 2; location = "Server room 1"; }
"""
# values whose decoding (raw * 0.1) is not the decimal they read as
SETS = {"1.temperature": 22.7, "1.humidity": 41.3, "1.temperature_correction": 1.3,
        "2.temperature": 23.1, "2.humidity": 39.9}


def skip(why):
    print(f"skipped: {why}", flush=True)
    sys.exit(77)


class HttpRoom:
    """The room, started healthy. ADDRESS is what outputs.http listens on
    (its port a free one: .port)."""

    def __init__(self, address=HOST, extra=""):
        self.address = address
        self.port = free_port()
        self._fixtures = []
        try:
            self.broker = self._own(Mosquitto())
            self.sim = self._own(Sim({1: "xy-md02", 2: "xy-md02"}, sets=SETS))
            self.watch = self._own(MqttWatch(self.broker.port, f"{ROOT}/#"))
            config = room_config(self.broker.port, self.sim.port, devices=DEVICES,
                                 rules=RULES, extra=self.http_config() + extra)
            self.agent = self._own(Agent(config))
            self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                lambda p: p["state"] == "ok")
            for dev in ("rack-a", "rack-b"):
                self.telemetry(dev)
            wait_port(self.port, host=address, process=self.agent.process)
        except BaseException:
            self.close()
            raise

    def http_config(self, **keys):
        keys.setdefault("listen", f'"{self.address}:{self.port}"')
        body = " ".join(f"{k} = {v};" for k, v in keys.items())
        return f"outputs = {{ http = {{ {body} }}; }};\n"

    def _own(self, fixture):
        self._fixtures.append(fixture)
        return fixture

    def telemetry(self, device, after=0, predicate=lambda p: True):
        """The payload of the first telemetry of DEVICE from AFTER on with
        every point read and PREDICATE true."""
        return self.watch.wait_for(
            f"{ROOT}/telemetry/{device}",
            lambda p: p["state"] == "up" and all(v["v"] is not None
                                                 for v in p["points"].values())
            and predicate(p), after=after).payload

    def get(self, path, method="GET"):
        return http_get(self.address, self.port, path, method)

    def close(self):
        for f in reversed(self._fixtures):
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def http_get(host, port, path, method="GET", timeout=5.0):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)$")
_COMMENT = re.compile(rf"^# (HELP|TYPE) ({_NAME}) (.*)$")
_LABEL = re.compile(rf'\s*({_NAME})="((?:[^"\\]|\\.)*)"\s*(,|$)')
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def _labels(text, line):
    labels, at = {}, 0
    while at < len(text):
        m = _LABEL.match(text, at)
        if not m:
            raise ValueError(f"bad labels at {text[at:]!r} in {line!r}")
        labels[m.group(1)] = _unescape(m.group(2))
        at = m.end()
    return labels


def parse_metrics(text):
    """{family: {"help", "type", "samples": [(labels dict, float)]}} from
    TEXT; raises ValueError on a line out of the format or a sample
    before its family's HELP and TYPE."""
    families = {}
    if not text.endswith("\n"):
        raise ValueError("the text does not end with a newline")
    for line in text.splitlines():
        m = _COMMENT.match(line)
        if m:
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {"help": None, "type": None, "samples": []})
            if fam["samples"] or fam[kind.lower()] is not None:
                raise ValueError(f"{kind} of {name} repeated or after its samples")
            if kind == "TYPE" and rest not in _TYPES:
                raise ValueError(f"TYPE {rest!r} of {name}")
            fam[kind.lower()] = rest
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"not a sample or HELP/TYPE line: {line!r}")
        name, labels, value = m.groups()
        fam = families.get(name)
        if not fam or fam["help"] is None or fam["type"] is None:
            raise ValueError(f"sample of {name} before its HELP and TYPE")
        fam["samples"].append((_labels(labels or "", line), float(value)))
    return families
