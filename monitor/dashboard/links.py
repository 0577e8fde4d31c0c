"""Links into the dashboard, for Slack messages and the dashboard's own pages.

Every link points at the dashboard's root with query parameters (``/?table=orders``,
``/?page=incidents&incident=12``); the root page opens the right page. A link to a
page's own path (``/table``) works too, but loading it directly makes Streamlit's
frontend probe ``/table/_stcore/health`` before the real address (two 404s per load,
Streamlit issue #7074), so the dashboard never hands such links out.

>>> table_url("https://dq.example.com/", "orders")
'https://dq.example.com/?table=orders'
>>> table_url(None, "sales.orders 2026")
'./?table=sales.orders+2026'
>>> incident_url("https://dq.example.com", 12, action="resolve")
'https://dq.example.com/?page=incidents&incident=12&action=resolve'
"""

from __future__ import annotations

from urllib.parse import urlencode

#: The table page's path (``url_path`` of its ``st.Page``).
TABLE_PAGE = "table"
#: The incidents page's path; ``?incident=ID`` selects that incident.
INCIDENTS_PAGE = "incidents"
#: What an incident link asks the page to offer first.
INCIDENT_ACTIONS = ("acknowledge", "resolve")


def _at_root(base: str | None, params: dict[str, str]) -> str:
    query = urlencode(params)
    # "./?..." resolves to the root from any page (also under a proxy's base path).
    return f"{base.rstrip('/')}/?{query}" if base else f"./?{query}"


def table_url(base: str | None, table: str, **params: str) -> str:
    """The table page of ``table``: absolute under ``base`` (the config's
    ``dashboard_url``), or relative to the dashboard when ``base`` is None."""
    return _at_root(base, {"table": table, **params})


def incident_url(base: str | None, incident_id: int, *, action: str | None = None) -> str:
    """The incidents page with ``incident_id`` selected (and ``action`` offered first:
    ``acknowledge`` or ``resolve``), absolute under ``base`` or relative."""
    params: dict[str, str] = {"page": INCIDENTS_PAGE, "incident": str(int(incident_id))}
    if action is not None:
        assert action in INCIDENT_ACTIONS, action
        params["action"] = action
    return _at_root(base, params)
