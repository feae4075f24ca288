"""Small WSGI helpers for the sandbox's pages: requests, forms (with uploads) and responses."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email import policy as email_policy
from email.parser import BytesParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from sandbox.blockkit import FormData, Upload

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
MAX_BODY = 5 * 1024 * 1024


class BadRequestError(ValueError):
    """A request the page cannot read; answered with 400 and the message."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    cookies: dict[str, str]
    environ: dict[str, Any]

    @classmethod
    def of(cls, environ: dict[str, Any]) -> Request:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=str(environ.get("PATH_INFO", "/")) or "/",
            query=parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
            cookies={key: morsel.value for key, morsel in cookie.items()},
            environ=environ,
        )

    def arg(self, name: str, default: str = "") -> str:
        return (self.query.get(name) or [default])[0]

    def form(self) -> FormData:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequestError("bad Content-Length") from None
        if length > MAX_BODY:
            raise BadRequestError("That upload is larger than the sandbox takes (5 MB).")
        body = self.environ["wsgi.input"].read(length) if length else b""
        content_type = str(self.environ.get("CONTENT_TYPE", ""))
        if content_type.lower().startswith("multipart/form-data"):
            return _multipart(content_type, body)
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadRequestError("The form could not be read as UTF-8.") from None
        return FormData(fields=fields)


def _multipart(content_type: str, body: bytes) -> FormData:
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=email_policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequestError("multipart form without parts")
    form = FormData()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is not None:
            upload = Upload(filename, payload, part.get_content_type())
            form.files.setdefault(name, []).append(upload)
        else:
            form.fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return form


@dataclass
class Response:
    status: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, start_response: StartResponse) -> list[bytes]:
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            ("Cache-Control", "no-store"),
            # Nothing on these pages comes from elsewhere, so nothing from elsewhere may run.
            (
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "script-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
            ("X-Content-Type-Options", "nosniff"),
            *self.headers,
        ]
        start_response(self.status, headers)
        return [self.body]


def page(body: str, *, status: str = "200 OK") -> Response:
    return Response(status, body.encode())


def redirect(location: str, *, cookie: tuple[str, str] | None = None) -> Response:
    headers: tuple[tuple[str, str], ...] = (("Location", location),)
    if cookie is not None:
        headers += (("Set-Cookie", f"{cookie[0]}={quote(cookie[1])}; Path=/; SameSite=Lax"),)
    return Response("303 See Other", b"", "text/plain", headers)


def text(status: str, message: str) -> Response:
    return Response(status, f"<p>{html.escape(message)}</p>".encode())


def local_path(value: str, default: str = "/") -> str:
    """Only paths on this server, so a form cannot send the browser elsewhere."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
