"""test_commands.py - operators' commands over MQTT, end to end.

A real broker, the simulator and `facmon run`; commands are published with
paho as an operator's tool would. Checks on the agent's log that a valid
ack, silence and cancel are parsed with the right fields; that an ack
marks the firing alert acknowledged (who, comment; an `ack` event) without
resolving it, a second ack or one for an unknown rule is answered in the
log and ignored, and a silence marks the alert until it is cancelled; that malformed
ones (bad JSON, binary, 1 MB, wrong fields, control characters) are each
rejected with their reason, the topic and a bounded line, and never acted
on; that a retained command is acted on once, when it is sent, and ignored
at the next subscription; that the agent subscribes again after a broker
restart; and that through all of it the agent keeps running and publishing
telemetry.
"""

import json
import os
import re
import unittest

import paho.mqtt.client as mqtt

from harness import HOST, Agent, Mosquitto, MqttWatch, Sim, room_config, wait_until

ROOT = "facmon/testsite/gw1"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical"; }
"""


class Publisher:
    """One paho client that publishes QoS 1 and waits for each PUBACK, so
    messages reach the broker in the order they are sent."""

    def __init__(self, port):
        self.client = mqtt.Client(client_id=f"facmon-operator-{os.getpid()}")
        self.client.connect(HOST, port, keepalive=30)
        self.client.loop_start()

    def send(self, kind, payload, retain=False):
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False)
        info = self.client.publish(f"{ROOT}/cmd/{kind}", payload, qos=1,
                                   retain=retain)
        info.wait_for_publish(10)
        if not info.is_published():
            raise AssertionError(f"no PUBACK for {kind} {payload!r:.80}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def log_lines(agent, after=0):
    """The agent's log lines, from character offset AFTER on."""
    return agent.log()[after:].splitlines()


def wait_line(agent, pattern, after=0, timeout=10.0):
    """The first log line from AFTER on that fully matches PATTERN."""
    rx = re.compile(pattern)
    try:
        return wait_until(
            lambda: next((l for l in log_lines(agent, after) if rx.fullmatch(l)),
                         None), timeout, message=f"a log line {pattern!r}")
    except AssertionError as e:
        raise AssertionError(f"{e}; agent log after the mark:\n"
                             f"{agent.log()[after:][-4000:]}") from None


def rejected(kind, nbytes, reason):
    return (re.escape(f"WARN mqtt: rejected command on {ROOT}/cmd/{kind} "
                      f"({nbytes} bytes): {reason}"))


def info_command(text, outcome=r"(?:INFO|WARN) "):
    """A command's log line: parsed as TEXT, then what the agent did."""
    return outcome + re.escape(f"command {text}") + r"(?:: .*)?"


