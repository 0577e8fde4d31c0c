"""dq-monitor dashboard: ``dq-monitor dashboard`` runs ``streamlit run`` on this file.

Run by hand: ``streamlit run dashboards/app.py -- --config config/monitor.yaml``.
The pages read the metric store only (read-only, cached briefly); see docs/dashboard.md.
"""

import sys
from pathlib import Path

import streamlit as st

from monitor.dashboard.links import INCIDENTS_PAGE, TABLE_PAGE
from monitor.dashboard.source import login_required

st.set_page_config(page_title="dq-monitor", page_icon="📊", layout="wide")

# `dq-monitor dashboard --login`: Streamlit's OIDC login ([auth] in .streamlit/secrets.toml)
# before any page; the signed-in e-mail is recorded with what people do.
if login_required(sys.argv[1:]) and not st.user.is_logged_in:
    st.title("dq-monitor")
    st.write("Log in to see the data health of your tables.")
    st.button("Log in", on_click=st.login, type="primary")
    st.stop()
if login_required(sys.argv[1:]):
    with st.sidebar:
        st.caption(f"Signed in as {st.user.get('name') or st.user.get('sub')} "
                   f"({st.user.get('email') or 'no e-mail'})")
        st.button("Log out", on_click=st.logout)

PAGES = Path(__file__).parent / "pages"
overview = st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:",
                   url_path="overview", default=True)
table = st.Page(PAGES / "table.py", title="Table", icon=":material/table_chart:",
                url_path=TABLE_PAGE)
incidents = st.Page(PAGES / "incidents.py", title="Incidents & failures",
                    icon=":material/warning:", url_path=INCIDENTS_PAGE)
current = st.navigation(position="top", pages=[
    overview, table, incidents,
    st.Page(PAGES / "runs.py", title="Runs", icon=":material/schedule:", url_path="runs"),
])
# Links point at the root (see monitor.dashboard.links): ?table=NAME opens that table's
# page, ?page=incidents&incident=ID that incident.
if current is overview and st.query_params.get("page") == INCIDENTS_PAGE:
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "page"}
    st.switch_page(incidents, query_params=params)
if current is overview and "table" in st.query_params:
    st.switch_page(table, query_params=st.query_params.to_dict())
current.run()
