"""harness.py - the fixtures every facmon integration test uses.

Owns: starting and stopping the real processes a test runs against, on
loopback and free ports, each in its own temporary directory:

  Mosquitto   a broker (/usr/sbin/mosquitto) with a generated config
  TestCA      a certificate authority made with the openssl command line,
              for TLS brokers and clients (mosquitto_tls_config), and
              mosquitto_password_file for a broker that wants passwords
  Sim         facmon-sim (env FACMON_SIM) and its text control port, on
              Modbus TCP, Modbus RTU over a serial device, or both
  PtyPair     two linked pseudo-terminals (socat), a serial cable for RTU
  Agent       facmon run (env FACMON_BIN) with a config written from text
  MqttWatch   a paho-mqtt subscriber that records what the agent publishes
              (over TLS, with a user name, when asked)
  run_cli     facmon's one-shot subcommands (check, once, probe, history)
  npm_install npm packages for a peer run under Node (the Sparkplug
              decoder), into the build tree, once
  SnmpSim     snmpsimd serving .snmprec recordings (tests/data/snmp) on one
              or many UDP ports, SNMPv1/v2c and optionally v3 users
  snmpget, snmptrap   Debian's net-snmp tools, to read an agent and to send
              traps to facmon independently of facmon's own SNMP code

Every process is started with its PID saved, readiness is checked by
polling its port, and it is stopped by that PID (SIGTERM, then SIGKILL):
use the classes as context managers so a failing test still stops them.
Children also get a parent-death signal (setpriv --pdeathsig), so even a
test runner killed by a timeout leaves no broker holding a port.

Runs under Debian's /usr/bin/python3 (python3-paho-mqtt 1.6).
"""

import atexit
import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import namedtuple

import paho.mqtt.client as mqtt

HOST = "127.0.0.1"
MOSQUITTO = "/usr/sbin/mosquitto"
SOCAT = "/usr/bin/socat"
_SETPRIV = "/usr/bin/setpriv"
_KEEP_TMP = os.environ.get("FACMON_KEEP_TMP") == "1"

# Processes still running, stopped at exit should a test forget one.
_live = set()


def _env_path(name):
    path = os.environ.get(name)
    if not path:
        raise RuntimeError(f"{name} is not set (run the tests through ctest)")
    return path


def facmon_bin():
    return _env_path("FACMON_BIN")


def sim_bin():
    return _env_path("FACMON_SIM")


def profile_dir():
    return os.environ.get("FACMON_PROFILE_DIR", "")


# ---- ports -----------------------------------------------------------------

def write_secret(path, text, mode=0o600):
    """A passphrase or password file, as the agent wants them: TEXT and a
    newline, readable by its owner only (unless MODE says otherwise)."""
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, mode)
    return path


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port, host=HOST):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, timeout=10.0, host=HOST, process=None):
    """Polls until PORT accepts a connection. With PROCESS (a _Process),
    fails at once, with its log, if that process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return
        if process is not None and not process.running():
            raise RuntimeError(
                f"{process.name} exited with status {process.returncode} "
                f"before listening on {host}:{port}; its log:\n"
                f"{process.log()}")
        time.sleep(0.05)
    where = f"; log:\n{process.log()}" if process is not None else ""
    raise TimeoutError(f"nothing listens on {host}:{port} after "
                       f"{timeout:.1f}s{where}")


def wait_until(condition, timeout=10.0, interval=0.05, message="condition"):
    """Polls CONDITION() until it returns something true, and returns it."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting "
                                 f"for {message}")
        time.sleep(interval)


# ---- processes -------------------------------------------------------------

class _Process:
    """One child process, its PID, and a log file with its output."""

    def __init__(self, name, workdir):
        self.name = name
        self.workdir = workdir
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.proc = None
        self.returncode = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self, argv, env=None):
        if self.running():
            raise RuntimeError(f"{self.name} is already running")
        if os.path.exists(_SETPRIV):
            # setpriv execs ARGV in place: same PID, killed with us.
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--"] + list(argv)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=env, cwd=self.workdir)
        finally:
            log.close()
        self.returncode = None
        _live.add(self)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.running():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """The exit status, or None if still running after TIMEOUT."""
        if self.proc is None:
            return self.returncode
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        _live.discard(self)
        return self.returncode

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after TIMEOUT. Returns the exit status
        (negative: killed by that signal)."""
        if self.proc is None:
            return self.returncode
        self.signal(signal.SIGTERM)
        if self.wait(timeout) is None:
            self.signal(signal.SIGKILL)
            self.wait(5.0)
        return self.returncode

    def kill(self):
        """SIGKILL, as a crash or a power cut would."""
        if self.proc is None:
            return self.returncode
        self.signal(signal.SIGKILL)
        return self.wait(5.0)

    def log(self):
        try:
            with open(self.log_path, "r", encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


@atexit.register
def _stop_leftovers():
    for p in list(_live):
        p.kill()


class _Fixture:
    """A temp dir, one process in it, and context-manager plumbing."""

    name = "process"

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix=f"facmon-{self.name}-")
        self.process = _Process(self.name, self.tmp)

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process.running()

    def stop(self, timeout=10.0):
        return self.process.stop(timeout)

    def kill(self):
        return self.process.kill()

    def log(self):
        return self.process.log()

    def close(self):
        self.process.stop()
        if not _KEEP_TMP:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---- mosquitto -------------------------------------------------------------

class Mosquitto(_Fixture):
    """A broker on 127.0.0.1:PORT (a free one unless given), anonymous
    unless ALLOW_ANONYMOUS is false, without persistence. Started by the
    constructor."""

    name = "mosquitto"

    def __init__(self, port=None, extra_config="", allow_anonymous=True):
        """EXTRA_CONFIG is appended to the config, after the listener line
        (so per-listener options such as certfile apply to it); {tmp} in it
        is the broker's own temporary directory (for persistence_location)."""
        super().__init__()
        self.host = HOST
        self.port = port or free_port()
        self.config_path = os.path.join(self.tmp, "mosquitto.conf")
        # Run as root, mosquitto would switch to user "mosquitto", and a
        # change of user clears the parent-death signal: stay who we are.
        user = "user root\n" if os.geteuid() == 0 else ""
        with open(self.config_path, "w") as f:
            # mosquitto 2 with a config file needs both lines spelled out.
            f.write(f"listener {self.port} {HOST}\n"
                    f"allow_anonymous {'true' if allow_anonymous else 'false'}\n"
                    f"{user}"
                    "log_dest stderr\n"
                    "log_type error\nlog_type warning\nlog_type notice\n"
                    f"{_fill(extra_config, {'tmp': self.tmp})}\n")
            if "persistence true" not in extra_config:
                f.write("persistence false\n")
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    def start(self, timeout=10.0):
        self.process.start([MOSQUITTO, "-c", self.config_path])
        wait_port(self.port, timeout, process=self.process)

    def restart(self, timeout=10.0):
        """Stops the broker and starts a new one on the same port (retained
        messages are gone: there is no persistence)."""
        self.stop()
        self.start(timeout)


