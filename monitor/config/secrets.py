"""``${VAR}`` interpolation and redaction of the values it brings in.

Secrets come from the environment only. Every value interpolated from the
environment is remembered so that logs and error messages can mask it: the
whole value, and any fragment of it of ``FRAGMENT`` characters or more (a
driver that splits a password at ``@`` or ``/`` and quotes a piece of it
must not leak that piece).

>>> resolve_env("postgresql://etl:${PW}@db/w", {"PW": "s3cret"}, Secrets())
'postgresql://etl:s3cret@db/w'
>>> resolve_url_env("postgresql://etl:${PW}@db/w", {"PW": "Pw@7fq/3aZ"}, Secrets())
'postgresql://etl:Pw%407fq%2F3aZ@db/w'
>>> Secrets(["Pw@7fq/3aZ"]).redact("failed to resolve host '7fq/3aZ'")
"failed to resolve host '***'"
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
MASK = "***"
#: Shortest piece of a secret that is masked on its own (shorter ones are too common).
FRAGMENT = 4
#: Shortest value that is masked at all (a "1" flag would mask half of every message).
SHORTEST = 3


class MissingVariable(KeyError):
    """A ``${VAR}`` that the environment does not define."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def secret_parts(value: str) -> list[str]:
    """The pieces of ``value`` whose fragments are masked.

    A plain value is secret throughout. Of a URL only the password is, and for
    http(s) URLs (Slack webhooks) the path after its first segment and the query:
    masking fragments of ``https://``, a host name or ``/services`` would garble
    every link and many words in every message.

    >>> secret_parts("s3cr3t-token")
    ['s3cr3t-token']
    >>> secret_parts("postgresql://etl:Pw%40x@db.internal/w")
    ['Pw@x', 'Pw%40x']
    >>> secret_parts("https://hooks.slack.com/services/T0/B0/XyZ")
    ['T0/B0/XyZ']
    """
    if not _SCHEME.match(value):
        return [value]
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return [value]
    out = []
    if password:
        out += [unquote(password), password]
    if parts.scheme.lower() in ("http", "https"):
        out += [parts.path.lstrip("/").partition("/")[2], parts.query]
    return list(dict.fromkeys(p for p in out if p))


class Secrets:
    """The set of secret strings seen so far; masks them, and their fragments, in any text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._sources: set[str] = set()  # strings whose fragments are masked
        self._grams: set[str] = set()  # every FRAGMENT-long piece of a source
        self._lock = threading.Lock()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Remember ``value`` (and its percent-encoded form) as a secret."""
        if not value or len(value) < SHORTEST:
            return
        # The percent-encoded form is what a URL carries (see resolve_url_env).
        forms = [value] if _SCHEME.match(value) else [value, quote(value, safe="")]
        with self._lock:
            for form in dict.fromkeys(forms):
                self._values.add(form)
                for part in secret_parts(form):
                    if len(part) >= FRAGMENT and part not in self._sources:
                        self._sources.add(part)
                        self._grams.update(part[i:i + FRAGMENT]
                                           for i in range(len(part) - FRAGMENT + 1))

    def redact(self, text: str) -> str:
        """``text`` with every secret, and every fragment of FRAGMENT+ characters, masked."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
            sources = tuple(self._sources)
            grams = frozenset(self._grams)
        for value in values:
            text = text.replace(value, MASK)
        if not grams:
            return text
        out, i, n = [], 0, len(text)
        while i < n:
            if text[i:i + FRAGMENT] not in grams:
                out.append(text[i])
                i += 1
                continue
            end = i + FRAGMENT
            while end < n and any(text[i:end + 1] in source for source in sources):
                end += 1
            out.append(MASK)
            i = end
        return "".join(out)

    def clear(self) -> None:
        """Forget every secret (tests; a process keeps its secrets for its lifetime)."""
        with self._lock:
            self._values.clear()
            self._sources.clear()
            self._grams.clear()

    def __len__(self) -> int:
        return len(self._values)


#: Process-wide registry used by the logging filter and error formatting.
REGISTRY = Secrets()


def resolve_env(text: str, environ: Mapping[str, str], secrets: Secrets) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; raise MissingVariable when unset."""
    return _VAR.sub(lambda match: _value(match, environ, secrets), text)


def resolve_url_env(text: str, environ: Mapping[str, str], secrets: Secrets) -> str:
    """:func:`resolve_env` for a URL: values in its user-info or query are percent-encoded.

    A password such as ``Pw@7fq/3aZ`` would otherwise end the user-info at its
    ``@`` and make the rest a host name. Text that is not a URL is resolved as is.
    """
    scheme = _SCHEME.match(text)
    if not scheme:
        return resolve_env(text, environ, secrets)
    # Where the parts of the URL begin, read from the literal text only.
    skeleton = _VAR.sub(lambda m: "x" * len(m.group(0)), text)
    authority_end = next((scheme.end() + m.start()
                          for m in re.finditer(r"[/?#]", skeleton[scheme.end():])), len(text))
    at = skeleton.rfind("@", scheme.end(), authority_end)
    query = skeleton.find("?", authority_end)
    query_end = skeleton.find("#", query) if query >= 0 else -1
    encoded_spans = []
    if at >= 0:
        encoded_spans.append((scheme.end(), at))
    if query >= 0:
        encoded_spans.append((query, query_end if query_end >= 0 else len(text)))

    out, position = [], 0
    for match in _VAR.finditer(text):
        out.append(text[position:match.start()])
        value = _value(match, environ, secrets)
        if any(lo <= match.start() < hi for lo, hi in encoded_spans):
            value = quote(value, safe="")
            secrets.add(value)
        out.append(value)
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _value(match: re.Match[str], environ: Mapping[str, str], secrets: Secrets) -> str:
    name, default = match.group(1), match.group(2)
    if name in environ:
        value = environ[name]
        secrets.add(value)
        return value
    if default is not None:
        return default
    raise MissingVariable(name)


def only_variable(text: str) -> str | None:
    """The variable's name when ``text`` is exactly ``${VAR}``, else None."""
    match = _VAR.fullmatch(text.strip())
    return match.group(1) if match and match.group(2) is None else None


def redact(text: str) -> str:
    """Mask every secret seen by this process in ``text``."""
    return REGISTRY.redact(text)


def redact_values(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists) masked; the structure kept (JSON payloads).

    >>> REGISTRY.add("tok-9Qz7Lw"); redact_values({"text": ["token tok-9Qz7Lw"], "n": 1})
    {'text': ['token ***'], 'n': 1}
    """
    if isinstance(value, str):
        return REGISTRY.redact(value)
    if isinstance(value, Mapping):
        return {k: redact_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_values(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in messages and their arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if len(REGISTRY):
            record.msg = REGISTRY.redact(record.getMessage())
            record.args = None
            if record.exc_text:
                record.exc_text = REGISTRY.redact(record.exc_text)
        return True