class Commands(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto()
        cls.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 23.4})
        cls.watch = MqttWatch(cls.broker.port, f"{ROOT}/#")
        cls.agent = Agent(room_config(cls.broker.port, cls.sim.port, rules=RULES))
        wait_line(cls.agent, re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/ack"))
        wait_line(cls.agent, re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/silence"))
        cls.pub = Publisher(cls.broker.port)

    @classmethod
    def tearDownClass(cls):
        for f in (cls.pub, cls.agent, cls.watch, cls.sim, cls.broker):
            f.close()

    def mark(self):
        return len(self.agent.log())

    def assert_alive_and_publishing(self):
        self.assertTrue(self.agent.running(), "the agent is still running")
        mark = self.watch.mark()
        tel = self.watch.wait_for(f"{ROOT}/telemetry/rack-a", after=mark)
        self.assertEqual(tel.payload["points"]["temperature"]["v"], 23.4)

    def test_1_valid_commands_are_parsed(self):
        cases = [
            ("ack", {"rule": "room-temp-high", "by": "tanaka",
                     "comment": "AC tech called"},
             'ack rule=room-temp-high by=tanaka comment="AC tech called"'),
            ("ack", {"rule": "rack-a.comm", "by": "田中"},
             "ack rule=rack-a.comm by=田中"),
            ("silence", {"match": "rack-a.*", "duration": "2h", "by": "tanaka",
                         "why": "AC maintenance"},
             'silence match=rack-a.* duration=7200s by=tanaka why="AC maintenance"'),
            ("silence", {"match": "room-temp-high", "duration": 90, "by": "sato",
                         "why": "sensor swap"},
             'silence match=room-temp-high duration=90s by=sato why="sensor swap"'),
            ("silence", {"cancel": "s-17", "by": "tanaka"},
             "unsilence id=s-17 by=tanaka"),
            ("silence", {"match": "rack-a.*", "cancel": True, "by": "tanaka",
                         "why": "done early"},
             'unsilence match=rack-a.* by=tanaka why="done early"'),
        ]
        for kind, payload, want in cases:
            with self.subTest(payload=payload):
                mark = self.mark()
                self.pub.send(kind, payload)
                wait_line(self.agent, info_command(want), after=mark)
        self.assertNotIn("WARN mqtt: rejected", self.agent.log())

    def test_2_invalid_commands_are_rejected_with_the_reason(self):
        huge = b'{"rule":"r","by":"t","comment":"' + b"x" * (1 << 20) + b'"}'
        binary = bytes(range(256)) * 4
        cases = [
            ("ack", "room-temp-high please", "invalid JSON (at byte 0)"),
            ("ack", "[1,2]", "not a JSON object (got an array)"),
            ("ack", binary, "binary payload (a NUL byte at byte 0)"),
            ("ack", b"\xff\xfe{}", "invalid JSON (at byte 0)"),
            ("ack", huge, f"payload too large ({len(huge)} bytes, at most 4096)"),
            ("ack", {"rule": "room-temp-high"}, '"by": missing'),
            ("ack", {"rule": "room-temp-high", "by": ""}, '"by": empty'),
            ("ack", {"rule": "room-temp-high", "by": 7},
             '"by": must be a string, not a number'),
            ("ack", {"rule": "room-temp-high", "by": "x\u001b[2Jy"},
             '"by": contains a control character (byte 1)'),
            ("ack", {"rule": "room-temp-high", "by": "t" * 64},
             '"by": too long (64 bytes, at most 63)'),
            ("ack", {"rule": "room-temp-high", "by": "t", "acked": True},
             'unknown key "acked" (ack takes "rule", "by", "comment")'),
            ("silence", {"match": "rack-a.*", "duration": "8d", "by": "t",
                         "why": "w"},
             '"duration": 8d: longer than 7 days, the longest silence '
             '(renew it if the work takes longer)'),
            ("silence", {"match": "rack-a.*", "duration": 0, "by": "t", "why": "w"},
             '"duration": 0: must be more than 0'),
            ("silence", {"match": "rack-a.*", "duration": "soon", "by": "t",
                         "why": "w"},
             '"duration": "soon" is not a duration (a whole number with s, m, '
             'h or d: "90s", "30m", "2h", "1d")'),
            ("silence", {"match": "rack-a.*", "by": "t", "why": "w"},
             '"duration": missing (a silence always ends: "2h", "30m", or seconds)'),
            ("silence", {"match": "rack-a.*", "cancel": False, "by": "t"},
             '"cancel": must be a silence id, or true with "match"; not false'),
        ]
        mark = self.mark()
        for kind, payload, reason in cases:
            with self.subTest(payload=repr(payload)[:80]):
                raw = payload
                if isinstance(payload, dict):
                    raw = json.dumps(payload)
                nbytes = len(raw.encode() if isinstance(raw, str) else raw)
                self.pub.send(kind, raw)
                line = wait_line(self.agent, rejected(kind, nbytes, reason),
                                 after=mark)
                self.assertLess(len(line), 300, "a rejection is one short line")
        # A valid command sent last arrives after all of them: by then every
        # invalid one has been handled, and none was acted on.
        self.pub.send("ack", {"rule": "sentinel", "by": "t"})
        wait_line(self.agent, info_command("ack rule=sentinel by=t"), after=mark)
        acted = [l for l in log_lines(self.agent, mark)
                 if re.match(r"(INFO|WARN) command ", l)]
        self.assertEqual(acted, ["WARN command ack rule=sentinel by=t: ignored: "
                                 "no such alert or rule"])
        text = self.agent.log()[mark:]
        self.assertNotIn("\x1b", text, "no escape sequence reaches the log")
        self.assertNotIn("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", text,
                         "a payload is never logged")
        self.assert_alive_and_publishing()

    def test_3_retained_command_acts_once_then_is_ignored(self):
        mark = self.mark()
        # Sent while the agent listens: the broker delivers it as a live
        # message, and it acts once.
        self.pub.send("ack", {"rule": "room-temp-high", "by": "retainer"},
                      retain=True)
        wait_line(self.agent, info_command("ack rule=room-temp-high by=retainer"),
                  after=mark)
        # The broker keeps the copy and hands it over at every subscription:
        # after a restart the agent must ignore it, not ack again.
        self.assertEqual(self.agent.restart(), 0)
        wait_line(self.agent, re.escape(
            f"WARN mqtt: ignored a retained command on {ROOT}/cmd/ack (commands "
            f"must not be retained; clear it with an empty retained message)"),
            after=mark)
        wait_line(self.agent, re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/silence"),
                  after=mark)
        acks = [l for l in log_lines(self.agent, mark) if "by=retainer" in l]
        self.assertEqual(len(acks), 1, f"acted on once: {acks}")
        # Clearing it as the warning says is not a command either.
        clear_mark = self.mark()
        self.pub.send("ack", b"", retain=True)
        wait_line(self.agent, re.escape(
            f"INFO mqtt: ignored an empty message on {ROOT}/cmd/ack (a retained "
            f"command being cleared)"), after=clear_mark)
        self.assert_alive_and_publishing()

    def test_4_commands_arrive_after_a_broker_restart(self):
        mark = self.mark()
        self.pub.close()
        self.broker.restart()
        # A new broker knows no subscription: the agent must subscribe again.
        wait_line(self.agent, re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/ack"),
                  after=mark, timeout=40)
        wait_line(self.agent, re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/silence"),
                  after=mark)
        type(self).pub = Publisher(self.broker.port)
        self.pub.send("silence", {"match": "*.comm", "duration": "30m",
                                  "by": "tanaka", "why": "network work"})
        wait_line(self.agent, info_command(
            'silence match=*.comm duration=1800s by=tanaka why="network work"'),
            after=mark)
        self.assert_alive_and_publishing()

    def test_5_ack_and_silence_act_on_the_alert(self):
        def alert(pred):
            return self.watch.wait_for(f"{ROOT}/alert/room-temp-high", pred,
                                       after=mark).payload
        # test_1's silence of room-temp-high (90 s) outlived test_3's restart,
        # as silences do: end it, so that only this test's silences count
        log_mark = self.mark()
        self.pub.send("silence", {"match": "room-temp-high", "cancel": True, "by": "suzuki"})
        wait_line(self.agent, info_command("unsilence match=room-temp-high by=suzuki"),
                  after=log_mark)
        mark = self.watch.mark()
        log_mark = self.mark()
        # nothing firing: an ack has nothing to acknowledge
        self.pub.send("ack", {"rule": "room-temp-high", "by": "early"})
        wait_line(self.agent, info_command("ack rule=room-temp-high by=early", "WARN "),
                  after=log_mark)
        self.assertIn("ignored: not firing; nothing to acknowledge",
                      self.agent.log()[log_mark:])
        self.sim.set(1, "temperature", 35.0)
        alert(lambda p: p["state"] == "firing")
        self.pub.send("ack", {"rule": "room-temp-high", "by": "tanaka",
                              "comment": "AC tech called"})
        acked = alert(lambda p: p["acked"])
        self.assertEqual((acked["state"], acked["ack"]["by"], acked["ack"]["comment"]),
                         ("firing", "tanaka", "AC tech called"))  # never resolves
        ev = self.watch.wait_for(f"{ROOT}/events",
                                 lambda p: p.get("type") == "ack", after=mark).payload
        self.assertEqual((ev["rule"], ev["ack"]["by"]), ("room-temp-high", "tanaka"))
        # a second ack and an unknown rule: answered in the log, ignored
        log_mark = self.mark()
        self.pub.send("ack", {"rule": "room-temp-high", "by": "sato"})
        self.pub.send("ack", {"rule": "no-such-rule", "by": "sato"})
        wait_line(self.agent, r"WARN command ack rule=no-such-rule by=sato: ignored: "
                  r"no such alert or rule", after=log_mark)
        self.assertIn("ack rule=room-temp-high by=sato: ignored: already acknowledged",
                      self.agent.log()[log_mark:])
        self.assertEqual(len([m for m in self.watch.messages(f"{ROOT}/events", mark)
                              if m.payload.get("type") == "ack"]), 1)
        # a silence marks the alert; ending it unmarks it
        self.pub.send("silence", {"match": "rack-a.*", "duration": "1h", "by": "suzuki",
                                  "why": "AC maintenance"})
        self.pub.send("silence", {"match": "room-*", "duration": "1h", "by": "suzuki",
                                  "why": "AC maintenance"})
        silenced = alert(lambda p: p["silenced"])
        self.assertEqual(silenced["silence"]["why"], "AC maintenance")
        self.assertEqual(silenced["silence"]["match"], "room-*")
        self.pub.send("silence", {"match": "room-*", "cancel": True, "by": "suzuki"})
        alert(lambda p: not p["silenced"])
        self.sim.set(1, "temperature", 23.4)
        resolved = alert(lambda p: p["state"] == "resolved")
        self.assertFalse(resolved["acked"])  # the next firing is news again

    def test_6_clean_stop(self):
        self.assertEqual(self.agent.stop(), 0)
        self.assertIn("INFO stopped", self.agent.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
