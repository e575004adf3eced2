"""test_broker_security.py - TLS and authentication to the broker (issue 6).

Real mosquitto brokers on loopback, with TLS listeners whose certificates
come from a test CA made here with the openssl command line (TestCA):

- the right CA: the agent connects and publishes, and a TLS subscriber
  (paho, which checks the broker too) sees its status and telemetry;
- a broker certificate from another CA, one for another host name (its
  subjectAltName names only DNS:otherhost, though its CN is 127.0.0.1),
  and an expired one: refused, with a log line that says which and what to
  do, while the agent stays up and keeps trying with a growing back-off;
- a broker that requires a client certificate: the agent's works; without
  one the log says the broker wants one; one from another CA is refused;
- user name and password against mosquitto's password_file: the right
  password works; a wrong one is "not authorised", told once and retried
  at growing intervals (timed from the broker's log, not the agent's);
- the password is never in the agent's log (at debug level), nor in
  `facmon check` or `facmon once` output;
- a password file or TLS key every user can read: `facmon check` names the
  file, its mode and `chmod 600`, and `facmon run` refuses to start.

The config errors that need no file modes are rows of tests/unit/test_config.c.
"""

import os
import re
import shutil
import ssl
import stat
import tempfile
import time
import unittest

from harness import (Agent, Mosquitto, MqttWatch, Sim, TestCA, HOST,
                     mosquitto_password_file, mosquitto_tls_config, room_config,
                     run_cli, state_is, write_secret)

ROOT = "facmon/testsite/gw1"
PASSWORD = "Tr0ub4dor-and-3-horses"  # looked for in every log and output
RIGHT_NAME = f"IP:{HOST},DNS:localhost"


def tls_keys(ca, cert=None):
    """The mqtt.tls group: verify against CA, present CERT (a Cert) if given."""
    client = (f' cert_file = "{cert.cert}"; key_file = "{cert.key}";'
              if cert else "")
    return f'tls = {{ ca_file = "{ca.cert}";{client} }};'


def connections(broker):
    return broker.log().count("New connection from")


def connection_times(broker, count, timeout, seen):
    """When the broker saw each of the COUNT connections after the first
    SEEN ones (the subscriber's), on this clock: its log is read as it
    grows, so the agent's own account of its retries plays no part."""
    times = []
    deadline = time.monotonic() + timeout
    while len(times) < count and time.monotonic() < deadline:
        n = connections(broker)
        times += [time.monotonic()] * (n - seen)
        seen = n
        time.sleep(0.02)
    return times


