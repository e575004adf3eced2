"""test_silences.py - operators' silences survive a restart of the agent.

A maintenance crew silences "crac1*" until 15:00 at 09:00; the gateway
reboots at 11:00; the silence must still hold. On a real agent with the
simulator and a real broker, a silence is sent on R/cmd/silence and then:
- after a clean restart, and after a SIGKILL and a start, the alert it
  covers is published with "silenced": true from the first publication
  on, under the same silence id, and the log says it was kept;
- cancelled by its id after a restart, it is gone, and stays gone after
  another restart; a new silence never gets the id of a cancelled one;
- one that ended while the agent was down is not resumed (and is pruned),
  while a longer one set with it is;
- a reload keeps the operator's silence and writes no second row; the
  config's own silences are never stored; a cancel by match after a
  restart empties the table;
- a store that cannot be written (another process holds the lock) costs
  a WARN, not the silence: it holds until the agent stops.
The table is read with sqlite3, read-only, as an operator would.
"""

import json
import os
import re
import sqlite3
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, mosquitto_pub, room_config,
                     state_is, wait_until)

ROOT = "facmon/testsite/gw1"
ROOM = f"{ROOT}/alert/room-temp-high"
COMM = f"{ROOT}/alert/rack-a.comm"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; }
"""
SUBSCRIBED = re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/silence")


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def stored_silences(agent):
    """The silences table: (id, pattern, set_by) in id order."""
    db = sqlite3.connect(f"file:{os.path.join(agent.state_dir, 'facmon.db')}?mode=ro",
                         uri=True)
    try:
        return db.execute("SELECT id, pattern, set_by FROM silences ORDER BY id").fetchall()
    finally:
        db.close()


class Silences(unittest.TestCase):

    def setUp(self):
        self.broker = Mosquitto()
        # 35 degC: room-temp-high fires from the first poll and stays firing
        self.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 35.0})
        self.watch = MqttWatch(self.broker.port, f"{ROOT}/#")
        self.agent = None

    def tearDown(self):
        for f in (self.agent, self.watch, self.sim, self.broker):
            if f:
                f.close()

    def start_agent(self, extra="", silence_self=False):
        """SILENCE_SELF: operators' silences may cover rack-a.comm
        (agent.commands; test_silence_policy.py tests the default)."""
        config = room_config(self.broker.port, self.sim.port, rules=RULES, extra=extra)
        if silence_self:
            config = config.replace('log_level = "debug";', 'log_level = "debug";\n'
                                    '  commands = { silence_self = true; };')
        self.agent = Agent(config)
        self.watch.wait_for(ROOM, state_is("firing"))
        self.agent.wait_log(SUBSCRIBED)

    def log_mark(self):
        return len(self.agent.log())

    def wait_line(self, pattern, after):
        """The first match of PATTERN in the agent's log from offset AFTER."""
        rx = re.compile(pattern)
        try:
            return wait_until(lambda: rx.search(self.agent.log()[after:]), 10,
                              message=f"a log line {pattern!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}; agent log after the mark:\n"
                                 f"{self.agent.log()[after:][-4000:]}") from None

    def command(self, payload):
        mosquitto_pub(self.broker.port, f"{ROOT}/cmd/silence", json.dumps(payload))

    def silence(self, match, duration):
        """Sets a silence over MQTT; its id, as the agent answers it."""
        mark = self.log_mark()
        self.command({"match": match, "duration": duration, "by": "tanaka",
                      "why": "filter change"})
        found = self.wait_line(rf"INFO command silence match={re.escape(match)} .*: "
                               rf"silence (\d+)\n", mark)
        return int(found.group(1))

    def restart(self, crash=False):
        """A clean restart, or SIGKILL and a start; waits until the agent
        listens for commands again. The log offset and the watch mark of
        before the restart."""
        log_mark, mark = self.log_mark(), self.watch.mark()
        if crash:
            self.assertLess(self.agent.kill(), 0)
            self.agent.start()
        else:
            self.assertEqual(self.agent.restart(), 0)
        self.wait_line(SUBSCRIBED, log_mark)
        return log_mark, mark

    def first_state(self, topic, mark):
        """The first state published on TOPIC after MARK."""
        return self.watch.wait_for(topic, after=mark, timeout=15).payload

    def assert_resumed(self, topic, sid, mark, log_mark, until):
        state = self.first_state(topic, mark)
        self.assertTrue(state["silenced"], f"first state after the restart: {state}")
        self.assertEqual(state["silence"]["id"], sid)
        self.assertEqual((state["silence"]["by"], state["silence"]["why"]),
                         ("tanaka", "filter change"))
        self.assertEqual(state["silence"]["until"], until)
        self.wait_line(rf"INFO silence {sid}: \S+ until \S+ by tanaka, kept from before "
                       rf"the restart", log_mark)

    def test_silence_survives_a_restart_and_a_crash(self):
        self.start_agent()
        mark = self.watch.mark()
        sid = self.silence("room-*", "2h")
        before = self.watch.wait_for(ROOM, lambda p: p["silenced"], after=mark).payload
        self.assertEqual(before["silence"]["id"], sid)
        self.assertEqual(stored_silences(self.agent), [(sid, "room-*", "tanaka")])

        log_mark, mark = self.restart()
        self.assert_resumed(ROOM, sid, mark, log_mark, before["silence"]["until"])
        self.assertEqual(self.first_state(ROOM, mark)["state"], "firing")

        log_mark, mark = self.restart(crash=True)
        self.assert_resumed(ROOM, sid, mark, log_mark, before["silence"]["until"])
        self.assertEqual(stored_silences(self.agent), [(sid, "room-*", "tanaka")])

    def test_cancel_by_id_after_a_restart_stays_cancelled(self):
        self.start_agent()
        mark = self.watch.mark()
        sid = self.silence("room-*", "2h")
        until = self.watch.wait_for(ROOM, lambda p: p["silenced"],
                                    after=mark).payload["silence"]["until"]
        log_mark, mark = self.restart()
        self.assert_resumed(ROOM, sid, mark, log_mark, until)

        mark, log_mark = self.watch.mark(), self.log_mark()
        self.command({"cancel": str(sid), "by": "tanaka"})
        self.wait_line(rf"INFO command unsilence id={sid} by=tanaka: ended 1 silence\n",
                       log_mark)
        self.watch.wait_for(ROOM, lambda p: not p["silenced"], after=mark)
        self.assertEqual(stored_silences(self.agent), [])

        log_mark, mark = self.restart(crash=True)
        self.assertFalse(self.first_state(ROOM, mark)["silenced"])
        self.assertNotIn("kept from before the restart", self.agent.log()[log_mark:])
        # the id of the cancelled silence is never given again
        self.assertGreater(self.silence("room-*", "1h"), sid)

    def test_silence_that_ended_while_down_is_not_resumed(self):
        self.start_agent(silence_self=True)
        mark = self.watch.mark()
        short = self.silence("room-*", "5s")
        set_at = time.time()
        long = self.silence("rack-a.comm", "1h")
        self.watch.wait_for(ROOM, lambda p: p["silenced"], after=mark)
        comm = self.watch.wait_for(COMM, lambda p: p["silenced"], after=mark).payload
        self.assertEqual(stored_silences(self.agent),
                         [(short, "room-*", "tanaka"), (long, "rack-a.comm", "tanaka")])

        log_mark, mark = self.log_mark(), self.watch.mark()
        self.assertEqual(self.agent.stop(), 0)
        time.sleep(max(0.0, set_at + 6 - time.time()))  # the short one ends meanwhile
        self.agent.start()
        self.assert_resumed(COMM, long, mark, log_mark, comm["silence"]["until"])
        self.assertFalse(self.first_state(ROOM, mark)["silenced"])
        self.assertNotRegex(self.agent.log()[log_mark:], rf"INFO silence {short}:")
        self.wait_line(r"DEBUG store: dropped 1 silence that ended\n", log_mark)
        self.assertEqual(stored_silences(self.agent), [(long, "rack-a.comm", "tanaka")])

    def test_reload_writes_no_second_row_and_config_silences_are_not_stored(self):
        now = time.time()
        self.start_agent(extra=f'silences = ( {{ match = "rack-a.comm"; '
                               f'start = "{iso(now - 60)}"; end = "{iso(now + 3600)}"; '
                               f'by = "facility"; why = "planned"; }} );\n')
        mark = self.watch.mark()
        sid = self.silence("room-*", "2h")
        until = self.watch.wait_for(ROOM, lambda p: p["silenced"],
                                    after=mark).payload["silence"]["until"]
        self.assertEqual(stored_silences(self.agent), [(sid, "room-*", "tanaka")])

        log_mark, mark = self.log_mark(), self.watch.mark()
        self.agent.reload()
        self.wait_line(r"INFO reloaded: ", log_mark)
        state = self.watch.wait_for(ROOM, after=mark).payload
        self.assertEqual((state["silenced"], state["silence"]["id"]), (True, sid))
        self.assertEqual(stored_silences(self.agent), [(sid, "room-*", "tanaka")])

        log_mark, mark = self.restart()
        self.assert_resumed(ROOM, sid, mark, log_mark, until)
        config_silence = self.watch.wait_for(COMM, lambda p: p["silenced"],
                                             after=mark).payload["silence"]
        self.assertEqual(config_silence["by"], "facility")
        self.assertNotEqual(config_silence["id"], sid)
        self.assertEqual(len(re.findall("kept from before the restart",
                                        self.agent.log()[log_mark:])), 1)

        mark, log_mark = self.watch.mark(), self.log_mark()
        self.command({"match": "room-*", "cancel": True, "by": "tanaka"})
        self.wait_line(r"INFO command unsilence match=room-\* by=tanaka: ended 1 silence\n",
                       log_mark)
        self.watch.wait_for(ROOM, lambda p: not p["silenced"], after=mark)
        self.assertEqual(stored_silences(self.agent), [])

    def test_silence_that_can_match_nothing_is_told(self):
        self.start_agent()
        # a name no alert has now: set, and the operator is told why
        mark = self.log_mark()
        sid = self.silence("crac9*", 600)
        self.wait_line(rf"WARN command silence match=crac9\* .*: silence {sid} matches "
                       rf"no alert of this agent", mark)
        # one that names an alert: no such warning
        mark = self.log_mark()
        self.silence("room-temp-*", 600)
        self.assertNotIn("matches no alert", self.agent.log()[mark:])
        # a character no alert name holds: refused, nothing stored
        mark = self.log_mark()
        self.command({"match": "room temp*", "duration": 600, "by": "tanaka",
                      "why": "typo"})
        self.wait_line(r"\"match\": \"room temp\*\" can never match", mark)
        self.assertEqual([p for _, p, _ in stored_silences(self.agent)],
                         ["crac9*", "room-temp-*"])

    def test_failing_store_write_keeps_the_silence(self):
        self.start_agent()
        # another process holds the database's write lock past the busy timeout
        db = sqlite3.connect(os.path.join(self.agent.state_dir, "facmon.db"),
                             isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            mark, log_mark = self.watch.mark(), self.log_mark()
            sid = self.silence("room-*", "2h")
            self.wait_line(rf"WARN store: .*saving silence {sid}: database is locked "
                           rf"\(silence {sid} holds, but not across a restart\)\n", log_mark)
            state = self.watch.wait_for(ROOM, lambda p: p["silenced"], after=mark).payload
            self.assertEqual(state["silence"]["id"], sid)
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertTrue(self.agent.running())
        self.assertEqual(stored_silences(self.agent), [])
        # the silence holds while the agent runs: an ack republishes the alert
        mark = self.watch.mark()
        mosquitto_pub(self.broker.port, f"{ROOT}/cmd/ack",
                      json.dumps({"rule": "room-temp-high", "by": "sato"}))
        state = self.watch.wait_for(ROOM, lambda p: p["acked"], after=mark).payload
        self.assertEqual((state["silenced"], state["silence"]["id"]), (True, sid))


if __name__ == "__main__":
    unittest.main(verbosity=2)
