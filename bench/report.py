# SPDX-License-Identifier: MIT
"""The report of `make bench`: the results table, the complete sign-ins,
the targets with PASS or FAIL, every run, as Markdown and as JSON. Imported
by bench/run; measures nothing and runs nothing. A result is anything with
scenario, server, runs, warmup, rss_kib, non2xx, socket_errors, exhausted
and median(attr) (bench/run's Result); the sign-ins are bench/signin.py's
SignIns, the SAML responses bench/saml.py's SamlRun. The PostgreSQL
results (server "socialgate (PostgreSQL)") are compared with socialgate's
on SQLite, scenario by scenario; the results
through nginx (to one instance, then to two) with each other; the
visibility of writes across instances is bench/visibility.py's Visibility.
"""

import statistics
from dataclasses import dataclass, field

import visibility as vis

LEGEND = """\
req/s: requests completed ÷ wrk's duration; auth_info: only answers with "stat":"ok" (≥: its
tokens ran out before the end, a lower bound). p50, p99: wrk's latency percentiles. CPU µs/req:
the server process's user + system time (/proc/PID/stat, all threads) during the run ÷ the
requests. RSS peak: the server's VmHWM (/proc/PID/status) after the scenario, so far in the
run. bad: answers other than 2xx (start: other than 302; auth_info: other than "stat":"ok"),
exact (every response checked) in the warm-up, in --check runs and always for auth_info,
otherwise wrk's count of status ≥ 400; summed over all runs, warm-up included, like socket
errors (connect, read, write, timeout). × baseline: req/s ÷ the baseline's req/s. × fsync:
req/s ÷ the fsync rate."""

# (scenario, minimum req/s ÷ baseline); scenarios whose p99 must be ≤ P99_MAX_MS;
# scenarios whose req/s must be ≥ FSYNC_MIN × the fsync rate.
BASELINE_MIN = (("token", 0.5), ("get", 0.6), ("list", 0.4), ("introspect", 0.5),
                ("start", 0.5), ("auth_info", 0.3))
P99_MAX_MS, P99_SCENARIOS = 5, ("token", "get", "introspect")
FSYNC_MIN, FSYNC_SCENARIOS = 5, ("create", "patch")
# Served from caches, so the database behind them should hardly matter: req/s
# on PostgreSQL ÷ the same on SQLite.
PG_READS, PG_READS_MIN = ("token", "get", "list", "introspect"), 0.9
PG_WRITES = ("create", "patch")
RSS_MAX_MIB = 64
VISIBLE_MAX_MS = 100  # SPEC §8: a write acknowledged by one instance, seen by every other
STARTUP_MAX_MS = 100
SIGNIN_CPU_MAX_US = 1000  # socialgate's CPU per complete sign-in
SAML_CPU_MAX_US = 500  # socialgate's CPU per verified SAML response (the callback alone)


def fmt_int(x):
    return f"{x:,.0f}"


def ratio(x, base):
    return x / base if base else 0.0