# ---- TLS and passwords for the broker -----------------------------------------

OPENSSL = "/usr/bin/openssl"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"
_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")

Cert = namedtuple("Cert", "cert key")
Cert.__doc__ = """A certificate and its private key: two PEM file paths."""


def _openssl(*args):
    proc = subprocess.run([OPENSSL, *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} exited "
                           f"{proc.returncode}: {proc.stderr.strip()}")


class TestCA:
    """A certificate authority made with Debian's openssl command line in
    DIRECTORY: .cert (NAME.pem, the CA certificate: facmon's ca_file,
    mosquitto's cafile, paho's ca_certs) and .key. issue() makes the
    certificates it signs. Keys are EC P-256 (quick to make) and mode 600:
    facmon refuses a private key that every user can read."""

    def __init__(self, directory, name="test-ca"):
        self.dir = directory
        self.name = name
        self.cert = os.path.join(directory, f"{name}.pem")
        self.key = os.path.join(directory, f"{name}.key")
        _openssl("req", "-x509", *_EC_KEY, "-keyout", self.key,
                 "-out", self.cert, "-days", "2", "-subj", f"/CN={name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(self.key, 0o600)

    def issue(self, name, cn, san=None, client=False, days=2):
        """A certificate for common name CN signed by this CA, as a Cert of
        NAME.pem and NAME.key in the CA's directory. SAN: its
        subjectAltName ("IP:127.0.0.1,DNS:localhost"; None: none). CLIENT:
        for client authentication, else for a server. DAYS: valid from now
        for that many days; -1 makes one that expired a day ago."""
        cert = Cert(os.path.join(self.dir, f"{name}.pem"),
                    os.path.join(self.dir, f"{name}.key"))
        csr = os.path.join(self.dir, f"{name}.csr")
        ext = os.path.join(self.dir, f"{name}.ext")
        _openssl("req", *_EC_KEY, "-keyout", cert.key, "-out", csr,
                 "-subj", f"/CN={cn}")
        os.chmod(cert.key, 0o600)
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    f"extendedKeyUsage={'clientAuth' if client else 'serverAuth'}\n")
            if san:
                f.write(f"subjectAltName={san}\n")
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
                 "-CAcreateserial", "-out", cert.cert, "-days", str(days),
                 "-extfile", ext)
        return cert


def mosquitto_tls_config(server, client_ca, require_certificate=False):
    """Mosquitto config lines (Mosquitto's EXTRA_CONFIG) that make its
    listener TLS: it presents SERVER (a Cert) and trusts client
    certificates from CLIENT_CA (a TestCA); with REQUIRE_CERTIFICATE a
    client must present one."""
    lines = [f"cafile {client_ca.cert}", f"certfile {server.cert}",
             f"keyfile {server.key}"]
    if require_certificate:
        lines.append("require_certificate true")
    return "\n".join(lines) + "\n"


def mosquitto_password_file(path, users):
    """A mosquitto password file at PATH (mosquitto_passwd -b -c), mode
    600, for USERS: {name: password}. Returns PATH, for password_file."""
    create = ["-c"]
    for user, password in users.items():
        subprocess.run([MOSQUITTO_PASSWD, "-b", *create, path, user, password],
                       check=True, capture_output=True, timeout=10,
                       stdin=subprocess.DEVNULL)
        create = []
    os.chmod(path, 0o600)
    return path


# ---- the simulator ---------------------------------------------------------

class SimError(Exception):
    """The simulator answered "err ..." on its control port."""


