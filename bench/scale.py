#!/usr/bin/python3
"""scale.py - facmon next to collectd at 101, 1000 and 10,000 points.

Each room is bench/room.cfg's devices (20 Modbus devices, 268 points, with
their profiles) and two UPSes on SNMP (the ups-mib profile, 10 points
each), copied as many times as it takes: copy K is one facmon-sim on its
own port, its Modbus devices one Modbus TCP bus of facmon's (so a bus
worker per gateway) and <Host>s of collectd's modbus plugin, and its UPSes
two endpoints of one snmpsimd (a recording of a UPS on mains) that both
agents read with SNMPv2c GETs; the 101-point room is the UPSes and the
first Modbus devices of one copy. One mosquitto takes what both publish.
Each agent in turn polls the room, and is measured from /proc/PID over a
window after a warm-up (bench/footprint.py's method):
  - peak RSS (VmHWM), RSS anonymous / file, threads; CPU per minute, and
    the part of it spent in the kernel (utime and stime);
  - Modbus requests per second (the simulators' counters);
  - sample to MQTT: a temperature flipped in the first simulator at random
    times; from the request that read it (the simulator's request log) to
    the message that carries it on the broker (taken by paho, on the same
    monotonic clock), the median and the worst;
  - facmon only: what one poll cycle costs its loop, from its heartbeat
    (loop.cpu_ms / loop.results, times the devices).
Last, the peak RSS of facmon-bench-floor (bench/floor.c): the agent's
libraries loaded and used as little as an agent can, the floor under both
agents' memory.
Nothing is asserted: it prints a table (bench/README.md has the figures).

Usage: bench/scale.py [--sizes 101,1000,10000] [--window 60] [--warmup 15]
       (FACMON_BIN, FACMON_SIM, FACMON_BENCH_PLAN as for footprint.py;
       FACMON_BENCH_FLOOR, by default next to FACMON_BIN)
"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import footprint  # noqa: E402  (sets FACMON_BIN, FACMON_SIM, the harness path)
import collectd_conf  # noqa: E402
from soak import split_devices  # noqa: E402
from harness import HOST, Mosquitto, MqttWatch, Sim, SnmpSim  # noqa: E402

# (points, poll interval in s): 1 s as the issue measured; the largest room
# at 5 s, which is what 10,000 points ask of real gateways anyway
SIZES = {101: 1, 1000: 1, 10000: 5}


# ---- the room ------------------------------------------------------------------

UPS_PER_COPY = 2
UPS_DATA = os.path.join(HERE, "..", "tests", "data", "snmp", "ups-mains.snmprec")
UPS_COMMUNITY = "ups"


def copy_device(entry, copy, bus):
    """ENTRY (a device of room.cfg) as a device of copy COPY on BUS."""
    entry = re.sub(r'name = "([^"]+)"',
                   lambda m: f'name = "{m.group(1)}-{copy}"', entry, count=1)
    return re.sub(r'bus = "[^"]+"', f'bus = "{bus}"', entry, count=1)


def ups_points():
    """The points of a UPS with the ups-mib profile, as the agent loads them."""
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(f'agent = {{ site = "b"; name = "b"; state_dir = "/tmp"; '
                f'profile_dir = "{os.environ["FACMON_PROFILE_DIR"]}"; }};\n'
                f'mqtt = {{ host = "{HOST}"; }};\n'
                f'devices = ({{ name = "ups"; type = "snmp"; host = "{HOST}"; '
                f'community = "{UPS_COMMUNITY}"; profile = "ups-mib"; }});\n')
        f.flush()
        return footprint.plan_points(f.name)


def build_room(want):
    """(copies, points by copy): room.cfg's devices and UPS_PER_COPY UPSes,
    copied until there are WANT points. A copy is a list of devices, each
    ("modbus", its config entry) or ("snmp", its name); copy K's devices
    are named <name>-K, its UPSes ups-K-<n>."""
    with open(footprint.ROOM) as f:
        _, entries, _ = split_devices(f.read())
    by_device = {}
    for p in footprint.room_points():
        by_device.setdefault(p["device"], []).append(p)
    ups = ups_points()
    copies, points, total = [], [], 0
    while total < want:
        k = len(copies)
        copies.append([])
        points.append([])
        for n in range(UPS_PER_COPY):
            name = f"ups-{k}-{n}"
            copies[k].append(("snmp", name))
            points[k] += [dict(p, device=name) for p in ups]
            total += len(ups)
        for entry, (device, pts) in zip(entries, by_device.items()):
            if total >= want:
                break
            copies[k].append(("modbus", copy_device(entry, k, f"gw{k}")))
            points[k] += [dict(p, device=f"{device}-{k}") for p in pts]
            total += len(pts)
    return copies, points


def snmp_endpoints(copies, snmpsim):
    """{UPS name: (host, port, community)}: one snmpsimd endpoint each."""
    names = [name for c in copies for kind, name in c if kind == "snmp"]
    return {name: (HOST, port, UPS_COMMUNITY) for name, port in zip(names, snmpsim.ports)}


def facmon_config(copies, sims, ups, broker, interval, state, rule_list):
    buses = ",\n  ".join(f'{{ name = "gw{k}"; type = "modbus-tcp"; host = "{HOST}"; '
                         f'port = {sims[k].port}; }}' for k in range(len(copies)))
    devices = []
    for c in copies:
        for kind, entry in c:
            if kind == "modbus":
                devices.append(re.sub(r"interval = \d+;", f"interval = {interval};", entry))
                continue
            host, port, community = ups[entry]
            devices.append(f'{{ name = "{entry}"; type = "snmp"; host = "{host}"; '
                           f'port = {port}; community = "{community}"; profile = "ups-mib"; '
                           f'interval = {interval}; timeout_ms = 1000; retries = 1; }}')
    return (f'agent = {{ site = "bench"; name = "scale"; state_dir = "{state}"; '
            f'profile_dir = "{os.environ["FACMON_PROFILE_DIR"]}"; log_level = "warn"; }};\n'
            f'mqtt = {{ host = "{HOST}"; port = {broker.port}; }};\n'
            f"buses = (\n  {buses}\n);\n"
            "devices = (\n  " + ",\n  ".join(devices) + "\n);\n"
            "rules = (\n  " + ",\n  ".join(rule_list) + "\n);\n")


def collectd_config(points, sims, ups, broker, interval, workdir):
    flat = [dict(p, port=sims[k].port) for k, pts in enumerate(points) for p in pts]
    ports = {p["device"]: (HOST, p["port"]) for p in flat}
    text, _, _ = collectd_conf.render(flat, ports.get, (HOST, broker.port), interval,
                                      workdir, snmp=ups.get)
    return text


# ---- measuring ---------------------------------------------------------------------

class Flipper(threading.Thread):
    """Flips POINT of UNIT in SIM between two values at random times, and
    keeps when each value was set (monotonic)."""

    def __init__(self, sim, unit, point, values=(22.5, 23.5)):
        super().__init__(daemon=True)
        self.sim, self.unit, self.point, self.values = sim, unit, point, values
        self.flips = []  # (monotonic, value)
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.wait(random.uniform(2.0, 4.0)):
            i += 1
            value = self.values[i % 2]
            t = time.monotonic()
            self.sim.set(self.unit, self.point, value)
            self.flips.append((t, value))


def first_read_after(requests, unit, t):
    """The monotonic time (s) of the first request to UNIT after T."""
    times = [r["t"] / 1000.0 for r in requests if r["unit"] == unit and r["t"] / 1000.0 >= t]
    return min(times) if times else None


def delays(flips, requests, unit, arrivals):
    """Read-to-broker delays (s): per flip, from the request that read the
    new value to the first message that carries it."""
    out = []
    for (t, value), nxt in zip(flips, flips[1:] + [(float("inf"), None)]):
        read = first_read_after(requests, unit, t)
        seen = [a for a, v in arrivals if a >= t and a < nxt[0] and abs(v - value) < 1e-6]
        if read is not None and seen and seen[0] >= read:
            out.append(seen[0] - read)
    return out


def facmon_arrivals(watch, topic, point):
    out = []
    for m in watch.messages(topic):
        v = m.payload.get("points", {}).get(point, {}).get("v") \
            if isinstance(m.payload, dict) else None
        if isinstance(v, (int, float)):
            out.append((m.time, float(v)))
    return out


def collectd_arrivals(watch, topic):
    """collectd's mqtt plugin publishes "<time>:<value>" and the string's
    terminating NUL with it."""
    out = []
    for m in watch.messages(topic):
        try:
            out.append((m.time, float(m.raw.decode().rstrip("\0").split(":")[1])))
        except (IndexError, ValueError):
            pass
    return out


def loop_cost(watch, devices):
    """ms of the loop's CPU per poll cycle (every device polled once),
    between the first and the last heartbeat seen."""
    beats = [m.payload for m in watch.messages() if isinstance(m.payload, dict)
             and "loop" in m.payload]
    if len(beats) < 2:
        return None
    a, b = beats[0]["loop"], beats[-1]["loop"]
    results = b["results"] - a["results"]
    return (b["cpu_ms"] - a["cpu_ms"]) / results * devices if results > 0 else None


def kernel_share(before, after):
    """The part of the CPU between two footprint.user_system_ticks() spent
    in the kernel, in % (None when too few ticks passed to tell)."""
    user, system = after[0] - before[0], after[1] - before[1]
    return 100 * system / (user + system) if user + system >= 10 else None


def floor_kib(work):
    """facmon-bench-floor's last line (bench/floor.c): the VmHWM, RssAnon
    and RssFile in KiB of the agent's libraries alone, or None without it."""
    floor = os.environ.get("FACMON_BENCH_FLOOR",
                           os.path.join(os.path.dirname(os.environ["FACMON_BIN"]),
                                        "facmon-bench-floor"))
    if not os.access(floor, os.X_OK):
        return None
    out = subprocess.run([floor, work], check=True, capture_output=True, text=True).stdout
    return [int(v) for v in out.strip().splitlines()[-1].split()[-3:]]


