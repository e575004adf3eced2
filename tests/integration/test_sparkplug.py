"""test_sparkplug.py - outputs.sparkplug, decoded by an independent
Sparkplug B implementation.

A real broker, the simulator (an xy-md02 on unit 1, a modbus-di8 on unit
3) and `facmon run` with `outputs = { sparkplug = { group = "tokyo-dc1";
}; }`, started healthy. The host is sparkplug_host.js: npm's
sparkplug-payload (Eclipse Tahu's JavaScript codec) with MQTT.js under
Node, installed by this test into the build tree; skipped (exit 77) only
when npm cannot reach its registry. Checked, on what it decodes:
- NBIRTH: seq 0, bdSeq (Int64), "Node Control/Rebirth" (Boolean false, no
  alias), an alert metric per alert (Boolean, aliased);
- DBIRTH per device: each point's name, alias (unique across the edge
  node), datatype (Double for a scaled register, Boolean for a contact),
  value and engUnit;
- DDATA after the simulator changes a value: that metric alone, by alias;
  NDATA when an alert starts firing;
- DDEATH when a device is muted and goes down, DBIRTH when it is back;
- seq: +1 mod 256 on every message after the NBIRTH (NDEATH has none);
- NDEATH as the will when the agent is killed (SIGKILL), with the bdSeq of
  the NBIRTH; the next start's NBIRTH has bdSeq + 1 (kept in the state
  dir); a clean stop publishes the NDEATH itself;
- an NCMD "Node Control/Rebirth" = true encoded by sparkplug-payload brings
  a new NBIRTH (seq 0, same bdSeq) and a DBIRTH per device.
How a dead broker or host never delays polling: the connection is the
output's own, driven by the agent's loop without blocking (outputs/
spb_link.c); test_broker_outage covers the loop with a broker away.
"""

import json
import os
import subprocess
import sys
import threading
import time
import unittest

from harness import (Agent, Mosquitto, NpmUnavailable, Sim, npm_install, room_config,
                     wait_until)

