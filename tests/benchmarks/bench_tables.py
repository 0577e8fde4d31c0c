"""The 12-column ``orders`` table both PostgreSQL benchmarks generate (shared shape and values).

Imported by the ``bench_*.py`` scripts, which run with this folder on ``sys.path``.
"""

from __future__ import annotations

COLUMNS = """
    id bigint, customer_id integer, amount double precision, quantity integer,
    price numeric(12,2), status text, country text, email text, score double precision,
    discount double precision, created_at timestamp, note text
"""


def orders_select(created_at: str) -> str:
    """The SELECT list of one generated row, ``i`` being the row number.

    ``created_at`` is the SQL expression of the row's time (each benchmark spreads
    rows over time its own way).
    """
    return f"""
        SELECT i, (random() * 50000)::int, round((random() * 500)::numeric, 2)::float8,
               (random() * 10)::int, round((random() * 100)::numeric, 2),
               (ARRAY['paid','shipped','refunded','cancelled'])[1 + (i % 4)],
               (ARRAY['DE','FR','NL','US','GB','ES','IT','PL'])[1 + (i % 8)],
               CASE WHEN i % 20 = 0 THEN NULL ELSE 'user' || (i % 200000) || '@example.com' END,
               random(), CASE WHEN i % 3 = 0 THEN NULL ELSE random() * 0.3 END,
               {created_at},
               md5(i::text)
    """