class Sim(_Fixture):
    """facmon-sim serving UNITS on a free Modbus port and a free control
    port. UNITS: {1: "xy-md02", 3: "modbus-di8"} or ["1=xy-md02", ...].
    SETS: {"1.temperature": 30} for --set. Started by the constructor.

    SERIAL (a device path, e.g. PtyPair().a) serves the units over Modbus
    RTU there too, with BAUD, PARITY ("none", "even", "odd"), DATA_BITS and
    STOP_BITS. With SERIAL, Modbus TCP is served only if PORT is given or
    TCP is true (then self.port is a free port); otherwise self.port is
    None. Without SERIAL nothing changes: TCP on PORT or a free port."""

    name = "sim"

    def __init__(self, units, sets=None, port=None, control_port=None,
                 profiles=None, extra_args=(), serial=None, baud=9600,
                 parity="none", data_bits=8, stop_bits=1, tcp=None):
        super().__init__()
        if isinstance(units, dict):
            units = [f"{u}={p}" for u, p in units.items()]
        self.units = list(units)
        self.sets = dict(sets or {})
        self.host = HOST
        self.serial = serial
        self.serial_settings = (baud, parity, data_bits, stop_bits)
        if tcp is None:
            tcp = serial is None or port is not None
        if not tcp and serial is None:
            raise ValueError("Sim needs TCP, a serial device, or both")
        self.port = (port or free_port()) if tcp else None
        self.control_port = control_port or free_port()
        self.profiles = profiles or profile_dir()
        self.extra_args = list(extra_args)
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    def argv(self):
        argv = [sim_bin()]
        if self.port is not None:
            argv += ["--listen", f"{HOST}:{self.port}"]
        if self.serial is not None:
            baud, parity, data_bits, stop_bits = self.serial_settings
            argv += ["--serial", self.serial, "--baud", str(baud),
                     "--parity", parity, "--data-bits", str(data_bits),
                     "--stop-bits", str(stop_bits)]
        argv += ["--control", f"{HOST}:{self.control_port}"]
        if self.profiles:
            argv += ["--profile-dir", self.profiles]
        for ref, value in self.sets.items():
            argv += ["--set", f"{ref}={value}"]
        return argv + self.extra_args + self.units

    def start(self, timeout=10.0):
        """Ready when the control port listens: the simulator opens it
        after its Modbus port and serial device."""
        self.process.start(self.argv())
        if self.port is not None:
            wait_port(self.port, timeout, process=self.process)
        wait_port(self.control_port, timeout, process=self.process)

    def restart(self, timeout=10.0):
        """A new simulator on the same ports, with the initial values
        (what the control port changed is gone, as after a power cycle)."""
        self.stop()
        self.start(timeout)

    def _exchange(self, line, done, timeout):
        """Sends LINE and returns the reply lines, read until DONE(lines)."""
        with socket.create_connection((HOST, self.control_port),
                                      timeout=timeout) as s:
            s.sendall(line.encode() + b"\n")
            reply = b""
            while True:
                lines = reply.decode().split("\n")[:-1]
                if lines and done(lines):
                    return lines
                chunk = s.recv(65536)
                if not chunk:
                    return lines
                reply += chunk

    def command(self, line, timeout=5.0):
        """Sends one control line and returns the text after "ok" ("" for
        a bare ok). Raises SimError on "err ...". A fresh connection per
        command, so a restarted simulator needs no reconnecting."""
        lines = self._exchange(line, lambda lines: True, timeout)
        reply = lines[0].strip() if lines else ""
        if reply == "ok":
            return ""
        if reply.startswith("ok "):
            return reply[3:]
        if reply.startswith("err"):
            raise SimError(f"{line!r}: {reply}")
        raise RuntimeError(f"facmon-sim answered {line!r} with {reply!r}")

    def set(self, unit, point, value):
        self.command(f"set {unit}.{point} {value}")

    def get(self, unit, point):
        return float(self.command(f"get {unit}.{point}"))

    def mute(self, unit, on=True):
        self.command(f"mute {unit} {'on' if on else 'off'}")

    def raw(self, unit, table, address, value=None):
        """Writes a raw register/bit; without VALUE reads it (an int)."""
        if value is None:
            return int(self.command(f"raw {unit} {table} {address}"))
        self.command(f"raw {unit} {table} {address} {value}")
        return None

    def stats(self, unit=None):
        """Modbus requests received (all, or those for UNIT)."""
        reply = self.command("stats" if unit is None else f"stats {unit}")
        match = re.fullmatch(r"requests=(\d+)", reply)
        if not match:
            raise RuntimeError(f"unexpected stats reply {reply!r}")
        return int(match.group(1))

    def slow(self, unit, ms):
        """UNIT answers MS milliseconds late (0: at once)."""
        self.command(f"slow {unit} {int(ms)}")

    def exception(self, unit, table, address, code):
        """Reads of TABLE (holding|input|coil|discrete) by UNIT that cover
        ADDRESS get Modbus exception CODE (0..11; 0 is not a valid code,
        for testing how a client names it)."""
        self.command(f"exception {unit} {table} {address} {code}")

    def clear_exceptions(self, unit):
        self.command(f"exception {unit} clear")

    def request_log(self, on=True):
        """Starts (emptying the log) or stops recording requests."""
        self.command(f"log {'on' if on else 'off'}")

    _REQUEST = re.compile(r"ok t=(\d+) unit=(\d+) fc=(\d+) addr=(\d+) "
                          r"count=(\d+)")

    def requests(self, n=None, timeout=10.0):
        """The last N (default: all) recorded requests, oldest first, as
        dicts: t (ms on time.monotonic()'s clock), unit, fc, addr, count."""
        line = "requests" if n is None else f"requests {int(n)}"
        lines = self._exchange(
            line, lambda ls: ls[-1] == "ok end" or ls[-1].startswith("err"),
            timeout)
        if lines and lines[-1].startswith("err"):
            raise SimError(f"{line!r}: {lines[-1]}")
        if not lines or lines[-1] != "ok end":
            raise RuntimeError(f"facmon-sim's reply to {line!r} ended "
                               f"early: {lines[-3:]!r}")
        out = []
        for text in lines[:-1]:
            match = self._REQUEST.fullmatch(text)
            if not match:
                raise RuntimeError(f"unexpected requests line {text!r}")
            t, unit, fc, addr, count = map(int, match.groups())
            out.append({"t": t, "unit": unit, "fc": fc, "addr": addr,
                        "count": count})
        return out


# ---- serial lines ----------------------------------------------------------

class PtyPair(_Fixture):
    """Two pseudo-terminals joined by socat: what is written to one end is
    read at the other, like two RS-485 adapters on one cable (but full
    duplex, without echo or line timing). .a and .b are the paths (links
    in the fixture's temporary directory). Started by the constructor,
    stopped by PID."""

    name = "socat"

    def __init__(self, timeout=10.0):
        super().__init__()
        self.a = os.path.join(self.tmp, "a")
        self.b = os.path.join(self.tmp, "b")
        try:
            self.start(timeout)
        except BaseException:
            self.close()
            raise

    def _ready(self):
        if not self.process.running():
            raise RuntimeError(f"socat exited with status "
                               f"{self.process.returncode}; its log:\n"
                               f"{self.log()}")
        return (os.path.exists(self.a) and os.path.exists(self.b)
                and "starting data transfer loop" in self.log())

    def start(self, timeout=10.0):
        for link in (self.a, self.b):  # a socat killed leaves its links
            if os.path.lexists(link):
                os.unlink(link)
        self.process.start([SOCAT, "-d", "-d",
                            f"pty,raw,echo=0,link={self.a}",
                            f"pty,raw,echo=0,link={self.b}"])
        wait_until(self._ready, timeout, message="socat's pty links")

    def restart(self, timeout=10.0):
        """New ptys behind the same links, as a cable pulled and put back;
        whoever had an end open must open it again."""
        self.stop()
        self.start(timeout)


