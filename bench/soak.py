#!/usr/bin/python3
"""soak.py - facmon over a long run with the broker flapping: does anything grow?

A room of about --points points (bench/room.cfg's 20 devices, copied with
new names and unit ids until there are enough: for 1000, three copies and
most of a fourth) is served by one facmon-sim over Modbus TCP on loopback and polled
by `facmon run` at a 1 s interval on three buses, with bench/footprint.py's
rule set (a temperature threshold per sensor, humidity both ways, every fire
zone, the leak). A real mosquitto with persistence on takes what it
publishes and is stopped for --flap-down seconds in every --flap-every
(SIGTERM, which saves its database, then started again on the same port).
A few temperatures (--steppers) are stepped across their threshold and back
on a slow schedule, phases spread out, so alerts change now and then
without being flap-damped (alerting/alert.h damps an alert that fires 4
times in 10 minutes; each stepper fires once per --step-period). A
durable subscriber (persistent session, QoS 1) counts R/events by seq.

Every 30 s it samples, from /proc/PID: VmRSS, VmHWM, open fds, threads;
the size of state_dir/facmon.db plus its -wal; the agent's log lines; the
simulator's request counter (polls done); and, read-only from the store,
the highest seq, the events still in the outbox. At the end (after the
broker has been up long enough for the backlog to drain) it prints the
samples as a markdown table, what grew between the first and the last
sample, and the delivery report: events stored against delivered, the
duplicates, the gaps and the seqs that came out of order. Nothing is
asserted: it is a benchmark (bench/README.md, "Soak").

It builds nothing: it runs the Release build in build-bench/ as the other
benches do (`bench/run soak` builds it and runs this).

Usage: bench/soak.py [--minutes 30] [--points 1000] [--out FILE.csv]
       [--flap-every 120] [--flap-down 20] [--steppers 6] [--step-period 300]
       (FACMON_BIN, FACMON_SIM, FACMON_BENCH_PLAN: the binaries, default
       build-bench/, as bench/footprint.py)
"""
import argparse
import collections
import csv
import datetime
import os
import re
import sqlite3
import subprocess
import sys
import time

import footprint  # sets FACMON_BIN etc. and the harness' import path
from footprint import PLAN, ROOM, proc_status, room_points, rules
from harness import Agent, Mosquitto, MqttWatch, Sim

ROOT = "facmon/bench/room"
SAMPLE_EVERY = 30
INTERVAL = 1
UNIT_MAX = 247
HOT, NOMINAL = 33.0, 22.5      # a stepped sensor's two values (rule: above 30)
DRAIN_TIMEOUT = 120            # after the run: the outbox empties by then


# ---- the room ------------------------------------------------------------------

def split_devices(text):
    """room.cfg as (what comes before the devices list, each device entry's
    text in order, what follows the list)."""
    start = text.index("devices = (")
    depth, begin, entries = 0, None, []
    for i in range(text.index("(", start) + 1, len(text)):
        c = text[i]
        if c == "{":
            begin = i if depth == 0 else begin
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                entries.append(text[begin:i + 1])
        elif c == ")" and depth == 0:
            return text[:start], entries, text[i + 1:]
    raise ValueError(f"{ROOM}: the devices list does not end")


def renamed(name, copy):
    return name if copy == 0 else f"{name}-{copy + 1}"


def copy_entry(entry, copy, unit_offset):
    """ENTRY (a device of room.cfg) as its COPYth copy: the device's name
    (its first `name`; later ones are its points') gets a suffix and its
    unit id UNIT_OFFSET more."""
    entry = re.sub(r'name = "([^"]+)"',
                   lambda m: f'name = "{renamed(m.group(1), copy)}"', entry, count=1)
    return re.sub(r"unit = (\d+);",
                  lambda m: f"unit = {int(m.group(1)) + unit_offset};", entry, count=1)


