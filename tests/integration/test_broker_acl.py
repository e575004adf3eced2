"""test_broker_acl.py - the shipped broker ACL keeps commands to operators.

A real mosquitto runs packaging/mosquitto/facmon-acl.conf (its listener
moved to a free port, the password file made here for the accounts
facmon.acl names) with packaging/mosquitto/facmon.acl exactly as shipped.
The agent logs in as `facmon` and polls the simulator; a dashboard watches
as `dashboard`. Once the agent is connected and subscribed and the room is
heated until room-temp-high fires:

- a client without an account cannot connect at all (CONNACK "not
  authorised"), with paho or mosquitto_pub, so its silence and ack go
  nowhere; the `dashboard` account connects, but its silence and ack are
  dropped by the broker (they are acknowledged: MQTT 3.1.1 has no error for
  a publish the ACL refuses);
- then `operators` acknowledges the alert, and that ack event arrives. The
  broker handled every earlier attempt before this command (each was
  refused or acknowledged first) and forwards to the agent in that order,
  so by the time the ack's effect is seen any effect of theirs would have
  been seen: there is none. No silence was set, the alert was acked only by
  the operator, R/events carries one ack, `facmon history --json` and the
  agent's log hold nothing of the others;
- the ACL alone, with allow_anonymous turned on: an anonymous client
  connects, its silence and ack are acknowledged and dropped, and an
  operator's silence is the only one the agent sets.

Also: every account facmon-passwd.sh makes is one facmon.acl names.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

import paho.mqtt.client as mqtt

from harness import (HOST, Agent, Mosquitto, MqttWatch, Sim, mosquitto_password_file,
                     room_config, run_cli, state_is)

PACKAGING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                         "packaging", "mosquitto")
FRAGMENT = os.path.join(PACKAGING, "facmon-acl.conf")
ACL = os.path.join(PACKAGING, "facmon.acl")
RECIPE = os.path.join(PACKAGING, "facmon-passwd.sh")

SITE, NAME = "tokyo-dc1", "opsroom-gw1"
ROOT = f"facmon/{SITE}/{NAME}"
RULES = """
  { name = "room-temp-high"; point = "rack-a.temperature";
    above = 30.0; clear = 28.0; severity = "critical"; controls = ["設46"]; }
