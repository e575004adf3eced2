"""delivery_check.py - what every fault-injection test checks, in one place.

Owns: a room whose alert transitions are known exactly, counting polls
while a fault lasts, and the verdicts each fault test gives:

  Room        fire panels on the simulator, each watched by a mask rule on
              its 16-bit status word: one alert per bit, 16 per panel, so
              many distinct alerts change without any one of them flapping
              (an alert that fires 4 times in 10 minutes is held by the
              engine's flap damping, which is not what these tests are about)
  Stimulus    writes the status words and keeps, per alert, the exact list
              of transitions that must follow: unknown -> ok at start, a bit
              set is ok -> firing, a bit cleared is firing -> resolved ->
              ok; it waits (on the agent's log) until they are detected
  PollMeter   samples the simulator's per-unit request counters in windows
              while a fault lasts: polling must go on at the configured rate
              whatever the broker does
  check_committed   `facmon history --json` holds every expected transition
              of every alert, in order, with the seqs the log gave them
  wait_delivered    a durable subscriber on R/events got every stored event:
              after dropping duplicates by seq the seqs run without a gap,
              never one after a higher one, and each payload is the stored one

Runs under Debian's /usr/bin/python3, with harness.py.
"""

import json
import re
import sys
import threading
import time

from harness import run_cli, wait_until

ROOT = "facmon/testsite/gw1"
EVENTS = f"{ROOT}/events"
PANEL = "fire-panel-modbus-generic"
# the profile names the low bits of panel_status; the others are bitN
BIT_NAMES = ["fire", "fault", "disabled", "supply_fault", "silenced"] + \
            [f"bit{n}" for n in range(5, 16)]
# more firings than this in one test would be damped (ALERT_FLAP_FIRES = 4)
MAX_FIRINGS = 3

_TRANSITION = re.compile(r"alert (\S+): (\w+) -> (\w+) \(.*\)(?: silenced)? "
                         r"seq=(\d+)$", re.M)
_UNSTORED = re.compile(r"store: .*event seq (\d+): .*\(sending it without "
                       r"the outbox\)$", re.M)


def say(text):
    """A line in the test's output (ctest shows it): the measured figures."""
    print(text, file=sys.stderr, flush=True)


class Room:
    """Fire panels on units UNITS of one simulator, device fpN for unit N,
    each with the rule pN: mask = 0xFFFF on fpN.panel_status."""

    def __init__(self, units):
        self.units = list(units)

    def sim_units(self):
        return {u: PANEL for u in self.units}

    def devices(self):
        return tuple((f"fp{u}", u, PANEL) for u in self.units)

    def rules(self):
        return ",\n".join(f'  {{ name = "p{u}"; point = "fp{u}.panel_status"; '
                          f'mask = 0xFFFF; severity = "major"; }}'
                          for u in self.units)

    @staticmethod
    def alert(unit, bit):
        return f"p{unit}.{BIT_NAMES[bit]}"

    def alerts(self):
        return [self.alert(u, b) for u in self.units for b in range(16)]


def logged_transitions(log):
    """{alert: [(from, to, seq), ...]} from the agent's log, in order."""
    out = {}
    for name, frm, to, seq in _TRANSITION.findall(log):
        out.setdefault(name, []).append((frm, to, int(seq)))
    return out


def unstored_seqs(log):
    """The seqs the agent could not store and sent without the outbox."""
    return {int(s) for s in _UNSTORED.findall(log)}


class Stimulus:
    """The status words of ROOM's panels on SIM and the transitions each
    change must cause."""

    def __init__(self, room, sim):
        self.room = room
        self.sim = sim
        self.words = {u: 0 for u in room.units}
        self.expected = {a: [("unknown", "ok")] for a in room.alerts()}

    def write(self, words):
        """Sets the panels' status words, WORDS: {unit: word}."""
        for unit, word in words.items():
            old = self.words[unit]
            for bit in range(16):
                was, now = (old >> bit) & 1, (word >> bit) & 1
                if was == now:
                    continue
                steps = self.expected[self.room.alert(unit, bit)]
                if now:
                    steps.append(("ok", "firing"))
                else:
                    steps += [("firing", "resolved"), ("resolved", "ok")]
                if steps.count(("ok", "firing")) > MAX_FIRINGS:
                    raise ValueError(f"{self.room.alert(unit, bit)} would fire "
                                     f"more than {MAX_FIRINGS} times: flap "
                                     f"damping would hold it")
            self.sim.raw(unit, "holding", 0, word)
            self.words[unit] = word

    def count(self):
        return sum(len(t) for t in self.expected.values())

    def wait_detected(self, test, agent, timeout=30.0):
        """Waits until the agent's log shows every expected transition of
        every alert, then checks they are exactly those, in order.
        Returns {alert: [(from, to, seq)]} of the log."""
        def done():
            seen = logged_transitions(agent.log())
            return seen if all(len(seen.get(a, ())) >= len(want)
                               for a, want in self.expected.items()) else None
        try:
            seen = wait_until(done, timeout, interval=0.2,
                              message="every expected transition in the log")
        except AssertionError:
            seen = logged_transitions(agent.log())
            missing = {a: (want, [t[:2] for t in seen.get(a, [])])
                       for a, want in self.expected.items()
                       if len(seen.get(a, ())) < len(want)}
            test.fail(f"transitions not detected (alert: (want, got)): "
                      f"{dict(list(missing.items())[:8])}\n"
                      f"log tail:\n{agent.log()[-3000:]}")
        for alert, want in self.expected.items():
            test.assertEqual([t[:2] for t in seen[alert]], want,
                             f"{alert}: transitions in the log")
        return seen

    def step(self, test, agent, words, timeout=30.0):
        """write(WORDS), then wait_detected()."""
        self.write(words)
        return self.wait_detected(test, agent, timeout)


