"""The portal's frame: the signed-in user (from the session cookie), the language, the templates,
and a route class that turns API errors into pages in the user's language."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import jwt
from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, Undefined, pass_context, select_autoescape
from jinja2.runtime import Context

from cascade_portal import official
from cascade_portal.api import Api, ApiError, settings_of
from cascade_portal.i18n import pick_language, translator
from cascade_portal.names import Names, load_names
from cascade_portal.problems import problem_view

PACKAGE = Path(__file__).parent
TOKEN_COOKIE = "cascade_session"
LANG_COOKIE = "lang"
PREFIX = "/portal"

templates = Environment(
    loader=FileSystemLoader(PACKAGE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def number(value: Any, lang: str = "vi") -> str:
    """A figure as a form field holds it (``official.field_number``): 12.0 reads as 12, 0.5 as
    0,5 in Vietnamese; nothing reads as nothing."""
    if isinstance(value, Undefined):
        return ""
    return official.field_number(value, lang)


@pass_context
def shown_number(context: Context, value: Any) -> str:
    """A figure as the reader reads it: 1.000 and 87,5 in Vietnamese, 1,000 and 87.5 in
    English."""
    if isinstance(value, Undefined):
        return ""
    return official.number(value, str(context.get("lang") or "vi"))


def local_time(value: Any, with_time: bool = True) -> str:
    """An API timestamp (UTC) on Vietnam's clock, as officials write it: 14:05 03/03/2026."""
    return official.moment(value, with_time)


def day(value: Any) -> str:
    """An API date (``2026-12-20``) as officials write it: 20/12/2026."""
    return official.day(value)


templates.filters["num"] = shown_number
templates.filters["local_time"] = local_time
templates.filters["day"] = day
templates.globals["period_label"] = official.period_label


@dataclass(frozen=True)
class User:
    username: str
    name: str
    unit: str
    roles: tuple[str, ...]
    expires_at: int

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def user_of(token: str | None) -> User | None:
    """Who the token names, for the screens only: every API call verifies the token itself."""
    if not token:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_aud": False})
        expires_at = int(claims.get("exp", 0))
        if expires_at and expires_at < time.time():
            return None
        return User(
            username=str(claims["sub"]),
            name=str(claims.get("name") or claims["sub"]),
            unit=str(claims["unit"]),
            roles=tuple(claims.get("roles", [])),
            expires_at=expires_at,
        )
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


def safe_next(value: str | None) -> str:
    """Only a path inside the portal (no open redirects)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//"):
        return value
    return PREFIX + "/"


class SignInRequired(Exception):
    pass


@dataclass
class Page:
    """One request: who, in which language, with an API session in their name."""

    request: Request
    lang: str
    user: User | None
    token: str | None
    api: Api
    extra: dict[str, Any] = field(default_factory=dict)
    _names: Names | None = None

    @property
    def t(self) -> Callable[[str], str]:
        return translator(self.lang)

    async def names(self) -> Names:
        """The directory's units and people by name, as this user sees them (fetched once a
        minute for the whole portal, once a request at most)."""
        if self._names is None:
            if self.user is None:
                self._names = Names(self.lang)
            else:
                state = self.request.app.state
                store = getattr(state, "portal_directory", None)
                if store is None:
                    store = state.portal_directory = {}
                self._names = await load_names(self.api, store, self.lang, self.user.unit)
        return self._names

    def require_user(self) -> User:
        if self.user is None:
            raise SignInRequired
        return self.user

    async def unread(self) -> int | None:
        if self.user is None:
            return None
        try:
            return int((await self.api.get("/api/notifications/unread-count"))["unread"])
        except (ApiError, KeyError, TypeError, ValueError):
            return None

    def here(self) -> str:
        """This page's address, to come back to (after a form post: the page it came from)."""
        url = self.request.url
        if self.request.method == "GET":
            return url.path + (f"?{url.query}" if url.query else "")
        referer = urlsplit(self.request.headers.get("referer", ""))
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))

    async def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("names", await self.names())
        html = templates.get_template(template).render(
            t=self.t,
            lang=self.lang,
            user=self.user,
            unread=await self.unread(),
            path=self.request.url.path,
            here=self.here(),
            prefix=PREFIX,
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


async def page_of(request: Request) -> AsyncIterator[Page]:
    token = request.cookies.get(TOKEN_COOKIE)
    page = Page(
        request=request,
        lang=pick_language(request.cookies.get(LANG_COOKIE)),
        user=user_of(token),
        token=token,
        api=Api(request, token),
    )
    try:
        yield page
    finally:
        await page.api.close()


PageDep = Annotated[Page, Depends(page_of)]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def sign_in_redirect(request: Request, reason: str | None = None) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"{PREFIX}/sign-in?next={quote(here if request.method == 'GET' else PREFIX + '/')}"
    if reason:
        target += f"&reason={reason}"
    response = redirect(target)
    if reason:
        response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=max(60, max_age),
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
        path="/",
    )


async def error_page(request: Request, status: int, body: Any) -> HTMLResponse:
    lang = pick_language(request.cookies.get(LANG_COOKIE))
    token = request.cookies.get(TOKEN_COOKIE)
    page = Page(request, lang, user_of(token), token, Api(request, token))
    try:
        view = problem_view(status, body, lang)
        return await page.render("error.html", status_code=status, problem=view)
    finally:
        await page.api.close()


class PortalRoute(APIRoute):
    """Sign-in redirects and API errors become pages instead of tracebacks."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except ApiError as exc:
                if exc.status == 401:
                    return sign_in_redirect(request, "expired")
                return await error_page(request, exc.status, exc.body)

        return handler