GROUP = "tokyo-dc1"
EDGE = "gw1"
NS = f"spBv1.0/{GROUP}"
PACKAGES = ["sparkplug-payload@1.0.3", "mqtt@5.16.0"]
HOST_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparkplug_host.js")
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    severity = "critical"; }
"""

try:
    NODE_MODULES = npm_install("sparkplug", PACKAGES)
except NpmUnavailable as e:
    print(f"SKIP: test_sparkplug needs npm's {', '.join(PACKAGES)}: {e}")
    sys.exit(77)


class SparkplugHost:
    """sparkplug_host.js subscribed to spBv1.0/# on the broker at PORT; its
    decoded messages in .messages (dicts with topic and payload)."""

    def __init__(self, port):
        env = dict(os.environ, NODE_PATH=NODE_MODULES)
        self.proc = subprocess.Popen(["node", HOST_JS, str(port)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.messages = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda m: m.get("ready"), message="the host's subscription")

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.messages.append(json.loads(line))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.messages)

    def wait(self, pred, after=0, timeout=15, message="a message"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for m in self.messages[after:]:
                    if pred(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    break
                self.cond.wait(min(left, 0.5))
            seen = "\n".join(json.dumps(m)[:300] for m in self.messages[-15:])
        raise AssertionError(f"no {message} within {timeout}s; the host saw:\n{seen}\n"
                             f"its stderr: {self.stderr()}")

    def on(self, kind, device=None, after=0, pred=lambda p: True, timeout=15):
        topic = f"{NS}/{kind}/{EDGE}" + (f"/{device}" if device else "")
        return self.wait(lambda m: m.get("topic") == topic and pred(m["payload"]),
                         after, timeout, f"{topic}")["payload"]

    def send(self, command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def stderr(self):
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def metrics(payload):
    return {m["name"]: m for m in payload.get("metrics", []) if "name" in m}


class Sparkplug(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02", 3: "modbus-di8"},
                       sets={"1.temperature": 22.5, "1.humidity": 41.0, "3.di1": 1})
        self.host = SparkplugHost(self.broker.port)
        config = room_config(self.broker.port, self.sim.port, name=EDGE, rules=RULES,
                             devices=(("rack-a", 1, "xy-md02"), ("floor", 3, "modbus-di8")),
                             down_after=2,
                             extra=f'outputs = {{ sparkplug = {{ group = "{GROUP}"; }}; }};\n')
        self.agent = Agent(config)
        for f in (self.agent, self.host, self.sim, self.broker):
            self.addCleanup(f.close)
        self.nbirth = self.host.on("NBIRTH")
        self.rack = self.host.on("DBIRTH", "rack-a")
        self.floor = self.host.on("DBIRTH", "floor")

    def sequence(self, after=0):
        """The seq of every message from the edge node since AFTER, NDEATH's
        excepted, in arrival order."""
        return [m["payload"]["seq"] for m in self.host.messages[after:]
                if m.get("topic", "").startswith(NS) and "/NDEATH/" not in m["topic"]
                and "/NCMD/" not in m["topic"]]

    def assert_continuous(self, seqs):
        self.assertEqual(seqs[0], 0, "the NBIRTH's seq")
        for a, b in zip(seqs, seqs[1:]):
            self.assertEqual(b, (a + 1) % 256, f"seq continuity in {seqs}")

    def test_births_data_deaths_and_the_will(self):
        node = metrics(self.nbirth)
        self.assertEqual(self.nbirth["seq"], 0)
        self.assertEqual(node["bdSeq"]["type"], "Int64")
        bdseq = node["bdSeq"]["value"]
        self.assertEqual(bdseq, 0, "the first session of a new state dir")
        rebirth = node["Node Control/Rebirth"]
        self.assertEqual((rebirth["type"], rebirth["value"]), ("Boolean", False))
        self.assertNotIn("alias", rebirth, "a host must be able to ask without aliases")
        alert = node["Alerts/room-temp-high"]
        self.assertEqual((alert["type"], alert["value"]), ("Boolean", False))

        rack, floor = metrics(self.rack), metrics(self.floor)
        temp = rack["temperature"]
        self.assertEqual((temp["type"], temp["value"]), ("Double", 22.5))
        self.assertEqual(temp["properties"]["engUnit"], {"type": "String", "value": "degC"})
        self.assertEqual((rack["humidity"]["type"], rack["humidity"]["value"]),
                         ("Double", 41.0))
        self.assertEqual((floor["di1"]["type"], floor["di1"]["value"]), ("Boolean", True))
        self.assertEqual(floor["di2"]["value"], False)
        self.assertEqual(len(floor), 8)
        aliases = [m["alias"] for p in (self.nbirth, self.rack, self.floor)
                   for m in p["metrics"] if "alias" in m]
        self.assertEqual(len(aliases), len(set(aliases)), f"unique aliases {aliases}")
        self.assertEqual(len(aliases), len(node) - 4 + 4 + 8,
                         "every alert and point has one; bdSeq, the rebirth control and "
                         "the two properties have none")

        mark = self.host.mark()
        self.sim.set(1, "temperature", 23.5)
        data = self.host.on("DDATA", "rack-a", mark,
                            lambda p: any(m.get("alias") == temp["alias"]
                                          for m in p["metrics"]))
        self.assertEqual(data["metrics"], [{"alias": temp["alias"], "value": 23.5,
                                            "type": "Double",
                                            "timestamp": data["metrics"][0]["timestamp"]}],
                         "the changed metric alone, by alias")
        self.sim.set(1, "temperature", 35.0)
        fired = self.host.on("NDATA", None, mark)
        self.assertEqual([(m["alias"], m["value"]) for m in fired["metrics"]],
                         [(alert["alias"], True)])

        mark = self.host.mark()
        self.sim.mute(3)
        death = self.host.on("DDEATH", "floor", mark)
        self.assertEqual(death.get("metrics", []), [])
        self.sim.mute(3, False)
        back = self.host.on("DBIRTH", "floor", mark)
        self.assertEqual(metrics(back)["di1"]["value"], True)
        self.assert_continuous(self.sequence())

        mark = self.host.mark()
        self.agent.kill()
        will = self.host.on("NDEATH", None, mark)
        self.assertNotIn("seq", will)
        self.assertEqual([(m["name"], m["type"], m["value"]) for m in will["metrics"]],
                         [("bdSeq", "Int64", bdseq)], "the will of the NBIRTH's session")

        mark = self.host.mark()
        self.agent.start()
        again = metrics(self.host.on("NBIRTH", None, mark))
        self.assertEqual(again["bdSeq"]["value"], bdseq + 1, "bdSeq kept across restarts")
        mark = self.host.mark()
        self.agent.stop()
        bye = self.host.on("NDEATH", None, mark)
        self.assertEqual(metrics(bye)["bdSeq"]["value"], bdseq + 1, "a clean stop's NDEATH")

    def test_a_broker_away_delays_no_polling_and_the_next_session_is_born_again(self):
        bdseq = metrics(self.nbirth)["bdSeq"]["value"]
        mark = self.host.mark()
        self.broker.stop()
        before = self.sim.stats(1)
        time.sleep(3)  # the edge node retries meanwhile (1 s, 2 s, ...)
        self.assertGreaterEqual(self.sim.stats(1) - before, 2, "polling went on")
        self.broker.start()
        birth = self.host.on("NBIRTH", None, mark, timeout=20)
        self.assertEqual(metrics(birth)["bdSeq"]["value"], bdseq + 1,
                         "one more than the last accepted session, whatever the attempts")
        self.host.on("DBIRTH", "rack-a", mark)
        self.host.on("DBIRTH", "floor", mark)

    def test_a_rebirth_request_brings_every_birth_again(self):
        bdseq = metrics(self.nbirth)["bdSeq"]["value"]
        mark = self.host.mark()
        self.host.send({"rebirth": f"{GROUP}/{EDGE}"})
        self.host.wait(lambda m: m.get("sent"), mark, message="the NCMD sent")
        birth = self.host.on("NBIRTH", None, mark)
        self.assertEqual(birth["seq"], 0)
        self.assertEqual(metrics(birth)["bdSeq"]["value"], bdseq, "the same session")
        rack = self.host.on("DBIRTH", "rack-a", mark)
        floor = self.host.on("DBIRTH", "floor", mark)
        self.assertEqual(metrics(rack)["temperature"]["alias"],
                         metrics(self.rack)["temperature"]["alias"])
        self.assertEqual(metrics(floor)["di1"]["value"], True)
        self.assert_continuous(self.sequence(mark))
        self.agent.wait_log(r"INFO sparkplug: rebirth requested")


if __name__ == "__main__":
    unittest.main(verbosity=2)
