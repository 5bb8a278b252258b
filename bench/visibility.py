# SPDX-License-Identifier: MIT
"""How soon a write acknowledged by one socialgate instance is seen by
others on the same PostgreSQL database (SPEC §8: within 100 ms), over
HTTP as a client sees it. Imported by bench/run; starts nothing.

For each write: a merge PATCH of one provider's title (a run-unique value
with a sequence number) on the writer, over a keep-alive connection; the
moment its 200 has been read is the acknowledgement. Then every polling
instance is asked for the provider (GET, one keep-alive connection each)
in rounds: one GET to each instance not yet showing the new title sent
together, then their answers read; a round starts as soon as the last
one ended. An instance's delay is the moment the round that first
showed the new title was sent, minus the acknowledgement: 0 when the
first round after the acknowledgement showed it ("at once"); the true
moment lies within that round's duration after it (`upper`, the moment
that round's answer arrived, is also kept). Standard library only.
"""

import http.client
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field

MERGE_PATCH = "application/merge-patch+json"
GIVE_UP_SECONDS = 5.0  # a write not seen this long after its acknowledgement ends the run


class VisibilityError(Exception):
    """An instance answered something other than 200: nothing to measure."""


@dataclass
class Poller:
    name: str
    delays: list = field(default_factory=list)  # seconds, one per write seen
    uppers: list = field(default_factory=list)  # seconds: delay + the showing round's length
    at_once: int = 0  # seen by the first round after the acknowledgement

    def to_json(self):
        return {"name": self.name, "delays_ms": [d * 1000 for d in self.delays],
                "upper_ms": [u * 1000 for u in self.uppers], "at_once": self.at_once}


@dataclass
class Visibility:
    writes: int  # asked for
    pollers: list  # Poller, one per polling instance
    rounds: list = field(default_factory=list)  # seconds, every polling round
    acked: int = 0  # writes acknowledged
    missed: str = None  # the first write not seen within GIVE_UP_SECONDS, when one was not
    write_seconds: list = field(default_factory=list)  # each PATCH's round trip

    @property
    def all_delays(self):
        return [d for p in self.pollers for d in p.delays]

    @property
    def max_upper(self):
        return max((u for p in self.pollers for u in p.uppers), default=0.0)

    def to_json(self):
        return {"writes": self.writes, "acked": self.acked, "missed": self.missed,
                "pollers": [p.to_json() for p in self.pollers],
                "round_ms": {"p50": percentile(self.rounds, 50) * 1000,
                             "p99": percentile(self.rounds, 99) * 1000},
                "write_ms": {"p50": percentile(self.write_seconds, 50) * 1000}}


def percentile(xs, q):
    """The q-th percentile (nearest rank) of xs, 0.0 when empty."""
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, -(-len(s) * q // 100) - 1))]


def connect(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.connect()
    return c


def get(conn, path, headers, what):
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise VisibilityError(f"GET on {what} answered {r.status}: {body[:200]!r}")
    return body


def measure(writer_port, poll_ports, path, bearer, writes):
    """writes merge patches of the provider at path on the instance at
    writer_port, each followed by polling the instances at poll_ports
    (named "instance 2", "instance 3", ...) until each shows it: a
    Visibility."""
    auth = {"Authorization": bearer}
    patch_headers = dict(auth, **{"Content-Type": MERGE_PATCH})
    writer = connect(writer_port)
    polls = [connect(p) for p in poll_ports]
    v = Visibility(writes, [Poller(f"instance {i + 2}") for i in range(len(poll_ports))])
    run = uuid.uuid4().hex[:8]
    try:
        for c, p in zip(polls, v.pollers):  # each caches the provider first
            get(c, path, auth, p.name)
        for i in range(writes):
            title = f"seen {run} {i:06d}"
            t0 = time.perf_counter()
            writer.request("PATCH", path, body=json.dumps({"title": title}),
                           headers=patch_headers)
            r = writer.getresponse()
            body = r.read()
            acked = time.perf_counter()
            if r.status != 200:
                raise VisibilityError(f"PATCH on instance 1 answered {r.status}: {body[:200]!r}")
            v.acked += 1
            v.write_seconds.append(acked - t0)
            if not poll_until_seen(v, polls, path, auth, json.dumps(title).encode(), acked):
                v.missed = f"write {i + 1} not seen within {GIVE_UP_SECONDS:.0f} s"
                break
    finally:
        for c in [writer] + polls:
            c.close()
    return v


def poll_until_seen(v, polls, path, auth, marker, acked):
    """Rounds of GETs to the instances not yet showing marker; records each
    one's delay. False when GIVE_UP_SECONDS passed first."""
    pending = list(range(len(polls)))
    first = True
    while pending:
        sent = time.perf_counter()
        if sent - acked > GIVE_UP_SECONDS:
            return False
        for k in pending:  # all requests out before any answer is read
            polls[k].request("GET", path, headers=auth)
        answers = []
        for k in pending:
            r = polls[k].getresponse()
            body = r.read()
            if r.status != 200:
                raise VisibilityError(f"GET on {v.pollers[k].name} answered {r.status}: "
                                      f"{body[:200]!r}")
            answers.append((k, marker in body))
        done = time.perf_counter()
        v.rounds.append(done - sent)
        for k, seen in answers:
            if seen:
                p = v.pollers[k]
                p.delays.append(0.0 if first else sent - acked)
                p.uppers.append(done - acked)
                p.at_once += first
                pending.remove(k)
        first = False
    return True


def summary(delays):
    """(p50, p99, max) in ms."""
    return (percentile(delays, 50) * 1000, percentile(delays, 99) * 1000,
            max(delays, default=0.0) * 1000)


def median_ms(xs):
    return statistics.median(xs) * 1000 if xs else 0.0
