"""The time-engine section of BENCHMARKS.md: machine, method, the goals of issue 4, a table per
figure against its ceiling, and what limits each figure, read off the figures themselves.

The section sits between `SECTION_START` and `SECTION_END`; `bench.report.write_section` rewrites
it and leaves every other section as it was.
"""

import math
from datetime import datetime

from bench import _time_engine_data as data
from bench._time_engine_figures import (
    DatabaseFigures,
    Lateness,
    Settings,
    SlaFigures,
    TriggerFigures,
)
from bench.report import Machine

SECTION_START = "<!-- bench:time-engine:start -->"
SECTION_END = "<!-- bench:time-engine:end -->"
GOAL_LATENESS_S = 1.0
GOAL_TIMERS_PER_S = 5_000.0
GOAL_DEADLINES_PER_S = 100_000.0
GOAL_TRIGGERS_MS = 2.0
GOAL_REAPPLY_S = 60.0
GOAL_REAPPLY_TICKETS = 1_000_000


def _verdict(met: bool, text: str) -> str:
    return f"**met** ({text})" if met else f"**not met** ({text})"


def _times(value: float, ceiling: float) -> str:
    """A cost against its ceiling: how many times longer."""
    return f"{value / ceiling:,.1f}x" if ceiling > 0 else "n/a"


def _share(rate: float, ceiling: float) -> str:
    """A rate against its ceiling: the share reached."""
    return f"{rate / ceiling:.3f}" if ceiling > 0 else "n/a"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min" if seconds >= 120 else f"{seconds:,.2f} s"


def _run_label(run: Lateness, kind: str) -> str:
    who = "worker thread" if run.processes == 1 else f"{run.processes} worker processes"
    if kind != "postgresql":
        return who
    return f"{who}, {'ANALYZE once armed' if run.statistics else 'no statistics'}"


