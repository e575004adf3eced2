"""test_silence_policy.py - operators' commands cannot blind the monitoring.

A real broker, the simulator and `facmon run` with `agent.commands = {
max_silence = 3600; max_silences = 2; }` (silence_self left false), started
healthy with room-temp-high firing. Each refused command is a WARN and an
event of type "command" (action "refused", with the reason), counted on
R/events:
- `{"match":"*"}` without `"all": true` is refused;
- a silence that would cover only failure detection (`*.comm`) is refused;
- one longer than max_silence is refused;
- the third silence while two are in place is refused.
`{"match":"*","all":true}` is set: room-temp-high is published silenced,
but when the device then stops answering, rack-a.comm fires unsilenced:
a silence of everything never hides a dead device.
"""

import json
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, run_cli
from test_commands import Publisher

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""
POLICY = 'log_level = "debug";\n  commands = { max_silence = 3600; max_silences = 2; };'


def refused(reason):
    return lambda p: (p.get("type") == "command" and p.get("action") == "refused"
                      and reason in p.get("reason", ""))


class SilencePolicy(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 35.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        config = room_config(self.broker.port, self.sim.port, rules=RULES, down_after=2)
        self.agent = Agent(config.replace('log_level = "debug";', POLICY))
        self.op = Publisher(self.broker.port)
        for f in (self.op, self.agent, self.watch, self.sim, self.broker):
            self.addCleanup(f.close)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                            lambda p: p["state"] == "firing")

    def silence(self, match, duration, **extra):
        self.op.send("silence", dict({"match": match, "duration": duration, "by": "mallory",
                                      "why": "quiet please"}, **extra))

    def event(self, predicate, after=0):
        return self.watch.wait_for(f"{ROOT}/events", predicate, after=after).payload

    def test_limits_hold_and_a_dead_device_is_never_silenced(self):
        self.silence("*", "30m")
        ev = self.event(refused('"*" matches every alert; send "all": true'))
        self.assertEqual((ev["command"], ev["by"], ev["match"]), ("silence", "mallory", "*"))
        self.silence("*.comm", "30m")
        self.event(refused("would cover only the agent's failure detection"))
        self.silence("room-*", "2h")
        self.event(refused("7200 s is longer than agent.commands.max_silence (3600 s)"))

        mark = self.watch.mark()
        self.silence("*", "30m", all=True)
        self.event(lambda p: p.get("type") == "silence" and p.get("action") == "set")
        room = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                   lambda p: p["silenced"], after=mark).payload
        self.assertEqual(room["silence"]["match"], "*")
        self.silence("room-temp-*", "10m")
        self.event(lambda p: p.get("type") == "silence" and p.get("match") == "room-temp-*")
        self.silence("rack-a.*", "10m")
        self.event(refused("2 operators' silences are in place already"))

        # the device dies: its comm alert fires, and no silence covers it
        mark = self.watch.mark()
        self.sim.mute(1)
        fired = self.event(lambda p: p.get("rule") == "rack-a.comm" and
                           p.get("to") == "firing", after=mark)
        self.assertFalse(fired["silenced"])
        comm = self.watch.wait_for(f"{ROOT}/alert/rack-a.comm",
                                   lambda p: p["state"] == "firing", after=mark).payload
        self.assertFalse(comm["silenced"])

        # every refusal is in the history, as an auditor reads it
        rc, out, err = run_cli("history", "-c", self.agent.config_path, "--json",
                               "--type", "command")
        self.assertEqual(rc, 0, err)
        self.assertEqual([(r["to"], r["event"]["match"]) for r in json.loads(out)],
                         [("refused", "*"), ("refused", "*.comm"), ("refused", "room-*"),
                          ("refused", "rack-a.*")])
        self.assertRegex(self.agent.log(), r"WARN command silence match=\* duration=1800s "
                                           r"by=mallory .*: refused: ")


if __name__ == "__main__":
    unittest.main(verbosity=2)
