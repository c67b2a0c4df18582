"""Bearer JWT authentication and unit-scoped permission checks.

A token's claims name the user (``sub``, ``name``), their org unit (``unit``, a dotted path such
as ``vn.hue.huong-an``) and their ``roles``. Unit codes are paths, so "this unit and the units
below it" is a prefix test that needs no directory lookup.

Production verifies RS256 tokens from an identity provider through its JWKS URL; embedded mode
signs HS256 dev tokens with a local secret. Without an identity provider, services given a shared
``CASCADE_JWT_SECRET`` verify HS256 tokens signed with it: the dev-token endpoint's, or an
operator's from ``cascade-admin token`` (both signed by :meth:`TokenVerifier.issue`).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from cascade_shared.problems import Problem, forbidden
from cascade_shared.settings import Settings
from cascade_shared.units import parent_unit, unit_within

ROLES = ("drafter", "head", "approver", "auditor", "admin")


class Principal(BaseModel):
    username: str
    name: str = ""
    unit: str
    roles: list[str]

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def sees(self, unit: str) -> bool:
        """Whether this user may see ``unit``: their own unit and every unit below it."""
        return unit_within(unit, self.unit)

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise forbidden(f"this needs one of the roles {', '.join(roles)}")

    @property
    def central(self) -> bool:
        """Whether this user belongs to the top of the hierarchy (the central unit)."""
        return parent_unit(self.unit) is None

    def require_central(self, *roles: str) -> None:
        """One of ``roles`` at the central unit: for what spans every unit at once."""
        self.require_role(*roles)
        if not self.central:
            raise forbidden(f"this spans every unit: it needs one of {', '.join(roles)} at central")

    def require_sees(self, unit: str) -> None:
        if not self.sees(unit):
            raise forbidden(f"unit {unit} is outside your unit {self.unit} and the units below it")


class TokenVerifier:
    def __init__(self, settings: Settings, secret: str | None = None) -> None:
        self.settings = settings
        self.secret = secret or settings.jwt_secret
        self._jwks: jwt.PyJWKClient | None = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        )

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            else:
                if not self.secret:
                    raise Problem(401, "Unauthorized", "no token verification is configured")
                key, algorithms = self.secret, ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.jwt_audience,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "Unauthorized", "the token has expired", type_="token") from exc
        except jwt.PyJWTError as exc:
            raise Problem(401, "Unauthorized", f"invalid token: {exc}", type_="token") from exc
        try:
            return Principal(
                username=claims["sub"],
                name=claims.get("name", ""),
                unit=claims["unit"],
                roles=list(claims.get("roles", [])),
            )
        except (KeyError, ValueError) as exc:
            raise Problem(401, "Unauthorized", "the token lacks unit or roles") from exc

    def issue(self, principal: Principal, ttl_seconds: int | None = None) -> str:
        """Sign an HS256 token with the configured secret: the dev-token endpoint's (embedded
        mode and tests) and ``cascade-admin token``'s (an operator without identity provider)."""
        if not self.secret:
            raise Problem(400, "Dev tokens are disabled", "no HS256 secret is configured")
        now = int(time.time())
        claims = {
            "sub": principal.username,
            "name": principal.name,
            "unit": principal.unit,
            "roles": principal.roles,
            "aud": self.settings.jwt_audience,
            "iss": self.settings.jwt_issuer,
            "iat": now,
            "exp": now + (ttl_seconds or self.settings.token_ttl_seconds),
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")


def dev_secret(settings: Settings) -> str:
    """The HS256 secret: configured, or made once and kept in the data folder."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir) / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


_bearer = HTTPBearer(auto_error=False)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "Unauthorized", "send a bearer token in the Authorization header")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_principal)]