def build_room(want_points):
    """bench/room.cfg grown to at least WANT_POINTS points: (config text,
    the points as footprint.room_points() gives them, the devices)."""
    with open(ROOM) as f:
        head, entries, tail = split_devices(f.read())
    base = room_points()
    by_device = collections.OrderedDict()
    for p in base:
        by_device.setdefault(p["device"], []).append(p)
    units_per_copy = max(int(p["unit"]) for p in base)
    chosen, points = [], []
    copy = 0
    while len(points) < want_points:
        offset = copy * units_per_copy
        for entry, (device, dev_points) in zip(entries, by_device.items()):
            if len(points) >= want_points:
                break
            if int(dev_points[0]["unit"]) + offset > UNIT_MAX:
                raise SystemExit(f"soak: {want_points} points need more than "
                                 f"{UNIT_MAX} units on one simulator")
            chosen.append(copy_entry(entry, copy, offset))
            for p in dev_points:
                points.append(dict(p, device=renamed(device, copy),
                                   unit=str(int(p["unit"]) + offset)))
        copy += 1
    text = head + "devices = (\n  " + ",\n  ".join(chosen) + "\n)" + tail
    return text, points


def count_points(config_path):
    """The points the agent loads from CONFIG_PATH (facmon-bench-plan)."""
    out = subprocess.run([PLAN, "-c", config_path, "--points"], check=True,
                         capture_output=True, text=True).stdout
    return len(out.splitlines()) - 1


