"""test_snmp.py - the agent polling SNMP agents (snmpsim) and taking traps.

A real snmpsimd on loopback serves recorded .snmprec data (tests/data/snmp);
the agent publishes to a real mosquitto. Checks: the UPS-MIB profile on a UPS
on mains and the same UPS on battery, with ups-on-battery firing and
resolving; SNMPv3 authPriv with the right passphrases, and a clear failure
with a wrong one; 50 agents of which 5 never answer, every live one polled
every interval; noSuchInstance, a wrong type and an agent that stops
answering; a trap raising the alert at once, and traps from an unknown
address or with a wrong community dropped.
"""

import collections
import os
import subprocess
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, SnmpSim, V3User, event,
                     free_udp_port, free_udp_ports, snmptrap, state_is, write_secret)

ROOT = "facmon/testsite/gw1"
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "snmp")
MAINS = os.path.join(DATA, "ups-mains.snmprec")
BATTERY = os.path.join(DATA, "ups-battery.snmprec")

CONFIG = """
agent = {{ site = "testsite"; name = "gw1"; state_dir = "{{state_dir}}";
          profile_dir = "{{profile_dir}}"; log_level = "debug"; }};
mqtt = {{ host = "127.0.0.1"; port = {mqtt_port}; }};
devices = (
{devices}
);
rules = (
{rules}
);
{extra}
"""
ON_BATTERY = """
  { name = "ups-on-battery"; point = "ups1.output_source"; equals = "battery";
    severity = "major"; controls = ["設80", "7.11"]; }
"""


TABLE = """points = (
    { name = "out_v"; oid = "1.3.6.1.2.1.33.1.4.4.1.2"; rows = [1]; row_names = ["L1"];
      unit = "V"; },
    { name = "out_pct"; oid = "1.3.6.1.2.1.33.1.4.4.1.5"; rows = [1]; unit = "%"; }
  );"""


def snmp_device(name, port, community="ups", interval=1, extra=""):
    return (f'  {{ name = "{name}"; type = "snmp"; host = "127.0.0.1"; port = {port}; '
            f'community = "{community}"; profile = "ups-mib"; interval = {interval}; '
            f'timeout_ms = 400; retries = 1; down_after = 2; {extra} }}')


def config(mqtt_port, devices, rules="", extra=""):
    return CONFIG.format(mqtt_port=mqtt_port, devices=",\n".join(devices),
                         rules=rules, extra=extra)


class Ups(unittest.TestCase):

    def test_mains_then_battery_fires_and_resolves(self):
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [snmp_device("ups1", sim.port, extra=TABLE)],
                             ON_BATTERY)) as agent:
            # SNMP devices share no bus the user declared: none is counted
            agent.wait_log(r"running: site \S+, gateway \S+, 0 buses, 1 device, ")
            tel = watch.wait_for(f"{ROOT}/telemetry/ups1").payload["points"]
            # a table column read row by row
            self.assertEqual(tel["out_v_L1"], {"v": 230, "unit": "V"})
            self.assertEqual(tel["out_pct_1"], {"v": 35, "unit": "%"})
            self.assertEqual(tel["output_source"], {"v": 3, "text": "normal"})
            self.assertEqual(tel["battery_charge"], {"v": 100, "unit": "%"})
            self.assertEqual(tel["input_voltage"], {"v": 230, "unit": "V"})
            self.assertEqual(tel["battery_status"]["text"], "batteryNormal")
            watch.wait_for(f"{ROOT}/alert/ups-on-battery", state_is("ok"))

            mark = watch.mark()
            sim.restart({"ups": BATTERY})
            ev = watch.wait_for(f"{ROOT}/events", event("ups-on-battery", "firing"),
                                after=mark, timeout=20).payload
            self.assertEqual((ev["value"], ev["text"], ev["controls"]),
                             (5, "battery", ["設80", "7.11"]))
            tel = watch.wait_for(f"{ROOT}/telemetry/ups1",
                                 lambda p: p["points"]["input_voltage"]["v"] == 0,
                                 after=mark).payload["points"]
            self.assertEqual(tel["battery_charge"]["v"], 93)
            self.assertEqual(tel["seconds_on_battery"]["v"], 120)

            mark = watch.mark()
            sim.restart({"ups": MAINS})
            watch.wait_for(f"{ROOT}/events", event("ups-on-battery", "resolved"),
                           after=mark, timeout=20)