def measure(name, argv, log_path, sims, warmup, window, flip, watch_for):
    proc = footprint.launch(argv, log_path)
    pid = proc.pid
    try:
        footprint.warm_up(proc, name, log_path, warmup)
        flip.sim.command("log on")
        flip.start()
        req0, t0 = sum(s.stats() for s in sims), time.monotonic()
        cpu0, ticks0 = footprint.cpu_seconds(pid), footprint.user_system_ticks(pid)
        time.sleep(window)
        cpu1, req1, t1 = footprint.cpu_seconds(pid), sum(s.stats() for s in sims), time.monotonic()
        ticks1 = footprint.user_system_ticks(pid)
        flip.stop.set()
        status = footprint.proc_status(pid)
        requests = flip.sim.requests()
        flip.sim.command("log off")
    finally:
        footprint.stop(proc, name)
    arrivals = watch_for()
    got = delays(flip.flips, requests, flip.unit, arrivals)
    return {
        "hwm": status["VmHWM"], "anon": status["RssAnon"], "file": status["RssFile"],
        "threads": status["Threads"], "cpu_per_min": (cpu1 - cpu0) * 60 / (t1 - t0),
        "rps": (req1 - req0) / (t1 - t0),
        "kernel_share": kernel_share(ticks0, ticks1),
        "delay_med": statistics.median(got) * 1000 if got else None,
        "delay_max": max(got) * 1000 if got else None, "delays": len(got),
    }


