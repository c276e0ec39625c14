"""The career office's report (``secondround report``): the insights as HTML, JSON or CSV.

The HTML is one self-contained page (inline CSS and SVG charts, no scripts, no external assets) that
opens in any browser and can be mailed as an attachment. Every number comes from an already masked
:class:`~bot.office.insights.Insights`, so a figure about fewer than five students reads ``< 5`` here too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from html import escape

from bot.office.insights import FEW, MIN_STUDENTS, OUTCOME_LABELS, Insights, Shown, TopicFigure

FORMATS = ("html", "json", "csv")


def render(ins: Insights, fmt: str) -> str:
    """The report in ``fmt`` (html, json or csv)."""
    if fmt == "json":
        return json.dumps(ins.as_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv(ins)
    if fmt == "html":
        return to_html(ins)
    raise ValueError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")


def to_csv(ins: Insights) -> str:
    """One row per figure: section, figure, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "figure", "value"])
    for section, label, value in ins.rows():
        writer.writerow([section, label, value])
    return out.getvalue()


# HTML -----------------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:0;
background:#f4f6f8;color:#1d2733}
main{max-width:960px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px;color:#2c3e50}
.sub{color:#5b6b7b;margin:0 0 22px;font-size:14px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:14px;margin-bottom:18px}
.card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card .n{font-size:30px;font-weight:700;color:#1f5f99}.card .l{font-size:13px;color:#5b6b7b}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:14px}
section{background:#fff;border-radius:10px;padding:16px 18px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:14px}
table{border-collapse:collapse;width:100%;font-size:14px}td{padding:5px 4px;border-bottom:1px solid #edf0f3}
td.v{text-align:right;font-weight:600}
.note{font-size:12px;color:#5b6b7b;margin-top:18px}
svg text{font-family:inherit}
"""
_BAR = "#2f7dc1"
_FEW_BAR = "#c9d3dd"


def _num(v: Shown) -> float:
    return float(v) if isinstance(v, int) else 0.0


def _hbars(rows: Sequence[tuple[str, Shown]], *, colour: str = _BAR, width: int = 420) -> str:
    """A horizontal bar chart as inline SVG; ``< 5`` rows get a short grey bar and the label."""
    if not rows:
        return '<p class="sub">Nothing counted yet.</p>'
    label_w, bar_w, row_h = 150, width - 150 - 44, 26
    top = max([_num(v) for _, v in rows] + [1.0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row_h * len(rows) + 6}" role="img">']
    for i, (label, value) in enumerate(rows):
        y = i * row_h + 4
        few = not isinstance(value, int)
        w = 14 if few else max(2, round(bar_w * _num(value) / top))
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" font-size="13" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="18" rx="3" fill="{_FEW_BAR if few else colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}" font-size="13" fill="#1d2733">{escape(str(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _vbars(rows: Sequence[tuple[str, Shown]], *, width: int = 420, height: int = 190) -> str:
    """A column chart as inline SVG (upcoming interviews per week)."""
    n = max(1, len(rows))
    top = max([_num(v) for _, v in rows] + [1.0])
    slot = (width - 20) / n
    base = height - 28
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    parts.append(f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#c9d3dd"/>')
    for i, (label, value) in enumerate(rows):
        few = not isinstance(value, int)
        h = 10 if few else max(2, round((base - 24) * _num(value) / top))
        x = 10 + i * slot + slot * 0.2
        w = slot * 0.6
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h}" width="{w:.1f}" height="{h}" rx="3" fill="{_FEW_BAR if few else _BAR}"/>'
            f'<text x="{x + w / 2:.1f}" y="{base - h - 6}" font-size="13" text-anchor="middle">'
            f"{escape(str(value))}</text>"
            f'<text x="{x + w / 2:.1f}" y="{base + 18}" font-size="12" text-anchor="middle" fill="#5b6b7b">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _topic_rows(topics: Sequence[TopicFigure], limit: int = 8) -> list[tuple[str, Shown]]:
    return [(t.title, t.questions) for t in topics[:limit]]


def to_html(ins: Insights) -> str:
    """The report as one self-contained HTML page."""
    scope = "all workspaces" if ins.workspace == "all" else f"workspace {ins.workspace}"
    cards = [
        (ins.active_this_week, "students active this week"),
        (ins.active_this_term, f"students active since {ins.since:%d %b %Y}"),
        (ins.reminders_delivered, "reminders delivered"),
        (ins.thank_yous_sent, "thank-yous marked sent"),
    ]
    card_html = "".join(
        f'<div class="card"><div class="n">{escape(str(v))}</div><div class="l">{escape(label)}</div></div>'
        for v, label in cards
    )
    outcomes = "".join(
        f'<tr><td>{escape(OUTCOME_LABELS[k])}</td><td class="v">{escape(str(v))}</td></tr>'
        for k, v in ins.outcomes.items()
    )
    weeks = [(f"{w.week_of:%d %b}", w.interviews) for w in ins.upcoming]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SecondRound: career office report</title>
<style>{_CSS}</style></head>
<body><main>
<h1>Second interviews: what students need</h1>
<p class="sub">SecondRound career office report, {escape(scope)}, since {ins.since:%d %B %Y}
(made {ins.generated_at:%d %B %Y %H:%M} UTC). Anonymous counts only: any figure about fewer than
{MIN_STUDENTS} students shows as {escape(FEW)}.</p>
<div class="cards">{card_html}</div>
<div class="grid">
<section><h2>Second interviews coming up, per week</h2>{_vbars(weeks)}</section>
<section><h2>Outcomes reported</h2><table>{outcomes}</table></section>
</div>
<div class="grid">
<section><h2>Topics asked most</h2>{_hbars(_topic_rows(ins.topics))}</section>
<section><h2>Topics with no good answer</h2>{_hbars(_topic_rows(ins.unanswered), colour="#d9822b")}
<p class="sub">Questions the coach could not answer well, by closest topic: where new advice would help.</p></section>
</div>
<p class="note">No names, user ids, message text, notes or company names are in this report. Students are
told that anonymous counts are shared with the career office; "forget me" removes a student from future
reports.</p>
</main></body></html>
"""
