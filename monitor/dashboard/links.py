"""Links into the dashboard, for Slack messages and the overview.

The table page takes its table from the ``table`` query parameter, so a link
opens the right table directly (``/table?table=orders``; ``/?table=orders``
opens it too).

>>> table_url("https://dq.example.com/", "orders")
'https://dq.example.com/table?table=orders'
>>> table_url(None, "sales.orders 2026")
'table?table=sales.orders+2026'
"""

from __future__ import annotations

from urllib.parse import urlencode

#: The table page's path (``url_path`` of its ``st.Page``).
TABLE_PAGE = "table"


def table_url(base: str | None, table: str, **params: str) -> str:
    """The table page of ``table``: absolute under ``base`` (the config's
    ``dashboard_url``), or relative to the dashboard when ``base`` is None."""
    query = urlencode({"table": table, **params})
    path = f"{TABLE_PAGE}?{query}"
    return f"{base.rstrip('/')}/{path}" if base else path
