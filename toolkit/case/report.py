"""`report.html`: one self-contained page (no network) telling a case: summary, timeline, activity
charts, the events with their original records, the queries and the evidence.

Charts are drawn by plotly (the optional `report` extra), its JavaScript inlined. Without it the
page has everything else and says how to get the charts. Every text from the logs is attacker
controlled: it reaches the page HTML-escaped, or as JSON whose `<`, `>` and `&` are escaped, put
into the page with `textContent`; a Content-Security-Policy forbids any request.
"""

from __future__ import annotations

import html
import json
import shlex
from collections import Counter
from typing import TYPE_CHECKING, Any

from toolkit.version import __version__

if TYPE_CHECKING:
    from toolkit.case import Case, CaseEvent

INSTALL_HINT = "pip install 'trailcsi[report]'"
#: Lanes and legend entries a chart shows by name; the rest are summed as "other".
TOP = 12
SEVERITY_COLOURS = {
    "critical": "#67000d",
    "high": "#d62728",
    "medium": "#ff7f0e",
    "low": "#e3b505",
    "none": "#9e9e9e",
}
#: No request of any kind: scripts and styles are inline, images (plotly's exports) are data: URLs.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)


def charts_available() -> bool:
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def render(case: Case) -> tuple[str, bool]:
    """The page, and whether it has its charts."""
    charts = charts_available()
    if charts:
        timeline, activity = _timeline(case), _activity(case)
    else:
        missing = (
            f'<p class="note">The charts need plotly: <code>{html.escape(INSTALL_HINT)}</code>, then build '
            "the case again. Everything else is here.</p>"
        )
        timeline, activity = missing, missing
    title = case.spec.title or _default_title(case)
    body = "\n".join(
        [
            f"<header><h1>{_e(title)}</h1><p class=sub>trailcsi {_e(__version__)} · built {_e(case.built)}</p></header>",
            _summary(case),
            f'<section id="timeline"><h2>Timeline</h2>{timeline}</section>',
            f'<section id="activity"><h2>Activity over time</h2>{activity}</section>',
            _events_section(case),
            _queries(case),
            _evidence(case),
            _data(case),
            f"<script>{_TABLE_JS}</script>",
        ]
    )
    page = (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
    return page, charts


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _default_title(case: Case) -> str:
    parts = [f"{s.kind} {s.label}" for s in case.selections if s.kind != "sweep"]
    sweeps = [s for s in case.selections if s.kind == "sweep"]
    if sweeps:
        found = sum(1 for s in sweeps if s.event_ids)
        parts.append(f"findings of {len(sweeps)} detection(s), {found} with findings")
    return "Case: " + "; ".join(parts)


def _summary(case: Case) -> str:
    events = case.events
    accounts = Counter(e.field("account") for e in events)
    regions = Counter(e.field("awsregion") for e in events)
    principals = Counter(e.field("principal") for e in events)
    severities = Counter(e.severity for e in events)
    times = [e.eventtime for e in events if e.eventtime]

    def listing(counter: Counter[str]) -> str:
        top = counter.most_common(8)
        shown = ", ".join(f"{_e(k or '(none)')} ({n})" for k, n in top)
        return shown + (f", and {len(counter) - len(top)} more" if len(counter) > len(top) else "")

    verified = case.verification
    if not verified.get("ran"):
        digest = f"not run: {_e(verified.get('why'))} (no cited record is proven)"
    else:
        digest = "; ".join(_verdict(case))
    rows = [
        ("Window", _e(case.spec.window.description)),
        ("Source", _e(case.source)),
        ("Events", f"{len(events):,}" + (f" (first {_e(times[0])}, last {_e(times[-1])})" if times else "")),
        ("Findings", ", ".join(f"{_e(k)} {n}" for k, n in sorted(severities.items())) or "none"),
        ("Accounts", listing(accounts)),
        ("Regions", listing(regions)),
        ("Principals", listing(principals)),
        ("Queries", f"{len(case.selections)}"),
        ("Log files read", f"{len(case.files):,} ({sum(f.cited > 0 for f in case.files):,} cited)"),
        ("Digest chains", digest),
    ]
    if case.missing_ids:
        rows.append(("Event ids not found", _e(", ".join(case.missing_ids))))
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<section id="summary"><h2>Summary</h2><dl>{items}</dl></section>'


def _verdict(case: Case) -> list[str]:
    """The digest check in a few phrases (HTML): the cited records' standing first."""
    verified = case.verification
    said = []
    unproven = verified.get("cited_records_unproven", 0)
    if unproven:
        said.append(
            f"<span class=bad>{unproven:,} of {len(case.events):,} cited records come from log files no "
            "authenticated digest vouches for</span> (marked unproven in the events)"
        )
    elif case.events:
        said.append(
            f"<span class=ok>every cited record ({len(case.events):,}) comes from a log file an authenticated "
            "digest vouches for</span>"
        )
    problems = verified.get("problems", [])
    about = len(verified.get("cited_problems", []))
    if not verified.get("chains_found"):
        said.append(f"<span class=bad>none in the window, nothing proven</span>: {_e(verified.get('why'))}")
    elif problems:
        said.append(
            f"<span class=bad>{len(problems):,} problem(s)</span>, "
            + (f"{about:,} of them about cited log files" if about else "none about a cited log file")
            + " (see the evidence)"
        )
    elif verified.get("ok"):
        said.append("<span class=ok>every digest and log file checked is valid</span>")
    return said


def _events_section(case: Case) -> str:
    heads = "".join(f"<th>{h}</th>" for h in _TABLE_HEADS)
    return (
        '<section id="events"><h2>Events</h2>'
        '<p><input id="filter" type="search" placeholder="filter rows (any text)" aria-label="filter rows"> '
        '<span id="shown"></span> · click a row for its original record</p>'
        f'<table id="event-table"><thead><tr>{heads}</tr></thead><tbody></tbody></table></section>'
    )


_TABLE_HEADS = (
    "time (UTC)",
    "source",
    "event",
    "principal",
    "source IP",
    "region",
    "outcome",
    "severity",
    "evidence",
)
_TABLE_FIELDS = (
    "eventtime",
    "eventsource",
    "eventname",
    "principal",
    "sourceipaddress",
    "awsregion",
    "outcome",
    "severity",
    "evidence",
)


def _data(case: Case) -> str:
    rows = [
        {
            "cells": [e.field(f) for f in _TABLE_FIELDS],
            "id": e.eventid,
            "findings": e.field("findings"),
            "by": e.field("selected_by"),
            "file": e.log_file,
            "raw": e.raw.decode("utf-8"),
        }
        for e in case.events
    ]
    return f'<script type="application/json" id="case-events">{script_json(rows)}</script>'


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` (so no `</script>`), nor the line
    separators JavaScript once refused."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _queries(case: Case) -> str:
    parts = []
    found = [s for s in case.selections if s.rows]
    for number, selection in enumerate(found, start=1):
        parts.append(
            f"<article class=query><h3>{number}. {_e(selection.kind)}: {_e(selection.label)}</h3>"
            f"<p>{selection.rows:,} rows, {len(selection.event_ids):,} events</p>"
            f"<details open><summary>Athena SQL</summary><pre>{_e(selection.athena_sql)}</pre></details>"
            f"<details><summary>as the local engine ran it (DuckDB)</summary><pre>{_e(selection.engine_sql)}</pre></details>"
            "</article>"
        )
    # (a sweep's many detections that found nothing: one line of their names; their SQL is in the manifest)
    empty: dict[str, list[str]] = {}
    for selection in case.selections:
        if not selection.rows:
            empty.setdefault(selection.kind, []).append(selection.label)
    if empty:
        count = sum(len(labels) for labels in empty.values())
        names = "; ".join(f"{_e(kind)}: {', '.join(_e(x) for x in labels)}" for kind, labels in empty.items())
        parts.append(
            f"<p id=empty-queries>{count:,} quer{'y' if count == 1 else 'ies'} found no rows (their SQL is in "
            f"<code>manifest.json</code>): {names}</p>"
        )
    return '<section id="queries"><h2>Queries</h2>' + "".join(parts) + "</section>"


def _evidence(case: Case) -> str:
    verified = case.verification
    if verified.get("ran"):
        totals = verified.get("totals", {})
        summary = (
            f"<p>{len(verified.get('chains', []))} chain(s); digests: {totals.get('digests_valid', 0):,} valid, "
            f"{totals.get('digests_invalid', 0):,} invalid, {totals.get('digests_missing', 0):,} missing; "
            f"log files: {totals.get('logs_valid', 0):,} valid, {totals.get('logs_mismatch', 0):,} hash mismatch, "
            f"{totals.get('logs_unreferenced', 0):,} referenced by no digest.</p>"
        )
        summary += "<p>" + "; ".join(_verdict(case)) + ".</p>"
        problems = verified.get("problems", [])
        about = verified.get("cited_problems", [])
        others = problems[len(about) :] if problems[: len(about)] == about else problems
        if about:
            listed = "".join(f"<li>{_e(p)}</li>" for p in about[:200])
            summary += f"<h4>Cited log files not vouched for</h4><ul class=bad>{listed}</ul>"
        if others:
            if about:
                heading = "Other problems (none is about a cited record: a cited log file not listed above is vouched for)"
            elif case.events:
                heading = "Problems (none is about a cited record: every cited log file is vouched for)"
            else:
                heading = "Problems"
            listed = "".join(f"<li>{_e(p)}</li>" for p in others[:200])
            summary += f"<h4>{heading}</h4><ul class=bad>{listed}</ul>"
    else:
        summary = f"<p>Digest verification not run: {_e(verified.get('why'))}.</p>"
    rows = "".join(
        f"<tr><td>{_e(f.path)}</td><td class=n>{f.size:,}</td><td><code>{f.sha256}</code></td>"
        f"<td class=n>{f.cited or ''}</td><td{'' if f.vouched else ' class=bad'}>{_e(f.digest)}"
        + "".join(f"<br>skipped by {_e(by)}: {_e(why)}" for by, why in f.skipped_by)
        + "</td></tr>"
        for f in case.files
    )
    skipped = "".join(f"<li>{_e(s.path)}: {_e(s.reason)}</li>" for s in case.report.skipped)
    command = shlex.join(case.spec.command or [])
    return (
        '<section id="evidence"><h2>Evidence</h2>'
        f"<p>Command: <code>{_e(command) or '(built from Python)'}</code></p>"
        "<h3>Digest chains (<code>trailcsi verify</code> over the window, and every log file read)</h3>"
        f"{summary}"
        + (f"<h3>Log files skipped</h3><ul class=bad>{skipped}</ul>" if skipped else "")
        + f"<details><summary>{len(case.files):,} log files read (SHA-256 of each file as stored)</summary>"
        "<table class=files><thead><tr><th>path</th><th>bytes</th><th>SHA-256</th><th>cited</th><th>digest</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
        "<p><code>events.jsonl</code> holds each cited record's original text; <code>manifest.json</code> "
        "all of the above, machine-readable.</p></section>"
    )


# -- charts (plotly) ---------------------------------------------------------------------------


def _when(event: CaseEvent) -> str | None:
    """The event time as plotly reads dates (UTC, no zone suffix); None when it is not a time."""
    stamp = event.eventtime
    if len(stamp) >= 19 and stamp[4] == "-" and stamp[10] == "T":
        return stamp[:10] + " " + stamp[11:19]
    return None


def _lanes(values: list[str]) -> dict[str, str]:
    """Each value to itself when among the TOP most common, else to "other"."""
    top = {v for v, _n in Counter(values).most_common(TOP)}
    return {v: (v if v in top else "other") for v in set(values)}


def _hover(event: CaseEvent) -> str:
    lines = [
        event.eventtime,
        f"{event.field('eventsource')} {event.field('eventname')}",
        event.field("principal"),
        f"from {event.field('sourceipaddress')}",
    ]
    if event.field("outcome"):
        lines.append(event.field("outcome"))
    if event.findings:
        lines.append(f"finding: {event.field('findings')}")
    return "<br>".join(html.escape(line[:200]) for line in lines)


def _timeline(case: Case) -> str:
    import plotly.graph_objects as go

    dated = [(e, w) for e in case.events if (w := _when(e)) is not None]
    lanes = _lanes([e.field("principal") for e, _w in dated])
    figure = go.Figure()
    by_service: dict[str, list[tuple[int, CaseEvent, str]]] = {}
    by_severity: dict[str, list[tuple[int, CaseEvent, str]]] = {}
    index = {id(e): i for i, e in enumerate(case.events)}
    for event, when in dated:
        by_service.setdefault(event.field("eventsource").removesuffix(".amazonaws.com"), []).append(
            (index[id(event)], event, when)
        )
        by_severity.setdefault(event.severity, []).append((index[id(event)], event, when))
    services = sorted(by_service, key=lambda s: -len(by_service[s]))
    service_names = set(services[:TOP])

    def trace(name: str, items: list[tuple[int, CaseEvent, str]], colour: str | None, visible: bool) -> Any:
        return go.Scatter(
            x=[w for _i, _e, w in items],
            y=[html.escape(lanes[e.field("principal")]) for _i, e, _w in items],
            mode="markers",
            name=html.escape(name),
            visible=visible,
            customdata=[i for i, _e, _w in items],
            hovertext=[_hover(e) for _i, e, _w in items],
            hoverinfo="text",
            marker={"size": 9, "opacity": 0.85, **({"color": colour} if colour else {})},
        )

    grouped: dict[str, list[tuple[int, CaseEvent, str]]] = {}
    for service in services:
        grouped.setdefault(service if service in service_names else "other services", []).extend(
            by_service[service]
        )
    for name, items in grouped.items():
        figure.add_trace(trace(name, items, None, True))
    severities = [s for s in SEVERITY_COLOURS if s in by_severity]
    for severity in severities:
        figure.add_trace(trace(severity, by_severity[severity], SEVERITY_COLOURS[severity], False))
    marked = [(index[id(e)], e, w) for e, w in dated if e.findings]
    figure.add_trace(
        go.Scatter(
            x=[w for _i, _e, w in marked],
            y=[html.escape(lanes[e.field("principal")]) for _i, e, _w in marked],
            mode="markers",
            name="sweep finding",
            customdata=[i for i, _e, _w in marked],
            hovertext=[_hover(e) for _i, e, _w in marked],
            hoverinfo="text",
            marker={"symbol": "diamond-open", "size": 17, "color": "#b30000", "line": {"width": 2}},
        )
    )
    first, second = len(grouped), len(severities)
    figure.update_layout(
        height=max(320, 120 + 28 * len(set(lanes.values()))),
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        xaxis={"title": {"text": "time (UTC)"}, "type": "date"},
        yaxis={"type": "category", "automargin": True},
        legend={"title": {"text": "service"}},
        hovermode="closest",
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "y": 1.12,
                "xanchor": "left",
                "buttons": [
                    {
                        "label": "colour by service",
                        "method": "update",
                        "args": [
                            {"visible": [True] * first + [False] * second + [True]},
                            {"legend.title.text": "service"},
                        ],
                    },
                    {
                        "label": "colour by severity",
                        "method": "update",
                        "args": [
                            {"visible": [False] * first + [True] * second + [True]},
                            {"legend.title.text": "severity"},
                        ],
                    },
                ],
            }
        ],
    )
    return _figure_html(figure, "timeline-chart", with_library=True)


def _activity(case: Case) -> str:
    import plotly.graph_objects as go

    parts = []
    for field, title, element in (
        ("principal", "per principal", "activity-principal"),
        ("sourceipaddress", "per source IP", "activity-ip"),
    ):
        dated = [(e, w) for e in case.events if (w := _when(e)) is not None]
        lanes = _lanes([e.field(field) for e, _w in dated])
        figure = go.Figure()
        grouped: dict[str, list[str]] = {}
        for event, when in dated:
            grouped.setdefault(lanes[event.field(field)], []).append(when)
        for name in sorted(grouped, key=lambda n: (n == "other", -len(grouped[n]), n)):
            figure.add_trace(go.Histogram(x=grouped[name], name=html.escape(name or "(none)"), nbinsx=60))
        figure.update_layout(
            barmode="stack",
            height=340,
            title={"text": f"events {title}"},
            margin={"l": 10, "r": 10, "t": 40, "b": 40},
            xaxis={"title": {"text": "time (UTC)"}, "type": "date"},
            yaxis={"title": {"text": "events"}},
        )
        parts.append(_figure_html(figure, element, with_library=False))
    return "".join(parts)


def _figure_html(figure: Any, element: str, *, with_library: bool) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            figure,
            include_plotlyjs=with_library,  # the library once, inline (never a CDN)
            full_html=False,
            div_id=element,
            config={"displaylogo": False, "responsive": True},
        )
    )


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1400px;padding:0 16px 40px;color:#1b1b1b}
h1{font-size:22px;margin:18px 0 2px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
.sub{color:#666;margin:0}dl{display:grid;grid-template-columns:max-content auto;gap:3px 16px}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
#event-table tbody tr.row{cursor:pointer}#event-table tbody tr.row:hover{background:#f3f6fb}
tr.detail td{background:#fafafa}pre{white-space:pre-wrap;word-break:break-all;font-size:12px;margin:4px 0}
.sev-critical,.sev-high{color:#b30000;font-weight:600}.sev-medium{color:#c25e00;font-weight:600}.sev-low{color:#8a6d00}
.ok{color:#11702a}.bad{color:#b30000}.note{background:#fff7e0;border:1px solid #f0d890;padding:8px}
td.n{text-align:right}code{font-size:12px}.files td{font-size:12px}article.query h3{font-size:15px;margin-bottom:2px}
#filter{width:24em;padding:3px}#event-table{table-layout:fixed}#event-table th:first-child{width:11em}#event-table th:nth-child(4){width:22%}
"""

# Rows are built with textContent only: no text from the logs is ever parsed as HTML.
_TABLE_JS = r"""
(function(){
  var events = JSON.parse(document.getElementById('case-events').textContent);
  var body = document.querySelector('#event-table tbody');
  var shown = document.getElementById('shown');
  var rows = [];
  function detail(event, row){
    var next = row.nextSibling;
    if (next && next.classList && next.classList.contains('detail')) { next.remove(); return null; }
    var tr = document.createElement('tr'); tr.className = 'detail';
    var td = document.createElement('td'); td.colSpan = 9;
    var about = document.createElement('div');
    about.textContent = 'event ' + event.id + ' · in ' + event.file + ' · selected by ' + event.by +
      (event.findings ? ' · findings: ' + event.findings : '');
    var pre = document.createElement('pre'); pre.className = 'record';
    var text = event.raw;
    try { text = JSON.stringify(JSON.parse(event.raw), null, 2); } catch (e) {}
    pre.textContent = text;
    td.appendChild(about); td.appendChild(pre); tr.appendChild(td);
    row.parentNode.insertBefore(tr, row.nextSibling);
    return tr;
  }
  var fragment = document.createDocumentFragment();
  events.forEach(function(event, index){
    var tr = document.createElement('tr'); tr.className = 'row'; tr.dataset.index = index;
    event.cells.forEach(function(cell, column){
      var td = document.createElement('td'); td.textContent = cell;
      if (column === 7) td.className = 'sev-' + cell;
      if (column === 8) td.className = cell === 'vouched' ? 'ok' : 'bad';
      tr.appendChild(td);
    });
    tr.addEventListener('click', function(){ detail(event, tr); });
    event.text = (event.cells.join(' ') + ' ' + event.id + ' ' + event.findings).toLowerCase();
    rows.push(tr); fragment.appendChild(tr);
  });
  body.appendChild(fragment);
  function count(){ shown.textContent = rows.filter(function(r){ return r.style.display !== 'none'; }).length + ' of ' + rows.length + ' events'; }
  count();
  var filter = document.getElementById('filter');
  filter.addEventListener('input', function(){
    var needle = filter.value.toLowerCase();
    rows.forEach(function(tr, i){
      var hit = !needle || events[i].text.indexOf(needle) >= 0;
      tr.style.display = hit ? '' : 'none';
      var next = tr.nextSibling;
      if (!hit && next && next.classList && next.classList.contains('detail')) next.remove();
    });
    count();
  });
  var chart = document.getElementById('timeline-chart');
  if (chart && chart.on) {
    chart.on('plotly_click', function(data){
      var point = data.points && data.points[0]; if (!point) return;
      var tr = rows[point.customdata]; if (!tr) return;
      filter.value = ''; rows.forEach(function(r){ r.style.display = ''; }); count();
      var next = tr.nextSibling;
      if (!(next && next.classList && next.classList.contains('detail'))) detail(events[point.customdata], tr);
      tr.scrollIntoView({block: 'center'});
    });
  }
})();
"""
