"""Block Kit messages for incidents: what is wrong, in plain words, for whom, and where to look.

One message per table and run: several problems of one table are one
message with a section each; an item is the incident's latest ``Finding`` with
the incident's facts (``monitor.alerts.incidents.incident_finding``). ``render_text``
turns blocks into the plain text Slack shows (the console notifier prints it). Numbers,
times and durations come from ``monitor.formatting``, so an alert reads like the CLI and
the dashboard.

>>> import datetime as dt
>>> item = Finding(table="orders", check="volume:row_count", kind="anomaly",
...                severity="critical", failing=True, at=dt.datetime(2026, 1, 5, 6),
...                reason="412 rows, usually about 980", metric="row_count", observed=412,
...                expected=980, lower=850, upper=1100, since=dt.datetime(2026, 1, 5, 6),
...                incident_id=7)
>>> text, blocks = build_message("opened", "orders", [item], owners=["<@U012AB3CD>"],
...                              dashboard_url="http://localhost:8501")
>>> text
'[critical] orders: 412 rows, usually about 980 <@U012AB3CD>'
>>> print(render_text(blocks).splitlines()[0])
Data quality alert: orders
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

from monitor import formatting
from monitor.dashboard.links import incident_url
from monitor.run.findings import SEVERITY_ORDER, Finding

Event = Literal["opened", "update", "reminder", "resolved"]
EVENTS: tuple[str, ...] = ("opened", "update", "reminder", "resolved")

#: Problems shown one by one; the rest are counted (Slack allows 50 blocks a message).
MAX_ITEMS = 10
_SECTION_LIMIT = 2900  # Slack's limit for a section's text is 3000 characters
_HEADER_LIMIT = 150
_URL_LIMIT = 3000  # a button's url
_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:",
          "info": ":large_blue_circle:"}
_HEADERS = {"opened": ":rotating_light: Data quality alert: {table}",
            "reminder": ":bell: Still failing: {table}",
            "resolved": ":white_check_mark: Resolved: {table}"}
#: Incidents of one message that get their own acknowledge and resolve links (Slack
#: allows 25 elements an actions block).
MAX_ACTION_INCIDENTS = 5
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: ``&``, ``<`` and ``>`` (mentions are added after)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(owner: str) -> str:
    """An owner as Slack writes a mention.

    >>> [mention(o) for o in ["<@U012AB3CD>", "U012AB3CD", "S0614TZR7", "@here", "@data-eng"]]
    ['<@U012AB3CD>', '<@U012AB3CD>', '<!subteam^S0614TZR7>', '<!here>', '@data-eng']
    """
    owner = owner.strip()
    if owner.startswith("<") and owner.endswith(">"):
        return owner
    bare = owner.removeprefix("@")
    if _USER_ID.match(bare):
        return f"<@{bare}>"
    if _GROUP_ID.match(bare):
        return f"<!subteam^{bare}>"
    if bare in ("here", "channel", "everyone"):
        return f"<!{bare}>"
    return escape(owner)  # a name Slack cannot resolve: shown as written


def table_link(dashboard_url: str | None, table: str) -> str | None:
    """The dashboard page of a table, ``{dashboard_url}/?table=<name>``, URL-encoded.

    >>> table_link("http://localhost:8501/", "sales orders")
    'http://localhost:8501/?table=sales%20orders'
    """
    if not dashboard_url:
        return None
    return f"{dashboard_url.rstrip('/')}/?table={quote(table, safe='')}"


def incident_buttons(dashboard_url: str | None, items: Sequence[Finding]
                     ) -> list[dict[str, Any]]:
    """Acknowledge and resolve links of each incident (its view on the dashboard's
    incidents page, the action offered first), for the first ``MAX_ACTION_INCIDENTS``.

    >>> item = Finding(table="t", check="c", kind="anomaly", severity="warning",
    ...                failing=True, at=None, reason="r", incident_id=7)
    >>> [(b["text"]["text"], b["url"]) for b in incident_buttons("http://d/", [item])]
    [('Acknowledge #7', 'http://d/?page=incidents&incident=7&action=acknowledge'), \
('Resolve #7', 'http://d/?page=incidents&incident=7&action=resolve')]
    """
    if not dashboard_url:
        return []
    ids = [i.incident_id for i in items if i.incident_id is not None]
    out = []
    for number in list(dict.fromkeys(ids))[:MAX_ACTION_INCIDENTS]:
        for action, label in (("acknowledge", "Acknowledge"), ("resolve", "Resolve")):
            out.append({"type": "button",
                        "text": {"type": "plain_text", "text": f"{label} #{number}"},
                        "url": incident_url(dashboard_url, number, action=action),
                        "action_id": f"{action}_{number}"})
    return out


def worst(items: Sequence[Finding]) -> str:
    return min((i.severity for i in items), key=lambda s: SEVERITY_ORDER.get(s, 9),
               default="info")


def describe(item: Finding) -> str:
    """What is wrong with one check, in plain words (mrkdwn)."""
    lines = [f"{_EMOJI.get(item.severity, '')} *{item.severity}* · {escape(item.reason)}"]
    what = []
    if item.metric:
        what.append(f"metric `{escape(item.metric)}`")
    if item.column:
        what.append(f"column `{escape(item.column)}`")
    facts = " of ".join(what)
    numbers = []
    shown = formatting.measure
    if item.observed is not None:
        numbers.append(f"observed *{escape(shown(item.observed, item.metric))}*")
    if item.expected is not None:
        numbers.append(f"expected *{shown(item.expected, item.metric)}*")
    if item.check.startswith("rule:"):
        pass  # a rule's finding says its limit in the reason; it has no learned band
    elif item.lower is not None and item.upper is not None:
        numbers.append(f"normal band {shown(item.lower, item.metric)} – "
                       f"{shown(item.upper, item.metric)}")
    elif item.upper is not None:
        numbers.append(f"normal at most {shown(item.upper, item.metric)}")
    elif item.lower is not None:
        numbers.append(f"normal at least {shown(item.lower, item.metric)}")
    detail = ", ".join(numbers)
    line = ": ".join(part for part in (facts[:1].upper() + facts[1:], detail) if part)
    if item.since is not None:
        since = f"since {formatting.timestamp(item.since)}"
        line = f"{line} · {since}" if line else since
    if line:
        lines.append(line)
    return "\n".join(lines)[:_SECTION_LIMIT]


def _item_text(event: str, item: Finding) -> str:
    text = describe(item)
    if event == "update":
        text += f"\nStill failing: seen {item.occurrences} times."
    elif event == "reminder":
        text += f"\nSeen {item.occurrences} times so far."
    elif event == "resolved":
        runs = f"{item.ok_runs} passing run{'s' if item.ok_runs != 1 else ''}"
        why = (f"{item.resolution[:1].upper()}{item.resolution[1:]}." if item.resolution
               else f"Back to normal after {runs}.")
        text = (f":white_check_mark: ~{escape(item.reason)}~\n{escape(why)}"
                + (f" It started {formatting.timestamp(item.since)}." if item.since else ""))
    return text[:_SECTION_LIMIT]


def _summary(event: str, table: str, items: Sequence[Finding]) -> str:
    count = len(items)
    noun = f"{count} problem{'s' if count != 1 else ''}"
    if event == "resolved":
        return f"{noun} on `{escape(table)}` {'is' if count == 1 else 'are'} resolved."
    return f"*{noun}* on table `{escape(table)}` · worst severity *{worst(items)}*"


def build_message(event: str, table: str, items: Sequence[Finding], *,
                  owners: Sequence[str] = (), dashboard_url: str | None = None
                  ) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and Block Kit blocks of one message about ``items`` of ``table``.

    ``opened`` and ``reminder`` mention the owners; thread ``update`` replies and
    ``resolved`` notices do not ping anyone.
    """
    assert event in EVENTS, event
    assert items, "a message needs at least one incident"
    ping = event in ("opened", "reminder") and bool(owners)
    mentions = " ".join(mention(o) for o in owners) if ping else ""
    blocks: list[dict[str, Any]] = []
    if event in _HEADERS:
        header = _HEADERS[event].format(table=table)[:_HEADER_LIMIT]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header,
                                                  "emoji": True}})
    summary = _summary(event, table, items)
    if mentions:
        summary += f"\nOwners: {mentions}"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": summary}})
    for item in items[:MAX_ITEMS]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _item_text(event, item)}})
    context = []
    if len(items) > MAX_ITEMS:
        context.append(f"…and {len(items) - MAX_ITEMS} more; see the dashboard.")
    ids = [f"#{i.incident_id}" for i in items[:MAX_ITEMS] if i.incident_id is not None]
    if ids:
        hint = "" if event == "resolved" else " · `dq-monitor incidents ack ID` to silence"
        context.append(f"incident {', '.join(ids)}{hint}")
    if context:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": " ".join(context)[:_SECTION_LIMIT]}]})
    link = table_link(dashboard_url, table)
    if link and event != "update" and len(link) <= _URL_LIMIT:
        buttons = [{"type": "button", "text": {"type": "plain_text", "text": "Open dashboard"},
                    "url": link, "action_id": "open_dashboard"}]
        if event != "resolved":
            buttons += incident_buttons(dashboard_url, items)
        blocks.append({"type": "actions", "elements": buttons})
    return _fallback(event, table, items, mentions, link), blocks


