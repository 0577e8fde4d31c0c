"""``dq-monitor dashboard --login`` against a real OpenID Connect provider on loopback
(``tests/helpers/oidc_provider.py``), in Chromium: the prompt without the data, the login
through the provider and back, the signed-in user shown, and the logout. The ``[auth]``
section is the example of docs/dashboard.md with the provider's addresses and client."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.dashboards.test_browser import (
    CHROMIUM_ARGS,
    ERRORS,
    WAIT_MS,
    _missing,
    chromium_or_skip,
    settle,
)
from tests.helpers.dashboard import free_port, seeded_config, served_dashboard
from tests.helpers.oidc_provider import OidcProvider, b64url, oidc_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"
PROMPT = "Log in to see the data health of your tables."


def documented_auth() -> dict[str, Any]:
    """The ``[auth]`` example of docs/dashboard.md, parsed."""
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    found = [tomllib.loads(b)["auth"] for b in blocks if b.lstrip().startswith("[auth]")]
    assert len(found) == 1, f"{DOCS} should hold one ```toml [auth] example, found {len(found)}"
    return found[0]


def auth_or_skip() -> None:
    for module, package in (("authlib", "Authlib"), ("httpx", "httpx")):
        if importlib.util.find_spec(module) is None:
            _missing(f"{package} is not installed (pip install -e '.[auth]'); "
                     f"the login test needs it")


def toml_value(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


@dataclass
class LoginSetup:
    url: str
    provider: OidcProvider
    auth: dict[str, Any]
    store_file: Path

    def store_state(self) -> dict[str, str]:
        """Every file of the SQLite store (with -wal/-journal) by its SHA-256."""
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in self.store_file.parent.glob(f"{self.store_file.name}*")}


@pytest.fixture(scope="module", params=["", "/dq"], ids=["root", "base-path"])
def login_setup(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LoginSetup]:
    """The dashboard with --login on the seeded store, at the root and under a base path."""
    chromium_or_skip()
    auth_or_skip()
    folder = tmp_path_factory.mktemp("login")
    config = seeded_config(folder)
    port = free_port()
    with oidc_provider() as provider:
        base = request.param
        auth = dict(documented_auth(),
                    redirect_uri=f"http://127.0.0.1:{port}{base}/oauth2callback",
                    client_id=provider.client_id, client_secret=provider.client_secret,
                    server_metadata_url=provider.metadata_url)
        (folder / ".streamlit").mkdir()
        (folder / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in auth.items()),
            encoding="utf-8")
        with served_dashboard(config, folder / "dashboard.log", login=True, port=port,
                              cwd=folder, base_path=base) as url:
            yield LoginSetup(url, provider, auth, folder / "metrics.db")


@pytest.fixture
def page(login_setup: LoginSetup) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_or_skip(),
                                         args=CHROMIUM_ARGS, headless=True)
        yield browser.new_context(viewport={"width": 1280, "height": 1200}).new_page()
        browser.close()


def prompt_shown(page: Any) -> None:
    page.get_by_text(PROMPT).wait_for(timeout=WAIT_MS)
    settle(page)


class TestTheDocumentedExample:
    def test_names_the_keys_the_login_test_sets(self):
        auth = documented_auth()

        assert set(auth) == {"redirect_uri", "cookie_secret", "client_id", "client_secret",
                             "server_metadata_url"}
        assert auth["redirect_uri"].endswith("/oauth2callback")
        assert len(auth["cookie_secret"]) >= 32


class TestLoginThroughTheProvider:
    def test_an_anonymous_visit_shows_the_prompt_and_no_data(self, login_setup: LoginSetup,
                                                             page: Any):
        page.goto(f"{login_setup.url}/?table=orders", wait_until="domcontentloaded")
        prompt_shown(page)

        body = page.inner_text("body")
        assert page.get_by_role("button", name="Log in").count() == 1
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0
        assert "Data health" not in body
        assert "orders" not in body
        assert "Signed in as" not in body
        assert page.locator(ERRORS).count() == 0

    def test_log_in_goes_through_the_provider_and_back_and_log_out_returns_to_the_prompt(
            self, login_setup: LoginSetup, page: Any):
        provider = login_setup.provider
        provider.requests.clear()
        provider.issued.clear()
        before = login_setup.store_state()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        authorized: list[dict[str, str]] = []
        page.on("request", lambda r: authorized.append(
            {k: v[0] for k, v in parse_qs(urlsplit(r.url).query).items()})
            if r.url.startswith(f"{provider.issuer}/authorize") else None)
        page.goto(f"{login_setup.url}/", wait_until="domcontentloaded")
        prompt_shown(page)

        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Data health", exact=True).wait_for(timeout=WAIT_MS)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
        settle(page)

        signed_in = page.get_by_text("Signed in as Ada Lovelace (ada@example.test)")
        assert signed_in.count() == 1
        assert page.locator(ERRORS).count() == 0
        assert urlsplit(page.url).netloc == urlsplit(login_setup.url).netloc
        assert failed == []
        assert login_setup.store_state() == before  # a signed-in visit reads only
        assert [r for r in provider.requests if r != "GET /.well-known/openid-configuration"
                ][:3] == ["GET /authorize", "POST /token", "GET /jwks"]
        assert len(authorized) == 1
        request = authorized[0]
        assert request["client_id"] == provider.client_id
        assert request["redirect_uri"] == login_setup.auth["redirect_uri"]
        assert set(request["scope"].split()) == {"openid", "email", "profile"}
        assert request["code_challenge_method"] == "S256"
        (claims,) = provider.issued
        assert claims["nonce"] == request["nonce"]
        assert claims["aud"] == provider.client_id
        assert claims["iss"] == provider.issuer

        page.get_by_role("button", name="Log out").click()
        prompt_shown(page)

        assert "GET /logout" in provider.requests
        assert page.get_by_role("button", name="Log in").count() == 1
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
        assert "Signed in as" not in page.inner_text("body")
        page.reload(wait_until="domcontentloaded")
        prompt_shown(page)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0


    def test_an_id_token_not_signed_with_the_published_key_is_refused(
            self, login_setup: LoginSetup, page: Any):
        from cryptography.hazmat.primitives.asymmetric import rsa

        provider = login_setup.provider
        provider.requests.clear()
        provider.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        try:
            page.goto(f"{login_setup.url}/", wait_until="domcontentloaded")
            prompt_shown(page)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(re.compile(re.escape(login_setup.url) + r"/?$"),
                              timeout=WAIT_MS)
            prompt_shown(page)
        finally:
            provider.forger = None

        assert "POST /token" in provider.requests  # the code was exchanged...
        assert page.locator('[data-testid="stDataFrame"]').count() == 0  # ...and refused
        assert "Signed in as" not in page.inner_text("body")


class TestTheProviderRefusesWhatARealOneWould:
    def test_a_code_is_redeemed_once_and_only_with_its_pkce_verifier(self):
        auth_or_skip()
        import httpx

        verifier = "v" * 50
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        redirect = "http://127.0.0.1:9/oauth2callback"
        with oidc_provider() as provider, httpx.Client(base_url=provider.issuer) as client:
            answer = client.get("/authorize", params={
                "response_type": "code", "client_id": provider.client_id, "scope": "openid",
                "redirect_uri": redirect, "state": "s1", "nonce": "n1",
                "code_challenge": challenge, "code_challenge_method": "S256"})
            back = parse_qs(urlsplit(answer.headers["location"]).query)
            form = {"grant_type": "authorization_code", "code": back["code"][0],
                    "redirect_uri": redirect, "client_id": provider.client_id,
                    "client_secret": provider.client_secret}

            wrong = client.post("/token", data=dict(form, code_verifier="x" * 50))
            right_after_wrong = client.post("/token", data=dict(form, code_verifier=verifier))

        assert answer.status_code == 302
        assert back["state"] == ["s1"]
        assert wrong.json()["error"] == "invalid_grant"
        assert right_after_wrong.json()["error"] == "invalid_grant"  # the code is spent

    def test_the_id_token_verifies_with_the_published_key(self):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        with oidc_provider() as provider:
            token = provider.id_token(provider_grant(provider))
            jwk = provider.jwks()["keys"][0]

        header, claims, signature = token.split(".")
        n, e = (int.from_bytes(unb64(jwk[k]), "big") for k in ("n", "e"))
        rsa.RSAPublicNumbers(e, n).public_key().verify(
            unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        assert json.loads(unb64(header)) == {"alg": "RS256", "typ": "JWT", "kid": jwk["kid"]}
        decoded = json.loads(unb64(claims))
        assert decoded["nonce"] == "n1"
        assert decoded["exp"] > decoded["iat"]


def provider_grant(provider: OidcProvider) -> Any:
    from tests.helpers.oidc_provider import Grant

    return Grant(provider.client_id, "http://127.0.0.1:9/oauth2callback", "n1", None, "openid")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
