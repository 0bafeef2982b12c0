"""Token administration (mostly for tests and setup scripts).

Label Studio 1.23 has two kinds of API keys:
- legacy tokens, sent as `Token <key>`; off by default in 1.23 unless the
  organization enabled them;
- personal access tokens (PATs): JWT refresh tokens, one per user, created
  with an authenticated `POST /api/token/`, exchanged at
  `/api/token/refresh/` for 300 s access tokens sent as `Bearer <access>`,
  revoked with `POST /api/token/blacklist/`.
The SDK decides which kind a key is by decoding it (see transport.py).
"""

from .transport import Transport


def create_personal_access_token(transport: Transport) -> str:
    """A new PAT for the calling user (409 if the user already has one)."""
    answer = transport.json(
        "POST", "api/token/", "create a personal access token", retries=0
    )
    return answer["token"]


def revoke_personal_access_token(transport: Transport, token: str) -> None:
    transport.request(
        "POST",
        "api/token/blacklist/",
        "revoke a personal access token",
        json={"refresh": token},
        retries=0,
    )


def set_legacy_tokens_enabled(transport: Transport, enabled: bool) -> None:
    """Turns legacy-token authentication on or off for the organization."""
    what = "change the organization's API token settings"
    settings = transport.json("GET", "api/jwt/settings", what)
    transport.request(
        "POST",
        "api/jwt/settings",
        what,
        json={
            "api_tokens_enabled": settings.get("api_tokens_enabled", True),
            "legacy_api_tokens_enabled": bool(enabled),
        },
        retries=0,
    )
