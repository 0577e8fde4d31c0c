"""Routing by severity, table and event (``alerts.routes``), and its config checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.alerts.routes import default_notifiers, matches, route_message
from monitor.config.models import AlertsConfig, RouteMatch, parse_config
from monitor.errors import ConfigError

SLACK = {"webhook_url": "https://hooks.slack.invalid/services/T0/B0/x"}
PAGERDUTY = {"routing_key": "R7kq2ZpL9wXv4TnM8cYb3HfJ6dGs1AeQ"}
EMAIL = {"host": "smtp.invalid", "sender": "dq@example.com", "to": ["data@example.com"]}


def alerts(**kw: Any) -> AlertsConfig:
    return AlertsConfig.model_validate(kw)


ISSUE_EXAMPLE = alerts(slack=SLACK, pagerduty=PAGERDUTY, email=EMAIL, routes=[
    {"match": {"severity": "critical"}, "notify": ["pagerduty"]},
    {"match": {"table": "orders*"}, "notify": ["slack", "email"]}])


class TestRouteMessage:
    @pytest.mark.parametrize(("table", "severity", "expected"), [
        ("events", "critical", ["pagerduty"]),
        ("events", "warning", ["slack"]),  # no route: the default
        ("orders_eu", "warning", ["slack", "email"]),
        ("orders", "critical", ["pagerduty", "slack", "email"]),
        ("events", None, ["slack"]),
    ])
    def test_every_matching_route_adds_its_notifiers(self, table: str, severity: str | None,
                                                     expected: list[str]) -> None:
        assert route_message(ISSUE_EXAMPLE, table=table, severity=severity,
                             event="opened") == expected

    def test_stop_ends_the_matching(self) -> None:
        config = alerts(slack=SLACK, pagerduty=PAGERDUTY, routes=[
            {"match": {"severity": "critical"}, "notify": "pagerduty", "stop": True},
            {"match": {}, "notify": "slack"}])

        assert route_message(config, table="t", severity="critical", event="opened") == [
            "pagerduty"]
        assert route_message(config, table="t", severity="info", event="opened") == ["slack"]

    def test_a_resolve_always_reaches_pagerduty(self) -> None:
        # The incident was critical (paged) and is resolved as a warning.
        assert route_message(ISSUE_EXAMPLE, table="events", severity="warning",
                             event="resolved") == ["slack", "pagerduty"]
        assert route_message(alerts(slack=SLACK), table="events", severity="warning",
                             event="resolved") == ["slack"]


class TestMatches:
    def test_every_given_key_must_match(self) -> None:
        match = RouteMatch.model_validate({"severity": ["critical", "warning"],
                                           "table": ["orders*", "refunds"],
                                           "event": "opened"})

        assert matches(match, table="orders_eu", severity="warning", event="opened")
        assert not matches(match, table="refunds_eu", severity="warning", event="opened")
        assert not matches(match, table="refunds", severity="info", event="opened")
        assert not matches(match, table="refunds", severity="critical", event="resolved")
        assert matches(RouteMatch(), table="any", severity=None, event="update")


class TestDefaultNotifiers:
    def test_slack_when_configured_else_everything_else_the_console(self) -> None:
        assert default_notifiers(alerts(slack=SLACK, email=EMAIL)) == ["slack"]
        assert default_notifiers(alerts(email=EMAIL, pagerduty=PAGERDUTY)) == [
            "email", "pagerduty"]
        assert default_notifiers(alerts()) == ["console"]


class TestRouteConfig:
    def test_an_unknown_notifier_is_a_config_error_naming_the_key(self) -> None:
        raw = {"warehouses": {"w": "sqlite://"}, "alerts": {"slack": SLACK, "routes": [
            {"match": {"severity": "critical"}, "notify": ["slack", "pagerduty"]}]}}

        with pytest.raises(ConfigError) as raised:
            parse_config(raw)

        assert "alerts.routes[0].notify[1]: notifier 'pagerduty' is not configured" in str(
            raised.value)
        assert "add an 'alerts.pagerduty' section" in str(raised.value)

    def test_a_misspelt_notifier_or_severity_names_the_key(self) -> None:
        raw = {"warehouses": {"w": "sqlite://"}, "alerts": {"routes": [
            {"match": {"severity": "urgent"}, "notify": ["pager"]}]}}

        with pytest.raises(ConfigError) as raised:
            parse_config(raw)

        text = str(raised.value)
        assert "alerts.routes[0].match.severity[0]" in text
        assert "alerts.routes[0].notify[0]" in text

    def test_the_console_is_always_a_known_notifier(self) -> None:
        config = parse_config({"warehouses": {"w": "sqlite://"}, "alerts": {
            "slack": SLACK, "routes": [{"match": {"severity": "info"}, "notify": "console"}]}})

        assert config.alerts.routes[0].notify == ["console"]

    def test_secrets_come_from_the_environment(self) -> None:
        config = parse_config({"warehouses": {"w": "sqlite://"}, "alerts": {
            "pagerduty": {"routing_key": "${PD_KEY}"}}},
            environ={"PD_KEY": "Zx81kQ0pLm2nVb7cRt5w"})

        assert config.alerts.pagerduty is not None
        assert config.alerts.pagerduty.routing_key == "Zx81kQ0pLm2nVb7cRt5w"


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                    st.lists(st.sampled_from(["critical", "slack", "orders*", "x"]), max_size=3))


class TestRouteConfigBadInput:
    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.dictionaries(
        st.sampled_from(["match", "notify", "stop", "other"]),
        st.one_of(_VALUES, st.dictionaries(st.sampled_from(["severity", "table", "event", "x"]),
                                           _VALUES, max_size=3)), max_size=3), max_size=3))
    def test_any_routes_are_accepted_or_a_config_error(self, routes: list[Any]) -> None:
        raw = {"warehouses": {"w": "sqlite://"}, "alerts": {"slack": SLACK, "routes": routes}}

        try:
            config = parse_config(raw)
        except ConfigError as error:
            assert "alerts.routes" in str(error)
        else:
            for route in config.alerts.routes:
                assert set(route.notify) <= {"slack", "console"}
