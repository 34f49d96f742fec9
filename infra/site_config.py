"""The dashboard's /config.json: where its API, WebSocket and sign-in are, in AWS and locally;
and the content type each of its files is served with, by the local runtime and from S3 alike.

The local runtime serves it at the dashboard's origin; `make deploy` writes it
into the dashboard's bucket from the stack's outputs (`from_outputs`, or
`python -m infra.site_config < describe-stacks.json`). One function builds it
for both, so the page reads the same shape wherever it runs.
"""

from __future__ import annotations

import json
import mimetypes
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCOPE = "openid email profile"

# Browsers must read each type as what it is: a module script served as text/plain is refused.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


def content_type(path: Path) -> str:
    """The type a site file is served with: ours for the site's own kinds, else the platform's
    guess, else bytes."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def site_config(*, api: str, websocket: str, sign_in: str, client_id: str) -> dict[str, Any]:
    """`sign_in` is the base URL of the OAuth 2.0 endpoints: the Cognito domain in AWS, the
    local identity provider's URL on `make run`."""
    base = sign_in.rstrip("/")
    return {
        "api": api.rstrip("/"),
        "websocket": websocket,
        "auth": {
            "authorizeUrl": f"{base}/oauth2/authorize",
            "tokenUrl": f"{base}/oauth2/token",
            "logoutUrl": f"{base}/logout",
            "clientId": client_id,
            "scope": SCOPE,
        },
    }


def from_outputs(outputs: Mapping[str, str]) -> dict[str, Any]:
    """The config from the stack's outputs: HttpApiUrl, WebSocketUrl, SignInDomainUrl and
    UserPoolClientId, as template.yaml names them."""
    return site_config(
        api=outputs["HttpApiUrl"],
        websocket=outputs["WebSocketUrl"],
        sign_in=outputs["SignInDomainUrl"],
        client_id=outputs["UserPoolClientId"],
    )


def main() -> None:
    """Reads `aws cloudformation describe-stacks` output on stdin, prints config.json."""
    stacks = json.load(sys.stdin)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    json.dump(from_outputs(outputs), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
