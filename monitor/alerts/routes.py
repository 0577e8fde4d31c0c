"""Which notifiers get a message: ``alerts.routes`` matched on severity, table and event.

Every route whose ``match`` fits the message adds its ``notify`` list (in
order, without repeats) until a matching route with ``stop: true``. A message
no route matches goes to the default: Slack when it is configured, otherwise
every configured notifier (the console when there is none). A ``resolved``
message also goes to PagerDuty whenever it is configured, so that an alert
triggered while the incident was critical is resolved even after its severity
went down (PagerDuty ignores a resolve for a dedup key it does not know).

>>> from monitor.config.models import AlertsConfig
>>> alerts = AlertsConfig.model_validate({
...     "slack": {"webhook_url": "https://hooks.slack.invalid/x"},
...     "pagerduty": {"routing_key": "R0UT1NGKEY"},
...     "routes": [{"match": {"severity": "critical"}, "notify": ["pagerduty"]}]})
>>> route_message(alerts, table="orders", severity="critical", event="opened")
['pagerduty']
>>> route_message(alerts, table="orders", severity="warning", event="opened")
['slack']
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from monitor.config.models import AlertsConfig, RouteMatch

#: Notifiers that keep state per incident and must hear of its end whatever the routes say.
TRACKS_INCIDENTS = ("pagerduty",)


def matches(match: RouteMatch, *, table: str, severity: str | None, event: str) -> bool:
    """Whether a message fits every key the route gives (a message without severity fits
    no severity match).

    >>> matches(RouteMatch(table=["orders*"]), table="orders_eu", severity=None, event="opened")
    True
    """
    if match.severity is not None and severity not in match.severity:
        return False
    if match.table is not None and not any(fnmatchcase(table, p) for p in match.table):
        return False
    return match.event is None or event in match.event


def default_notifiers(alerts: AlertsConfig) -> list[str]:
    """Where a message goes when no route matches it."""
    configured = [n for n in alerts.configured_notifiers() if n != "console"]
    if "slack" in configured:
        return ["slack"]
    return configured or ["console"]


def route_message(alerts: AlertsConfig, *, table: str, severity: str | None,
                  event: str) -> list[str]:
    """The names of the notifiers that get one message, in delivery order."""
    chosen: list[str] = []
    matched = False
    for route in alerts.routes:
        if not matches(route.match, table=table, severity=severity, event=event):
            continue
        matched = True
        chosen += [name for name in route.notify if name not in chosen]
        if route.stop:
            break
    if not matched:
        chosen = default_notifiers(alerts)
    if event == "resolved":
        configured = alerts.configured_notifiers()
        chosen += [n for n in TRACKS_INCIDENTS if n in configured and n not in chosen]
    return chosen