class V3(unittest.TestCase):

    def run_v3_agent(self, broker, sim, watch, name, auth, priv, want):
        """One agent per device: net-snmp keeps one USM user per engine and
        user name in a process, so a second device with the same user and
        other keys would silently reuse the first one's. A device that is
        to come up must also have published its telemetry before the agent
        stops (it follows the start's events out of the outbox)."""
        agent = Agent(config(broker.port, []), start=False)
        self.addCleanup(agent.close)
        auth = write_secret(os.path.join(agent.tmp, "auth.pass"), auth)
        priv = write_secret(os.path.join(agent.tmp, "priv.pass"), priv)
        device = snmp_device(name, sim.port, extra=(
            f'version = "3"; user = "facmon"; security_level = "authPriv"; '
            f'auth_protocol = "SHA"; priv_protocol = "AES"; '
            f'auth_passphrase_file = "{auth}"; priv_passphrase_file = "{priv}";'
        )).replace('community = "ups"; ', '')
        agent.write_config(config(broker.port, [device]))
        agent.start()
        state = watch.wait_for(f"{ROOT}/device/{name}/state", state_is(want),
                               timeout=20).payload
        if want == "up":
            watch.wait_for(f"{ROOT}/telemetry/{name}")
        log = agent.log()
        agent.stop()
        self.assertNotIn("secret", log, "a passphrase in the log")
        return state

    def test_auth_priv(self):
        user = V3User("facmon", "auth-secret-1", "priv-secret-1")
        with Mosquitto() as broker, \
                SnmpSim({"ups": MAINS}, v3=user, v3_community="ups") as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            self.run_v3_agent(broker, sim, watch, "good", "auth-secret-1",
                              "priv-secret-1", "up")
            tel = watch.wait_for(f"{ROOT}/telemetry/good").payload["points"]
            self.assertEqual(tel["output_source"]["text"], "normal")
            bad = self.run_v3_agent(broker, sim, watch, "badauth", "not-the-secret",
                                    "priv-secret-1", "down")
            print(f"wrong auth passphrase: {bad['error']}")
            self.assertRegex(bad["error"], r"SNMPv3 authentication or privacy failed: "
                                           r"check user, auth/priv protocols and passphrases")
            bad = self.run_v3_agent(broker, sim, watch, "badpriv", "auth-secret-1",
                                    "not-the-secret", "down")
            # snmpsim drops what it cannot decrypt: the agent sees silence
            print(f"wrong priv passphrase: {bad['error']}")
            self.assertRegex(bad["error"], r"127\.0\.0\.1:\d+: ")


    def test_dead_v3_agent_does_not_stall_others(self):
        # net-snmp finds a v3 agent's engine ID with a blocking exchange; a
        # dead v3 agent must cost the others that once, not every poll.
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            agent = Agent(config(broker.port, []), start=False)
            self.addCleanup(agent.close)
            auth = write_secret(os.path.join(agent.tmp, "auth.pass"), "auth-secret-1")
            dead_v3 = snmp_device("deadv3", free_udp_port(), extra=(
                f'version = "3"; user = "facmon"; security_level = "authNoPriv"; '
                f'auth_passphrase_file = "{auth}";')).replace('community = "ups"; ', '')
            agent.write_config(config(broker.port, [snmp_device("live", sim.port), dead_v3]))
            agent.start()
            down = watch.wait_for(f"{ROOT}/device/deadv3/state", state_is("down"),
                                  timeout=20).payload
            self.assertRegex(down["error"], r"not asked again for a minute")
            mark = watch.mark()
            time.sleep(6)
            polls = len(watch.messages(f"{ROOT}/telemetry/live", mark))
            print(f"live agent next to a dead v3 agent: {polls} polls in 6 s (interval 1 s)")
            self.assertGreaterEqual(polls, 5)


