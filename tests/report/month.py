"""month.py - a month of synthetic history for `facmon report`, and what
the report must make of it.

Owns: the scenario the report's tests share: a config (two devices on one
Modbus gateway, three rules over four control IDs), and November 2026 as
the agent would have recorded it, written into a real facmon.db by
report_seed (env FACMON_REPORT_SEED) through the store API: real event
documents, shaped as outputs/payload.c shapes them, with chosen
timestamps, sealed in the hash chain; and the hourly availability rows.
EXPECTED holds the figures, each worked out below from the timeline.

The timeline (UTC):
  2026-10-20 00:00  agent started, config A; facmon.clock ok
  2026-10-31 23:00  pdu-overcurrent fires (no `for`), still firing at the
                    month's start: carried in
  11-01 00:30       ... acknowledged by tanaka        ack 1 h 30 min from firing
  11-01 02:00       ... resolved                       3 h from firing
  11-05 10:00-12:00 agent stopped (SIGTERM), started with config B
  11-08 03:00       facmon.clock pending, 03:10 firing, 04:00 resolved
  11-10 00:00-06:00 rack-a does not answer: every poll of those 6 hours
                    fails; rack-a.comm fires 00:00:30, acked 00:10:30 by
                    suzuki, resolved 06:00:10; its rules go unknown and
                    back (no alert)
  11-12 13:00       room-temp-high pending, 13:01 firing (detect 60 s),
                    13:05 acked by sato, 14:00 resolved
  11-15 08:00       room-temp-high pending, back to ok at 08:00:30 (no alert)
  11-16 09:00       reload accepted (B -> C), 09:05 one rejected
  11-18 20:00       the agent dies (last alive); 20:30 unclean stop found
                    (away 1800 s) and started, config C; the counts of the
                    hour 20 before the death are lost: only 30 min counted
  11-20 02:50       silence 1 "rack-humidity-*" by facility, 02:50-06:50;
                    03:00 rack-humidity-high fires silenced, 04:00 resolved;
                    05:00 the silence is cancelled
  11-22 00:00-03:00 pdu-1 degraded: every poll only partly answered
  11-25 01:00       silence 2 "pdu-1*" 01:00-02:00, expires; covers nothing
"""

import json
import os
import subprocess
import tempfile

from harness import facmon_bin, profile_dir

MONTH = "2026-11"
SHA = {k: k.lower() * 64 for k in "ABCD"}
DAYS = 30
HOURS = DAYS * 24

CONFIG = """# the report's test config (tests/report/month.py)
agent = {
  site = "tokyo-dc1";
  name = "opsroom-gw1";
  state_dir = "%(state_dir)s";
  profile_dir = "%(profile_dir)s";
};
mqtt = { host = "127.0.0.1"; port = 1883; };
buses = ( { name = "gw"; type = "modbus-tcp"; host = "127.0.0.1"; port = 1502; } );
devices = (
  { name = "rack-a"; bus = "gw"; unit = 1; profile = "xy-md02"; interval = 10; },
  { name = "pdu-1"; bus = "gw"; unit = 2; profile = "eastron-sdm120"; interval = 30; }
);
rules = (
  { name = "room-temp-high"; point = "rack-a.temperature"; above = 30.0; clear = 28.0;
    for = 60; severity = "critical"; controls = ["設46", "8.16"]; },
  { name = "rack-humidity-high"; point = "rack-a.humidity"; above = 70.0;
    severity = "warning"; controls = ["設46"]; },
  { name = "pdu-overcurrent"; point = "pdu-1.current"; above = 16.0;
    severity = "major"; controls = ["設76"]; }
);
"""

RULES = {
    "room-temp-high": ("critical", "rack-a.temperature", ["設46", "8.16"]),
    "rack-humidity-high": ("warning", "rack-a.humidity", ["設46"]),
    "pdu-overcurrent": ("major", "pdu-1.current", ["設76"]),
    "rack-a.comm": ("major", "rack-a", ["実102"]),
    "facmon.clock": ("warning", "facmon", ["8.17"]),
}