# ---- the agent -------------------------------------------------------------

def _fill(template, params):
    """Replaces {name} for each NAME in PARAMS. libconfig's own braces
    ("agent = { ... }") are left alone; an unknown {name} is an error,
    since libconfig has no such syntax and it is surely a typo."""
    def one(match):
        key = match.group(1)
        if key not in params:
            raise KeyError(f"config placeholder {{{key}}} has no value; "
                           f"known: {', '.join(sorted(params))}")
        return str(params[key])
    return re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", one, template)


def room_config(mqtt_port, modbus_port, devices=(("rack-a", 1, "xy-md02"),),
                rules="", site="testsite", name="gw1", interval=1,
                timeout_ms=300, down_after=None, log_level="debug",
                extra="", mqtt_extra=""):
    """A standard config: one modbus-tcp bus "sim" on the simulator and
    the broker on loopback. DEVICES: (name, unit, profile) tuples, or raw
    libconfig text for the devices list. RULES: raw libconfig text of the
    rules list. MQTT_EXTRA: more keys of the mqtt group (tls, username).
    The agent's state_dir and profile_dir are placeholders Agent fills
    in."""
    if not isinstance(devices, str):
        items = []
        for dev_name, unit, profile in devices:
            extra_keys = (f" down_after = {down_after};"
                          if down_after is not None else "")
            items.append(f'  {{ name = "{dev_name}"; bus = "sim"; '
                         f'unit = {unit}; profile = "{profile}"; '
                         f'interval = {interval};{extra_keys} }}')
        devices = ",\n".join(items)
    return f"""# written by tests/integration/harness.py
agent = {{
  site = "{site}";
  name = "{name}";
  state_dir = "{{state_dir}}";
  profile_dir = "{{profile_dir}}";
  log_level = "{log_level}";
}};
mqtt = {{
  host = "{HOST}";
  port = {mqtt_port};
  {mqtt_extra}
}};
buses = (
  {{ name = "sim"; type = "modbus-tcp"; host = "{HOST}"; port = {modbus_port};
    timeout_ms = {timeout_ms}; }}
);
devices = (
{devices}
);
rules = (
{rules}
);
{extra}
"""


class Agent(_Fixture):
    """`facmon run -c FILE` with FILE written from CONFIG (libconfig text).
    {state_dir}, {profile_dir} and {tmp} are filled in, as is any {key}
    given in PARAMS. Started by the constructor unless start=False. ENV
    (a dict) replaces the environment it runs in, as systemd would set it
    (NOTIFY_SOCKET, WATCHDOG_USEC)."""

    name = "agent"

    def __init__(self, config, params=None, start=True, args=(), env=None):
        super().__init__()
        self.env = env
        self.state_dir = os.path.join(self.tmp, "state")
        os.makedirs(self.state_dir)
        self.config_path = os.path.join(self.tmp, "facmon.cfg")
        self.args = list(args)
        self.params = {"state_dir": self.state_dir,
                       "profile_dir": profile_dir(), "tmp": self.tmp}
        self.params.update(params or {})
        self.write_config(config)
        if start:
            try:
                self.start()
            except BaseException:
                self.close()
                raise

    def write_config(self, config):
        """Rewrites the config file (then reload() or restart())."""
        with open(self.config_path, "w") as f:
            f.write(_fill(config, self.params))

    def config(self):
        with open(self.config_path) as f:
            return f.read()

    def start(self):
        self.process.start([facmon_bin(), "run", "-c", self.config_path]
                           + self.args, env=self.env)

    def restart(self, timeout=10.0):
        """Clean stop and start on the same config and state dir. Returns
        the exit status of the stop."""
        rc = self.stop(timeout)
        self.start()
        return rc

    def reload(self):
        """SIGHUP: the agent rereads its config."""
        self.process.signal(signal.SIGHUP)

    def wait_log(self, pattern, timeout=10.0):
        """Waits until the agent's log matches the regex PATTERN."""
        rx = re.compile(pattern)
        try:
            return wait_until(lambda: rx.search(self.log()), timeout,
                              message=f"agent log to match {pattern!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}; agent log:\n{self.log()}") from None


# ---- npm packages, for peers that run under Node ----------------------------

class NpmUnavailable(Exception):
    """npm is missing, or cannot reach its registry: the test is skipped
    (exit 77), saying this."""


_NPM_OFFLINE = re.compile(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|"
                          r"ENETUNREACH|EHOSTUNREACH|network|proxy", re.I)