@dataclass
class Report:
    info: dict  # header lines, name -> text; "date" goes in the title
    fsync: float  # per second
    startup: list  # ms, one per start
    baseline: object
    socialgate: list
    socialgate_hwm: int  # KiB, at the end of the whole run
    peer: list = field(default_factory=list)
    peer_skipped: str = None  # why, when the peer did not run
    signins: object = None  # complete sign-ins (bench/signin.py's SignIns)
    signins_skipped: str = None  # why, when they did not run
    saml: object = None  # verified SAML responses (bench/saml.py's SamlRun)
    saml_skipped: str = None  # why, when they did not run
    pg: list = field(default_factory=list)  # socialgate over PostgreSQL
    pg_skipped: str = None  # why, when PostgreSQL did not run
    pg_commit_rate: float = 0.0  # PostgreSQL's single-client commits per second
    lb: list = field(default_factory=list)  # through nginx: one instance, two, alternating
    lb_skipped: str = None  # why, when nginx did not run
    visibility: object = None  # writes on one instance polled on two others

    def by_name(self, name):
        return next(r for r in self.socialgate if r.scenario == name)

    def targets(self):
        """(target, required, measured, passed) rows; passed is None for
        what was not measured."""
        base = self.baseline.median("rps")
        rows = []
        for name, k in BASELINE_MIN:
            r = self.by_name(name)
            x = ratio(r.median("rps"), base)
            rows.append((f"{name}: req/s ÷ baseline", f"≥ {k:.2f}",
                         f"{'≥ ' if r.exhausted else ''}{x:.2f}", x >= k))
        for name in P99_SCENARIOS:
            p99 = self.by_name(name).median("p99_ms")
            rows.append((f"{name}: p99", f"≤ {P99_MAX_MS} ms", f"{p99:.2f} ms",
                         p99 <= P99_MAX_MS))
        for name in FSYNC_SCENARIOS:
            x = ratio(self.by_name(name).median("rps"), self.fsync)
            rows.append((f"{name}: req/s ÷ fsync rate", f"≥ {FSYNC_MIN:.2f}", f"{x:.2f}",
                         x >= FSYNC_MIN))
        rows.append(self.signin_target())
        rows.append(self.saml_target())
        rows += self.pg_targets()
        bad = sum(r.non2xx for r in self.socialgate)
        errs = sum(r.socket_errors for r in self.socialgate)
        failed = self.signins.failed if self.signins else 0
        rows.append(("socialgate: bad answers / socket errors / failed sign-ins", "0 / 0 / 0",
                     f"{bad} / {errs} / {failed}", bad == 0 and errs == 0 and failed == 0))
        if self.pg:
            bad = sum(r.non2xx for r in self.pg + self.lb)
            errs = sum(r.socket_errors for r in self.pg + self.lb)
            rows.append(("socialgate (PostgreSQL, nginx included): bad answers / socket errors",
                         "0 / 0", f"{bad} / {errs}", bad == 0 and errs == 0))
        rss = self.socialgate_hwm / 1024
        rows.append(("socialgate: peak RSS, whole run", f"≤ {RSS_MAX_MIB} MiB", f"{rss:.1f} MiB",
                     rss <= RSS_MAX_MIB))
        ms = statistics.median(self.startup)
        rows.append(("first GET /healthz after exec", f"≤ {STARTUP_MAX_MS} ms", f"{ms:.1f} ms",
                     ms <= STARTUP_MAX_MS))
        return rows

    def pg_by_name(self, name):
        return next((r for r in self.pg if r.scenario == name), None)

    def visibility_target(self):
        name = "a write on one instance seen on two others: max delay (SPEC §8)"
        req = f"≤ {VISIBLE_MAX_MS} ms"
        v = self.visibility
        if v is None:
            return (name, req, "not measured", None)
        if v.missed:
            return (name, req, v.missed, False)
        worst = v.max_upper * 1000
        return (name, req, f"{worst:.2f} ms (poll round included)", worst <= VISIBLE_MAX_MS)

    def pg_targets(self):
        rows = []
        for name in PG_READS:
            target = f"{name} on PostgreSQL: req/s ÷ same on SQLite"
            req = f"≥ {PG_READS_MIN:.2f}"
            r = self.pg_by_name(name)
            if r is None:
                rows.append((target, req, "not measured", None))
                continue
            x = ratio(r.median("rps"), self.by_name(name).median("rps"))
            rows.append((target, req, f"{x:.2f}", x >= PG_READS_MIN))
        if self.pg:
            rows.append(self.visibility_target())
        return rows

    def pg_lines(self):
        if not self.pg:
            return [f"PostgreSQL: skipped ({self.pg_skipped or 'not run'})."]
        parts = []
        for name in PG_WRITES:
            p, s = self.pg_by_name(name), self.by_name(name)
            parts.append(f"{name} {fmt_int(p.median('rps'))} req/s, "
                         f"{p.median('cpu_us'):.1f} CPU µs/req (SQLite: "
                         f"{fmt_int(s.median('rps'))} req/s, {s.median('cpu_us'):.1f} CPU µs/req)")
        return [f"Durable writes on PostgreSQL (fsync, synchronous_commit and full_page_writes "
                f"on): {'; '.join(parts)}. PostgreSQL's own single-client commit rate on the "
                f"same cluster (pgbench, one INSERT per transaction): "
                f"{fmt_int(self.pg_commit_rate)}/s; the disk's fsync rate {fmt_int(self.fsync)}/s. "
                "CPU µs/req counts socialgate's process only, not PostgreSQL's."]

    def lb_lines(self):
        if not self.pg:
            return []
        if not self.lb:
            return [f"Through nginx: skipped ({self.lb_skipped or 'not run'})."]
        out = ["### Through nginx: one instance, then two", "",
               "nginx configured as docs/DEPLOYMENT.md shows (scripts/nginx-front: one worker, "
               "round robin, keepalive 64 to the instances), the instances on the PostgreSQL "
               "database above; wrk sends to nginx, alternately to an nginx in front of "
               "instance 1 alone and to one in front of instances 1 and 2. CPU µs/req: the "
               "instances behind nginx summed; nginx's (master and worker) apart.", "",
               "| scenario | through | req/s | p50 ms | p99 ms | socialgate CPU µs/req "
               "| nginx CPU µs/req | bad | socket errors |",
               "|---|---|--:|--:|--:|--:|--:|--:|--:|"]
        for r in self.lb:
            out.append(f"| {r.scenario} | {r.server} | {fmt_int(r.median('rps'))} | "
                       f"{r.median('p50_ms'):.2f} | {r.median('p99_ms'):.2f} | "
                       f"{r.median('cpu_us'):.1f} | {r.median('proxy_cpu_us'):.1f} | "
                       f"{r.non2xx} | {r.socket_errors} |")
        out += [""]
        names = [r.scenario for r in self.lb]
        for name in dict.fromkeys(names):
            one, two = [r for r in self.lb if r.scenario == name][:2]
            direct = self.pg_by_name(name)
            two_one = ratio(two.median("rps"), one.median("rps"))
            via = ratio(one.median("rps"), direct.median("rps")) if direct else 0.0
            d = (f"; nginx to one instance gives {via:.2f} × the req/s of that instance "
                 "reached directly "
                 f"({fmt_int(direct.median('rps'))} req/s)") if direct else ""
            out.append(f"- {name}: two instances give {two_one:.2f} × the req/s of one "
                       f"(no target){d}.")
        out += ["", "On a 2-CPU machine wrk, nginx's single worker and the instances share "
                "the same two cores: a second instance adds no CPU to share, so it can add "
                "little or nothing, or even cost, and these figures say so rather than what "
                "two hosts would do. They show nginx's cost per request and that the set-up "
                "of DEPLOYMENT.md holds under load without errors."]
        return out

    def visibility_lines(self):
        if not self.pg:
            return []
        v = self.visibility
        if v is None:
            return ["Visibility across instances: not measured."]
        out = ["### How soon the other instances see a write", "",
               f"Three instances on the PostgreSQL database: {v.acked:,} merge patches of one "
               f"provider's title on instance 1 (of {v.writes:,} asked for), one at a time "
               "over a keep-alive connection; after each 200, instances 2 and 3 are polled "
               "(GET, keep-alive, both requests out before either answer is read, the next "
               "round at once) until each shows the new title. Delay: the moment the round "
               "that first showed it was sent − the moment the 200 was read; 0 when the "
               "first round showed it (\"at once\"). The true moment lies within that "
               "round's length after it: \"max with round\" adds it.", "",
               "| polling instance | writes seen | at once | p50 ms | p99 ms | max ms "
               "| max with round ms |", "|---|--:|--:|--:|--:|--:|--:|"]
        for p in v.pollers + [None]:
            delays = p.delays if p else v.all_delays
            uppers = p.uppers if p else [u for q in v.pollers for u in q.uppers]
            at_once = p.at_once if p else sum(q.at_once for q in v.pollers)
            p50, p99, worst = vis.summary(delays)
            out.append(f"| {p.name if p else 'both'} | {len(delays):,} | {at_once:,} | "
                       f"{p50:.2f} | {p99:.2f} | {worst:.2f} | "
                       f"{max(uppers, default=0.0) * 1000:.2f} |")
        out += ["", f"Polling resolution (one round, both instances): p50 "
                f"{vis.percentile(v.rounds, 50) * 1000:.3f} ms, p99 "
                f"{vis.percentile(v.rounds, 99) * 1000:.3f} ms; a durable PATCH on instance 1 "
                f"took p50 {vis.percentile(v.write_seconds, 50) * 1000:.2f} ms."
                + (f" Stopped early: {v.missed}." if v.missed else "")]
        return out

    def signin_target(self):
        name, req = "complete sign-in: socialgate CPU", f"≤ {SIGNIN_CPU_MAX_US:,} µs"
        if not self.signins or not self.signins.completed:
            return (name, req, "not measured", None)
        us = self.signins.cpu_us
        return (name, req, f"{us:,.0f} µs", us <= SIGNIN_CPU_MAX_US)

    def saml_target(self):
        """Fails on any flow that did not end with a token handed to the
        site, whatever the CPU."""
        name, req = "saml callback: socialgate CPU per verified response", \
            f"≤ {SAML_CPU_MAX_US:,} µs, all verified"
        r = self.saml
        if r is None:
            return (name, req, "not measured", None)
        got = f"{r.cpu_us:,.0f} µs, {r.completed:,} of {r.count:,} verified"
        return (name, req, got, r.ok and r.cpu_us <= SAML_CPU_MAX_US)

    def saml_lines(self):
        if self.saml is None:
            return [f"SAML responses: skipped ({self.saml_skipped or 'not run'})."]
        r = self.saml
        out = [f"SAML responses (the samlify IdP, {r.to_json()['sign']} signed with RSA-SHA256; "
               f"{r.warmup} flows discarded first; then {r.count:,} starts, each flow's response "
               f"signed by the IdP, then the callbacks, {r.threads} at a time on keep-alive "
               f"connections, socialgate otherwise idle): {r.completed:,} of {r.count:,} "
               f"verified and handed to the site in {r.seconds:.2f} s, {r.failed} failed; "
               f"socialgate CPU per verified response {r.cpu_us:,.0f} µs (the callbacks "
               f"alone); callback latency p50 {r.percentile(50):.2f} ms, p99 "
               f"{r.percentile(99):.2f} ms. The starts: {r.started:,} in "
               f"{r.start_seconds:.2f} s, {r.start_cpu_us:,.0f} CPU µs each (a deflated, "
               f"Base64-encoded AuthnRequest); the IdP signed the responses in "
               f"{r.sign_seconds:.1f} s (not counted)."]
        if r.failures:
            out.append(f"First SAML failure: {r.failures[0]}")
        return out

    def signin_lines(self):
        if self.signins is None:
            return [f"Complete sign-ins: skipped ({self.signins_skipped or 'not run'})."]
        s = self.signins
        return [f"Complete sign-ins (start → the IdP stub's /authorize → callback, {s.threads} "
                f"at a time, after {s.warmup} discarded): {s.completed:,} in {s.seconds:.1f} s "
                f"({s.rate:,.0f}/s), {s.failed} failed; socialgate CPU per sign-in "
                f"{s.cpu_us:,.0f} µs (start and callback, the IdP's excluded); callback latency "
                f"p50 {s.percentile(50):.1f} ms, p99 {s.percentile(99):.1f} ms (it includes "
                "the stub's token endpoint, Python signing an RS256 id_token)."]

    def row(self, r):
        rps = r.median("rps")
        xf = f"{ratio(rps, self.fsync):.2f}" if r.scenario in FSYNC_SCENARIOS else ""
        low = "≥ " if getattr(r, "exhausted", False) else ""
        return (f"| {r.scenario} | {r.server} | {low}{fmt_int(rps)} | "
                f"{r.median('p50_ms'):.2f} | {r.median('p99_ms'):.2f} | "
                f"{r.median('cpu_us'):.1f} | {r.rss_kib / 1024:.1f} | {r.non2xx} | "
                f"{r.socket_errors} | {ratio(rps, self.baseline.median('rps')):.2f} | {xf} |")

    def peer_lines(self):
        if self.peer_skipped:
            return [f"oidc-provider peer: skipped ({self.peer_skipped})."]
        out = ["The same requests (same client id and secret, Basic authentication, same "
               "form body; only the path differs) against the node oidc-provider peer:", ""]
        for p in self.peer:
            r = self.by_name(p.scenario)
            x = ratio(r.median("rps"), p.median("rps"))
            out.append(f"- {p.scenario}: socialgate {fmt_int(r.median('rps'))} req/s, p99 "
                       f"{r.median('p99_ms'):.2f} ms, {r.median('cpu_us'):.1f} CPU µs/req; "
                       f"oidc-provider {fmt_int(p.median('rps'))} req/s, p99 "
                       f"{p.median('p99_ms'):.2f} ms, {p.median('cpu_us'):.1f} CPU µs/req "
                       f"(socialgate: {x:.1f} × the req/s)")
        return out

    def every_run(self):
        out = ["| scenario | server | run | req/s | p50 ms | p99 ms | CPU µs/req | bad "
               "| socket errors |", "|---|---|---|--:|--:|--:|--:|--:|--:|"]
        for r in [self.baseline] + self.socialgate + self.pg + self.lb + self.peer:
            runs = ([("warm-up", r.warmup)] if r.warmup else []) + \
                   [(str(i + 1), x) for i, x in enumerate(r.runs)]
            for label, x in runs:
                cpu = f"{x.cpu_us:.1f}" if label != "warm-up" else ""
                low = "≥ " if x.exhausted else ""
                out.append(f"| {r.scenario} | {r.server} | {label} | {low}{fmt_int(x.rps)} | "
                           f"{x.p50_ms:.2f} | {x.p99_ms:.2f} | {cpu} | {x.non2xx} | "
                           f"{x.socket_errors} |")
        return out

    def markdown(self):
        out = [f"# socialgate benchmark, {self.info['date']}", ""]
        out += [f"- {k}: {v}" for k, v in self.info.items() if k != "date"]
        out += ["", "## Results (median of the runs)", "",
                "| scenario | server | req/s | p50 ms | p99 ms | CPU µs/req | RSS peak MiB "
                "| bad | socket errors | × baseline | × fsync |",
                "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
        out += [self.row(r) for r in [self.baseline] + self.socialgate + self.pg + self.peer]
        out += ["", LEGEND, "", "Peak RSS of socialgate through the whole run: "
                f"{self.socialgate_hwm / 1024:.1f} MiB.", ""]
        out += self.peer_lines()
        out += [""] + self.pg_lines()
        if self.pg:
            out += ["", "## Several instances on one PostgreSQL database", ""]
            out += self.lb_lines() + [""] + self.visibility_lines()
        out += [""] + self.signin_lines()
        out += [""] + self.saml_lines()
        out += ["", "## Targets", "", "| target | required | measured | result |",
                "|---|---|---|---|"]
        out += [f"| {t} | {req} | {got} | "
                f"{'NOT MEASURED' if ok is None else 'PASS' if ok else 'FAIL'} |"
                for t, req, got, ok in self.targets()]
        out += ["", "## Every run", ""] + self.every_run()
        return "\n".join(out) + "\n"

    def to_json(self):
        def res(r):
            return {"scenario": r.scenario, "server": r.server, "rss_kib": r.rss_kib,
                    "exhausted": r.exhausted,
                    "warmup": r.warmup.__dict__ if r.warmup else None,
                    "runs": [dict(x.__dict__, rps=x.rps) for x in r.runs],
                    "median": {k: r.median(k) for k in ("rps", "p50_ms", "p99_ms", "cpu_us")}}
        return {
            "info": self.info, "fsync_per_s": self.fsync, "startup_ms": self.startup,
            "baseline": res(self.baseline), "socialgate": [res(r) for r in self.socialgate],
            "socialgate_peak_rss_kib": self.socialgate_hwm,
            "peer": [res(r) for r in self.peer], "peer_skipped": self.peer_skipped,
            "signins": self.signins.to_json() if self.signins else None,
            "signins_skipped": self.signins_skipped,
            "saml": self.saml.to_json() if self.saml else None,
            "saml_skipped": self.saml_skipped,
            "postgresql": [res(r) for r in self.pg], "postgresql_skipped": self.pg_skipped,
            "postgresql_commit_per_s": self.pg_commit_rate if self.pg else None,
            "nginx": [res(r) for r in self.lb], "nginx_skipped": self.lb_skipped,
            "visibility": self.visibility.to_json() if self.visibility else None,
            "targets": [{"target": t, "required": q, "measured": g, "pass": ok}
                        for t, q, g, ok in self.targets()],
        }
