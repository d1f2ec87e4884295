"""The calendar as one self-contained HTML page: a month and a week view per account, in the account's
timezone, each post a card drawn the way its platform shows it.

Everything the page needs is inside it (styles inline, images as data: URIs), and its Content Security
Policy forbids loading anything else, so it opens from a CI artifact or a mail attachment with no network
and cannot call home. Post text is untrusted: every piece of it goes through `html.escape`, and only
http(s) addresses become links.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date, timedelta
from html import escape
from zoneinfo import ZoneInfo

from postops.repo.config import Account
from postops.report._common import PLAIN, Options
from postops.report.calendar._shared import handle_of, local, platform_name, safe_url, state_label, zone_of
from postops.report.calendar.model import Calendar, CalendarPart, Entry, MediaItem

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

_CSS = """
:root{--ink:#1b1f24;--muted:#4d5561;--line:#d0d7de;--bg:#f6f8fa;--card:#fff}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header.page,main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.35rem;margin:2rem 0 .5rem;overflow-wrap:anywhere}
h3{font-size:1.15rem;margin:1.5rem 0 .5rem}h4{font-size:1.05rem;margin:1.2rem 0 .4rem}h5{font-size:1rem;margin:.8rem 0 .3rem}
.muted{color:var(--muted)}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}
nav a{display:inline-block;padding:.2rem .6rem;border:1px solid var(--line);border-radius:1rem;background:#fff;color:#0b4f9c}
.account{border-top:2px solid var(--line)}
table.month{width:100%;border-collapse:collapse;table-layout:fixed;background:#fff;margin-bottom:1rem}
table.month caption{text-align:left;font-weight:600;padding:.3rem 0}
table.month th{font-size:.85rem;color:var(--muted);padding:.2rem;border:1px solid var(--line)}
table.month td{vertical-align:top;height:5rem;padding:.2rem;border:1px solid var(--line);overflow:hidden}
table.month td.out{background:var(--bg)}
.daynum{font-size:.8rem;color:var(--muted)}
.chips{list-style:none;margin:0;padding:0}
.chip{position:relative;display:block;font-size:.8rem;padding:.05rem .3rem;margin:.1rem 0;border-radius:.25rem;white-space:nowrap;
 overflow:hidden;text-overflow:ellipsis;color:var(--ink);text-decoration:none;border-left:3px solid currentColor}
.week{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:.2rem 1rem 1rem;margin-bottom:1rem}
.quiet{margin:.2rem 0;color:var(--muted);font-size:.9rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,22rem),1fr));gap:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:.75rem;min-width:0;
 overflow-wrap:anywhere}