def _fallback(event: str, table: str, items: Sequence[Finding], mentions: str,
              link: str | None) -> str:
    """The ``text`` Slack shows in notifications and where blocks cannot be shown."""
    if len(items) == 1:
        body = items[0].reason
    else:
        body = f"{len(items)} problems: " + "; ".join(i.reason for i in items[:3])
        body += "; …" if len(items) > 3 else ""
    prefix = {"opened": f"[{worst(items)}] {table}", "reminder": f"Still failing: {table}",
              "update": f"Still failing: {table}", "resolved": f"Resolved: {table}"}[event]
    text = f"{prefix}: {body}"
    if mentions:
        text += f" {mentions}"
    if link and event == "resolved":
        text += f" {link}"
    return text[:3000]


def plain(mrkdwn: str) -> str:
    """What Slack shows for mrkdwn text: no emoji codes of ours, no markup, mentions as @names.

    >>> plain(":red_circle: *critical* · rows of `orders` &lt;50 <@U012AB3CD> <!here>")
    'critical · rows of orders <50 @U012AB3CD @here'
    >>> plain("<http://d/?table=orders|orders> ~412 rows~ <!subteam^S0614TZR7>")
    'orders (http://d/?table=orders) 412 rows @S0614TZR7'
    """
    text = _OUR_EMOJI.sub("", mrkdwn)
    for pattern in _MARKUP:
        text = pattern.sub(r"\1", text)
    return html.unescape(_SPECIAL.sub(_special, text))