SILENCE_1 = {"id": 1, "match": "rack-humidity-*", "by": "facility",
             "why": "humidifier maintenance", "start": "2026-11-20T02:50:00.000Z",
             "end": "2026-11-20T06:50:00.000Z"}
SILENCE_2 = {"id": 2, "match": "pdu-1*", "by": "facility", "why": "PDU firmware update",
             "start": "2026-11-25T01:00:00.000Z", "end": "2026-11-25T02:00:00.000Z"}


def ts(text):
    """'11-12 13:01:00' (November) or a full '2026-10-31T23:00:00' -> the
    agent's form, 2026-11-12T13:01:00.000Z."""
    if "T" not in text:
        day, clock = text.split()
        text = f"2026-{day}T{clock}"
    return text + ".000Z"


def transition(when, rule, frm, to, value=None, silence=None, detail=None):
    severity, point, controls = RULES[rule]
    ev = {"ts": ts(when), "type": "transition", "from": frm, "to": to, "rule": rule,
          "severity": severity, "point": point, "value": value}
    if detail:
        ev["detail"] = detail
    ev["controls"] = controls
    ev["silenced"] = silence is not None
    if silence:
        ev["silence"] = {"id": silence["id"], "match": silence["match"],
                         "until": silence["end"], "by": silence["by"], "why": silence["why"]}
    ev["acked"] = False
    return ev


def ack(when, rule, by, comment):
    ev = transition(when, rule, "firing", "firing")
    ev["type"] = "ack"
    ev["acked"] = True
    ev["ack"] = {"by": by, "at": ts(when), "comment": comment}
    return ev


def agent(when, action, **fields):
    ev = {"ts": ts(when), "type": "agent", "rule": "facmon.agent", "action": action}
    ev.update(fields)
    return ev


def started(when, sha):
    return agent(when, "started", version="0.1.0", config="/etc/facmon/facmon.cfg",
                 config_sha256=sha, detail=f"facmon 0.1.0 started (config {sha[:12]})")


def config(when, action, old, new=None, file_sha=None, why=None):
    ev = {"ts": ts(when), "type": "config", "rule": "facmon.config", "action": action,
          "config": "/etc/facmon/facmon.cfg", "old_sha256": old}
    if new:
        ev["new_sha256"] = new
    if file_sha:
        ev["file_sha256"] = file_sha
    if why:
        ev["why"] = why
    return ev


def silence(when, action, s):
    ev = {"ts": ts(when), "type": "silence", "rule": "facmon.silence", "action": action}
    ev.update(s)
    return ev


