"""test_evidence.py - every operator action and agent lifecycle is an
event, the events form a hash chain a third party can check, and `facmon
verify` finds what was changed, deleted or inserted.

A real mosquitto, the simulator and `facmon run`, started healthy and
connected. Then, in order: the room heats and the alert fires; an
operator acknowledges it and sets a silence that expires by itself, and
another that is cancelled; the config is reloaded (accepted, then a broken
one rejected); the agent is restarted cleanly, then killed with SIGKILL and
started again. Every step is counted on R/events and in `facmon history
--json` by its type, never slept for: agent started/stopped/unclean_stop,
ack, silence set/expired/cancelled, config accepted/rejected.

The chain is checked the way a central consumer would, in Python, from the
messages alone: each event's hash is SHA-256 over its prev and its
document without them, and each prev is the hash of the event before it
(seq by seq). The heartbeat on R/status names the head. Then `facmon
verify` passes, and fails naming the seq after a row is changed, one is
deleted, and one is inserted with SQLite directly (on copies of the
database, the agent stopped).
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import time
import unittest

from harness import Agent, Mosquitto, MqttWatch, Sim, room_config, run_cli
from test_commands import Publisher

ROOT = "facmon/testsite/gw1"
RULE = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical"; controls = ["設46", "8.16"]; }"""
SECOND_RULE = RULE + """,
  { name = "room-temp-low"; point = "rack-a.temperature"; below = 5.0; }"""
SEAL = re.compile(r',"prev":"([0-9a-f]{64})","hash":"([0-9a-f]{64})"\}$')


def notice(kind, action):
    return lambda p: p.get("type") == kind and p.get("action") == action


def unseal(text):
    """(canonical document, prev, hash) of an event as published."""
    m = SEAL.search(text)
    if not m:
        raise AssertionError(f"event without a seal: {text[:120]}")
    return text[:m.start()] + "}", m.group(1), m.group(2)