def npm_install(name, packages, timeout=300.0):
    """Installs PACKAGES (["sparkplug-payload@1.0.3", ...]) with npm into
    <build>/node/NAME (FACMON_BUILD_DIR, set by CTest), unless they are
    there already, and returns its node_modules directory (for NODE_PATH).
    Raises NpmUnavailable when npm or node is missing or the registry
    cannot be reached; any other npm failure is an error."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        raise NpmUnavailable("node or npm is not installed (scripts/deps installs them)")
    prefix = os.path.join(_env_path("FACMON_BUILD_DIR"), "node", name)
    modules = os.path.join(prefix, "node_modules")
    wanted = [p.rsplit("@", 1)[0] if p.rfind("@") > 0 else p for p in packages]
    if all(os.path.isfile(os.path.join(modules, w, "package.json")) for w in wanted):
        return modules
    os.makedirs(prefix, exist_ok=True)
    try:
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund",
                               "--no-save", "--prefix", prefix, *packages],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise NpmUnavailable(f"npm install {' '.join(packages)} took more than "
                             f"{timeout:.0f}s (is the registry reachable?)") from None
    if proc.returncode != 0:
        text = proc.stderr + proc.stdout
        if _NPM_OFFLINE.search(text):
            raise NpmUnavailable(f"npm cannot reach the registry: {text.strip()[-400:]}")
        raise RuntimeError(f"npm install {' '.join(packages)} failed "
                           f"({proc.returncode}): {text.strip()[-2000:]}")
    return modules


def run_cli(*args, timeout=60.0, env=None, input=None):
    """Runs `facmon ARGS...` to completion: (returncode, stdout, stderr)."""
    proc = subprocess.run([facmon_bin()] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env, input=input, stdin=None if input else
                          subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


# ---- a link that can be cut ------------------------------------------------

class TcpProxy:
    """A TCP relay in this process from a free loopback port (.port) to
    TARGET_PORT on loopback: what the agent sees as "the broker". down()
    closes the listener and every relayed connection at once, as a broker
    restart or a WAN cut looks from the client; up() accepts again on the
    same port. Subscribers that talk to the broker directly are not
    affected, so they miss nothing."""

    def __init__(self, target_port, port=None):
        self.target_port = target_port
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._sockets = []
        self._listener = None
        self.up()

    def up(self):
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            deadline = time.monotonic() + 5
            while True:  # relayed sockets of the last cut may still be closing
                try:
                    listener.bind((HOST, self.port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        listener.close()
                        raise
                    time.sleep(0.05)
            listener.listen(16)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self):
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            try:  # wakes the thread blocked in accept(), which holds it open
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection((HOST, self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # went down meanwhile
                    client.close()
                    server.close()
                    continue
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._relay, args=(a, b), daemon=True).start()

    @staticmethod
    def _relay(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        src.close()

    def close(self):
        self.down()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---- watching MQTT ---------------------------------------------------------


def state_is(state):
    """A predicate for MqttWatch.wait_for: a state payload (device or
    alert) in STATE."""
    return lambda p: p["state"] == state


def event(rule, to):
    """A predicate for MqttWatch.wait_for: an event of alert RULE into TO."""
    return lambda p: p["rule"] == rule and p["to"] == to


Message = namedtuple("Message", "index topic payload raw retained time")
Message.__doc__ = """One message seen by MqttWatch. PAYLOAD is the parsed
JSON (or the text, when it is not JSON); RAW the bytes; RETAINED the flag
as delivered (true only for messages the broker held when we subscribed);
TIME on time.monotonic()."""


def topic_matches(pattern, topic):
    """True if TOPIC equals PATTERN or matches it as an MQTT filter."""
    return pattern == topic or mqtt.topic_matches_sub(pattern, topic)


class MqttWatch:
    """A subscriber to TOPIC (an MQTT filter) on the broker at PORT that
    records every message. Connected when the constructor returns, and
    resubscribes by itself after a broker restart."""

    def __init__(self, port, topic="#", host=HOST, qos=1, timeout=10.0,
                 client_id=None, clean_session=True, tls=None, tls_insecure=False,
                 username=None, password=None):
        """CLIENT_ID and CLEAN_SESSION=False give a persistent session:
        with a broker that persists, messages published while this
        subscriber is away are queued for it. TLS: paho's tls_set()
        arguments ({"ca_certs": ..., "certfile": ..., "keyfile": ...});
        paho then checks the broker's certificate, and its name unless
        TLS_INSECURE (to watch a broker whose name is wrong). USERNAME
        and PASSWORD: credentials for a broker that wants them."""
        self.topic = topic
        self.qos = qos
        self._messages = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(
            client_id=client_id or f"facmon-test-{os.getpid()}-{id(self):x}",
            clean_session=clean_session)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        if tls is not None:
            self._client.tls_set(**tls)
            self._client.tls_insecure_set(tls_insecure)
        if username is not None:
            self._client.username_pw_set(username, password)
        self._client.reconnect_delay_set(min_delay=0.2, max_delay=1)
        self._client.connect(host, port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.close()
            raise TimeoutError(f"no SUBACK from the broker on port {port}")

    def _on_connect(self, client, userdata, flags, rc):
        if rc == 0:
            client.subscribe(self.topic, self.qos)

    def _on_subscribe(self, client, userdata, mid, granted_qos):
        self._subscribed.set()

    def _on_message(self, client, userdata, msg):
        try:
            payload = json.loads(msg.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            payload = msg.payload.decode("utf-8", errors="replace")
        with self._cond:
            self._messages.append(Message(
                len(self._messages), msg.topic, payload, bytes(msg.payload),
                bool(msg.retain), time.monotonic()))
            self._cond.notify_all()

    def mark(self):
        """The index the next message will get: pass it as AFTER to see
        only what arrives from now on."""
        with self._cond:
            return len(self._messages)

    def messages(self, topic=None, after=0):
        """Messages so far (matching TOPIC, a topic or filter), oldest
        first."""
        with self._cond:
            return [m for m in self._messages[after:]
                    if topic is None or topic_matches(topic, m.topic)]

    def _first_match(self, topic, predicate, after):
        for m in self._messages[after:]:
            if not topic_matches(topic, m.topic):
                continue
            try:
                if predicate(m.payload):
                    return m
            except (KeyError, TypeError, IndexError, AttributeError):
                continue  # a payload of another shape: not this one
        return None

    def wait_for(self, topic, predicate=lambda payload: True, timeout=10.0,
                 after=0):
        """The first message on TOPIC (a topic or MQTT filter) with index
        >= AFTER whose payload satisfies PREDICATE. Fails with the last
        messages seen if none arrives within TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._first_match(topic, predicate, after)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            recent = self._messages[-20:]
        seen = "\n".join(f"  #{m.index} {m.topic} "
                         f"{'(retained) ' if m.retained else ''}"
                         f"{m.raw.decode('utf-8', 'replace')[:300]}"
                         for m in recent) or "  (none)"
        raise AssertionError(
            f"no message on {topic!r} matching the predicate after index "
            f"{after} within {timeout:.1f}s; last messages seen:\n{seen}")

    def close(self):
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def mosquitto_pub(port, topic, payload, retain=False, qos=1):
    """Publishes one message with the mosquitto_pub client."""
    argv = ["mosquitto_pub", "-h", HOST, "-p", str(port), "-t", topic,
            "-m", payload, "-q", str(qos)]
    if retain:
        argv.append("-r")
    subprocess.run(argv, check=True, timeout=10, stdin=subprocess.DEVNULL)