def events():
    """The history, in seq order."""
    return [
        started("2026-10-20T00:00:00", SHA["A"]),
        transition("2026-10-20T00:01:00", "facmon.clock", "unknown", "ok",
                   detail="synchronised"),
        transition("2026-10-31T23:00:00", "pdu-overcurrent", "ok", "firing", 17.2),
        ack("11-01 00:30:00", "pdu-overcurrent", "tanaka", "load moved to PDU B"),
        transition("11-01 02:00:00", "pdu-overcurrent", "firing", "resolved", 12.0),
        transition("11-01 02:00:01", "pdu-overcurrent", "resolved", "ok", 12.0),
        agent("11-05 10:00:00", "stopped", reason="Terminated", uptime_s=1332000.0),
        started("11-05 12:00:00", SHA["B"]),
        transition("11-08 03:00:00", "facmon.clock", "ok", "pending",
                   detail="the clock is not synchronised"),
        transition("11-08 03:10:00", "facmon.clock", "pending", "firing",
                   detail="the clock has not been synchronised for 10 min"),
        transition("11-08 04:00:00", "facmon.clock", "firing", "resolved",
                   detail="synchronised"),
        transition("11-08 04:00:01", "facmon.clock", "resolved", "ok", detail="synchronised"),
        transition("11-10 00:00:30", "rack-a.comm", "ok", "firing", "down"),
        transition("11-10 00:00:30", "room-temp-high", "ok", "unknown"),
        transition("11-10 00:00:30", "rack-humidity-high", "ok", "unknown"),
        ack("11-10 00:10:30", "rack-a.comm", "suzuki", "gateway power cycled"),
        transition("11-10 06:00:10", "rack-a.comm", "firing", "resolved", "up"),
        transition("11-10 06:00:10", "room-temp-high", "unknown", "ok", 24.5),
        transition("11-10 06:00:10", "rack-humidity-high", "unknown", "ok", 45.0),
        transition("11-10 06:00:11", "rack-a.comm", "resolved", "ok", "up"),
        transition("11-12 13:00:00", "room-temp-high", "ok", "pending", 30.5),
        transition("11-12 13:01:00", "room-temp-high", "pending", "firing", 31.2),
        ack("11-12 13:05:00", "room-temp-high", "sato", "CRAC-2 restarted <check>"),
        transition("11-12 14:00:00", "room-temp-high", "firing", "resolved", 27.9),
        transition("11-12 14:00:01", "room-temp-high", "resolved", "ok", 27.9),
        transition("11-15 08:00:00", "room-temp-high", "ok", "pending", 30.2),
        transition("11-15 08:00:30", "room-temp-high", "pending", "ok", 29.8),
        config("11-16 09:00:00", "accepted", SHA["B"], new=SHA["C"]),
        config("11-16 09:05:00", "rejected", SHA["C"], file_sha=SHA["D"],
               why="1 problem, the first /etc/facmon/facmon.cfg:31: unknown key 'abve'"),
        agent("11-18 20:30:00", "unclean_stop", last_alive="2026-11-18T20:00:00.000Z",
              away_s=1800.0),
        started("11-18 20:30:00", SHA["C"]),
        silence("11-20 02:50:00", "set", SILENCE_1),
        transition("11-20 03:00:00", "rack-humidity-high", "ok", "firing", 71.5,
                   silence=SILENCE_1),
        transition("11-20 04:00:00", "rack-humidity-high", "firing", "resolved", 65.0,
                   silence=SILENCE_1),
        transition("11-20 04:00:01", "rack-humidity-high", "resolved", "ok", 65.0,
                   silence=SILENCE_1),
        silence("11-20 05:00:00", "cancelled", SILENCE_1),
        silence("11-25 01:00:00", "set", SILENCE_2),
        silence("11-25 02:00:00", "expired", SILENCE_2),
    ]


def hours():
    """Every hour of November 2026 as (day, hour)."""
    return [(d, h) for d in range(1, DAYS + 1) for h in range(24)]


def availability():
    """The rows the agent wrote, per device and hour."""
    rows = []
    for day, hour in hours():
        if day == 5 and hour in (10, 11):
            continue  # the agent was stopped
        for device, interval in (("rack-a", 10), ("pdu-1", 30)):
            polls = 3600 // interval
            valid, degraded = polls, 0
            if day == 18 and hour == 20:
                polls = valid = polls // 2  # died at 20:00, back at 20:30
            if device == "rack-a" and day == 10 and hour < 6:
                valid = 0  # no answer
            if device == "pdu-1" and day == 22 and hour < 3:
                valid, degraded = 0, polls
            rows.append({"device": device, "hour": f"2026-11-{day:02d}T{hour:02d}:00:00Z",
                         "interval_s": interval, "polls": polls, "valid": valid,
                         "degraded": degraded})
    return rows


# What the report must give, worked out from the timeline above.
RACK_SCHEDULED = HOURS * 360                        # 259200 polls at 10 s
RACK_VALID = RACK_SCHEDULED - 2 * 360 - 180 - 6 * 360  # stopped, died, down: 256140
PDU_SCHEDULED = HOURS * 120                         # 86400 polls at 30 s
PDU_VALID = PDU_SCHEDULED - 2 * 120 - 60 - 3 * 120  # stopped, died, degraded: 85740