class Evidence(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.broker = Mosquitto()
        cls.sim = Sim({1: "xy-md02"}, sets={"1.temperature": 23.0})
        cls.events = MqttWatch(cls.broker.port, f"{ROOT}/events")
        cls.status = MqttWatch(cls.broker.port, f"{ROOT}/status")
        cls.agent = Agent(room_config(cls.broker.port, cls.sim.port, rules=RULE))
        cls.op = Publisher(cls.broker.port)
        try:
            cls.run_room()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for f in (cls.op, cls.agent, cls.status, cls.events, cls.sim, cls.broker):
            f.close()

    @classmethod
    def wait(cls, predicate, timeout=20):
        return cls.events.wait_for(f"{ROOT}/events", predicate, timeout=timeout).payload

    @classmethod
    def run_room(cls):
        w, agent = cls, cls.agent
        cls.started = w.wait(notice("agent", "started"))
        w.wait(lambda p: p.get("rule") == "room-temp-high" and p.get("to") == "ok")
        cls.sim.set(1, "temperature", 35.0)
        w.wait(lambda p: p.get("rule") == "room-temp-high" and p.get("to") == "firing")
        cls.op.send("ack", {"rule": "room-temp-high", "by": "tanaka", "comment": "AC tech"})
        w.wait(lambda p: p.get("type") == "ack")
        cls.op.send("silence", {"match": "room-*", "duration": "3s", "by": "suzuki",
                                "why": "filter change"})
        w.wait(notice("silence", "set"))
        w.wait(notice("silence", "expired"))
        cls.op.send("silence", {"match": "rack-a.*", "duration": "1h", "by": "suzuki",
                                "why": "sensor swap"})
        w.wait(lambda p: notice("silence", "set")(p) and p["match"] == "rack-a.*")
        cls.op.send("silence", {"match": "rack-a.*", "cancel": True, "by": "suzuki"})
        w.wait(notice("silence", "cancelled"))
        agent.write_config(room_config(cls.broker.port, cls.sim.port, rules=SECOND_RULE))
        agent.reload()
        cls.accepted = w.wait(notice("config", "accepted"))
        agent.write_config(room_config(cls.broker.port, cls.sim.port,
                                       rules=SECOND_RULE.replace("5.0", '"five"')))
        agent.reload()
        cls.rejected = w.wait(notice("config", "rejected"))
        agent.write_config(room_config(cls.broker.port, cls.sim.port, rules=SECOND_RULE))
        mark = cls.events.mark()
        assert agent.restart() == 0, agent.log()
        cls.stopped = cls.events.wait_for(f"{ROOT}/events", notice("agent", "stopped"),
                                          after=mark).payload
        cls.events.wait_for(f"{ROOT}/events", notice("agent", "started"), after=mark)
        time.sleep(1.5)  # away for a while: the unclean stop says how long
        agent.process.kill()  # SIGKILL, as a crash or a power cut
        mark, status_mark = cls.events.mark(), cls.status.mark()
        agent.start()
        cls.unclean = cls.events.wait_for(f"{ROOT}/events", notice("agent", "unclean_stop"),
                                          after=mark).payload
        # this agent's own status: the last will of the killed one and the
        # statuses of the one before it may come first
        cls.status.wait_for(f"{ROOT}/status", lambda p: "chain_head" in p, after=status_mark)
        cls.published_at_status = len(cls.events.messages())

    def published(self):
        return [m for m in self.events.messages(f"{ROOT}/events")]

    def test_1_every_kind_of_event_is_published_and_stored(self):
        self.assertEqual(self.started["version"], self.status.messages()[-1].payload["version"])
        self.assertRegex(self.started["config_sha256"], r"^[0-9a-f]{64}$")
        self.assertEqual(self.accepted["old_sha256"], self.started["config_sha256"])
        self.assertNotEqual(self.accepted["new_sha256"], self.accepted["old_sha256"])
        self.assertIn("rules[1] (room-temp-low).below", self.rejected["why"])
        self.assertEqual(self.rejected["old_sha256"], self.accepted["new_sha256"])
        self.assertEqual(self.stopped["reason"], "Terminated")
        self.assertGreaterEqual(self.unclean["away_s"], 1)
        rows = json.loads(run_cli("history", "-c", self.agent.config_path, "--json")[1])
        kinds = {(r["type"], r["to"]) for r in rows}
        for want in (("agent", "started"), ("agent", "stopped"), ("agent", "unclean_stop"),
                     ("ack", "acked"), ("silence", "set"), ("silence", "expired"),
                     ("silence", "cancelled"), ("config", "accepted"),
                     ("config", "rejected"), ("transition", "firing")):
            self.assertIn(want, kinds)
        silences = [r["event"] for r in rows if r["type"] == "silence"]
        self.assertEqual([(s["action"], s["match"], s["by"]) for s in silences],
                         [("set", "room-*", "suzuki"), ("expired", "room-*", "suzuki"),
                          ("set", "rack-a.*", "suzuki"), ("cancelled", "rack-a.*", "suzuki")])
        self.assertEqual(silences[0]["why"], "filter change")

    def test_2_the_stream_verifies_as_a_third_party_checks_it(self):
        msgs = [m for m in self.events.messages(f"{ROOT}/events")]
        by_seq = {}
        for m in msgs:
            by_seq[m.payload["seq"]] = m.raw.decode("utf-8")
        seqs = sorted(by_seq)
        self.assertEqual(seqs, list(range(seqs[0], seqs[-1] + 1)), "no seq missing")
        prev_hash = None
        for seq in seqs:
            canonical, prev, digest = unseal(by_seq[seq])
            self.assertEqual(hashlib.sha256((prev + canonical).encode()).hexdigest(), digest,
                             f"seq {seq}")
            if prev_hash is not None:
                self.assertEqual(prev, prev_hash, f"seq {seq} does not follow {seq - 1}")
            prev_hash = digest
        head = [m.payload["chain_head"] for m in self.status.messages()
                if "chain_head" in m.payload][-1]
        self.assertEqual(unseal(by_seq[head["seq"]])[2], head["hash"])

    def test_3_history_filters(self):
        cfg = self.agent.config_path
        rc, out, err = run_cli("history", "-c", cfg, "--json", "--type", "silence")
        self.assertEqual(rc, 0, err)
        self.assertEqual({r["type"] for r in json.loads(out)}, {"silence"})
        rc, out, err = run_cli("history", "-c", cfg, "--json", "--control", "8.16")
        rows = json.loads(out)
        self.assertTrue(rows)
        self.assertTrue(all(r["rule"] == "room-temp-high" for r in rows), rows)
        rc, out, err = run_cli("history", "-c", cfg, "--csv")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0], "seq,ts,type,rule,from,to,severity,value,controls,hash")
        firing = [l for l in lines if ",transition,room-temp-high,pending,firing," in l or
                  ",transition,room-temp-high,ok,firing," in l]
        self.assertTrue(firing, out)
        self.assertIn(",設46;8.16,", firing[0])
        # absolute bounds: nothing before 2000, nothing after 2100; an
        # empty span in between
        self.assertEqual(len(json.loads(run_cli("history", "-c", cfg, "--json", "--from",
                                                "2000-01-01", "--until", "2100-01-01")[1])),
                         len(json.loads(run_cli("history", "-c", cfg, "--json")[1])))
        self.assertEqual(json.loads(run_cli("history", "-c", cfg, "--json", "--until",
                                            "2001-01-01T00:00:00Z")[1]), [])
        for bad in (("--from", "2026-13-01"), ("--until", "yesterday"),
                    ("--type", "alarm"), ("--json", "--csv")):
            rc, out, err = run_cli("history", "-c", cfg, *bad)
            self.assertEqual(rc, 2, (bad, err))

    def test_4_verify_finds_a_changed_a_deleted_and_an_inserted_row(self):
        self.assertEqual(self.agent.stop(), 0)
        cfg, db = self.agent.config_path, os.path.join(self.agent.state_dir, "facmon.db")
        rc, out, err = run_cli("verify", "-c", cfg)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"chain intact: \d+ events, seq 1\.\.\d+, head [0-9a-f]{64}")
        pristine = db + ".pristine"
        shutil.copy(db, pristine)

        def tamper(statement):
            shutil.copy(pristine, db)
            con = sqlite3.connect(db)
            con.execute(statement)
            con.commit()
            con.close()
            return run_cli("verify", "-c", cfg)

        firing = sqlite3.connect(pristine).execute(
            "SELECT seq FROM events WHERE rule = 'room-temp-high' AND to_state = 'firing'"
        ).fetchone()[0]
        rc, out, _ = tamper("UPDATE events SET payload = replace(payload, '\"value\":35', "
                            f"'\"value\":25') WHERE seq = {firing}")
        self.assertEqual(rc, 1)
        self.assertIn(f"chain broken at seq {firing}: its content was changed", out)
        rc, out, _ = tamper(f"DELETE FROM events WHERE seq = {firing}")
        self.assertEqual(rc, 1)
        self.assertIn(f"chain broken at seq {firing + 1}: it does not follow", out)
        rc, out, _ = tamper(
            "INSERT INTO events (seq, ts, type, rule, from_state, to_state, payload, delivered)"
            " VALUES (100000, '2026-01-01T00:00:00.000Z', 'transition', 'room-temp-high',"
            " 'firing', 'resolved', '{\"seq\":100000}', 1)")
        self.assertEqual(rc, 1)
        self.assertIn("chain broken at seq 100000: it carries no hash", out)
        shutil.copy(pristine, db)
        self.assertEqual(run_cli("verify", "-c", cfg)[0], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
