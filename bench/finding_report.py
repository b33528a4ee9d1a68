"""The finding-work section of BENCHMARKS.md: machine, method, per database a table of searches,
view counts, export and memory against their raw ceilings, the goals of issue 3, and what limits
each figure, read off the figures themselves.

The section sits between `SECTION_START` and `SECTION_END`; `bench.report.write_section` rewrites
it and leaves every other section as it was.
"""

import math
from datetime import datetime

from bench.finding_figures import (
    GOAL_COUNT_MANY_MS,
    GOAL_EXPORT_PER_S,
    GOAL_RSS_BYTES,
    GOAL_SEARCH_P95_MS,
    GOAL_VIEW_COUNT_MS,
    FindingFigures,
    Measured,
)
from bench.finding_http import Timings
from bench.finding_limits import limit_lines, megabytes, ms, ratio
from bench.report import Machine

SECTION_START = "<!-- bench:finding:start -->"
SECTION_END = "<!-- bench:finding:end -->"
GOAL = (
    "Goals (issue 3, on a 2-core machine): search p95 ≤ 50 ms, each view count ≤ 20 ms,"
    " `count_many` of 20 views ≤ 100 ms, export ≥ 20,000 tickets/s, server RSS ≤ 300 MB."
)
CUT_MARK = "†"


def _cell(timings: Timings, fraction: float, limit_s: float) -> str:
    """A latency quantile in ms; `> N s` with no run finished, marked when a run was cut off."""
    value = timings.quantile_ms(fraction)
    if math.isinf(value):
        return f"> {limit_s:g} s"
    return ms(value) + (CUT_MARK if timings.cut_off else "")


def _latency(timings: Timings, fraction: float, limit_s: float) -> str:
    """`_cell` with its unit, for prose."""
    text = _cell(timings, fraction, limit_s)
    return text if text.startswith(">") else f"{text} ms"


def _method(results: list[FindingFigures]) -> str:
    first = results[0] if results else None
    queries = " and ".join(f"`{search.query}` ({search.label})" for search in first.searches) if first else ""
    limit = f"{first.limit_s:g} s" if first else "the limit"
    runs = first.repetitions if first else None
    times = (
        f"up to {runs.search} times (each view count up to {runs.view_count}, `count_many` up to"
        f" {runs.count_many}) after {runs.warmup} unmeasured warm-up {'run' if runs.warmup == 1 else 'runs'},"
        f" within {runs.budget_s:g} s a request"
        if runs
        else "repeatedly"
    )
    return (
        "Method: a fresh database per engine, loaded by `opsdesk demo --tickets N` (the small demo, then"
        " generated tickets up to N; the time is the whole command, migrations included); on PostgreSQL"
        " then `VACUUM (ANALYZE)`, the state autovacuum reaches soon after such a load. The real server"
        " (`opsdesk serve --no-worker`, one process, rate limits off) on 127.0.0.1 is asked by one"
        " client, one request at a time over a keep-alive connection, as the demo admin: searches"
        f" {queries} (the first page of 100 results and the exact count); the count of each of 20 active"
        " views (the demo's 11 and 9 more with the vocabulary's other conditions) and one `count_many`"
        f" of all 20. Each request is sent {times} (API and raw together); `runs` gives how many were"
        " measured. Latency runs from sending the request to reading the last byte. The export walks"
        " `/api/v2/incremental/tickets/cursor.json?start_time=0` by `after_url` to `end_of_stream`, pages"
        " of 1,000; its rate counts the client's decoding too. Peak RSS is the server process's VmHWM."
        " The ceiling is the same SQL on one plain-driver connection (sqlite3, psycopg) in the same run,"
        " each raw replay right after the API request it matches, so that both see the same machine:"
        " the statements opsdesk's own search and view-count code sends, captured at the driver and"
        " replayed as they are, every row fetched; for the export a keyset loop of the same shape"
        " (pages of 1,000 over `(updated_at, id)`) after the API's walk. Ratio = opsdesk ÷ ceiling: for a"
        " latency, how many times longer; for a rate, the share reached. A request or replay still"
        f" running after {limit} is cut off and not repeated ({CUT_MARK}: a run was cut off; `> {limit}`:"
        " none finished); the server is then restarted, and on PostgreSQL a `statement_timeout` of the"
        " same length cancels the query in the database."
    )