# ---- SNMP: snmpsim agents and the net-snmp tools ---------------------------
#
# SnmpSim runs Debian's snmpsimd (snmpsim 0.4.5) serving .snmprec recordings
# (tests/data/snmp/) on free UDP ports of 127.0.0.1. The net-snmp command
# line tools (snmpget, snmptrap) talk to it and to the agent, independently
# of facmon's own SNMP code.

SNMPSIMD = "/usr/bin/snmpsimd"
SNMPGET = "/usr/bin/snmpget"
SNMPTRAP = "/usr/bin/snmptrap"
# snmpsimd is Python: Debian's interpreter, whatever python3 is first on PATH.
_SYS_PYTHON = "/usr/bin/python3"
SNMP_DATA = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data", "snmp"))
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
# snmpsimd names its Nth UDP endpoint (0-based, in command-line order)
# <snmpUDPDomain>.N and, for an SNMPv3 request with an empty context name,
# looks for a data file of that name: how it answers a v3 manager that sets
# no context, as real devices are polled.
_UDP_DOMAIN = "1.3.6.1.6.1.1"
# The account snmpsimd runs as when the tests run as root (it refuses root).
_SNMPSIM_USER = "nobody"
_SNMPSIM_GROUP = "nogroup"


def free_udp_port(host=HOST):
    """A UDP port on HOST that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_udp_ports(n, host=HOST):
    """N distinct free UDP ports (all held open while choosing)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


V3User = namedtuple("V3User", "user auth_key priv_key auth_proto priv_proto",
                    defaults=(None, "SHA", "AES"))
V3User.__doc__ = """An SNMPv3 USM user. AUTH_KEY and PRIV_KEY are the
passphrases (8 characters or more); PRIV_KEY None is authNoPriv.
AUTH_PROTO: MD5, SHA, SHA224, SHA256, SHA384, SHA512. PRIV_PROTO: DES, AES
(AES-128), AES192, AES256 - the AES-192/256 key extension net-snmp uses
(Blumenthal), which snmpsimd calls AES192BLMT/AES256BLMT."""

# Protocol names: ours -> (snmpsimd option value, net-snmp -a/-x value).
_AUTH_PROTOS = {"MD5": ("MD5", "MD5"), "SHA": ("SHA", "SHA"),
                "SHA224": ("SHA224", "SHA-224"),
                "SHA256": ("SHA256", "SHA-256"),
                "SHA384": ("SHA384", "SHA-384"),
                "SHA512": ("SHA512", "SHA-512")}
_PRIV_PROTOS = {"DES": ("DES", "DES"), "AES": ("AES", "AES"),
                "AES128": ("AES", "AES"),
                "AES192": ("AES192BLMT", "AES-192"),
                "AES256": ("AES256BLMT", "AES-256")}


def _proto(table, name, what):
    try:
        return table[name.upper().replace("-", "")]
    except KeyError:
        raise ValueError(f"unknown SNMPv3 {what} protocol {name!r}; known: "
                         f"{', '.join(sorted(table))}") from None


def _v3_client_args(v3, context=None):
    """net-snmp command line options for V3 (a V3User)."""
    args = ["-v3", "-u", v3.user]
    if v3.auth_key is None:
        args += ["-l", "noAuthNoPriv"]
    else:
        args += ["-a", _proto(_AUTH_PROTOS, v3.auth_proto, "auth")[1],
                 "-A", v3.auth_key]
        if v3.priv_key is None:
            args += ["-l", "authNoPriv"]
        else:
            args += ["-l", "authPriv",
                     "-x", _proto(_PRIV_PROTOS, v3.priv_proto, "priv")[1],
                     "-X", v3.priv_key]
    if context is not None:
        args += ["-n", context]
    return args


SnmpResult = namedtuple("SnmpResult", "returncode values stdout stderr")
SnmpResult.__doc__ = """What snmpget said. VALUES maps each numeric OID
(without a leading dot) to (type, value): type as net-snmp prints it
("INTEGER", "STRING", "OID", "Timeticks", "Gauge32", "Counter32",
"Counter64", "IpAddress", "Hex-STRING", ...) with value an int for the
numeric types (Timeticks in hundredths of a second), the text for
strings, the numeric OID for OIDs; or ("noSuchObject" | "noSuchInstance" |
"endOfMibView", None)."""

_SNMP_LINE = re.compile(r"^\.?([0-9.]+) = (.*)$")
_NO_SUCH = {"No Such Object available on this agent at this OID":
            "noSuchObject",
            "No Such Instance currently exists at this OID":
            "noSuchInstance",
            "No more variables left in this MIB View (It is past the end "
            "of the MIB tree)": "endOfMibView"}
_INT_TYPES = {"INTEGER", "Gauge32", "Counter32", "Counter64", "Timeticks",
              "UInteger32", "Unsigned32"}


def parse_snmp_output(text):
    """{oid: (type, value)} from net-snmp output printed with -On -Oe."""
    values = {}
    for line in text.splitlines():
        m = _SNMP_LINE.match(line.strip())
        if not m:
            continue
        oid, rest = m.groups()
        if rest in _NO_SUCH:
            values[oid] = (_NO_SUCH[rest], None)
            continue
        if rest == '""':  # an empty OCTET STRING prints as just ""
            values[oid] = ("STRING", "")
            continue
        typ, sep, val = rest.partition(": ")
        if not sep:  # an empty string prints as 'STRING: ' -> no ': ' split
            typ, val = rest.rstrip(":"), ""
        if typ == "Timeticks":  # "Timeticks: (123456789) 14 days, 6:56:07.89"
            m = re.match(r"\((\d+)\)", val)
            val = int(m.group(1)) if m else val
        elif typ in _INT_TYPES:
            try:
                val = int(val.split()[0])
            except (ValueError, IndexError):
                pass
        elif typ == "STRING" and len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        elif typ == "OID":
            val = val.lstrip(".")
        values[oid] = (typ, val)
    return values


