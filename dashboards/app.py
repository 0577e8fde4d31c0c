"""dq-monitor dashboard: ``dq-monitor dashboard`` runs ``streamlit run`` on this file.

Run by hand: ``streamlit run dashboards/app.py -- --config config/monitor.yaml``.
The pages read the metric store only (read-only, cached briefly); see docs/dashboard.md.
"""

from pathlib import Path

import streamlit as st

from monitor.dashboard.links import TABLE_PAGE

st.set_page_config(page_title="dq-monitor", page_icon="📊", layout="wide")

PAGES = Path(__file__).parent / "pages"
overview = st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:",
                   url_path="overview", default=True)
table = st.Page(PAGES / "table.py", title="Table", icon=":material/table_chart:",
                url_path=TABLE_PAGE)
current = st.navigation([
    overview, table,
    st.Page(PAGES / "incidents.py", title="Incidents & failures", icon=":material/warning:",
            url_path="incidents"),
    st.Page(PAGES / "runs.py", title="Runs", icon=":material/schedule:", url_path="runs"),
])
# The root with ?table=NAME (a link without the page path) opens that table's page.
if current is overview and "table" in st.query_params:
    st.switch_page(table, query_params=st.query_params.to_dict())
current.run()
