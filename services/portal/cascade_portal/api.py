"""Calls from the portal to the services' JSON APIs with the signed-in user's token: over HTTP
to the gateway in distributed mode, in-process through the app itself in embedded mode."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

from cascade_portal.settings import PortalSettings


class ApiError(Exception):
    """An API answered with an error status: its problem details travel with it."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"API answered {status}")
        self.status = status
        self.body = body


def settings_of(request: Request) -> PortalSettings:
    settings = getattr(request.app.state, "portal_settings", None)
    if settings is None:
        settings = PortalSettings()
        request.app.state.portal_settings = settings
    return settings


def client_for(request: Request, token: str | None) -> httpx.AsyncClient:
    settings = settings_of(request)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    correlation = request.headers.get("x-correlation-id")
    if correlation:
        headers["X-Correlation-ID"] = correlation
    if settings.api_url:
        return httpx.AsyncClient(
            base_url=settings.api_url, headers=headers, timeout=settings.timeout_seconds
        )
    transport = httpx.ASGITransport(app=request.app)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://cascade.internal",
        headers=headers,
        timeout=settings.timeout_seconds,
    )


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"detail": response.text[:500]}


def checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise ApiError(response.status_code, body_of(response))
    return response


class Api:
    """One request's API session: ``await api.get(...)`` returns the JSON or raises ApiError."""

    def __init__(self, request: Request, token: str | None) -> None:
        self.client = client_for(request, token)

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, {"detail": f"{type(exc).__name__}: {exc}"}) from exc

    async def get(self, path: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return checked(await self.send("GET", path, params=clean)).json()

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        r = checked(await self.send("POST", path, json=json, **kwargs))
        return r.json() if r.content else None

    async def patch(self, path: str, json: Any) -> Any:
        return checked(await self.send("PATCH", path, json=json)).json()

    async def put(self, path: str, json: Any) -> Any:
        return checked(await self.send("PUT", path, json=json)).json()

    async def delete(self, path: str) -> None:
        checked(await self.send("DELETE", path))
