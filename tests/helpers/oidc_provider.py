"""A small real OpenID Connect provider on 127.0.0.1 for the login tests.

It speaks the authorization code flow as a browser and an OIDC client (Streamlit's
``st.login``, through Authlib) meet it: discovery (``/.well-known/openid-configuration``),
``/authorize`` (approves its one test user at once and redirects back with a code and the
state), ``/token`` (one use per code, client secret by Basic auth or form, PKCE S256
checked; an RS256 id_token carrying the nonce, iss, aud, iat and exp), ``/jwks``,
``/userinfo`` (bearer token) and ``/logout`` (the end-session endpoint). Tokens are
signed with ``cryptography`` directly, not with the client's own JOSE library.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.helpers.loopback import serving

KEY_ID = "test-key-1"
#: Seconds an id_token and an access token are valid.
TOKEN_SECONDS = 600


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it.

    >>> b64url(b"\\xff\\xfe")
    '__4'
    """
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class Grant:
    """What ``/authorize`` promised, redeemed once at ``/token``."""

    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    scope: str


@dataclass
class OidcProvider:
    """The provider's state: its client, its test user, its key and what it was asked."""

    client_id: str = "dq-monitor-test"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    user: dict[str, Any] = field(default_factory=lambda: {
        "sub": "user-0001", "name": "Ada Lovelace", "email": "ada@example.test",
        "email_verified": True})
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    #: Signs id_tokens instead of ``key`` when set (a forged token: JWKS still has ``key``).
    forger: rsa.RSAPrivateKey | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, float] = field(default_factory=dict)
    #: Every request as ``"METHOD /path"``, and the claims of every id_token issued.
    requests: list[str] = field(default_factory=list)
    issued: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: Any = None

    @property
    def issuer(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
            "userinfo_endpoint": f"{base}/userinfo", "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "name", "email", "email_verified", "nonce"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
                          "n": _uint(numbers.n), "e": _uint(numbers.e)}]}

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": grant.client_id, "iat": now, "auth_time": now,
                  "exp": now + TOKEN_SECONDS, **self.user}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        self.issued.append(claims)
        header = {"alg": "RS256", "typ": "JWT", "kid": KEY_ID}
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode())
                                 for part in (header, claims))
        signature = (self.forger or self.key).sign(signing_input.encode("ascii"),
                                                   padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def provider(self) -> OidcProvider:
        return self.server.provider

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.provider.requests.append(f"GET {parts.path}")
        provider = self.provider
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, provider.metadata())
        elif parts.path == "/jwks":
            self._json(200, provider.jwks())
        elif parts.path == "/authorize":
            self._authorize(query)
        elif parts.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if provider.access_tokens.get(token, 0) < time.time():
                self._json(401, {"error": "invalid_token"})
            else:
                self._json(200, provider.user)
        elif parts.path == "/logout":
            back = query.get("post_logout_redirect_uri")
            if back is None:
                self._json(200, {"logged_out": True})
            else:
                self._redirect(back)
        else:
            self._json(404, {"error": "not_found", "path": parts.path})

    def _authorize(self, query: dict[str, str]) -> None:
        provider = self.provider
        if query.get("client_id") != provider.client_id or "redirect_uri" not in query:
            self._json(400, {"error": "invalid_client"})
            return
        if query.get("response_type") != "code" or "openid" not in query.get("scope", ""):
            self._redirect(f"{query['redirect_uri']}?"
                           + urlencode({"error": "unsupported_response_type",
                                        "state": query.get("state", "")}))
            return
        if query.get("code_challenge") and query.get("code_challenge_method") != "S256":
            self._json(400, {"error": "invalid_request",
                             "error_description": "only S256 PKCE"})
            return
        code = secrets.token_urlsafe(16)
        with provider.lock:
            provider.grants[code] = Grant(query["client_id"], query["redirect_uri"],
                                          query.get("nonce"), query.get("code_challenge"),
                                          query["scope"])
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        self._redirect(f"{query['redirect_uri']}?{urlencode(answer)}")

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.provider.requests.append(f"POST {parts.path}")
        if parts.path != "/token":
            self._json(404, {"error": "not_found", "path": parts.path})
            return
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        self._token(form)

    def _client(self, form: dict[str, str]) -> tuple[str | None, str | None]:
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            from urllib.parse import unquote

            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            return unquote(user), unquote(password)
        return form.get("client_id"), form.get("client_secret")

    def _token(self, form: dict[str, str]) -> None:
        provider = self.provider
        client_id, client_secret = self._client(form)
        if client_id != provider.client_id or client_secret != provider.client_secret:
            self._json(401, {"error": "invalid_client"})
            return
        with provider.lock:
            grant = provider.grants.pop(form.get("code", ""), None)
        if (form.get("grant_type") != "authorization_code" or grant is None
                or grant.client_id != client_id
                or grant.redirect_uri != form.get("redirect_uri")):
            self._json(400, {"error": "invalid_grant"})
            return
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != grant.code_challenge:
                self._json(400, {"error": "invalid_grant",
                                 "error_description": "PKCE verifier does not match"})
                return
        access = secrets.token_urlsafe(24)
        provider.access_tokens[access] = time.time() + TOKEN_SECONDS
        self._json(200, {"access_token": access, "token_type": "Bearer",
                         "expires_in": TOKEN_SECONDS, "scope": grant.scope,
                         "id_token": provider.id_token(grant)})


@contextmanager
def oidc_provider(**settings: Any) -> Iterator[OidcProvider]:
    """Serve an :class:`OidcProvider` on a free port of 127.0.0.1 while the block runs."""
    provider = OidcProvider(**settings)
    with serving(_Handler, provider, "provider"):
        yield provider
