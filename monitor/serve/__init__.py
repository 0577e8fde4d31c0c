"""The long-running service: ``service.Service`` runs every table on its
schedule (``scheduling``, APScheduler) and delivers the outbox; ``metrics`` and
``health`` serve Prometheus metrics and probes; ``leader`` elects the replica
that schedules.
"""