def run_size(want, interval, warmup, window, work, agents=("facmon", "collectd"), wrap=()):
    copies, points = build_room(want)
    npoints = sum(len(p) for p in points)
    ndevices = sum(len(c) for c in copies)
    rule_list = footprint.rules([p for pts in points for p in pts])
    modbus = [[p for p in pts if not collectd_conf.is_snmp(p)] for pts in points]
    first = modbus[0][0]  # rack-a1-0, an xy-md02: its temperature is flipped
    unit = int(first["unit"])
    units = [sorted({(int(p["unit"]), p["profile"]) for p in pts}) for pts in modbus]
    nups = sum(kind == "snmp" for c in copies for kind, _ in c)
    sims = []
    try:
        for k in range(len(copies)):
            sims.append(Sim([f"{u}={prof}" for u, prof in units[k]]))
        with Mosquitto() as broker, \
                SnmpSim({UPS_COMMUNITY: UPS_DATA}, endpoints=nups, timeout=120) as snmpsim:
            ups = snmp_endpoints(copies, snmpsim)
            results = {}
            for name in agents:
                d = os.path.join(work, f"{name}-{want}")
                os.makedirs(d)
                path = os.path.join(d, f"{name}.conf")
                if name == "facmon":
                    state = os.path.join(d, "state")
                    os.makedirs(state)
                    text = facmon_config(copies, sims, ups, broker, interval, state,
                                         rule_list)
                    argv = list(wrap) + [os.environ["FACMON_BIN"], "run", "-c", path]
                    topic = f"facmon/bench/scale/telemetry/{first['device']}"
                else:
                    text = collectd_config(points, sims, ups, broker, interval, d)
                    argv = [footprint.COLLECTD, "-f", "-C", path]
                    # <host>/<plugin>[-<plugin instance>]/<type>-<type instance>
                    topic = f"collectd/{first['device']}/+/gauge-temperature"
                with open(path, "w") as f:
                    f.write(text)
                watch = MqttWatch(broker.port, topic)
                status = MqttWatch(broker.port, "facmon/bench/scale/status")
                flip = Flipper(sims[0], unit, "temperature")
                try:
                    arrivals = (lambda: facmon_arrivals(watch, topic, "temperature")) \
                        if name == "facmon" else (lambda: collectd_arrivals(watch, topic))
                    results[name] = measure(name, argv, os.path.join(d, "log"), sims,
                                            warmup, window, flip, arrivals)
                    if name == "facmon":
                        results[name]["loop_ms"] = loop_cost(status, ndevices)
                finally:
                    watch.close()
                    status.close()
            return npoints, ndevices, nups, len(copies), results
    finally:
        for s in sims:
            s.close()