def _latency_row(measured: Measured, result: str, limit_s: float) -> str:
    api, raw = measured.api, measured.raw
    name = f"{measured.label}: `{measured.query}`" if measured.query else measured.label
    return (
        f"| {name} | {result} | {len(api.samples_ns)} | {_cell(api, 0.5, limit_s)} | {_cell(api, 0.95, limit_s)}"
        f" | {_cell(raw, 0.5, limit_s)} | {_cell(raw, 0.95, limit_s)} | {ratio(api.p50_ms, raw.p50_ms)} |"
    )


def _view_row(view: Measured, limit_s: float) -> str:
    return (
        f"| {view.label} | {_count_text(view.value)} | {len(view.api.samples_ns)} | {_cell(view.api, 0.5, limit_s)}"
        f" | {_cell(view.raw, 0.5, limit_s)} | {ratio(view.api.p50_ms, view.raw.p50_ms)} |"
    )


def _count_text(value: int | None) -> str:
    return f"{value:,}" if value is not None else "n/a"


def _database_lines(figures: FindingFigures) -> list[str]:
    database, limit = figures.database, figures.limit_s
    loaded = (
        f"Loaded {figures.tickets_stored:,} tickets (asked {figures.tickets_asked:,}) in"
        f" {figures.generation_s:,.1f} s: {figures.generation_rate:,.0f} tickets/s;"
        f" database {megabytes(figures.database_bytes)}"
    )
    if figures.settle_s is not None:
        loaded += f"; `VACUUM (ANALYZE)` {figures.settle_s:,.1f} s"
    lines = [
        "",
        f"### {database.label} {database.server_version} ({database.origin})",
        "",
        loaded + ".",
        "",
        "| request | tickets | runs | p50 ms | p95 ms | raw p50 ms | raw p95 ms | ratio (p50) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_latency_row(search, _count_text(search.value), limit) for search in figures.searches),
        _latency_row(figures.count_many, _count_text(figures.count_many.value), limit),
        "",
        "| view count | tickets | runs | median ms | raw median ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(_view_row(view, limit) for view in figures.views),
    ]
    export, export_raw = figures.export, figures.export_ceiling
    cut = CUT_MARK if export.cut_off else ""
    raw_cut = CUT_MARK if export_raw.cut_off else ""
    lines += [
        "",
        "| export | tickets | pages | seconds | tickets/s | raw tickets | raw tickets/s | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        (
            f"| incremental, cursor | {export.tickets:,}{cut} | {export.pages:,} | {export.elapsed_s:,.1f}"
            f" | {export.rate:,.0f} | {export_raw.tickets:,}{raw_cut} | {export_raw.rate:,.0f}"
            f" | {ratio(export.rate, export_raw.rate, times=False)} |"
        ),
        "",
        _memory_sentence(figures),
        *_mismatch_lines(figures),
        "",
        "<details><summary>Plans of the searches and the slowest view count (raw, as the database runs them)</summary>",
        "",
        *_plan_lines(figures),
        "</details>",
    ]
    return lines


def _memory_sentence(figures: FindingFigures) -> str:
    memory = figures.memory
    phases = ", ".join(f"{megabytes(kib * 1024)} after the {phase}" for phase, kib in memory.peak_after_kib)
    times = "once" if memory.restarts == 1 else f"{memory.restarts} times"
    restarts = f" The server was restarted {times} after cut-off requests." if memory.restarts else ""
    return f"Server resident set: {megabytes(memory.started_kib * 1024)} once started; peak (VmHWM) {phases}.{restarts}"


def _mismatch_lines(figures: FindingFigures) -> list[str]:
    """Counts where the raw replay disagreed with the API (a view over hours moves with the clock)."""
    pairs = [(item.label, item.value, item.raw_value) for item in (*figures.searches, *figures.views)]
    odd = [f"{name}: API {api:,}, raw {raw:,}" for name, api, raw in pairs if None not in (api, raw) and raw != api]
    if not odd:
        return []
    return [
        "",
        "Counts that differ between the API and the raw replay (a view over hours moves with the clock): "
        + "; ".join(odd)
        + ".",
    ]


