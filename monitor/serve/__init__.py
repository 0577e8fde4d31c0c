"""The long-running service: ``service.Service`` runs every table on its
schedule (``scheduling``, APScheduler) and delivers the outbox.
"""