def snmpget(port, *oids, community="public", v3=None, context=None,
            host=HOST, version="2c", timeout=1.0, retries=0):
    """Runs Debian's snmpget against HOST:PORT for OIDS (numeric) and
    returns an SnmpResult; a non-zero exit status is returned, not raised
    (a timeout is "Timeout: No Response from ..." on stderr). With V3 (a
    V3User) it speaks SNMPv3 (CONTEXT: the context name, default none)."""
    argv = [SNMPGET, "-On", "-Oe", "-t", str(timeout),
            "-r", str(retries)]
    if v3 is not None:
        argv += _v3_client_args(v3, context)
    else:
        argv += ["-v", version, "-c", community]
    argv += [f"{host}:{port}"] + [o.lstrip(".") for o in oids]
    proc = subprocess.run(argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL,
                          timeout=(timeout + 1) * (retries + 1) + 10)
    return SnmpResult(proc.returncode, parse_snmp_output(proc.stdout),
                      proc.stdout, proc.stderr)


def _trap_value_type(value):
    if isinstance(value, bool):
        return "i", str(int(value))
    if isinstance(value, int):
        return "i", str(value)
    return "s", str(value)


def _v1_trap_fields(trap_oid):
    """RFC 3584 3.2: the SNMPv1 enterprise, generic-trap and specific-trap
    for an SNMPv2 notification OID."""
    arcs = trap_oid.lstrip(".").split(".")
    std = "1.3.6.1.6.3.1.1.5".split(".")
    if arcs[:len(std)] == std and len(arcs) == len(std) + 1:
        return "1.3.6.1.6.3.1.1.5", str(int(arcs[-1]) - 1), "0"
    if len(arcs) >= 3 and arcs[-2] == "0":
        return ".".join(arcs[:-2]), "6", arcs[-1]
    return ".".join(arcs[:-1]), "6", arcs[-1]


def snmptrap(port, community, trap_oid, varbinds=(), version="2c",
             source=None, host=HOST, uptime="", timeout=10.0):
    """Sends one trap with Debian's snmptrap to HOST:PORT (UDP) and returns
    the CompletedProcess; raises RuntimeError if snmptrap fails.

    TRAP_OID is the notification OID (snmpTrapOID.0), e.g. RFC 1628
    upsTrapOnBattery "1.3.6.1.2.1.33.2.1". VARBINDS: (oid, type, value)
    with snmptrap's type letters (i integer, u unsigned, c counter32,
    s string, x hex, d decimal string, n null, o OID, t timeticks,
    a IP address), or (oid, value) for an int (i) or a string (s).
    VERSION "2c" (an SNMPv2-Trap) or "1" (a Trap-PDU, its enterprise,
    generic and specific trap derived from TRAP_OID as RFC 3584 does).
    SOURCE: the local address to send from (e.g. "127.0.0.2", any 127/8
    address works on Linux), to test who the agent accepts traps from; for
    v1 it is also the agent-addr field. UPTIME: sysUpTime in hundredths of
    a second, "" for snmptrap's own."""
    argv = [SNMPTRAP, "-v", "1" if str(version) == "1" else "2c",
            "-c", community]
    if source:
        argv.append(f"--clientaddr={source}")
    argv.append(f"{host}:{port}")
    if str(version) == "1":
        enterprise, generic, specific = _v1_trap_fields(trap_oid)
        argv += [enterprise, source or "", generic, specific, str(uptime)]
    elif str(version) == "2c":
        argv += [str(uptime), trap_oid]
    else:
        raise ValueError(f"snmptrap: version {version!r} (1 or 2c)")
    for vb in varbinds:
        if len(vb) == 2:
            oid, value = vb
            typ, text = _trap_value_type(value)
        else:
            oid, typ, text = vb
        argv += [str(oid), str(typ), str(text)]
    proc = subprocess.run(argv, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"snmptrap exited {proc.returncode}: "
                           f"{proc.stderr.strip()} (argv {argv})")
    return proc