def _plan_lines(figures: FindingFigures) -> list[str]:
    lines: list[str] = []
    slowest = max(figures.views, key=lambda view: view.raw.p50_ms, default=None)
    named = [(f"search `{search.query}`", search.plan) for search in figures.searches]
    if slowest is not None:
        named.append((f"view count “{slowest.label}”", slowest.plan))
    for name, plan in named:
        lines += [f"{name}:", "", "```", *plan, "```", ""]
    return lines


GOAL_NAMES = (
    f"search p95 ≤ {GOAL_SEARCH_P95_MS:.0f} ms",
    f"each view count ≤ {GOAL_VIEW_COUNT_MS:.0f} ms (median)",
    f"`count_many` of 20 ≤ {GOAL_COUNT_MANY_MS:.0f} ms (p95)",
    f"export ≥ {GOAL_EXPORT_PER_S:,.0f} tickets/s",
    f"server RSS ≤ {megabytes(GOAL_RSS_BYTES)}",
)


def _verdict(met: bool, text: str) -> str:
    return f"**met** ({text})" if met else f"**not met** ({text})"


def _verdicts(figures: FindingFigures) -> list[str]:
    """One database against each of `GOAL_NAMES`, in that order."""
    limit = figures.limit_s
    worst_search = max(search.api.p95_ms for search in figures.searches)
    searches = " / ".join(_latency(search.api, 0.95, limit) for search in figures.searches)
    over = [view for view in figures.views if view.api.p50_ms > GOAL_VIEW_COUNT_MS]
    slowest = max(figures.views, key=lambda view: view.api.p50_ms)
    many = figures.count_many.api
    export = figures.export
    peak = figures.memory.peak_bytes
    exported = f"{export.rate:,.0f}/s" + (", cut off" if export.cut_off else "")
    return [
        _verdict(worst_search <= GOAL_SEARCH_P95_MS, searches),
        _verdict(not over, f"{len(over)} of {len(figures.views)} over; slowest {_latency(slowest.api, 0.5, limit)}"),
        _verdict(many.p95_ms <= GOAL_COUNT_MANY_MS, _latency(many, 0.95, limit)),
        _verdict(export.rate >= GOAL_EXPORT_PER_S and not export.cut_off, exported),
        _verdict(peak <= GOAL_RSS_BYTES, megabytes(peak)),
    ]


def _goal_rows(results: list[FindingFigures]) -> list[str]:
    columns = [_verdicts(figures) for figures in results]
    header = "| goal | " + " | ".join(figures.database.label for figures in results) + " |"
    rule = "| --- |" + " --- |" * len(results)
    rows = [
        f"| {name} | " + " | ".join(column[row] for column in columns) + " |" for row, name in enumerate(GOAL_NAMES)
    ]
    return [header, rule, *rows]


def render_section(results: list[FindingFigures], machine: Machine, measured_at: datetime, revision: str) -> str:
    """The whole section, markers included, in Markdown."""
    versions = {figures.database.kind: figures.database.server_version for figures in results}
    size = " and ".join(f"{count:,}" for count in sorted({figures.tickets_asked for figures in results})) or "no"
    lines = [
        SECTION_START,
        "## Finding work at a million tickets: search, view counts, export",
        "",
        (
            f"Measured {measured_at:%Y-%m-%d %H:%M} UTC by `python -m bench.finding` on {size} tickets"
            f" (revision: {revision})."
        ),
        "",
        (
            f"Machine: {machine.processor}, {machine.cpu_count} CPUs, {machine.memory} memory, {machine.system};"
            f" Python {machine.python}, SQLite {versions.get('sqlite', 'not measured')},"
            f" PostgreSQL {versions.get('postgresql', 'not measured')}."
        ),
        "",
        _method(results),
    ]
    for figures in results:
        lines += _database_lines(figures)
    if results:
        lines += ["", "### Goals", "", GOAL, "", *_goal_rows(results), "", "### What limits it"]
        for figures in results:
            lines += ["", f"{figures.database.label}:", "", *limit_lines(figures)]
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n"
