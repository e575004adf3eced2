"""test_faults.py - the broker misbehaves; the agent keeps watching.

Fault injection with real mosquitto brokers that persist (so a durable
subscriber, clean_session false, QoS 1, misses nothing across a broker
restart) and fire panels on the simulator, whose status words make many
distinct alerts change without any of them flapping (delivery_check.py).
Each scenario checks that polling goes on at the configured rate while the
fault lasts (the simulator's request counters, 5 s windows, at least 80 %),
that every transition of the stimulus is detected (the log) and committed
(`facmon history --json`), and that the subscriber gets every stored event
exactly once after dropping duplicates by seq, in seq order, as stored:

- the broker stopped while the agent is connected, alerts changing during
  the outage, the broker started again;
- the broker flapping (stopped or started every 3 s for a minute) while
  alerts change;
- a `kill -9` of the agent while a backlog of some 400 events drains, and
  the agent started again;
- a "broker" that accepts TCP but never answers CONNECT, replaced by a
  real one on the same port while the agent's attempt still hangs.

The disk-full case is test_faults_disk.py (it needs to mount a tmpfs).
"""

import contextlib
import socket
import threading
import time
import unittest

from delivery_check import (EVENTS, PollMeter, Room, Stimulus, check_committed,
                            say, wait_delivered)
from harness import HOST, Agent, Mosquitto, MqttWatch, Sim, free_port, room_config

PERSIST = "persistence true\npersistence_location {tmp}/\n"
CONNECTION_LOST = r"mqtt\[.*\]: connection lost"


class SilentBroker:
    """A listener on 127.0.0.1:PORT that accepts connections and reads
    whatever comes (a CONNECT) but never writes a byte: a broker hung
    before its CONNACK. close_listener() frees the port for a real broker
    and leaves the accepted connections open, still silent."""

    def __init__(self, port):
        self.port = port
        self.accepted = 0
        self._conns = []
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((HOST, port))
        self._listener.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
                self.accepted += 1
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn):
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass

    def close_listener(self):
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()

    def close(self):
        self.close_listener()
        with self._lock:
            for conn in self._conns:
                conn.close()


