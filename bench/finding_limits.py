""" "What limits it", read off one database's figures: where the time goes (the database or opsdesk
around it), how the database reads the tickets (its plan), and which phase drives memory.

A figure is called bound by the database when the raw replay of the same SQL takes at least
`DATABASE_BOUND_SHARE` of the time through the API.
"""

import math

from bench.finding_figures import GOAL_SEARCH_P95_MS, GOAL_VIEW_COUNT_MS, FindingFigures, Measured

DATABASE_BOUND_SHARE = 0.6
_PLAN_STEPS = 3


def ms(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def megabytes(byte_count: float) -> str:
    return f"{byte_count / 1e6:,.0f} MB"


def ratio(value: float, ceiling: float, *, times: bool = True) -> str:
    """`value ÷ ceiling`: "3.2x" for latencies, "0.42" for rates; "n/a" without both."""
    if not ceiling or math.isinf(value) or math.isinf(ceiling):
        return "n/a"
    return f"{value / ceiling:,.1f}x" if times else f"{value / ceiling:.2f}"


def plan_summary(plan: tuple[str, ...]) -> str:
    """The steps of a plan that read a table or an index, at most `_PLAN_STEPS` of them."""
    steps: list[str] = []
    for line in plan:
        step = line.strip().removeprefix("->").strip()
        if step.startswith(("SCAN", "SEARCH")) or "Scan" in step:
            steps.append(step)
    if not steps:
        return "plan: " + "; ".join(line.strip() for line in plan[:_PLAN_STEPS])
    more = f"; … {len(steps) - _PLAN_STEPS} more" if len(steps) > _PLAN_STEPS else ""
    return "plan: " + "; ".join(f"`{step}`" for step in steps[:_PLAN_STEPS]) + more


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


_ROW_LOOKUPS = (
    "each ticket the index finds is then read from the table, since the index does not hold the"
    " other conditions (such as `deleted_at IS NULL`)"
)


def _correlated_full_text(plan: tuple[str, ...]) -> bool:
    """A full-text scan nested inside a correlated subquery (SQLite's plan)."""
    for index, line in enumerate(plan):
        if not line.strip().startswith("CORRELATED"):
            continue
        for later in plan[index + 1 :]:
            if _indent(later) <= _indent(line):
                break
            if "VIRTUAL TABLE" in later:
                return True
    return False


def plan_hint(plan: tuple[str, ...]) -> str | None:
    """What in a plan makes the work grow with the table, where it is recognisable."""
    steps = [line.strip().removeprefix("->").strip() for line in plan]
    hints: list[str] = []
    if _correlated_full_text(plan):
        hints.append(
            "SQLite runs the full-text MATCH again inside a correlated subquery, once for every"
            " candidate ticket, so the time grows with candidates times matches"
        )
    if any(step.startswith("Filter:") and "to_tsvector(" in step for step in steps):
        hints.append(
            "the full-text match is a row-by-row filter (to_tsvector computed for every candidate"
            " ticket), not answered by the GIN index"
        )
    if any(step == "SCAN tickets" or step.startswith("Seq Scan on tickets") for step in steps):
        hints.append("the whole tickets table is read")
    elif any(
        step.startswith(("SEARCH tickets USING INDEX", "Bitmap Heap Scan on tickets"))
        or (step.startswith("Index Scan using") and " on tickets" in step)
        for step in steps
    ):
        hints.append(_ROW_LOOKUPS)
    return "; ".join(hints) or None


def _where(measured: Measured) -> str:
    hint = plan_hint(measured.plan)
    return plan_summary(measured.plan) + (f"; {hint}" if hint else "")


def _search_line(search: Measured, limit_s: float) -> str:
    api, raw = search.api.p50_ms, search.raw.p50_ms
    where = _where(search)
    if math.isinf(raw):
        text = f"the raw SQL did not finish within {limit_s:g} s ({where})"
        if math.isinf(api):
            text += ", nor did a request"
    elif math.isinf(api):
        text = f"no request finished within {limit_s:g} s; the raw SQL takes {ms(raw)} ms ({where})"
    elif raw >= DATABASE_BOUND_SHARE * api:
        text = f"the database: the raw SQL takes {ms(raw)} of the {ms(api)} ms ({where})"
    else:
        text = (
            f"opsdesk around the database: {ms(api - raw)} of the {ms(api)} ms are outside it (parsing the"
            f" query, turning up to 100 rows into tickets and JSON, HTTP); the raw SQL takes {ms(raw)} ms ({where})"
        )
    if search.raw.p50_ms > GOAL_SEARCH_P95_MS:
        text += f"; even raw its median is over {GOAL_SEARCH_P95_MS:.0f} ms, so the query itself has to change"
    elif search.raw.p95_ms > GOAL_SEARCH_P95_MS:
        text += f"; raw, its p95 is over {GOAL_SEARCH_P95_MS:.0f} ms too"
    found = f"{search.value:,} tickets" if search.value is not None else "count unknown"
    return f"- Search, {search.label} ({found}): {text}."


def _finished(measured: Measured) -> bool:
    return not math.isinf(measured.api.p50_ms) and not math.isinf(measured.raw.p50_ms)


def _count_cost(views: tuple[Measured, ...]) -> str:
    """What a counted ticket costs raw, from the view that counts the most of them: the floor
    of any exact count."""
    counted = [view for view in views if view.value and not math.isinf(view.raw.p50_ms)]
    if not counted:
        return ""
    largest = max(counted, key=lambda view: view.value or 0)
    per_ticket_ns = largest.raw.p50_ms * 1e6 / (largest.value or 1)
    return (
        f" The largest, “{largest.label}”, counts {largest.value:,} tickets in {ms(largest.raw.p50_ms)} ms raw:"
        f" {per_ticket_ns:,.0f} ns a ticket, so even raw an exact count passes {GOAL_VIEW_COUNT_MS:.0f} ms"
        f" somewhere past {GOAL_VIEW_COUNT_MS * 1e6 / per_ticket_ns:,.0f} matching tickets; a view that"
        " filters further reads more rows than it counts."
    )


def _view_lines(figures: FindingFigures) -> list[str]:
    views = figures.views
    over_raw = [view for view in views if view.raw.p50_ms > GOAL_VIEW_COUNT_MS]
    over_api = [view for view in views if view.api.p50_ms > GOAL_VIEW_COUNT_MS]
    slowest = max(views, key=lambda view: view.raw.p50_ms)
    raw_ms = slowest.raw.p50_ms
    counted = f"counts {slowest.value:,} tickets" if slowest.value is not None else "counts"
    took = f"in {ms(raw_ms)} ms" if not math.isinf(raw_ms) else f"in more than {figures.limit_s:g} s"
    text = (
        f"- View counts: {len(over_api)} of {len(views)} over {GOAL_VIEW_COUNT_MS:.0f} ms through the API,"
        f" {len(over_raw)} even raw. The slowest raw, “{slowest.label}”, {counted} {took}"
        f" ({_where(slowest)}).{_count_cost(views)}"
    )
    finished = [view for view in views if _finished(view)]
    if finished:
        overhead = sum(view.api.p50_ms - view.raw.p50_ms for view in finished) / len(finished)
        text += (
            f" Around the database opsdesk adds {ms(overhead)} ms a count on average (HTTP, authentication,"
            " loading the view, building the SQL)."
            if overhead > 0
            else " Around the database opsdesk adds nothing measurable (the API's medians are within the raw ones)."
        )
    many = figures.count_many
    if not _finished(many):
        return [text, f"- `count_many`: cut off at {figures.limit_s:g} s, through the API or raw."]
    return [
        text,
        (
            f"- `count_many`: {ms(many.api.p50_ms)} ms against {ms(many.raw.p50_ms)} ms for the same"
            f" {len(views)} counts raw, back to back: it runs the counts one after another in one"
            " transaction, so it costs their sum and the slowest views set it."
        ),
    ]


def _export_line(figures: FindingFigures) -> str:
    export, raw = figures.export, figures.export_ceiling
    if not export.tickets or not raw.tickets:
        return "- Export: nothing was exported."
    api_us = export.elapsed_s * 1e6 / export.tickets
    raw_us = raw.elapsed_s * 1e6 / raw.tickets
    decoding = (export.elapsed_s - export.waiting_s) / export.elapsed_s if export.elapsed_s else 0.0
    cut = f" (a page passed the {figures.limit_s:g} s limit and the walk stopped)" if export.cut_off else ""
    return (
        f"- Export: {export.rate:,.0f} tickets/s{cut} is {export.rate / raw.rate:.0%} of the raw keyset walk"
        f" ({raw.rate:,.0f}/s). The database reads a ticket in {raw_us:.1f} µs; the API spends"
        f" {api_us - raw_us:,.1f} µs more on each (the row made a ticket, then Zendesk JSON, then HTTP),"
        f" {decoding:.0%} of the wall time being this client decoding the pages."
    )


def _memory_line(figures: FindingFigures) -> str:
    memory = figures.memory
    previous = memory.started_kib
    growth: list[tuple[int, str]] = []
    for phase, peak in memory.peak_after_kib:
        growth.append((peak - previous, phase))
        previous = max(previous, peak)
    grown, phase = max(growth, default=(0, "start"))
    return (
        f"- Memory: the server starts at {megabytes(memory.started_kib * 1024)}; its peak,"
        f" {megabytes(memory.peak_bytes)}, grew most during the {phase} (+{megabytes(grown * 1024)})."
    )


def limit_lines(figures: FindingFigures) -> list[str]:
    return [
        *(_search_line(search, figures.limit_s) for search in figures.searches),
        *_view_lines(figures),
        _export_line(figures),
        _memory_line(figures),
    ]