class ManyAgents(unittest.TestCase):

    def test_fifty_agents_five_dead(self):
        interval = 3
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}, endpoints=45) as sim, \
                MqttWatch(broker.port, f"{ROOT}/telemetry/#") as watch, \
                MqttWatch(broker.port, f"{ROOT}/device/+/state") as states:
            dead_ports = free_udp_ports(5)
            devices = [snmp_device(f"ups{i}", p, interval=interval)
                       for i, p in enumerate(sim.ports)]
            devices += [snmp_device(f"dead{i}", p, interval=interval)
                        for i, p in enumerate(dead_ports)]
            with Agent(config(broker.port, devices)):
                for i in range(5):
                    states.wait_for(f"{ROOT}/device/dead{i}/state", state_is("down"),
                                    timeout=30)
                mark = watch.mark()
                window = 3 * interval
                time.sleep(window)
                seen = collections.Counter(
                    m.topic.rsplit("/", 1)[1] for m in watch.messages(after=mark))
                dead_telemetry = watch.messages(f"{ROOT}/telemetry/+")
        live = [f"ups{i}" for i in range(45)]
        counts = sorted(seen[d] for d in live)
        print(f"polls per live agent in {window} s (interval {interval} s, 5 dead "
              f"agents timing out alongside): min {counts[0]}, max {counts[-1]}")
        self.assertGreaterEqual(counts[0], 2, f"a live agent was starved: {seen}")
        # a dead agent's telemetry is published once, when it goes down, and
        # shows no value as current; never one per failed poll
        dead = collections.Counter()
        for m in dead_telemetry:
            name = m.topic.rsplit("/", 1)[1]
            if not name.startswith("dead"):
                continue
            dead[name] += 1
            self.assertEqual(m.payload["state"], "down", m.payload)
            self.assertEqual([p["v"] for p in m.payload["points"].values()
                              if p["v"] is not None], [], m.payload)
        self.assertEqual(dead, {f"dead{i}": 1 for i in range(5)})


class BadAnswers(unittest.TestCase):

    def test_no_such_instance_wrong_type_and_silence(self):
        with Mosquitto() as broker, SnmpSim({"ups": MAINS, "bad": "bad-types"}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [snmp_device("ups1", sim.port),
                                           snmp_device("odd", sim.port, "bad")])):
            dev = watch.wait_for(f"{ROOT}/device/odd/state", state_is("degraded")).payload
            self.assertRegex(dev["error"],
                             r"1\.3\.6\.1\.2\.1\.33\.1\.2\.[34]\.0: (noSuchInstance|wrong type)")
            tel = watch.wait_for(f"{ROOT}/telemetry/odd").payload["points"]
            self.assertNotIn("battery_charge", tel)     # OCTET STRING "n/a"
            self.assertNotIn("minutes_remaining", tel)  # not in the recording
            self.assertEqual(tel["output_source"]["v"], 3)
            watch.wait_for(f"{ROOT}/device/ups1/state", state_is("up"))

            mark = watch.mark()
            sim.stop()
            watch.wait_for(f"{ROOT}/device/ups1/state", state_is("down"), after=mark,
                           timeout=15)
            ev = watch.wait_for(f"{ROOT}/events", event("ups1.comm", "firing"),
                                after=mark).payload
            self.assertEqual(ev["controls"], ["実102"])