class PollMeter:
    """Counts the requests SIM gets for each of UNITS in windows of WINDOW
    seconds, from start() to stop(), on a thread. Each unit's device has
    one request per poll (a panel's words are one block) every INTERVAL
    seconds."""

    def __init__(self, sim, units, interval=1.0, window=5.0):
        self.sim = sim
        self.units = list(units)
        self.interval = interval
        self.window = window
        self.samples = []
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        self.samples.append((time.monotonic(),
                             {u: self.sim.stats(u) for u in self.units}))

    def _run(self):
        while not self._stop.wait(self.window):
            self._sample()

    def start(self):
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()

    def ratios(self):
        """Per window (at least half a window long): the lowest, over the
        units, of requests received / polls due at the configured rate."""
        out = []
        for (t0, c0), (t1, c1) in zip(self.samples, self.samples[1:]):
            if t1 - t0 < self.window / 2:
                continue
            due = (t1 - t0) / self.interval
            out.append(min((c1[u] - c0[u]) / due for u in self.units))
        return out

    def check(self, test, what, minimum=0.8):
        """Every window at least MINIMUM of the configured poll rate."""
        ratios = self.ratios()
        span = self.samples[-1][0] - self.samples[0][0]
        say(f"polls during {what}: {len(ratios)} windows over {span:.0f} s, "
            f"per unit {min(ratios, default=0):.2f} .. "
            f"{max(ratios, default=0):.2f} of the configured rate "
            f"(mean {sum(ratios) / max(len(ratios), 1):.2f})")
        test.assertGreaterEqual(len(ratios), 1, f"{what}: no full window")
        for i, r in enumerate(ratios):
            test.assertGreaterEqual(r, minimum, f"{what}: window {i} polled "
                                    f"at {r:.2f} of the rate; all: {ratios}")


def stored_events(test, agent):
    """`facmon history --json` of AGENT's config: every stored event."""
    rc, out, err = run_cli("history", "-c", agent.config_path, "--json")
    test.assertEqual(rc, 0, err)
    return json.loads(out)


def check_committed(test, agent, stim, logged=None, unstored=()):
    """The store holds each of STIM's alerts' expected transitions, in
    order, with the seqs of the log (LOGGED: Stimulus.wait_detected()'s
    answer, read again if None), except those the agent logged it could
    not store (UNSTORED seqs). Returns the stored rows."""
    rows = stored_events(test, agent)
    logged = logged or logged_transitions(agent.log())
    for alert, want in stim.expected.items():
        test.assertEqual([t[:2] for t in logged[alert]], want,
                         f"{alert}: transitions in the log")
        want = [t for t in logged[alert] if t[2] not in unstored]
        got = [(r["from"], r["to"], r["seq"]) for r in rows if r["rule"] == alert]
        test.assertEqual(got, want, f"{alert}: stored transitions (from, to, "
                         f"seq) are the logged ones")
    return rows


def wait_delivered(test, watch, rows, unstored=(), timeout=45.0):
    """Waits until WATCH (a durable subscriber to EVENTS since before the
    agent's first event) has every stored event of ROWS and every seq in
    UNSTORED (sent without the store), then checks the delivery: after
    dropping duplicates by seq (each duplicate identical to the first
    copy), the seqs are 1, 2, ... without a gap up to the last stored one,
    none arrived after a higher one, and each payload is the stored one.
    Returns (distinct events, duplicates) for the report."""
    unstored = set(unstored)
    last = max([r["seq"] for r in rows] + list(unstored))
    stored_seqs = [r["seq"] for r in rows]
    test.assertEqual(sorted(set(stored_seqs) | unstored), list(range(1, last + 1)),
                     "stored (or sent unstored) seqs run from 1 without a gap")

    def arrived():
        seqs = {m.payload["seq"] for m in watch.messages(EVENTS)}
        return all(s in seqs for s in range(1, last + 1))
    try:
        wait_until(arrived, timeout, interval=0.2,
                   message=f"events 1..{last} on {EVENTS}")
    except AssertionError:
        seqs = {m.payload["seq"] for m in watch.messages(EVENTS)}
        missing = [s for s in range(1, last + 1) if s not in seqs]
        test.fail(f"{len(missing)} of {last} events never arrived within "
                  f"{timeout:.0f} s, first missing {missing[:20]}")

    first, order, dups = {}, [], 0
    for m in watch.messages(EVENTS):
        p = m.payload
        seq = p["seq"]
        if seq in first:
            test.assertEqual(p, first[seq], f"duplicate of seq {seq} differs")
            dups += 1
            continue
        if order:
            test.assertGreater(seq, order[-1], f"seq {seq} arrived after "
                               f"{order[-1]} (and not as a duplicate)")
        first[seq] = p
        order.append(seq)
    test.assertEqual([s for s in order if s <= last], list(range(1, last + 1)))
    for r in rows:
        test.assertEqual(first[r["seq"]], r["event"],
                         f"seq {r['seq']}: delivered payload is the stored one")
    return len(order), dups
