"""What ``dq-monitor serve`` adds around the scheduler: metrics, health probes, leadership."""