def _markup(mark: str) -> re.Pattern[str]:
    """Slack's bold, italic, strike and code: the mark hugs the text and no word touches it."""
    m = re.escape(mark)
    return re.compile(rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]*?\S){m}(?![\w{m}])")


def _special(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner.startswith("@"):
        return inner
    if inner.startswith("!subteam^"):
        return "@" + inner.removeprefix("!subteam^").split("|")[0]
    if inner.startswith("!"):
        return "@" + inner[1:].split("|")[0]
    url, _, label = inner.partition("|")
    return f"{label} ({url})" if label else url


_MARKUP = tuple(_markup(mark) for mark in ("*", "_", "~", "`"))
_OUR_EMOJI = re.compile("|".join(re.escape(code) + " ?" for code in (
    *_EMOJI.values(), ":rotating_light:", ":bell:", ":white_check_mark:")))
_SPECIAL = re.compile(r"<([@!#][^<>\s]*|[a-z][a-z0-9+.\-]*:[^<>\s|]*(?:\|[^<>]*)?)>")


def render_text(blocks: Sequence[dict[str, Any]]) -> str:
    """Blocks as the plain text a person reads in Slack (the console notifier prints it)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("header", "section"):
            lines.append(plain(block.get("text", {}).get("text", "")))
            lines.extend(plain(f.get("text", "")) for f in block.get("fields", []))
        elif kind == "context":
            lines.append(" ".join(plain(e.get("text", "")) for e in block.get("elements", [])))
        elif kind == "actions":
            lines.extend(f"[{e['text']['text']}] {e.get('url', '')}".rstrip()
                         for e in block.get("elements", []) if e.get("type") == "button")
        elif kind == "divider":
            lines.append("---")
    return "\n".join(lines)