def cell(r, key, fmt):
    v = r.get(key)
    return "n/a" if v is None else fmt.format(v)


def print_size(npoints, ndevices, nups, gateways, interval, f, c):
    print(f"-- {npoints} points, {ndevices} devices ({nups} UPSes on SNMP, the others "
          f"behind {gateways} simulated Modbus gateway{'s' if gateways > 1 else ''}), "
          f"interval {interval} s")
    rows = [
        ("peak RSS (VmHWM), MiB", "hwm", lambda v: f"{v / 1024:.1f}"),
        ("  RSS anonymous / files, MiB", None, None),
        ("CPU s per 60 s", "cpu_per_min", lambda v: f"{v:.2f}"),
        ("  of it in the kernel, %", "kernel_share", lambda v: f"{v:.0f}"),
        ("Modbus requests per s", "rps", lambda v: f"{v:.0f}"),
        ("sample to MQTT, median ms", "delay_med", lambda v: f"{v:.1f}"),
        ("sample to MQTT, worst ms", "delay_max", lambda v: f"{v:.1f}"),
        ("threads", "threads", lambda v: f"{v}"),
        ("loop CPU per poll cycle, ms", "loop_ms", lambda v: f"{v:.2f}"),
    ]
    print(f"  {'':32} {'facmon':>12} {'collectd':>12} {'ratio':>7}")
    for label, key, fmt in rows:
        if key is None:
            fa = f"{f['anon'] / 1024:.1f}/{f['file'] / 1024:.1f}"
            ca = f"{c['anon'] / 1024:.1f}/{c['file'] / 1024:.1f}" if c else ""
            print(f"  {label:32} {fa:>12} {ca:>12}")
            continue
        fv, cv = f.get(key), c.get(key)
        ratio = f"{fv / cv:.2f}" if fv is not None and cv and key != "kernel_share" else ""
        print(f"  {label:32} {cell(f, key, '{}') if fv is None else fmt(fv):>12} "
              f"{'' if not c else cell(c, key, '{}') if cv is None else fmt(cv):>12} "
              f"{ratio:>7}")
    print(f"  (delays measured on {f['delays']} and {c.get('delays', 0)} flips)")


def print_floor(floor, hwms):
    """The libraries alone (FLOOR, from floor_kib()) next to the agents'
    peak RSS at each size (HWMS: [(points, facmon KiB, collectd KiB)])."""
    hwm, anon, file = floor
    print(f"-- the agent's libraries alone (facmon-bench-floor, bench/floor.c): peak RSS "
          f"{hwm / 1024:.1f} MiB ({anon / 1024:.1f} anonymous, {file / 1024:.1f} files)")
    for points, f, c in hwms:
        line = f"  {points} points: facmon {f / 1024:.1f} MiB, {(f - hwm) / 1024:.1f} above it"
        if c:
            line += (f"; 0.6x collectd's is {0.6 * c / 1024:.1f} MiB, "
                     f"{0.6 * c / hwm:.2f}x the libraries alone")
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--facmon-only", action="store_true",
                    help="measure facmon alone (no collectd)")
    ap.add_argument("--wrap", default="",
                    help="run facmon under this command, e.g. qemu-aarch64-static "
                         "(bench/run pi); memory is then the emulator's")
    args = ap.parse_args()
    agents = ("facmon",) if args.facmon_only else ("facmon", "collectd")
    work = tempfile.mkdtemp(prefix="facmon-scale-")
    hwms = []
    try:
        for want in (int(s) for s in args.sizes.split(",")):
            interval = SIZES.get(want, 1)
            n, devices, nups, gateways, r = run_size(want, interval, args.warmup,
                                                     args.window, work, agents,
                                                     args.wrap.split())
            print_size(n, devices, nups, gateways, interval, r["facmon"], r.get("collectd", {}))
            hwms.append((n, r["facmon"]["hwm"], r.get("collectd", {}).get("hwm")))
            sys.stdout.flush()
        floor = floor_kib(work)
        if floor and not args.wrap:
            print_floor(floor, hwms)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
