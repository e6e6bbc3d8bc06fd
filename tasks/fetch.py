"""Fetching feeds over HTTP: polite, conditional, bounded, and honest about what happened.

One ``httpx.AsyncClient`` per run serves every feed; per-host and global semaphores keep us
polite. Redirects are followed by hand so each hop is recorded and checked against the
private-network rule (a public feed must not be able to bounce us onto 127.0.0.1). Every
outcome — 200, 304, 404, timeout, oversized body, refused address — becomes a
``FetchResult`` and never an exception: one broken feed never fails a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import random
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from tasks.settings import FetchLimits

# Response headers worth keeping with the raw payload: what the parser needs (type,
# encoding), what conditional GET needs next time, and the server's caching hints that
# the poll scheduler reads.
KEPT_HEADERS = (
    "content-type",
    "content-encoding",
    "content-length",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "retry-after",
    "date",
)
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504, 429})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch and what we remember from the last time."""

    feed_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    previous_body_sha256: str | None = None
    allow_private_network: bool = False


@dataclass
class FetchResult:
    feed_id: str
    url: str
    fetched_at: datetime
    final_url: str | None = None
    status: int | None = None
    body: bytes | None = None
    body_sha256: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    bytes_received: int = 0
    elapsed_s: float = 0.0
    attempts: int = 0
    redirects: list[tuple[int, str]] = field(default_factory=list)
    permanent_redirect_url: str | None = None
    # Set when a 429/503 asked us to come back later than we were willing to wait.
    retry_after_s: float | None = None
    previous_body_sha256: str | None = None
    error_kind: str | None = None
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def unchanged(self) -> bool:
        """The body is byte-identical to the last one we parsed (servers that ignore
        conditional GET, or send a fresh ETag for the same bytes)."""
        return self.not_modified or (self.body is not None and self.body_sha256 == self.previous_body_sha256)

    @property
    def ok(self) -> bool:
        return self.error is None


class FetchRefused(Exception):
    """The request must not be made (unsafe address or scheme)."""


class BodyTooLarge(Exception):
    pass