class SecureBrokerTest(unittest.TestCase):
    """One CA (and a second, foreign one) and their certificates for the
    whole class; a broker and an agent per test."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="facmon-tls-")
        cls.ca = TestCA(cls.dir, "facmon-test-ca")
        cls.other_ca = TestCA(cls.dir, "other-ca")
        cls.server = cls.ca.issue("server", HOST, san=RIGHT_NAME)
        cls.foreign_server = cls.other_ca.issue("foreign-server", HOST, san=RIGHT_NAME)
        cls.misnamed_server = cls.ca.issue("misnamed-server", HOST, san="DNS:otherhost")
        cls.expired_server = cls.ca.issue("expired-server", HOST, san=RIGHT_NAME, days=-1)
        cls.client = cls.ca.issue("client", "facmon-gw1", client=True)
        cls.foreign_client = cls.other_ca.issue("foreign-client", "facmon-gw1",
                                                client=True)
        cls.watcher = cls.ca.issue("watcher", "test-watcher", client=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.sim = Sim({1: "xy-md02"})
        self.addCleanup(self.sim.close)

    def broker(self, server, require_certificate=False, extra="", **kw):
        b = Mosquitto(extra_config=mosquitto_tls_config(server, self.ca,
                                                        require_certificate) + extra,
                      **kw)
        self.addCleanup(b.close)
        return b

    def agent(self, broker, mqtt_extra):
        a = Agent(room_config(broker.port, self.sim.port, mqtt_extra=mqtt_extra),
                  start=False)
        self.addCleanup(a.close)
        self.connections_before = connections(broker)
        a.start()
        return a

    def watch(self, broker, ca=None, **kw):
        """A TLS subscriber to everything the agent publishes; it presents a
        client certificate, in case the broker requires one."""
        w = MqttWatch(broker.port, f"{ROOT}/#",
                      tls={"ca_certs": (ca or self.ca).cert,
                           "certfile": self.watcher.cert, "keyfile": self.watcher.key},
                      **kw)
        self.addCleanup(w.close)
        return w

    def assert_refused_and_retrying(self, agent, broker, watch, pattern):
        """The agent logs PATTERN (a WARN), publishes nothing, and keeps
        trying, alive, at growing intervals, without a line per attempt."""
        agent.wait_log(pattern)
        times = connection_times(broker, 4, 15, self.connections_before)
        self.assertGreaterEqual(len(times), 4, f"attempts seen by the broker:\n"
                                f"{broker.log()}")
        gaps = [b - a for a, b in zip(times, times[1:])]
        # 1 s, 2 s, 4 s: each gap longer than the one before (loosely)
        self.assertGreater(gaps[2], gaps[0] * 1.5, f"back-off gaps {gaps}")
        self.assertTrue(agent.running(), "the agent stays up")
        # Rate-limited: the first failure, and its cause once it is clear
        # (the first attempt can lose it: the broker may close on us before
        # its refusal is read), then nothing more for a minute.
        told = re.findall(r"WARN mqtt\[.*\]: cannot connect", agent.log())
        self.assertLessEqual(len(told), 2, f"not at every attempt:\n{agent.log()}")
        self.assertEqual(watch.messages(f"{ROOT}/status"), [],
                         "nothing reached the broker")

    # ---- TLS ------------------------------------------------------------------

    def test_connects_with_the_right_ca_and_publishes(self):
        broker = self.broker(self.server)
        watch = self.watch(broker)
        agent = self.agent(broker, tls_keys(self.ca))
        watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        watch.wait_for(f"{ROOT}/telemetry/rack-a",
                       lambda p: p["points"]["temperature"]["v"] == 22.5)
        agent.wait_log(r"DEBUG mqtt\[.*\]: connecting with TLS")
        self.assertNotRegex(agent.log(), r"cannot connect")

    def test_refuses_a_broker_certificate_from_another_ca(self):
        broker = self.broker(self.foreign_server)
        watch = self.watch(broker, ca=self.other_ca)
        agent = self.agent(broker, tls_keys(self.ca))
        self.assert_refused_and_retrying(
            agent, broker, watch,
            r"WARN mqtt\[127\.0\.0\.1:\d+\]: cannot connect: TLS: certificate verify "
            r"failed: unable to get local issuer certificate: the broker's "
            r"certificate is not signed by the CA in mqtt\.tls\.ca_file "
            + re.escape(self.ca.cert))

    def test_refuses_a_broker_certificate_for_another_host(self):
        # CN 127.0.0.1, but a subjectAltName with only DNS:otherhost: the
        # SAN decides, the CN does not count.
        broker = self.broker(self.misnamed_server)
        with self.assertRaisesRegex(ssl.SSLCertVerificationError, "mismatch"):
            self.watch(broker)  # Python's own check agrees the name is wrong
        watch = self.watch(broker, tls_insecure=True)
        agent = self.agent(broker, tls_keys(self.ca))
        self.assert_refused_and_retrying(
            agent, broker, watch,
            r"WARN mqtt\[127\.0\.0\.1:\d+\]: cannot connect: TLS: host name "
            r"verification failed: the broker's certificate is not for 127\.0\.0\.1 "
            r"\(its subjectAltName has no IP:127\.0\.0\.1\)")

    def test_refuses_an_expired_broker_certificate(self):
        broker = self.broker(self.expired_server)
        agent = self.agent(broker, tls_keys(self.ca))
        agent.wait_log(r"WARN mqtt\[.*\]: cannot connect: TLS: certificate verify "
                       r"failed: certificate has expired: renew the broker's "
                       r"certificate, or check this gateway's clock")
        self.assertTrue(agent.running())

    def test_client_certificate_when_the_broker_requires_one(self):
        broker = self.broker(self.server, require_certificate=True)
        watch = self.watch(broker)
        agent = self.agent(broker, tls_keys(self.ca, self.client))
        watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        watch.wait_for(f"{ROOT}/telemetry/rack-a")
        self.assertNotRegex(agent.log(), r"cannot connect")

    def test_no_client_certificate_when_the_broker_requires_one(self):
        broker = self.broker(self.server, require_certificate=True)
        watch = self.watch(broker)
        agent = self.agent(broker, tls_keys(self.ca))
        self.assert_refused_and_retrying(
            agent, broker, watch,
            r"WARN mqtt\[.*\]: cannot connect: TLS: the broker (closed the "
            r"connection before answering \(.*\): it may require|ended the handshake "
            r"\(alert \"certificate required\"\): it probably requires) a client "
            r"certificate; set mqtt\.tls\.cert_file and key_file")

    def test_client_certificate_from_another_ca(self):
        broker = self.broker(self.server, require_certificate=True)
        agent = self.agent(broker, tls_keys(self.ca, self.foreign_client))
        agent.wait_log(r"WARN mqtt\[.*\]: cannot connect: TLS: the broker .*: it "
                       r"(probably does not|may not) accept the client certificate "
                       + re.escape(self.foreign_client.cert))
        self.assertTrue(agent.running())

    # ---- user name and password -------------------------------------------------

    def password_broker(self):
        users = {"facmon": PASSWORD, "watcher": "watcher-pw"}
        path = mosquitto_password_file(os.path.join(self.dir, "mosquitto.passwd"), users)
        return self.broker(self.server, extra=f"password_file {path}\n",
                           allow_anonymous=False)

    def credentials(self, password, name):
        path = write_secret(os.path.join(self.dir, name), password)
        return f'username = "facmon"; password_file = "{path}"; ' + tls_keys(self.ca)

    def test_password_accepted(self):
        broker = self.password_broker()
        watch = self.watch(broker, username="watcher", password="watcher-pw")
        agent = self.agent(broker, self.credentials(PASSWORD, "right.pass"))
        watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        watch.wait_for(f"{ROOT}/telemetry/rack-a")
        self.assertNotIn(PASSWORD, agent.log())

    def test_wrong_password_is_not_authorised_and_retried(self):
        broker = self.password_broker()
        watch = self.watch(broker, username="watcher", password="watcher-pw")
        path = os.path.join(self.dir, "wrong.pass")
        agent = self.agent(broker, self.credentials("not-" + PASSWORD, "wrong.pass"))
        self.assert_refused_and_retrying(
            agent, broker, watch,
            r"WARN mqtt\[.*\]: cannot connect: the broker refused the connection: "
            r"Connection Refused: not authorised\. \(user \"facmon\" with the "
            r"password in " + re.escape(path))
        self.assertIn("not authorised", broker.log())
        self.assertNotIn(PASSWORD, agent.log())

    def test_password_never_in_logs_or_output(self):
        broker = self.password_broker()
        watch = self.watch(broker, username="watcher", password="watcher-pw")
        agent = self.agent(broker, self.credentials(PASSWORD, "secret.pass"))
        watch.wait_for(f"{ROOT}/status", state_is("online"), timeout=20)
        agent.wait_log(r"DEBUG mqtt: subscribed to")  # debug level, connected
        agent.stop()
        self.assertNotIn(PASSWORD, agent.log())
        for args in (("check",), ("once",), ("once", "--json")):
            rc, out, err = run_cli(*args, "-c", agent.config_path)
            self.assertIn(rc, (0, 3), f"facmon {args}: {err}")
            self.assertNotIn(PASSWORD, out + err, f"facmon {' '.join(args)}")

    # ---- files every user can read ------------------------------------------------

    def assert_check_and_run_refuse(self, agent, key, path):
        want = (rf"{re.escape(agent.config_path)}:\d+: {re.escape(key)}: "
                rf"{re.escape(path)} is readable by every user \(mode 0644\); "
                r"chmod 600 it")
        rc, out, err = run_cli("check", "-c", agent.config_path)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, want)
        agent.start()
        self.assertEqual(agent.process.wait(20), 1, "facmon run refuses to start")
        self.assertRegex(agent.log(), want)
        os.chmod(path, 0o600)  # the fix the message gives
        rc, out, err = run_cli("check", "-c", agent.config_path)
        self.assertEqual(rc, 0, err)

    def test_world_readable_password_file(self):
        path = write_secret(os.path.join(self.dir, "open.pass"), PASSWORD, 0o644)
        agent = Agent(room_config(1883, self.sim.port, mqtt_extra=(
            f'username = "facmon"; password_file = "{path}";')), start=False)
        self.addCleanup(agent.close)
        self.assert_check_and_run_refuse(agent, "mqtt.password_file", path)

    def test_world_readable_client_key(self):
        cert = self.ca.issue("open-key-client", "facmon-gw1", client=True)
        os.chmod(cert.key, 0o644)
        self.assertTrue(os.stat(cert.key).st_mode & stat.S_IROTH)
        agent = Agent(room_config(1883, self.sim.port,
                                  mqtt_extra=tls_keys(self.ca, cert)), start=False)
        self.addCleanup(agent.close)
        self.assert_check_and_run_refuse(agent, "mqtt.tls.key_file", cert.key)


class CheckWithoutFilesTest(unittest.TestCase):
    """`facmon check` names the file and line of TLS files that are not
    there (the pure config rules are in test_config.c)."""

    def test_missing_tls_files(self):
        agent = Agent(room_config(8883, 1502, mqtt_extra=(
            'tls = { ca_file = "nowhere/ca.pem"; cert_file = "nowhere/c.pem"; '
            'key_file = "nowhere/c.key"; };')), start=False)
        self.addCleanup(agent.close)
        rc, out, err = run_cli("check", "-c", agent.config_path)
        self.assertEqual(rc, 1, err)
        where = re.escape(agent.config_path)
        base = re.escape(os.path.dirname(agent.config_path))
        for key, name in (("ca_file", "ca.pem"), ("cert_file", "c.pem"),
                          ("key_file", "c.key")):
            self.assertRegex(err, rf"{where}:\d+: mqtt\.tls\.{key}: {base}/nowhere/"
                             rf"{re.escape(name)}: cannot read: No such file or "
                             r"directory")


if __name__ == "__main__":
    unittest.main()