def _lateness_lines(results: list[DatabaseFigures]) -> list[str]:
    lines = [
        "| database | run | armed in | due after | p50 s | p99 s | max s | `fired_at` p99 s | raw p99 s | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for figures in results:
        ceiling = figures.lateness_ceiling
        for run in figures.lateness:
            raw = ceiling.p99 if ceiling else math.nan
            lines.append(
                f"| {figures.label} | {_run_label(run, figures.kind)} | {run.arm_s:,.1f} s | {run.lead_s:,.1f} s"
                f" | {run.committed.p50:,.2f} | {run.committed.p99:,.2f} | {run.committed.max:,.2f}"
                f" | {run.fired_at.p99:,.3f} | {raw:,.3f} | {_times(run.committed.p99, raw)} |"
            )
    return lines


def _rate_lines(results: list[DatabaseFigures]) -> list[str]:
    lines = [
        "| database | timers | seconds | timers/s | statements per timer | raw timers/s | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for figures in results:
        rate = figures.rate
        if rate is not None:
            lines.append(
                f"| {figures.label} | {rate.timers:,} | {rate.seconds:,.1f} | {rate.per_s:,.0f}"
                f" | {rate.statements_per_timer:.2f} | {rate.raw_per_s:,.0f}"
                f" | {_share(rate.per_s, rate.raw_per_s)} |"
            )
    return lines


def _sla_lines(sla: SlaFigures) -> list[str]:
    rows = [
        ("`deadlines.measure`, first reply in 240 business minutes", sla.measure_per_s),
        ("`add_business_time` alone (ceiling)", sla.add_per_s),
        ("`datetime + timedelta` (ceiling)", sla.plain_per_s),
    ]
    lines = [
        "| computation | per second | µs each | ratio to `measure` |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {rate:,.0f} | {1e6 / rate:,.2f} | {_share(sla.measure_per_s, rate)} |" for name, rate in rows
    ]
    return lines


def _trigger_lines(triggers: TriggerFigures | None, results: list[DatabaseFigures]) -> list[str]:
    lines: list[str] = []
    if triggers is not None:
        engine, plain = triggers.engine_us, triggers.plain_us
        lines += [
            "| evaluation per update | median µs | p99 µs | mean µs | ratio (median) |",
            "| --- | ---: | ---: | ---: | ---: |",
            (
                f"| `run_triggers`, {triggers.triggers} compiled triggers, {triggers.fired} fire | {engine.p50:,.0f}"
                f" | {engine.p99:,.0f} | {engine.mean:,.0f} | {_times(engine.p50, plain.p50)} |"
            ),
            (
                f"| one plain-Python pass over the same conditions (ceiling) | {plain.p50:,.0f} | {plain.p99:,.0f}"
                f" | {plain.mean:,.0f} | 1.0x |"
            ),
            "",
        ]
    updates = [(figures.label, figures.updates) for figures in results if figures.updates is not None]
    if updates:
        count = updates[0][1].triggers
        lines += [
            (
                f"| `update_ticket`, median / p99 ms | replies | no trigger | {count} stored, {data.MATCHING} fire"
                f" | {count - data.MATCHING} stored, none fires | difference of medians | statements per reply |"
            ),
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for label, u in updates:
            lines.append(
                f"| {label} | {u.updates:,} | {u.without.p50:,.2f} / {u.without.p99:,.2f}"
                f" | {u.with_triggers.p50:,.2f} / {u.with_triggers.p99:,.2f}"
                f" | {u.none_firing.p50:,.2f} / {u.none_firing.p99:,.2f}"
                f" | {u.with_triggers.p50 - u.without.p50:+,.2f} ms ({u.none_firing.p50 - u.without.p50:+,.2f} ms"
                f" none firing) | {u.statements_without} → {u.statements_with} |"
            )
    return lines


def _reapply_lines(results: list[DatabaseFigures]) -> list[str]:
    lines = [
        (
            "| database | open tickets | loaded in | re-applied in | tickets/s | batches | statements per ticket"
            " | raw tickets/s | ratio |"
        ),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for figures in results:
        r = figures.reapply
        if r is not None:
            lines.append(
                f"| {figures.label} | {r.tickets:,} | {_duration(r.load_s)} | {_duration(r.seconds)} | {r.per_s:,.0f}"
                f" | {r.batches:,} | {r.statements_per_ticket:.2f} | {r.raw_per_s:,.0f}"
                f" | {_share(r.per_s, r.raw_per_s)} |"
            )
    return lines


def _lateness_goal(figures: DatabaseFigures) -> list[str]:
    return [
        f"{figures.label}, {_run_label(run, figures.kind)}: "
        + _verdict(run.committed.p99 <= GOAL_LATENESS_S, f"p99 {run.committed.p99:,.2f} s")
        for run in figures.lateness
    ]


def _reapply_goal(figures: DatabaseFigures) -> str:
    """Judged on the time taken, or, for a run on fewer tickets, the time projected at its rate."""
    r = figures.reapply
    assert r is not None
    if r.tickets == GOAL_REAPPLY_TICKETS:
        return f"{figures.label}: " + _verdict(r.seconds < GOAL_REAPPLY_S, _duration(r.seconds))
    whole = GOAL_REAPPLY_TICKETS / r.per_s
    text = f"{_duration(whole)} projected from {r.tickets:,} tickets at {r.per_s:,.0f}/s"
    return f"{figures.label}: " + _verdict(whole < GOAL_REAPPLY_S, text)


def _goal_lines(results: list[DatabaseFigures], sla: SlaFigures | None, triggers: TriggerFigures | None) -> list[str]:
    rows: list[tuple[str, list[str]]] = []
    lateness = [line for figures in results for line in _lateness_goal(figures)]
    if lateness:
        rows.append((f"timer lateness, all due at one instant: p99 ≤ {GOAL_LATENESS_S:g} s", lateness))
    rated = [figures for figures in results if figures.rate is not None]
    if rated:
        rows.append(
            (
                f"timers fired ≥ {GOAL_TIMERS_PER_S:,.0f}/s on SQLite",
                [
                    f"{f.label}: "
                    + (
                        _verdict(f.rate.per_s >= GOAL_TIMERS_PER_S, f"{f.rate.per_s:,.0f}/s")
                        if f.kind == "sqlite"
                        else f"{f.rate.per_s:,.0f}/s (no goal)"
                    )
                    for f in rated
                    if f.rate is not None
                ],
            )
        )
    if sla is not None:
        met = sla.measure_per_s >= GOAL_DEADLINES_PER_S
        rows.append((f"SLA deadlines ≥ {GOAL_DEADLINES_PER_S:,.0f}/s", [_verdict(met, f"{sla.measure_per_s:,.0f}/s")]))
    if triggers is not None:
        median = triggers.engine_us.p50 / 1e3
        text = f"median {median:,.2f} ms; p99 {triggers.engine_us.p99 / 1e3:,.2f} ms"
        rows.append(
            (
                f"{triggers.triggers} triggers evaluated ≤ {GOAL_TRIGGERS_MS:g} ms an update (median)",
                [_verdict(median <= GOAL_TRIGGERS_MS, text)],
            )
        )
    applied = [figures for figures in results if figures.reapply is not None]
    if applied:
        goal = f"a changed policy re-applied to {GOAL_REAPPLY_TICKETS:,} open tickets in < {GOAL_REAPPLY_S / 60:g} min"
        rows.append((goal, [_reapply_goal(figures) for figures in applied]))
    return ["| goal (issue 4) | result |", "| --- | --- |"] + [
        f"| {goal} | {'<br>'.join(results_)} |" for goal, results_ in rows
    ]


def _lateness_limits(figures: DatabaseFigures, cpus: int | None) -> list[str]:
    threads = [run for run in figures.lateness if run.processes == 1]
    if not threads:
        return []
    plain = next((run for run in threads if not run.statistics), None)
    analysed = next((run for run in threads if run.statistics), None)
    typical = analysed or threads[0]
    drain = ""
    if figures.rate is not None:
        drain = (
            f" ({typical.timers:,} ÷ {figures.rate.per_s:,.0f} timers/s = {typical.timers / figures.rate.per_s:,.2f} s)"
        )
    raw = figures.lateness_ceiling
    raw_text = f"; the raw loop, woken at the due instant, drains it in {raw.max:,.2f} s" if raw else ""
    lines = [
        (
            f"- Lateness, {figures.label}: all {typical.timers:,} timers fall due at once, so lateness is the time"
            " one worker takes to drain the backlog, a batch of 200 after another, at the rate of figure 2: the"
            f" last fired {typical.committed.max:,.2f} s late{drain}{raw_text}."
        ),
    ]
    fired_at, committed = typical.fired_at.p99, typical.committed.p99
    if fired_at < committed / 2:
        lines.append(
            f"- `fired_at`, {figures.label}: the table says p99 {fired_at * 1e3:,.1f} ms where the commits say"
            f" {committed:,.2f} s. `run_worker` calls `fire_all_due(now=clock.now())` and every timer of the"
            " backlog is marked fired at that one instant, however long the batches after the first take"
            " (`timers.engine.fire_all_due`), so `fired_at` understates lateness by up to the whole drain time."
            " The figures above are commit times."
        )
    else:
        lines.append(f"- `fired_at`, {figures.label}: p99 {fired_at:,.2f} s, the commits' {committed:,.2f} s.")
    if figures.kind == "postgresql" and plain is not None and analysed is not None and plain.plan != analysed.plan:
        lines.append(
            f"- Plans, {figures.label}: on timers just armed (no statistics yet) the mark-done UPDATE runs as"
            f" `{plain.plan}` (p99 {plain.committed.p99:,.2f} s); after `ANALYZE` as `{analysed.plan}`"
            f" (p99 {analysed.committed.p99:,.2f} s) (`timers.repo.mark_done`: `WHERE id IN (…)`, a batch at once)."
        )
    many = next((run for run in figures.lateness if run.processes > 1), None)
    if many is not None and analysed is not None:
        lines.append(
            f"- {many.processes} processes, {figures.label}: p99 {many.committed.p99:,.2f} s against"
            f" {analysed.committed.p99:,.2f} s for one worker thread. `SKIP LOCKED` shares the backlog between"
            f" them, but they and the database share {cpus or '?'} CPUs, so each runs at a share of one, and every"
            " claim passes over the rows the others hold."
        )
    return lines


def _kinds(statements: tuple[tuple[str, float], ...]) -> str:
    """`1.00 SAVEPOINT, 1.00 UPDATE timers`: what is sent per unit, the rare kinds left out."""
    return ", ".join(f"{count:.2f} `{kind}`" for kind, count in statements if count >= 0.01) or "none"


def _per(statements: tuple[tuple[str, float], ...], kind: str) -> float:
    return sum(count for name, count in statements if name == kind)


def _rate_limits(figures: DatabaseFigures) -> list[str]:
    rate = figures.rate
    if rate is None:
        return []
    line = (
        f"- Timers/s, {figures.label}: {1e6 / rate.per_s:,.0f} µs a timer against {1e6 / rate.raw_per_s:,.0f} µs"
        f" raw. Per timer opsdesk sends {_kinds(rate.statements)}; the raw loop sends the same claim and"
        " mark-done statements through the plain driver, so the difference is SQLAlchemy (building and"
        " compiling the statements, processing the rows into `Timer`s) and the worker's transaction handling."
    )
    return [line]


def _pure_limits(sla: SlaFigures | None, triggers: TriggerFigures | None) -> list[str]:
    lines = []
    if sla is not None:
        measure, add = 1e6 / sla.measure_per_s, 1e6 / sla.add_per_s
        lines.append(
            f"- SLA deadlines: `measure` costs {measure:,.2f} µs a deadline, `add_business_time` {add:,.2f} µs of"
            f" it (finding the local week in the calendar's cache, two bisects, a UTC datetime); the other"
            f" {measure - add:,.2f} µs are `measure` around it (the metric's function, the history walk, the"
            f" `MetricState`). Plain datetime arithmetic costs {1e6 / sla.plain_per_s:,.3f} µs: pure Python"
            " function calls are the limit, not the arithmetic."
        )
    if triggers is not None:
        lines.append(
            f"- Triggers: `run_triggers` takes {triggers.engine_us.p50:,.0f} µs (median) against"
            f" {triggers.plain_us.p50:,.0f} µs for one plain pass over the same conditions: it asks every"
            f" trigger's steady conditions once (those on the update itself), then the others in position order;"
            f" each of the {triggers.fired} that fire adds a tag, which queues again the triggers that read tags,"
            f" and every action builds a new ticket state. Compiling the {triggers.triggers} triggers takes"
            f" {triggers.compile_ms:,.1f} ms, once per configuration version and process."
        )
    return lines


def _update_limits(figures: DatabaseFigures) -> list[str]:
    u = figures.updates
    if u is None:
        return []
    evaluation = u.none_firing.p50 - u.without.p50
    applying = u.with_triggers.p50 - u.none_firing.p50
    return [
        (
            f"- Replies, {figures.label}: {u.without.p50:,.2f} ms with no trigger, {u.with_triggers.p50:,.2f} ms with"
            f" {u.triggers} stored and {u.none_firing.p50:,.2f} ms with the {data.MATCHING} firing ones deleted"
            f" (medians): evaluating the triggers adds {evaluation:+,.2f} ms (`run_triggers` alone: figure 4's"
            f" table above); applying what the firing ones changed {applying:+,.2f} ms, a second `update_ticket`"
            " pass by the rules (the ticket row, its tags, an audit, the events):"
            f" {u.statements_without} → {u.statements_with} statements a reply. Storing the {u.triggers} triggers"
            f" through the rule service took {u.store_s:,.1f} s."
        )
    ]


def _sorts_every_batch(plan: tuple[str, ...]) -> bool:
    """Whether the plan sorts what it found before the LIMIT (SQLite's temp B-tree, a Sort node)."""
    return any("TEMP B-TREE FOR ORDER BY" in line or line.strip(" ->").startswith("Sort") for line in plan)


def _reapply_limits(figures: DatabaseFigures) -> list[str]:
    r = figures.reapply
    if r is None:
        return []
    steps = ", ".join(f"{name} {us:,.0f} µs" for name, us in sorted(r.steps_us, key=lambda step: -step[1]))
    lines = [
        (
            f"- Re-applying, {figures.label}: {1e6 / r.per_s:,.0f} µs a ticket against {1e6 / r.raw_per_s:,.1f} µs"
            f" for the raw read + write of the same rows. One batch from the middle of the walk, step by step, a"
            f" ticket each: {steps}. Per ticket it sends {_kinds(r.statements)}."
        )
    ]
    if _per(r.statements, "UPDATE timers") >= 0.9:
        lines[0] += (
            " The `UPDATE timers` a ticket is the open-report timer's cancel (`tickets.workflow._plan_open_report`"
            " calls `timers.repo.cancel` for every ticket that is not open, or when the report is off, as it is"
            " here), though no such timer exists; its statement is built anew each time."
        )
    plan = "; ".join(line.strip(" ->") for line in r.read_plan)
    if _sorts_every_batch(r.read_plan):
        lines.append(
            f"- Reading a batch, {figures.label}: the query of `sla.repo.open_tickets_after` runs as `{plan}`:"
            " for every batch it reads the index entries of all open tickets (an index on their status) and"
            " sorts those above the cursor to keep 2,000, so re-applying grows with the square of the open"
            " tickets. The raw ceiling replays the same query, so it pays this too."
        )
    else:
        lines.append(
            f"- Reading a batch, {figures.label}: the query of `sla.repo.open_tickets_after` runs as `{plan}`."
        )
    return lines


def _method(settings: Settings) -> list[str]:
    return [
        (
            "Method: one benchmark process; each database fresh and migrated in process; the system clock."
            " Ratio: for a rate, the share of the ceiling reached; for a time, how many times the ceiling's."
        ),
        "",
        (
            f"1. Timer lateness: the real worker loop (`worker.runner.run_worker` with a duty that does nothing) runs"
            f" in a thread, and on PostgreSQL also as {settings.worker_processes} processes, while"
            f" {settings.lateness_timers:,} timers are armed through `timers.repo.arm` in one transaction, all due at"
            " one instant about 2 s after arming ends; on PostgreSQL once as they are (no statistics yet) and once"
            " after `ANALYZE timers`. Lateness is when the transaction that fired a timer committed minus its due"
            " instant (stamped at the engine's commit event, to the microsecond); `fired_at` is what the timers"
            " table says. Ceiling: as many timers loaded directly and fired by a raw loop woken at the due instant"
            " (sqlite3 / psycopg: opsdesk's claim query and its mark-done UPDATE, a transaction per batch of"
            " 200)."
        ),
        (
            f"2. Timers/s: `fire_all_due` over {settings.rate_timers:,} timers already due (loaded directly;"
            " `ANALYZE` on PostgreSQL); ceiling: the raw loop over as many. The statements sent per timer are"
            " counted, by kind, over another 1,000."
        ),
        (
            f"3. SLA deadlines: `sla.deadlines.measure` of a 240-minute business-hours first reply (Monday-Friday"
            f" 09:00-17:00 America/New_York, `BusinessCalendar.of`) for {settings.sla_samples:,} creation instants"
            " drawn over a year, each history holding the creation alone; best of 3 passes. Ceilings:"
            " `add_business_time` of the same 240 minutes, and `datetime + timedelta`."
        ),
        (
            f"4. Triggers: {settings.trigger_count} triggers in Zendesk's JSON (30% route new tickets by tag, 20%"
            " escalate urgent changes in a group, 20% nudge pending or on-hold high-priority tickets, 15% watch"
            f" public replies in a group, 15% act on VIP tags; {data.MATCHING} more, spread evenly, match: a public"
            " reply on a ticket tagged `bench`, each adding a tag), parsed by `rules.vocabulary` and compiled"
            f" once; `run_triggers` timed for {settings.trigger_runs:,} updates (an agent's public reply that sets"
            " priority high on a new ticket). Ceiling: one top-to-bottom plain-Python pass over the same"
            f" conditions, no actions. The API path: {settings.api_updates:,} such replies through"
            " `tickets.service.update_ticket`, a `writing` transaction each, each to a ticket of its own, on three"
            " fresh databases: one with no trigger, one with the triggers stored through"
            " `rules.service.create_rule`, one with them less the firing ones (`rules.service.delete_rule`); the"
            " replies go round the three, so that all three see the same machine."
        ),
        (
            "5. Re-applying a policy: open tickets (30% new, 40% open, 20% pending, 10% on hold; 10% premium;"
            " created over two weeks) with their tags and `ticket_clocks` rows (the SLA history from creation:"
            " status changes, an agent's reply, some requester replies), written by COPY / INSERT … SELECT; a"
            " business schedule and one policy (first reply, next reply and requester wait, business hours, per"
            " priority) created through the services. Then the targets are changed (`sla.service.update_policy`)"
            " and `sla.tasks.reapply_batch` (2,000 tickets a batch) is called until it returns None, a `writing`"
            " transaction per batch. Ceiling (run before it): the query opsdesk's `sla.repo.open_tickets_after`"
            " sends, captured at the driver and replayed batch after batch, and one executemany UPDATE of the"
            " clocks' SLA columns per batch, a transaction each, nothing computed (then, on PostgreSQL,"
            " `VACUUM (ANALYZE) ticket_clocks`, so that opsdesk does not pay for the ceiling's dead rows)."
            " After the timed run the targets"
            " change back and one batch from the middle of the walk is run twice: with each call `reapply_batch`"
            " makes timed (rolled back), then with its statements counted; the plan of its read query is the"
            " database's own (EXPLAIN)."
        ),
    ]


def render_section(
    results: list[DatabaseFigures],
    *,
    pure: tuple[SlaFigures | None, TriggerFigures | None],
    settings: Settings,
    machine: Machine,
    measured_at: datetime,
    revision: str,
) -> str:
    """The whole section, markers included, in Markdown."""
    sla, triggers = pure
    versions = {figures.kind: figures.version for figures in results}
    lines = [
        SECTION_START,
        "## Time engine: timers, SLA deadlines, triggers, re-applying policies",
        "",
        f"Measured {measured_at:%Y-%m-%d %H:%M} UTC by `python -m bench.time_engine` (revision: {revision}).",
        "",
        (
            f"Machine: {machine.processor}, {machine.cpu_count} CPUs, {machine.memory} memory, {machine.system};"
            f" Python {machine.python}, SQLite {versions.get('sqlite', 'not measured')},"
            f" PostgreSQL {versions.get('postgresql', 'not measured')}."
        ),
        "",
        *_method(settings),
        "",
        "### Goals",
        "",
        *_goal_lines(results, sla, triggers),
    ]
    if any(figures.lateness for figures in results):
        lines += ["", "### 1. Timer lateness, all due at one instant", "", *_lateness_lines(results)]
    if any(figures.rate for figures in results):
        lines += ["", "### 2. Timers fired per second", "", *_rate_lines(results)]
    if sla is not None:
        lines += ["", "### 3. SLA deadlines (pure, no database)", "", *_sla_lines(sla)]
    if triggers is not None or any(figures.updates for figures in results):
        lines += ["", "### 4. Triggers", "", *_trigger_lines(triggers, results)]
    if any(figures.reapply for figures in results):
        lines += ["", "### 5. Re-applying a changed SLA policy to open tickets", "", *_reapply_lines(results)]
    limits = [line for figures in results for line in _lateness_limits(figures, machine.cpu_count)]
    limits += [line for figures in results for line in _rate_limits(figures)]
    limits += _pure_limits(sla, triggers)
    limits += [line for figures in results for line in (*_update_limits(figures), *_reapply_limits(figures))]
    if limits:
        lines += ["", "### What limits it", "", *limits]
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n"