def _blocked_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_destination(url: str, allow_private: bool) -> None:
    """Refuse non-HTTP schemes, and hosts that resolve to loopback, private, link-local,
    multicast or reserved addresses unless private networks are allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"scheme {parts.scheme!r} is not fetched (only http and https)")
    host = parts.hostname
    if not host:
        raise FetchRefused("URL has no host")
    if allow_private:
        return
    try:
        addresses = [ipaddress.ip_address(host).compressed]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise httpx.ConnectError(f"DNS lookup for {host} failed: {error}") from error
        addresses = sorted({info[4][0] for info in infos})
    blocked = [address for address in addresses if _blocked_address(address)]
    if blocked:
        raise FetchRefused(
            f"{host} resolves to non-public address(es) {blocked}; refused to prevent "
            "server-side request forgery. Set allow_private_network = true on the feed "
            "(or NEWSWIRE_FETCH_ALLOW_PRIVATE_NETWORKS=1) if this is intended"
        )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _backoff_delay(limits: FetchLimits, attempt: int) -> float:
    base = limits.backoff_base_s * (2 ** (attempt - 1))
    return base + random.uniform(0, limits.backoff_base_s)


class Fetcher:
    """One run's HTTP machinery: a shared client plus politeness limits."""

    def __init__(self, limits: FetchLimits, client: httpx.AsyncClient | None = None):
        self.limits = limits
        self._client = client
        self._global = asyncio.Semaphore(limits.global_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        if self._client is None:
            timeout = httpx.Timeout(
                connect=self.limits.connect_timeout_s,
                read=self.limits.read_timeout_s,
                write=self.limits.read_timeout_s,
                pool=None,
            )
            self._client = httpx.AsyncClient(
                timeout=timeout,
                follow_redirects=False,
                headers={"User-Agent": self.limits.user_agent},
                limits=httpx.Limits(max_connections=self.limits.global_concurrency),
                trust_env=False,
            )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _host_semaphore(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._per_host:
            self._per_host[host] = asyncio.Semaphore(self.limits.per_host_concurrency)
        return self._per_host[host]

    async def fetch(self, request: FetchRequest) -> FetchResult:
        result = FetchResult(
            feed_id=request.feed_id,
            url=request.url,
            fetched_at=datetime.now(UTC),
            previous_body_sha256=request.previous_body_sha256,
        )
        started = time.monotonic()
        allow_private = request.allow_private_network or self.limits.allow_private_networks
        try:
            for attempt in range(1, self.limits.max_retries + 2):
                result.attempts = attempt
                retry_in = await self._attempt(request, result, allow_private)
                if retry_in is None or attempt > self.limits.max_retries:
                    break
                await asyncio.sleep(retry_in)
        finally:
            result.elapsed_s = round(time.monotonic() - started, 4)
        return result

    async def _attempt(self, request: FetchRequest, result: FetchResult, allow_private: bool) -> float | None:
        """One try including redirects. Returns seconds to wait before retrying, or None
        when the outcome is final (success or a non-retryable error)."""
        result.error = result.error_kind = None
        result.redirects = []
        try:
            async with self._host_semaphore(request.url), self._global:
                async with asyncio.timeout(self.limits.total_timeout_s):
                    await self._get_following_redirects(request, result, allow_private)
        except FetchRefused as error:
            return self._final_error(result, "refused", str(error))
        except BodyTooLarge:
            return self._final_error(
                result,
                "too_large",
                f"body exceeds {self.limits.max_body_bytes:,} bytes after decompression; "
                "raise NEWSWIRE_FETCH_MAX_BODY_BYTES if this feed is really that large",
            )
        except TimeoutError:
            result.error_kind, result.error = (
                "timeout",
                (f"no complete response within {self.limits.total_timeout_s:g} s"),
            )
            return _backoff_delay(self.limits, result.attempts)
        except httpx.TimeoutException as error:
            result.error_kind, result.error = "timeout", f"{type(error).__name__}: {error or 'timed out'}"
            return _backoff_delay(self.limits, result.attempts)
        except httpx.TooManyRedirects as error:
            return self._final_error(result, "redirects", str(error))
        except (httpx.TransportError, httpx.DecodingError, OSError) as error:
            result.error_kind, result.error = "network", f"{type(error).__name__}: {error}"
            return _backoff_delay(self.limits, result.attempts)

        status = result.status or 0
        if status in (200, 304) or (200 <= status < 300):
            return None
        result.error_kind = "http"
        result.error = f"HTTP {status}"
        if status in (429, 503):
            wait = parse_retry_after(result.headers.get("retry-after"))
            if wait is not None:
                result.error += f" (Retry-After {wait:.0f} s)"
                if wait > self.limits.max_retry_after_s:
                    result.retry_after_s = wait
                    return None
                return wait
        if status in _RETRYABLE_STATUS:
            return _backoff_delay(self.limits, result.attempts)
        return None

    @staticmethod
    def _final_error(result: FetchResult, kind: str, message: str) -> None:
        result.error_kind, result.error = kind, message
        return None

    async def _get_following_redirects(
        self, request: FetchRequest, result: FetchResult, allow_private: bool
    ) -> None:
        assert self._client is not None
        url = request.url
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        permanent_so_far = True
        seen = {url}
        for _hop in range(self.limits.max_redirects + 1):
            await check_destination(url, allow_private)
            async with self._client.stream("GET", url, headers=headers) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECT_STATUS and location:
                    next_url = urljoin(url, location)
                    result.redirects.append((response.status_code, next_url))
                    permanent_so_far = permanent_so_far and response.status_code in _PERMANENT_REDIRECTS
                    if permanent_so_far:
                        result.permanent_redirect_url = next_url
                    if next_url in seen:
                        raise httpx.TooManyRedirects(f"redirect loop back to {next_url}")
                    seen.add(next_url)
                    url = next_url
                    continue
                result.final_url = url
                result.status = response.status_code
                result.headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
                if response.status_code == 200:
                    result.body = await self._read_capped(response)
                    result.body_sha256 = hashlib.sha256(result.body).hexdigest()
                else:
                    await response.aclose()
                result.bytes_received = response.num_bytes_downloaded
                return
        raise httpx.TooManyRedirects(f"more than {self.limits.max_redirects} redirects")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        plain = "content-encoding" not in response.headers
        if plain and declared and declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            raise BodyTooLarge()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                raise BodyTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)


async def fetch_all(requests: Iterable[FetchRequest], limits: FetchLimits) -> list[FetchResult]:
    """Fetch every request concurrently; results come back in request order."""
    async with Fetcher(limits) as fetcher:
        return list(await asyncio.gather(*(fetcher.fetch(request) for request in requests)))


def fetch_feeds(requests: list[FetchRequest], limits: FetchLimits) -> list[FetchResult]:
    """Synchronous entry point for flows and tests."""
    return asyncio.run(fetch_all(requests, limits))