"""
INTRUDER = "intruder"  # the "by" of every command that must not act
SILENCE = {"match": "*", "duration": "7d", "by": INTRUDER, "why": "quiet please"}
ACK = {"rule": "room-temp-high", "by": INTRUDER, "comment": "nothing to see"}


def acl_users():
    with open(ACL) as f:
        return [line.split()[1] for line in f if line.startswith("user ")]


def broker_config(passwd_path):
    """The shipped fragment as harness.Mosquitto's extra config: its
    listeners go (the harness listens on a free port, with the fragment's
    allow_anonymous), the password file is the test's, the ACL the shipped
    file itself."""
    with open(FRAGMENT) as f:
        lines = f.read().splitlines()
    for want in ("per_listener_settings false", "allow_anonymous false",
                 "password_file /etc/mosquitto/facmon.passwd",
                 "acl_file /etc/mosquitto/facmon.acl"):
        if want not in lines:
            raise AssertionError(f"{FRAGMENT} has no line {want!r}: update "
                                 f"test_broker_acl.py with it")
    kept = []
    for line in lines:
        key = line.split(" ", 1)[0]
        if key in ("listener", "allow_anonymous"):
            continue
        kept.append({"password_file": f"password_file {passwd_path}",
                     "acl_file": f"acl_file {ACL}"}.get(key, line))
    return "\n".join(kept) + "\n"


class Client:
    """A paho client that connects as USERNAME (None: anonymous) and
    publishes QoS 1, waiting for each PUBACK. .rc is the CONNACK code
    (0 accepted, 5 not authorised)."""

    def __init__(self, port, username=None, password=None):
        self.connacked = threading.Event()
        self.rc = None
        self.client = mqtt.Client(client_id=f"acl-{username or 'anon'}-{os.getpid()}")
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.connect(HOST, port, keepalive=30)
        self.client.loop_start()
        if not self.connacked.wait(10):
            raise AssertionError(f"no CONNACK for {username or 'an anonymous client'}")

    def _on_connect(self, client, userdata, flags, rc):
        self.rc = rc
        self.connacked.set()

    def send(self, kind, payload):
        info = self.client.publish(f"{ROOT}/cmd/{kind}", json.dumps(payload), qos=1)
        info.wait_for_publish(10)
        if not info.is_published():
            raise AssertionError(f"no PUBACK for {kind} {payload}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def mosquitto_pub(port, kind, payload, *auth):
    """mosquitto_pub of one command, QoS 1; AUTH: "-u", USER, "-P", PASSWORD
    or nothing. The CompletedProcess."""
    return subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(port), *auth,
                           "-q", "1", "-t", f"{ROOT}/cmd/{kind}", "-m", json.dumps(payload)],
                          capture_output=True, text=True, timeout=10,
                          stdin=subprocess.DEVNULL)


class AclBroker(unittest.TestCase):
    """The broker with the shipped files, the agent logged in as facmon, a
    dashboard watching, and room-temp-high firing before each test."""

    allow_anonymous = False

    @classmethod
    def setUpClass(cls):
        """Each fixture is stopped by a class cleanup, also when a later one
        fails to start."""
        cls.dir = tempfile.mkdtemp(prefix="facmon-acl-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.passwords = {user: f"{user}-pw-{os.getpid()}" for user in acl_users()}
        passwd = mosquitto_password_file(os.path.join(cls.dir, "facmon.passwd"),
                                         cls.passwords)
        cls.broker = cls._keep(Mosquitto(extra_config=broker_config(passwd),
                                         allow_anonymous=cls.allow_anonymous))
        cls.sim = cls._keep(Sim({1: "xy-md02"}, sets={"1.temperature": 23.0}))
        cls.watch = cls._keep(MqttWatch(cls.broker.port, f"{ROOT}/#", username="dashboard",
                                        password=cls.passwords["dashboard"]))
        agent_pass = os.path.join(cls.dir, "mqtt.pass")
        with open(agent_pass, "w") as f:
            f.write(cls.passwords["facmon"] + "\n")
        os.chmod(agent_pass, 0o600)
        cls.agent = cls._keep(Agent(room_config(
            cls.broker.port, cls.sim.port, rules=RULES, site=SITE, name=NAME,
            mqtt_extra=f'username = "facmon"; password_file = "{agent_pass}";')))

    @classmethod
    def _keep(cls, fixture):
        cls.addClassCleanup(fixture.close)
        return fixture

    def client(self, username=None):
        c = Client(self.broker.port, username,
                   self.passwords.get(username) if username else None)
        self.addCleanup(c.close)
        return c

    def setUp(self):
        """A healthy, connected agent, and the alert firing."""
        self.agent.wait_log(re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/ack"), 20)
        self.agent.wait_log(re.escape(f"DEBUG mqtt: subscribed to {ROOT}/cmd/silence"))
        self.assertNotRegex(self.agent.log(), r"ERROR mqtt")
        self.watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        self.watch.wait_for(f"{ROOT}/telemetry/rack-a")
        self.sim.set(1, "temperature", 35.0)
        self.watch.wait_for(f"{ROOT}/alert/room-temp-high", state_is("firing"), timeout=20)
        self.mark = self.watch.mark()
        self.log_mark = len(self.agent.log())

    def alerts(self):
        return [m.payload for m in self.watch.messages(f"{ROOT}/alert/room-temp-high",
                                                       self.mark)]

    def events(self, kind):
        return [m.payload for m in self.watch.messages(f"{ROOT}/events", self.mark)
                if m.payload.get("type") == kind]

    def assert_intruder_left_nothing(self):
        """Nothing of the commands by INTRUDER reached the agent: no alert
        silenced or acked by them, no event, no history row, no log line."""
        for alert in self.alerts():
            self.assertNotIn(INTRUDER, str(alert.get("ack")), alert)
            self.assertNotIn(INTRUDER, str(alert.get("silence")), alert)
        events = self.watch.messages(f"{ROOT}/events", self.mark)
        self.assertEqual([e.raw for e in events if INTRUDER.encode() in e.raw], [])
        rc, out, err = run_cli("history", "-c", self.agent.config_path, "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(INTRUDER, out)
        self.assertNotIn(INTRUDER, self.agent.log())


class AccountsOnly(AclBroker):
    """The shipped files as they are: no anonymous clients at all."""

    def test_only_operators_command_the_agent(self):
        # no account: refused at CONNECT, by paho and by mosquitto_pub
        self.assertEqual(self.client().rc, 5, "CONNACK: not authorised")
        for kind, payload in (("silence", SILENCE), ("ack", ACK)):
            r = mosquitto_pub(self.broker.port, kind, payload)
            self.assertNotEqual(r.returncode, 0, "an anonymous mosquitto_pub is refused")
            self.assertIn("not authorised", r.stderr)
        # an account that may only read: connected, its commands dropped
        dashboard = self.client("dashboard")
        self.assertEqual(dashboard.rc, 0)
        dashboard.send("silence", SILENCE)
        dashboard.send("ack", ACK)
        r = mosquitto_pub(self.broker.port, "silence", SILENCE,
                          "-u", "dashboard", "-P", self.passwords["dashboard"])
        self.assertEqual(r.returncode, 0, r.stderr)

        # the operator's ack, sent after all of those, acts
        operators = self.client("operators")
        self.assertEqual(operators.rc, 0)
        operators.send("ack", {"rule": "room-temp-high", "by": "tanaka",
                               "comment": "AC tech called"})
        ack = self.watch.wait_for(f"{ROOT}/events", lambda p: p.get("type") == "ack",
                                  after=self.mark).payload
        self.assertEqual((ack["rule"], ack["ack"]["by"]), ("room-temp-high", "tanaka"))
        acked = self.watch.wait_for(f"{ROOT}/alert/room-temp-high", lambda p: p["acked"],
                                    after=self.mark).payload
        self.assertEqual((acked["state"], acked["ack"]["by"]), ("firing", "tanaka"))

        self.assertEqual(len(self.events("ack")), 1, "one ack event: the operator's")
        self.assertEqual([a for a in self.alerts() if a.get("silenced")], [],
                         "no silence was set")
        log = self.agent.log()[self.log_mark:]
        self.assertEqual(re.findall(r"command silence .*", log), [])
        acks = re.findall(r"command ack .*", log)
        self.assertEqual(len(acks), 1, acks)
        self.assertIn("command ack rule=room-temp-high by=tanaka", acks[0])
        rc, out, err = run_cli("history", "-c", self.agent.config_path, "--json")
        self.assertEqual(out.count('"tanaka"'), 1, out)
        self.assert_intruder_left_nothing()
        self.assertTrue(self.agent.running())


class AnonymousAllowed(AclBroker):
    """facmon.acl alone: were allow_anonymous turned on, an anonymous client
    could connect and still command nothing."""

    allow_anonymous = True

    def test_anonymous_commands_are_dropped(self):
        anonymous = self.client()
        self.assertEqual(anonymous.rc, 0, "connected: allow_anonymous is on here")
        anonymous.send("silence", SILENCE)
        anonymous.send("ack", ACK)

        operators = self.client("operators")
        operators.send("silence", {"match": "room-temp-high", "duration": "1h",
                                   "by": "suzuki", "why": "AC maintenance"})
        silenced = self.watch.wait_for(f"{ROOT}/alert/room-temp-high",
                                       lambda p: p["silenced"], after=self.mark).payload
        self.assertEqual((silenced["silence"]["why"], silenced["silence"]["match"]),
                         ("AC maintenance", "room-temp-high"))
        self.assertFalse(silenced["acked"], "the anonymous ack did nothing")
        self.assertEqual(self.events("ack"), [])
        self.assert_intruder_left_nothing()


class Recipe(unittest.TestCase):

    def test_recipe_makes_the_accounts_the_acl_names(self):
        with open(RECIPE) as f:
            text = f.read()
        m = re.search(r"^for user in ([\w -]+); do$", text, re.M)
        self.assertIsNotNone(m, f"{RECIPE}: no 'for user in ...' line")
        self.assertEqual(sorted(m.group(1).split()), sorted(acl_users()))
        self.assertEqual(sorted(acl_users()), ["dashboard", "facmon", "operators"])
        r = subprocess.run(["sh", "-n", RECIPE], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(text, r"mosquitto_passwd[^\n]* -b ",
                            "no password on a command line")


if __name__ == "__main__":
    unittest.main(verbosity=2)
