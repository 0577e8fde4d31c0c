"""The demo: a sample warehouse with known incidents, monitored end to end.

``sample`` builds the warehouse (customers, orders, events with injected
incidents), ``segments`` its orders per country (one country's load missing),
``drift`` the distribution shift, ``batches`` the sample ingestion files, and
``run.run_demo`` runs the monitor over 90 days of it and reports which incidents
were caught.
"""
