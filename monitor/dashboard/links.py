"""Links into the dashboard, for Slack messages and the overview.

The table page takes its table from the ``table`` query parameter, so a link
opens the right table directly (``/table?table=orders``; ``/?table=orders``
opens it too).

>>> table_url("https://dq.example.com/", "orders")
'https://dq.example.com/table?table=orders'
>>> table_url(None, "sales.orders 2026")
'table?table=sales.orders+2026'
>>> incident_url("https://dq.example.com", 12, action="resolve")
'https://dq.example.com/incidents?incident=12&action=resolve'
"""

from __future__ import annotations

from urllib.parse import urlencode

#: The table page's path (``url_path`` of its ``st.Page``).
TABLE_PAGE = "table"
#: The incidents page's path; ``?incident=ID`` selects that incident.
INCIDENTS_PAGE = "incidents"
#: What an incident link asks the page to offer first.
INCIDENT_ACTIONS = ("acknowledge", "resolve")


def table_url(base: str | None, table: str, **params: str) -> str:
    """The table page of ``table``: absolute under ``base`` (the config's
    ``dashboard_url``), or relative to the dashboard when ``base`` is None."""
    query = urlencode({"table": table, **params})
    path = f"{TABLE_PAGE}?{query}"
    return f"{base.rstrip('/')}/{path}" if base else path


def incident_url(base: str | None, incident_id: int, *, action: str | None = None) -> str:
    """The incidents page with ``incident_id`` selected (and ``action`` offered first:
    ``acknowledge`` or ``resolve``), absolute under ``base`` or relative."""
    params: dict[str, str] = {"incident": str(int(incident_id))}
    if action is not None:
        assert action in INCIDENT_ACTIONS, action
        params["action"] = action
    path = f"{INCIDENTS_PAGE}?{urlencode(params)}"
    return f"{base.rstrip('/')}/{path}" if base else path