def steppers(points, n):
    """N temperature points with a threshold rule, spread over the room."""
    temps = [p for p in points if p["point"] == "temperature"
             and p["profile"] == "xy-md02"]
    step = max(1, len(temps) // max(1, n))
    return temps[::step][:n]


# ---- the schedule ----------------------------------------------------------------

def broker_should_be_up(t, every, down):
    """The broker is stopped DOWN seconds in every EVERY, from two thirds
    into each period (so a sample now and then falls in an outage)."""
    start = every * 2 // 3
    return not (start <= t % every < start + down)


def stepper_hot(t, i, n, period):
    """Stepper I of N is hot for the first half of its PERIOD; phases are
    spread over the period, starting 30 s in (after the agent's start)."""
    phase = 30 + i * period / n
    return t >= phase and (t - phase) % period < period / 2


# ---- what is sampled ---------------------------------------------------------------

def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def store_figures(state_dir):
    """(lowest seq, highest seq, events in the outbox) read-only from
    facmon.db, or Nones if the store is busy or not there yet."""
    path = os.path.join(state_dir, "facmon.db")
    if not os.path.exists(path):
        return None, None, None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            row = db.execute("SELECT min(seq), max(seq), "
                             "coalesce(sum(delivered = 0), 0) FROM events").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None, None, None
    return row[0] or 0, row[1] or 0, row[2]


def line_count(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def delivered_seqs(watch):
    """Every seq on R/events, in arrival order (duplicates included)."""
    return [m.payload["seq"] for m in watch.messages(f"{ROOT}/events")
            if isinstance(m.payload, dict) and "seq" in m.payload]


def sample(t, agent, sim, broker_up, watch):
    pid = agent.pid
    status = proc_status(pid)
    state = agent.state_dir
    db = os.path.join(state, "facmon.db")
    low, top, outbox = store_figures(state)
    return {
        "t_s": round(t), "broker": "up" if broker_up else "down",
        "rss_kib": status["VmRSS"], "hwm_kib": status["VmHWM"],
        "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": status["Threads"],
        "db_kib": file_size(db) // 1024, "wal_kib": file_size(db + "-wal") // 1024,
        "log_lines": line_count(agent.process.log_path),
        "requests": sim.stats(),
        "seq_low": low, "seq_stored": top, "outbox": outbox,
        "delivered": len(set(delivered_seqs(watch))),
    }


COLUMNS = [  # (key, heading)
    ("t_s", "t (s)"), ("broker", "broker"), ("rss_kib", "VmRSS KiB"),
    ("hwm_kib", "VmHWM KiB"), ("fds", "fds"), ("threads", "threads"),
    ("db_kib", "db KiB"), ("wal_kib", "-wal KiB"), ("log_lines", "log lines"),
    ("requests", "sim requests"), ("req_rate", "req/s"),
    ("seq_stored", "events stored"), ("delivered", "delivered"),
    ("outbox", "outbox"),
]


def add_rates(samples):
    """Requests per second since the previous sample: a stall shows as a dip."""
    for prev, cur in zip([None] + samples[:-1], samples):
        if prev is None or cur["t_s"] == prev["t_s"]:
            cur["req_rate"] = ""
        else:
            cur["req_rate"] = round((cur["requests"] - prev["requests"])
                                    / (cur["t_s"] - prev["t_s"]))


# ---- the report ------------------------------------------------------------------

def markdown(samples):
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for s in samples:
        cells = ["" if s[k] is None else str(s[k]) for k, _ in COLUMNS]
        if s["phase"] == "drained":
            cells[0] += " (drained)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth(samples):
    """What changed from the first sample after the start (t = 30 s, past
    the first state of every alert) to the last one (drained)."""
    first = next((s for s in samples if s["t_s"] >= SAMPLE_EVERY), samples[0])
    last = samples[-1]
    out = []
    for key, head in (("rss_kib", "VmRSS KiB"), ("hwm_kib", "VmHWM KiB"), ("fds", "fds"),
                      ("threads", "threads"), ("db_kib", "db KiB"), ("wal_kib", "-wal KiB"),
                      ("log_lines", "log lines")):
        values = [s[key] for s in samples if s["t_s"] >= first["t_s"]]
        span = last["t_s"] - first["t_s"]
        per_hour = (last[key] - first[key]) * 3600 / span if span else 0
        out.append(f"  {head:10} {first[key]} at {first['t_s']} s -> {last[key]} at "
                   f"{last['t_s']} s (min {min(values)}, max {max(values)}; "
                   f"{per_hour:+.0f}/hour)")
    return out


def seq_report(seqs, low, stored):
    """Delivered against stored (seqs LOW..STORED, the store's first and
    last), duplicates, gaps, out of order."""
    distinct = set(seqs)
    out_of_order, highest = 0, 0
    seen = set()
    for s in seqs:
        if s in seen:
            continue
        seen.add(s)
        if s < highest:
            out_of_order += 1
        highest = max(highest, s)
    missing = [s for s in range(low or 1, (stored or 0) + 1) if s not in distinct]
    shown = " ".join(str(s) for s in missing[:20]) + (" ..." if len(missing) > 20 else "")
    return [f"  stored                seq {low}..{stored}",
            f"  delivered             {len(distinct)} distinct seqs in {len(seqs)} messages",
            f"  duplicates            {len(seqs) - len(distinct)}",
            f"  missing               {len(missing)}" + (f": {shown}" if missing else ""),
            f"  out of order          {out_of_order} (first delivered below an "
            f"earlier one)"]


def log_summary(path):
    """The agent's log lines by kind (names of alerts and devices, what is
    in parentheses and numbers folded)."""
    kinds = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            text = re.sub(r"\b(alert|device) [^ :]+", r"\1 X", line.strip())
            text = re.sub(r"\([^)]*\)", "(…)", text)
            text = re.sub(r"\d+(\.\d+)?", "N", text)
            kinds[text[:110]] += 1
    return [f"  {n:6}  {k}" for k, n in kinds.most_common(12)]


# ---- the run ---------------------------------------------------------------------

def run(args, broker, sim, agent, watch, stepped):
    samples, hot = [], [False] * len(stepped)
    broker_up, outages = True, 0
    start = time.monotonic()
    end = start + args.minutes * 60
    next_sample = start
    while True:
        now = time.monotonic()
        t = now - start
        if not agent.running():
            raise SystemExit(f"soak: facmon exited ({agent.process.returncode}) "
                             f"at {t:.0f} s; its log is {agent.process.log_path}")
        want = broker_should_be_up(t, args.flap_every, args.flap_down)
        if want != broker_up:
            if want:
                broker.start()
            else:
                broker.stop()
                outages += 1
            broker_up = want
        for i, p in enumerate(stepped):
            h = stepper_hot(t, i, len(stepped), args.step_period)
            if h != hot[i]:
                sim.set(int(p["unit"]), p["point"], HOT if h else NOMINAL)
                hot[i] = h
        if now >= next_sample or now >= end:
            samples.append(dict(sample(t, agent, sim, broker_up, watch), phase="run"))
            next_sample += SAMPLE_EVERY
        if now >= end:
            break
        time.sleep(0.2)
    if not broker_up:
        broker.start()
    return samples, outages, start


def drain(agent, sim, watch, start):
    """Waits, the broker up, until every stored event has been delivered
    (or DRAIN_TIMEOUT): the final sample."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        low, top, outbox = store_figures(agent.state_dir)
        if top is not None and outbox == 0 \
                and set(range(low or 1, top + 1)) <= set(delivered_seqs(watch)):
            break
        time.sleep(1)
    return dict(sample(time.monotonic() - start, agent, sim, True, watch), phase="drained")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--out", help="write the samples to this CSV file")
    ap.add_argument("--flap-every", type=int, default=120, help="seconds (default 120)")
    ap.add_argument("--flap-down", type=int, default=20, help="seconds (default 20)")
    ap.add_argument("--steppers", type=int, default=6)
    ap.add_argument("--step-period", type=int, default=300,
                    help="seconds hot and cool (default 300: fires twice in 10 min)")
    args = ap.parse_args()

    text, points = build_room(args.points)
    rule_list = rules(points)
    stepped = steppers(points, args.steppers)
    units = sorted({(int(p["unit"]), p["profile"]) for p in points})
    started = datetime.datetime.now(datetime.timezone.utc)
    wall0 = time.monotonic()
    with Mosquitto(extra_config="persistence true\npersistence_location {tmp}/\n") as broker, \
            Sim([f"{u}={p}" for u, p in units]) as sim, \
            MqttWatch(broker.port, f"{ROOT}/events", client_id=f"soak-{os.getpid()}",
                      clean_session=False) as watch:
        config = footprint.facmon_config(sim.port, broker.port, INTERVAL, "{state_dir}",
                                         rule_list, text=text, log_level="info")
        with Agent(config) as agent:
            loaded = count_points(agent.config_path)
            print(f"soak: {len(units)} devices, {loaded} points at {INTERVAL} s on 3 "
                  f"buses of one facmon-sim (127.0.0.1:{sim.port}); {len(rule_list)} "
                  f"rules; steppers {', '.join(p['device'] for p in stepped)} "
                  f"({HOT} / {NOMINAL} every {args.step_period // 2} s); mosquitto "
                  f"(persistence on) 127.0.0.1:{broker.port}, down {args.flap_down} s "
                  f"in every {args.flap_every} s; {args.minutes:g} min from "
                  f"{started:%Y-%m-%d %H:%M} UTC", flush=True)
            samples, outages, start = run(args, broker, sim, agent, watch, stepped)
            samples.append(drain(agent, sim, watch, start))
            add_rates(samples)
            seqs = delivered_seqs(watch)
            log_path = agent.process.log_path
            summary = log_summary(log_path)
            rc = agent.stop(30)
    print(f"\n{markdown(samples)}\n")
    print(f"(last row: after the run, once the backlog had drained or "
          f"{DRAIN_TIMEOUT} s had passed; {outages} broker outages; facmon exited {rc})")
    print("\ngrowth over the run (first sample past the start to the last):")
    print("\n".join(growth(samples)))
    print("\ndelivery on R/events (durable subscriber, QoS 1):")
    print("\n".join(seq_report(seqs, samples[-1]["seq_low"], samples[-1]["seq_stored"])))
    print("\nthe agent's log by kind of line:")
    print("\n".join(summary))
    print(f"\nsoak: {time.monotonic() - wall0:.0f} s in all")
    if args.out:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[k for k, _ in COLUMNS] + ["seq_low", "phase"])
            w.writeheader()
            w.writerows(samples)


if __name__ == "__main__":
    sys.exit(main())