.card.changed{outline:3px solid #8250df;outline-offset:2px}
.card-head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}
.avatar{flex:none;width:2.5rem;height:2.5rem;border-radius:50%;display:grid;place-items:center;color:#fff;font-weight:700;
 background:#444}
.who{flex:1 1 8rem;min-width:0}.who .name{font-weight:700}.who .handle{color:var(--muted)}
.meta{display:block;font-size:.85rem;color:var(--muted)}
.platform-x .avatar{background:#0f1419}.platform-x .card-head .name{color:#0f1419}
.platform-mastodon .avatar{background:#563acc}.platform-mastodon{border-top:4px solid #563acc}
.platform-bluesky .avatar{background:#0a5dc2}.platform-bluesky{border-top:4px solid #0a5dc2}
.platform-outbox .avatar{background:#555}
.badges{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}
.badge{display:inline-block;font-size:.85rem;font-weight:600;padding:.1rem .5rem;border-radius:1rem;max-width:100%}
.state-scheduled{background:#ddeafc;color:#0b3d7a}.state-published{background:#dcf3e3;color:#0c4a23}
.state-retracted{background:#eceff1;color:#3b4148}.state-missed{background:#fdeccc;color:#653d00}
.state-blocked,.state-failed{background:#fde2e2;color:#7d1010}.state-in-doubt{background:#f3e6fb;color:#5a1f78}
.changed-badge{background:#efe4ff;color:#4b2a8a}
.reason{margin:.3rem 0;font-size:.9rem;color:#7d1010}
.retracted .text{text-decoration:line-through}
ol.thread{list-style:none;margin:0;padding:0}
.part{position:relative;padding:.4rem 0 .4rem .8rem;border-left:2px solid var(--line);margin:.3rem 0}
.part-no{font-size:.8rem;color:var(--muted)}
.text{white-space:pre-wrap;margin:.2rem 0}
.text a,.state-link a{color:#0b4f9c}
.mention{color:#0b4f9c;font-weight:600}.hashtag{color:#0b4f9c}
figure{margin:.4rem 0}
figure img{display:block;max-width:100%;height:auto;border-radius:.5rem;border:1px solid var(--line)}
figcaption,.noimage{font-size:.85rem;color:var(--muted)}
.noimage{border:1px dashed var(--line);border-radius:.5rem;padding:.5rem}
.length{font-size:.8rem;color:var(--muted);margin:.2rem 0}.length.over{color:#9b0000;font-weight:700}
.card-foot{font-size:.8rem;color:var(--muted);margin-top:.4rem}
code{font-size:.85em}
@media (max-width:40rem){
 header.page,main{padding:.6rem}
 table.month,table.month tbody,table.month tr,table.month td,table.month caption{display:block;width:100%}
 table.month thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 table.month td{height:auto;border-width:0 0 1px}
 table.month td.empty{display:none}
 .week{padding:.2rem .6rem .6rem}
}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _marked(part: CalendarPart) -> str:
    pieces: list[str] = []
    at = 0
    for mark in part.marks:
        pieces.append(_e(part.text[at:mark.start]))
        shown = _e(part.text[mark.start:mark.end])
        href = safe_url(part.text[mark.start:mark.end]) if mark.kind == "url" else None
        if href:
            pieces.append(f'<a class="url" href="{_e(href)}" rel="nofollow noopener noreferrer">{shown}</a>')
        else:
            pieces.append(f'<span class="{mark.kind}">{shown}</span>')
        at = mark.end
    pieces.append(_e(part.text[at:]))
    return "".join(pieces)


def _kib(size: int) -> str:
    return f"{(size + 1023) // 1024} KiB"


def _figure(media: MediaItem) -> str:
    alt = media.alt or ""
    caption = f"Alt text: {_e(alt)}" if alt.strip() else "<strong>No alt text</strong>"
    if media.data is not None and media.mime:
        src = f"data:{media.mime};base64,{base64.b64encode(media.data).decode()}"
        return f'<figure><img src="{src}" alt="{_e(alt)}"><figcaption>{caption}</figcaption></figure>'
    if media.size is None:
        why = "file not found"
    elif not media.mime:
        why = "not an image a browser shows"
    else:
        why = f"{_kib(media.size)}, too large to embed"
    return f'<div class="noimage">{_e(media.path)} ({why}). {caption}</div>'


def _length(part: CalendarPart) -> str:
    if part.length is None or part.limit is None:
        return ""
    over = part.length > part.limit
    note = f" — {part.length - part.limit} over the limit" if over else ""
    return f'<p class="length{" over" if over else ""}">{part.length}/{part.limit} {_e(part.unit or "")}{note}</p>'


def _state(entry: Entry, account: Account | None, zone: ZoneInfo) -> str:
    badges = [f'<span class="badge state-{_e(entry.state)}">{_e(state_label(entry.state))}</span>']
    if entry.changed:
        badges.append('<span class="badge changed-badge">Changed in this pull request</span>')
    lines = [f'<div class="badges">{"".join(badges)}</div>']
    link = safe_url(entry.url) if entry.url and "://" in entry.url else None
    if entry.state == "published" or entry.url:
        when = ""
        if entry.published_at:
            when = f" at {_e(local(entry.published_at, zone).strftime('%Y-%m-%d %H:%M %Z'))}"
        target = (f'<a href="{_e(link)}" rel="nofollow noopener noreferrer">view it on {_e(platform_name(account))}</a>'
                  if link else (f"<code>{_e(entry.url)}</code>" if entry.url else ""))
        lines.append(f'<p class="state-link">Published{when}{": " + target if target else ""}</p>')
    if entry.retracted_at:
        lines.append(f'<p class="state-link">Retracted at {_e(local(entry.retracted_at, zone).strftime("%Y-%m-%d %H:%M %Z"))}'
                     "</p>")
    if entry.reason:
        lines.append(f'<p class="reason">{_e(entry.reason)}</p>')
    return "".join(lines)


def _card(calendar: Calendar, entry: Entry, anchor: str) -> str:
    account = calendar.accounts.get(entry.account)
    zone = zone_of(calendar, entry.account)
    handle = handle_of(account, entry.account)
    name = handle.lstrip("@").split("@")[0] or entry.account
    when = (f'<time datetime="{_e(entry.when.isoformat())}">{_e(local(entry.when, zone).strftime("%a %-d %b, %H:%M %Z"))}'
            "</time>" if entry.when else '<span class="muted">no time</span>')
    parts = []
    for part in entry.parts:
        number = f'<span class="part-no">{part.index + 1}/{len(entry.parts)}</span>' if len(entry.parts) > 1 else ""
        figures = "".join(_figure(m) for m in part.media)
        parts.append(f'<li class="part">{number}<p class="text">{_marked(part)}</p>{figures}{_length(part)}</li>')
    body = f'<ol class="thread">{"".join(parts)}</ol>' if parts else \
        '<p class="muted">The text of this post is not available (its file is no longer in the repository).</p>'
    labels = "".join(f" · {_e(label)}" for label in entry.labels)
    classes = f"card platform-{_e(account.platform if account else 'unknown')} {_e(entry.state)}" + \
        (" changed" if entry.changed else "")
    return (f'<article class="{classes}" id="{anchor}" aria-label="{_e(handle)}: {_e(entry.post)}" '
            f'data-post="{_e(entry.post)}" data-account="{_e(entry.account)}" data-state="{_e(entry.state)}">'
            f'<div class="card-head"><span class="avatar" aria-hidden="true">{_e(name[:1].upper())}</span>'
            f'<span class="who"><span class="name">{_e(name)}</span> <span class="handle">{_e(handle)}</span>'
            f'<span class="meta">{when} · {_e(platform_name(account))}</span></span></div>'
            f'{_state(entry, account, zone)}{body}'
            f'<p class="card-foot"><code>{_e(entry.post)}</code>{" · " + _e(entry.path) if entry.path else ""}'
            f'{labels}</p></article>')


def _month_starts(days: Iterable[date]) -> list[date]:
    return sorted({d.replace(day=1) for d in days})


def _month(calendar: Calendar, first: date, by_day: dict[date, list[tuple[Entry, str]]], zone: ZoneInfo) -> str:
    start = first - timedelta(days=first.weekday())
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    rows = []
    day = start
    while day < following:
        cells = []
        for _ in range(7):
            items = by_day.get(day, [])
            outside = day.month != first.month
            chips = "".join(
                f'<li><a class="chip state-{_e(e.state)}" href="#{anchor}">'
                f'{_e(local(e.when, zone).strftime("%H:%M")) if e.when else ""} {_e(_short(e))}'
                f'<span class="visually-hidden"> ({_e(state_label(e.state))})</span></a></li>'
                for e, anchor in items)
            classes = " ".join(c for c in ("out" if outside else "", "" if items else "empty") if c)
            label = day.strftime("%a %-d %b") if outside or items else str(day.day)
            cells.append(f'<td{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}>'
                         f'<span class="daynum">{_e(label)}</span>'
                         f'{f"<ul class={chr(34)}chips{chr(34)}>{chips}</ul>" if chips else ""}</td>')
            day += timedelta(days=1)
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f'<th scope="col" abbr="{d}">{d[:3]}</th>' for d in
                   ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
    return (f'<table class="month"><caption>{_e(first.strftime("%B %Y"))}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _short(entry: Entry) -> str:
    text = " ".join(entry.parts[0].text.split()) if entry.parts else entry.post
    return text[:80] or entry.post


def _week(calendar: Calendar, monday: date, by_day: dict[date, list[tuple[Entry, str]]]) -> str:
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        items = by_day.get(day, [])
        if not items:
            days.append(f'<p class="quiet">{_e(day.strftime("%A %-d %B"))}: no posts</p>')
            continue
        cards = "".join(_card(calendar, e, anchor) for e, anchor in items)
        days.append(f'<h5>{_e(day.strftime("%A %-d %B"))}</h5><div class="cards">{cards}</div>')
    return (f'<section class="week"><h4>Week of {_e(monday.strftime("%-d %B %Y"))}</h4>{"".join(days)}</section>')


def _account(calendar: Calendar, key: str, account: Account, anchors: dict[int, str]) -> str:
    zone = zone_of(calendar, key)
    entries = [(e, anchors[id(e)]) for e in calendar.entries if e.account == key]
    head = (f'<section class="account" id="account-{_e(key)}" aria-labelledby="title-{_e(key)}">'
            f'<h2 id="title-{_e(key)}">{_e(handle_of(account, key))} <span class="muted">on '
            f'{_e(platform_name(account))} · times in {_e(zone.key)}</span></h2>')
    if not entries:
        return head + '<p class="muted">No posts in this range.</p></section>'
    timed = [(e, a) for e, a in entries if e.when]
    by_day: dict[date, list[tuple[Entry, str]]] = {}
    for entry, anchor in timed:
        assert entry.when is not None
        by_day.setdefault(local(entry.when, zone).date(), []).append((entry, anchor))
    months = "".join(_month(calendar, first, by_day, zone) for first in _month_starts(by_day))
    mondays = sorted({d - timedelta(days=d.weekday()) for d in by_day})
    weeks = "".join(_week(calendar, monday, by_day) for monday in mondays)
    untimed = [(e, a) for e, a in entries if not e.when]
    rest = (f'<h3>Not scheduled</h3><div class="cards">{"".join(_card(calendar, e, a) for e, a in untimed)}</div>'
            if untimed else "")
    return f"{head}<h3>Month view</h3>{months}<h3>Week view</h3>{weeks}{rest}</section>"


def render(calendar: Calendar, options: Options = PLAIN) -> str:
    anchors = {id(e): f"post-{i}" for i, e in enumerate(calendar.entries)}
    span = " ".join(s for s in (
        f"from {calendar.start.strftime('%Y-%m-%d %H:%M %Z')}" if calendar.start else "",
        f"until {calendar.end.strftime('%Y-%m-%d %H:%M %Z')}" if calendar.end else "") if s)
    nav = "".join(f'<li><a href="#account-{_e(k)}">{_e(handle_of(a, k))} on {_e(platform_name(a))}</a></li>'
                  for k, a in calendar.accounts.items())
    changed = sum(1 for e in calendar.entries if e.changed)
    note = (f'<p>{changed} post(s) changed since <code>{_e(calendar.changed_since)}</code> are outlined and marked '
            "“Changed in this pull request”.</p>") if calendar.changed_since else ""
    accounts = "".join(_account(calendar, k, a, anchors) for k, a in calendar.accounts.items())
    return ("<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>Posts calendar</title><style>{_CSS}.visually-hidden{{position:absolute;width:1px;height:1px;"
            "overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}</style></head>\n<body>"
            '<header class="page"><h1>Posts calendar</h1>'
            f'<p class="muted">{len(calendar.entries)} post(s) as of '
            f'<time datetime="{_e(calendar.now.isoformat())}">{_e(calendar.now.strftime("%Y-%m-%d %H:%M %Z"))}</time>'
            f'{" " + _e(span) if span else ""}.</p>{note}'
            f'<nav aria-label="Accounts"><ul>{nav}</ul></nav></header>\n'
            f"<main>{accounts}</main>\n</body></html>\n")