class Traps(unittest.TestCase):

    def test_trap_polls_at_once_and_bad_traps_are_dropped(self):
        trap_port = free_udp_port()
        extra = (f'snmp_traps = {{ listen = "127.0.0.1"; port = {trap_port}; '
                 f'community = "trapsecret"; }};')
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch, \
                Agent(config(broker.port, [snmp_device("ups1", sim.port, interval=300)],
                             ON_BATTERY, extra)) as agent:
            watch.wait_for(f"{ROOT}/alert/ups-on-battery", state_is("ok"))
            agent.wait_log(r"listening for traps")
            sim.restart({"ups": BATTERY})  # no poll due for 5 minutes
            mark = watch.mark()
            snmptrap(trap_port, "wrong", "1.3.6.1.2.1.33.2.1")
            snmptrap(trap_port, "trapsecret", "1.3.6.1.2.1.33.2.1", source="127.0.0.2")
            agent.wait_log(r"trap from 127\.0\.0\.2 dropped: not the address of a "
                           r"configured SNMP device|dropped so far")
            time.sleep(1.5)
            self.assertFalse(watch.messages(f"{ROOT}/events", mark),
                             "a dropped trap must not trigger anything")
            self.assertRegex(agent.log(), r"trap from 127\.0\.0\.1 dropped: wrong community")

            sent = time.monotonic()
            snmptrap(trap_port, "trapsecret", "1.3.6.1.2.1.33.2.1")
            ev = watch.wait_for(f"{ROOT}/events", event("ups-on-battery", "firing"),
                                after=mark, timeout=10)
            took = ev.time - sent
            print(f"upsTrapOnBattery to ups-on-battery firing: {took * 1000:.0f} ms")
            self.assertLess(took, 2.0)
            self.assertRegex(agent.log(), r"device ups1: trap upsTrapOnBattery, polling it now")


class V3Traps(unittest.TestCase):

    def test_v3_trap_with_the_users_keys_only(self):
        trap_port = free_udp_port()
        engine = "8000000001020304"
        with Mosquitto() as broker, SnmpSim({"ups": MAINS}) as sim, \
                MqttWatch(broker.port, f"{ROOT}/#") as watch:
            agent = Agent(config(broker.port, []), start=False)
            self.addCleanup(agent.close)
            secrets = {name: write_secret(os.path.join(agent.tmp, f"{name}.pass"), text)
                       for name, text in (("auth", "trap-auth-1"), ("priv", "trap-priv-1"))}
            extra = (f'snmp_traps = {{ listen = "127.0.0.1"; port = {trap_port}; '
                     f'community = "unused"; v3_users = ( {{ user = "trapper"; '
                     f'engine_id = "{engine}"; security_level = "authPriv"; '
                     f'auth_passphrase_file = "{secrets["auth"]}"; '
                     f'priv_passphrase_file = "{secrets["priv"]}"; }} ); }};')
            agent.write_config(config(broker.port,
                                      [snmp_device("ups1", sim.port, interval=300)],
                                      ON_BATTERY, extra))
            agent.start()
            watch.wait_for(f"{ROOT}/alert/ups-on-battery", state_is("ok"))
            sim.restart({"ups": BATTERY})
            mark = watch.mark()

            def v3trap(*security):
                subprocess.run(["snmptrap", "-v", "3", "-e", "0x" + engine, "-u", "trapper",
                                *security, f"127.0.0.1:{trap_port}", "",
                                "1.3.6.1.2.1.33.2.1"], check=True, timeout=10,
                               capture_output=True)

            v3trap("-l", "authPriv", "-a", "SHA", "-A", "wrong-auth-9", "-x", "AES",
                   "-X", "trap-priv-1")
            v3trap("-l", "noAuthNoPriv")
            time.sleep(1.5)
            self.assertFalse(watch.messages(f"{ROOT}/events", mark),
                             "a v3 trap without the user's keys must not act")
            v3trap("-l", "authPriv", "-a", "SHA", "-A", "trap-auth-1", "-x", "AES",
                   "-X", "trap-priv-1")
            watch.wait_for(f"{ROOT}/events", event("ups-on-battery", "firing"),
                           after=mark, timeout=10)
            self.assertNotIn("trap-auth-1", agent.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