EXPECTED = {
    "sections": ["8.15", "8.16", "8.17", "実102", "設46", "設76", "設80"],
    "availability": {
        "rack-a": {"scheduled": RACK_SCHEDULED, "polls": RACK_SCHEDULED - 900,
                   "valid": RACK_VALID, "degraded": 0, "failed": 2160,
                   "hours_counted": HOURS - 2, "availability": RACK_VALID / RACK_SCHEDULED},
        "pdu-1": {"scheduled": PDU_SCHEDULED, "polls": PDU_SCHEDULED - 300,
                  "valid": PDU_VALID, "degraded": 360, "failed": 0,
                  "hours_counted": HOURS - 2, "availability": PDU_VALID / PDU_SCHEDULED},
    },
    # alert: (control, carried in, detect, ack, resolve, acked by)
    "alerts": {
        "pdu-overcurrent": ("設76", True, 0, 5400, 10800, "tanaka"),
        "facmon.clock": ("8.17", False, 600, None, 3000, ""),
        "rack-a.comm": ("実102", False, 0, 600, 21580, "suzuki"),
        "room-temp-high": ("設46", False, 60, 240, 3540, "sato"),
        "rack-humidity-high": ("設46", False, 0, None, 3600, ""),
    },
    "downtime_s": 7200 + 1800,
    "downtime": [("2026-11-05T10:00:00.000Z", "2026-11-05T12:00:00.000Z", "stopped"),
                 ("2026-11-18T20:00:00.000Z", "2026-11-18T20:30:00.000Z", "unclean_stop")],
    "clock": {"at_start": "ok", "unsynchronised_s": 3000, "pending_s": 600, "changes": 4},
    "configs": [("started", SHA["A"], SHA["B"]), ("accepted", SHA["B"], SHA["C"]),
                ("rejected", SHA["C"], SHA["D"]), ("started", SHA["C"], SHA["C"])],
    # silence id: (planned s, lasted s, how it ended, sections it appears in)
    "silences": {1: (14400, 7800, "cancelled", ["設46"]),
                 2: (3600, 3600, "expired", [])},
}


class Month:
    """A state_dir with the month in it, and the config to report on it."""

    def __init__(self, keep=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="facmon-report-")
        self.dir = self.tmp.name
        self.state_dir = os.path.join(self.dir, "state")
        os.makedirs(self.state_dir)
        self.config = os.path.join(self.dir, "facmon.cfg")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(CONFIG % {"state_dir": self.state_dir, "profile_dir": profile_dir()})
        self.last_seq = seed(self.state_dir, events(), availability())

    def report(self, *args, tz="Asia/Tokyo", config=None):
        """`facmon report --month 2026-11 ARGS`: (returncode, stdout, stderr)."""
        env = dict(os.environ, TZ=tz)
        proc = subprocess.run([facmon_bin(), "report", "-c", config or self.config,
                               "--month", MONTH] + list(args),
                              capture_output=True, text=True, env=env, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def report_json(self, **kw):
        """The JSON report, parsed; AssertionError when it fails."""
        rc, out, err = self.report("--format", "json", **kw)
        if rc != 0:
            raise AssertionError(f"facmon report exited {rc}: {err}")
        return json.loads(out)

    def close(self):
        self.tmp.cleanup()


def seed(state_dir, evs, rows=()):
    """Writes EVS (event documents without seq) and ROWS (availability)
    into STATE_DIR/facmon.db with report_seed; returns the last seq."""
    lines = [json.dumps({"event": e}, ensure_ascii=False) for e in evs]
    lines += [json.dumps({"availability": r}) for r in rows]
    seeder = os.environ.get("FACMON_REPORT_SEED")
    if not seeder:
        raise RuntimeError("FACMON_REPORT_SEED is not set (run through ctest)")
    proc = subprocess.run([seeder, state_dir], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"report_seed failed: {proc.stderr}")
    return int(proc.stdout.strip())
