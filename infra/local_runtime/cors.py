"""An HTTP API's CorsConfiguration, applied the way API Gateway applies it to HTTP APIs.

From the developer guide's "Configure CORS for HTTP APIs":
- API Gateway answers a preflight itself, even with no OPTIONS route: an
  OPTIONS request with an `Origin` and an `Access-Control-Request-Method`. No
  function and no authorizer runs. A route that takes OPTIONS itself (OPTIONS,
  ANY or `$default`) gets the preflight instead, which is why the guide warns
  about `$default` with an authorizer.
- "To return CORS headers, your request must contain an origin header."
- "If you configure CORS for an API, API Gateway ignores CORS headers returned
  from your backend integration": the function's `access-control-*` headers are
  dropped, and the configured ones are added.
- allowOrigins holds origins, `*`, or `https://*` / `http://*` (any origin of
  that scheme).

A request from an origin the configuration does not allow gets no CORS headers
at all (its preflight is a bare 204), so the browser refuses it. The headers
go on every answer to an allowed origin, the gateway's own 401 and 404
included: an HTTP API's CORS configuration belongs to the whole API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.local_runtime.template import as_bool


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value] if value else []))


@dataclass(frozen=True)
class CorsPolicy:
    allow_origins: tuple[str, ...]
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_configuration(cls, configuration: Any) -> CorsPolicy | None:
        """SAM's CorsConfiguration, resolved: `true` (every origin, header and method), a map of
        AllowOrigins, AllowHeaders, AllowMethods, ExposeHeaders, MaxAge, AllowCredentials, or
        nothing (None)."""
        if configuration is None or configuration is False or configuration == "false":
            return None
        if configuration is True or configuration == "true":
            return cls(("*",), ("*",), ("*",))
        if not isinstance(configuration, dict):
            raise ValueError(f"a CorsConfiguration is true, false or a map, not {configuration!r}")
        max_age = configuration.get("MaxAge")
        return cls(
            allow_origins=_names(configuration.get("AllowOrigins")),
            allow_headers=tuple(h.lower() for h in _names(configuration.get("AllowHeaders"))),
            allow_methods=tuple(m.upper() for m in _names(configuration.get("AllowMethods"))),
            expose_headers=tuple(h.lower() for h in _names(configuration.get("ExposeHeaders"))),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=as_bool(configuration.get("AllowCredentials", False)),
        )

    def allows(self, origin: str) -> bool:
        for allowed in self.allow_origins:
            if allowed == "*":
                return True
            if allowed in ("https://*", "http://*"):
                if origin.lower().startswith(allowed[:-1]):
                    return True
            elif allowed.rstrip("/").lower() == origin.rstrip("/").lower():
                return True
        return False

    @staticmethod
    def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
        return (
            method == "OPTIONS"
            and "origin" in headers
            and "access-control-request-method" in headers
        )

    def _origin(self, origin: str) -> str:
        wildcard = "*" in self.allow_origins and not self.allow_credentials
        return "*" if wildcard else origin

    def preflight(self, headers: Mapping[str, str]) -> list[tuple[str, str]]:
        """The headers of the gateway's own answer to a preflight (lowercased request headers)."""
        origin = headers["origin"]
        if not self.allows(origin):
            return []
        answer = [("access-control-allow-origin", self._origin(origin))]
        if self.allow_credentials:
            answer.append(("access-control-allow-credentials", "true"))
        if self.allow_methods:
            methods = (
                [headers["access-control-request-method"]]
                if "*" in self.allow_methods
                else list(self.allow_methods)
            )
            answer.append(("access-control-allow-methods", ",".join(methods)))
        requested = headers.get("access-control-request-headers", "")
        if self.allow_headers:
            allowed = requested if "*" in self.allow_headers else ",".join(self.allow_headers)
            if allowed:
                answer.append(("access-control-allow-headers", allowed))
        if self.max_age is not None:
            answer.append(("access-control-max-age", str(self.max_age)))
        return answer

    def apply(
        self, response_headers: list[tuple[str, str]], request_headers: Mapping[str, str]
    ) -> list[tuple[str, str]]:
        """The response's headers with the backend's CORS headers replaced by the configured ones
        (lowercased request headers)."""
        kept = [(n, v) for n, v in response_headers if not n.lower().startswith("access-control-")]
        origin = request_headers.get("origin")
        if origin is None or not self.allows(origin):
            return kept
        kept.append(("access-control-allow-origin", self._origin(origin)))
        if self.allow_credentials:
            kept.append(("access-control-allow-credentials", "true"))
        if self.expose_headers:
            kept.append(("access-control-expose-headers", ",".join(self.expose_headers)))
        return kept
