#!/usr/bin/python3
"""snmp_agents.py - 200 SNMP agents of which 20 never answer, one interval.

The issue's target: with 200 agents polled every 5 s, 20 of them dead
(each costing the full timeout and its retry), every live agent is still
polled every cycle. One snmpsimd serves 180 endpoints on loopback, 20 UDP
ports have nobody behind them, and the agent publishes telemetry to a real
mosquitto; we count telemetry per live agent over several intervals and
the largest gap between two polls of the same agent.

Usage: bench/snmp_agents.py  (FACMON_BIN: the facmon binary, default build/facmon)
"""
import collections
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("FACMON_BIN", os.path.join(HERE, "..", "build", "facmon"))
os.environ.setdefault("FACMON_PROFILE_DIR", os.path.join(HERE, "..", "hw", "profiles"))

from harness import Agent, Mosquitto, MqttWatch, SnmpSim, free_udp_ports  # noqa: E402

LIVE, DEAD, INTERVAL, CYCLES = 180, 20, 5, 4
DATA = os.path.join(HERE, "..", "tests", "data", "snmp", "ups-mains.snmprec")


def device(name, port):
    return (f'  {{ name = "{name}"; type = "snmp"; host = "127.0.0.1"; port = {port}; '
            f'community = "ups"; profile = "ups-mib"; interval = {INTERVAL}; '
            f'timeout_ms = 1000; retries = 1; }}')


def main():
    with Mosquitto() as broker, SnmpSim({"ups": DATA}, endpoints=LIVE, timeout=120) as sim, \
            MqttWatch(broker.port, "facmon/bench/gw/telemetry/#") as watch:
        devices = [device(f"live{i}", p) for i, p in enumerate(sim.ports)]
        devices += [device(f"dead{i}", p) for i, p in enumerate(free_udp_ports(DEAD))]
        config = f"""
agent = {{ site = "bench"; name = "gw"; state_dir = "{{state_dir}}";
          profile_dir = "{{profile_dir}}"; log_level = "warn"; }};
mqtt = {{ host = "127.0.0.1"; port = {broker.port}; }};
devices = (
{",".join(devices)}
);
"""
        with Agent(config):
            time.sleep(INTERVAL + 2)  # the first cycle, and the dead timing out
            mark = watch.mark()
            time.sleep(CYCLES * INTERVAL)
            msgs = watch.messages(after=mark)
    per = collections.defaultdict(list)
    for m in msgs:
        per[m.topic.rsplit("/", 1)[1]].append(m.time)
    counts = [len(per[f"live{i}"]) for i in range(LIVE)]
    gaps = [b - a for i in range(LIVE) for a, b in zip(per[f"live{i}"], per[f"live{i}"][1:])]
    print(f"{LIVE} live + {DEAD} dead SNMP agents, interval {INTERVAL} s, "
          f"timeout 1 s x 2 tries, watched for {CYCLES} intervals:")
    print(f"  polls per live agent: min {min(counts)}, max {max(counts)} (want {CYCLES})")
    print(f"  gap between polls of one agent: mean {statistics.mean(gaps):.2f} s, "
          f"max {max(gaps):.2f} s")
    print(f"  telemetry from dead agents: {sum(len(per[f'dead{i}']) for i in range(DEAD))}")


if __name__ == "__main__":
    main()