class SnmpSim(_Fixture):
    """snmpsimd serving .snmprec recordings on ENDPOINTS free UDP ports of
    127.0.0.1 (or on the given PORTS), one process for all of them.
    Started by the constructor; ready when every port answers snmpget.

    FILES: paths of .snmprec files, served to the community named after the
    file ("ups-mains.snmprec" -> community "ups-mains"); or a dict
    {community: path}. A bare name ("ups-mains" or "ups-mains.snmprec") is
    looked up in tests/data/snmp.
    Every endpoint serves every community: to give agents different data,
    give them different communities.

    V3: a V3User (or a list of them) accepted on every endpoint. snmpsimd
    picks the data for a v3 request by its context name: "-n COMMUNITY"
    reads that community's file; an empty context (what facmon and most
    managers send) reads V3_COMMUNITY's file (default: the first one).

    .port / .endpoint are the first endpoint ("127.0.0.1:PORT"); .ports /
    .endpoints all of them; .communities the names served. The process is
    snmpsimd itself (it forks only with --daemonize, never used here), so
    .pid is the server. Run as root, it is started as user nobody (snmpsimd
    refuses root, and dropping privileges itself would clear the
    parent-death signal), with its data and cache in the fixture's
    temporary directory, made readable by that user."""

    name = "snmpsim"

    def __init__(self, files, endpoints=1, ports=None, v3=None,
                 v3_community=None, timeout=30.0, extra_args=()):
        super().__init__()
        try:
            self.host = HOST
            self.ports = list(ports) if ports else free_udp_ports(endpoints)
            if not self.ports:
                raise ValueError("SnmpSim needs at least one endpoint")
            if v3 is None:
                self.v3_users = []
            elif isinstance(v3, V3User):
                self.v3_users = [v3]
            else:
                self.v3_users = list(v3)
            self.v3_community = v3_community
            self.extra_args = list(extra_args)
            self.data_dir = os.path.join(self.tmp, "data")
            self.cache_dir = os.path.join(self.tmp, "cache")
            self.files = {}
            self._as_nobody = os.geteuid() == 0
            if self._as_nobody:
                os.chmod(self.tmp, 0o755)  # mkdtemp made it 0700
            self._write_data(files)
            self.start(timeout)
        except BaseException:
            self.close()
            raise

    @property
    def port(self):
        return self.ports[0]

    @property
    def endpoint(self):
        return f"{self.host}:{self.ports[0]}"

    @property
    def endpoints(self):
        return [f"{self.host}:{p}" for p in self.ports]

    @property
    def communities(self):
        return list(self.files)

    @staticmethod
    def _resolve(path):
        """PATH, or a recording in tests/data/snmp named PATH (with or
        without .snmprec)."""
        path = os.fspath(path)
        if os.path.isfile(path):
            return path
        if os.path.dirname(path) == "":
            for name in (path, f"{path}.snmprec"):
                candidate = os.path.join(SNMP_DATA, name)
                if os.path.isfile(candidate):
                    return candidate
        raise FileNotFoundError(f"no SNMP recording {path!r} (nor in "
                                f"{SNMP_DATA})")

    def _write_data(self, files):
        """(Re)makes the data dir: one <community>.snmprec per recording,
        and, if v3 users are given, <snmpUDPDomain>.<N>.snmprec per
        endpoint N for the empty context."""
        if isinstance(files, (str, bytes, os.PathLike)):
            files = [files]
        if isinstance(files, dict):
            mapping = {c: self._resolve(p) for c, p in files.items()}
        else:
            mapping = {}
            for p in files:
                path = self._resolve(p)
                stem = os.path.basename(path)
                stem = stem[:-len(".snmprec")] if stem.endswith(".snmprec") else stem
                mapping[stem] = path
        if not mapping:
            raise ValueError("SnmpSim needs at least one recording")
        for community in mapping:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", community):
                raise ValueError(f"community {community!r}: letters, digits, "
                                 f"'_', '.', '-', at most 32")
        if self.v3_users:
            v3c = self.v3_community or next(iter(mapping))
            if v3c not in mapping:
                raise ValueError(f"v3_community {v3c!r} is not served; "
                                 f"communities: {', '.join(mapping)}")
            self.v3_community = v3c
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        os.makedirs(self.data_dir)
        os.makedirs(self.cache_dir)
        targets = {f"{c}.snmprec": p for c, p in mapping.items()}
        if self.v3_users:
            for i in range(len(self.ports)):
                targets[f"{_UDP_DOMAIN}.{i}.snmprec"] = mapping[self.v3_community]
        for name, src in targets.items():
            dst = os.path.join(self.data_dir, name)
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o644)
        self.files = mapping
        if self._as_nobody:
            os.chmod(self.data_dir, 0o755)
            pw = pwd.getpwnam(_SNMPSIM_USER)
            os.chown(self.cache_dir, pw.pw_uid, grp.getgrnam(_SNMPSIM_GROUP).gr_gid)

    def argv(self):
        argv = [_SYS_PYTHON, SNMPSIMD,
                f"--data-dir={self.data_dir}",
                f"--cache-dir={self.cache_dir}",
                "--logging-method=stderr"]
        argv += [f"--agent-udpv4-endpoint={self.host}:{p}" for p in self.ports]
        for u in self.v3_users:
            argv.append(f"--v3-user={u.user}")
            if u.auth_key is not None:
                argv += [f"--v3-auth-key={u.auth_key}",
                         "--v3-auth-proto="
                         + _proto(_AUTH_PROTOS, u.auth_proto, "auth")[0]]
                if u.priv_key is not None:
                    argv += [f"--v3-priv-key={u.priv_key}",
                             "--v3-priv-proto="
                             + _proto(_PRIV_PROTOS, u.priv_proto, "priv")[0]]
        argv += self.extra_args
        if self._as_nobody:
            # The outer setpriv (in _Process.start) sets the parent-death
            # signal; this one changes user, which clears it, and sets it
            # again afterwards. The PID stays the same through both execs.
            argv = [_SETPRIV, f"--reuid={_SNMPSIM_USER}",
                    f"--regid={_SNMPSIM_GROUP}", "--clear-groups",
                    "--pdeathsig", "KILL", "--"] + argv
        return argv

    def answers(self, port, timeout=0.5):
        """True if PORT answers a v2c GET of sysDescr (any answer, even
        noSuchObject, proves the agent is up)."""
        community = next(iter(self.files))
        r = snmpget(port, SYS_DESCR, community=community, host=self.host,
                    timeout=timeout)
        return bool(r.values)

    def start(self, timeout=30.0):
        """Starts snmpsimd and waits until every port answers (snmpsimd
        indexes its data files first: a second or more)."""
        self.process.start(self.argv())
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while not self.answers(port):
                if not self.process.running():
                    raise RuntimeError(
                        f"snmpsimd exited with status "
                        f"{self.process.returncode} before answering on "
                        f"{self.host}:{port}; its log:\n{self.log()}")
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"snmpsimd does not answer on {self.host}:{port} "
                        f"after {timeout:.1f}s; its log:\n{self.log()[-3000:]}")
                time.sleep(0.1)

    def restart(self, files=None, timeout=30.0):
        """Stops snmpsimd and starts it again on the same ports, with new
        recordings if FILES is given (as in the constructor): a device whose
        state changed, e.g. {"ups1": "ups-battery.snmprec"} after serving
        {"ups1": "ups-mains.snmprec"}."""
        self.stop()
        if files is not None:
            self._write_data(files)
        self.start(timeout)

    def get(self, oid, community=None, port=None, **kw):
        """snmpget of one OID on this agent: its (type, value)."""
        r = snmpget(port or self.port, oid,
                    community=community or next(iter(self.files)),
                    host=self.host, **kw)
        if r.returncode != 0 or oid.lstrip(".") not in r.values:
            raise RuntimeError(f"snmpget {oid} on {self.host}:"
                               f"{port or self.port} failed ({r.returncode}): "
                               f"{r.stderr.strip() or r.stdout.strip()}")
        return r.values[oid.lstrip(".")]