class Faults(unittest.TestCase):

    def start_room(self, units, name, port=None):
        """A persistent broker, a durable subscriber on R/events, the
        panels of UNITS on a simulator and the agent; returns them once
        the agent's first events (every alert unknown -> ok) have been
        delivered."""
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        room = Room(units)
        broker = stack.enter_context(Mosquitto(port=port, extra_config=PERSIST))
        watch = stack.enter_context(MqttWatch(broker.port, EVENTS,
                                              client_id=f"faults-{name}",
                                              clean_session=False))
        sim = stack.enter_context(Sim(room.sim_units()))
        agent = stack.enter_context(Agent(room_config(
            broker.port, sim.port, devices=room.devices(), rules=room.rules(),
            timeout_ms=200, log_level="info")))
        stim = Stimulus(room, sim)
        logged = stim.wait_detected(self, agent, timeout=30)
        wait_delivered(self, watch, check_committed(self, agent, stim, logged))
        return room, broker, watch, sim, agent, stim

    def finish(self, agent, watch, stim, timeout=45.0, what=""):
        """The verdicts after the fault: detected, committed, delivered."""
        logged = stim.wait_detected(self, agent)
        rows = check_committed(self, agent, stim, logged)
        distinct, dups = wait_delivered(self, watch, rows, timeout=timeout)
        say(f"{what}: {stim.count()} stimulus transitions, {len(rows)} events "
            f"stored, {distinct} delivered, {dups} duplicates dropped")
        return rows

    def test_1_broker_stopped_while_connected(self):
        room, broker, watch, sim, agent, stim = self.start_room((1, 2, 3, 4), "stop")
        meter = PollMeter(sim, room.units).start()
        broker.stop()
        agent.wait_log(CONNECTION_LOST)
        # the reported bug stopped polling 8-16 s after the loss: last 25 s
        patterns = [{1: 0x0003, 2: 0x0300}, {3: 0x8001, 4: 0x00F0},
                    {1: 0x0001, 2: 0x0000, 3: 0x8000}, {4: 0x0F00, 1: 0x1000}]
        start = time.monotonic()
        for i, words in enumerate(patterns):
            time.sleep(max(0.0, start + 6 * i - time.monotonic()))
            stim.step(self, agent, words)
        time.sleep(max(0.0, start + 25 - time.monotonic()))
        meter.stop()
        meter.check(self, "a stopped broker")
        broker.start()
        self.finish(agent, watch, stim, what="broker stopped")

    def test_2_broker_flapping(self):
        room, broker, watch, sim, agent, stim = self.start_room((1, 2, 3, 4), "flap")
        meter = PollMeter(sim, room.units).start()
        # every 5 s one panel changes; each bit fires once in the minute
        words = [0x00FF, 0xFF00, 0x0000]
        changes = [(2.5 + 5 * i, {room.units[i % 4]: words[i // 4]})
                   for i in range(12)]
        toggles = [(3.0 * k, None) for k in range(1, 21)]
        start = time.monotonic()
        for at, change in sorted(changes + toggles, key=lambda c: c[0]):
            time.sleep(max(0.0, start + at - time.monotonic()))
            if change is not None:
                stim.write(change)
            elif broker.running():
                broker.stop()
            else:
                broker.start()
        if not broker.running():
            broker.start()
        meter.stop()
        meter.check(self, "a flapping broker")
        self.finish(agent, watch, stim, what="broker flapping")

    def test_3_kill_9_while_the_backlog_drains(self):
        units = tuple(range(1, 9))
        room, broker, watch, sim, agent, stim = self.start_room(units, "kill")
        meter = PollMeter(sim, room.units).start()
        metered_from = time.monotonic()
        broker.stop()
        agent.wait_log(CONNECTION_LOST)
        before = max(m.payload["seq"] for m in watch.messages(EVENTS))
        stim.step(self, agent, {u: 0xFFFF for u in units})
        stim.step(self, agent, {u: 0x0000 for u in units})
        # an outage of one full metering window at least, however fast
        # the steps went
        time.sleep(max(0.0, metered_from + meter.window + 0.5 - time.monotonic()))
        meter.stop()
        meter.check(self, "the outage before the kill")
        mark = watch.mark()
        broker.start()
        watch.wait_for(EVENTS, lambda p: p["seq"] > before, after=mark, timeout=45)
        agent.kill()
        arrived = len({m.payload["seq"] for m in watch.messages(EVENTS, mark)})
        backlog = 3 * 16 * len(units)
        say(f"kill -9: {arrived} of the {backlog} backlog events had arrived")
        agent.start()
        self.finish(agent, watch, stim, what="kill -9 while draining")

    def test_4_broker_that_never_answers_connect(self):
        port = free_port()
        room, broker, watch, sim, agent, stim = self.start_room((1, 2, 3, 4), "hang",
                                                                port=port)
        meter = PollMeter(sim, room.units).start()
        broker.stop()
        agent.wait_log(CONNECTION_LOST)
        silent = SilentBroker(port)
        self.addCleanup(silent.close)
        hung_at = time.monotonic()
        stim.step(self, agent, {1: 0x0007, 2: 0x0070})
        self.assertTrue(silent.accepted, "the agent connected to the silent broker")
        stim.step(self, agent, {3: 0x0700, 4: 0x7000, 1: 0x0000})
        time.sleep(max(0.0, hung_at + 12 - time.monotonic()))
        # the agent's attempt hangs on; the real broker takes the port
        silent.close_listener()
        broker.start()
        stim.step(self, agent, {2: 0x0000, 3: 0x0000})
        meter.stop()
        meter.check(self, "a broker hanging before CONNACK")
        self.finish(agent, watch, stim, timeout=60, what="broker hanging")


if __name__ == "__main__":
    unittest.main(verbosity=2)
