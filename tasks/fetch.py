"""Fetching feeds over HTTP: polite, conditional, bounded, and honest about what happened.

One ``httpx.AsyncClient`` per run serves every feed; per-host and global semaphores keep us
polite. Redirects are followed by hand so each hop is recorded and checked against the
private-network rule (a public feed must not be able to bounce us onto 127.0.0.1); the
rule itself is enforced where the socket is opened (``tasks/netguard.py``), on the address
actually connected to. Bodies are decoded with a byte budget (``tasks/content_decoding.py``)
so a compression bomb never inflates past the cap. Every
outcome — 200, 304, 404, timeout, oversized body, refused address — becomes a
``FetchResult`` and never an exception: one broken feed never fails a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from newswire.tasks.content_decoding import ACCEPT_ENCODING, BodyTooLarge, BoundedDecoder, UnsupportedEncoding
from newswire.tasks.netguard import DestinationPolicy, FetchRefused, guarded_transport, refused_message
from newswire.tasks.settings import FetchLimits

__all__ = ["BodyTooLarge", "FetchRefused"]

# Response headers worth keeping with the raw payload: what the parser needs (type,
# encoding), what conditional GET needs next time, and the server's caching hints that
# the poll scheduler reads.
KEPT_HEADERS = (
    "content-type",
    "content-encoding",
    "content-length",
    # Relative links in the body resolve against it (RFC 9110), not the URL asked for.
    "content-location",
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
    # Not fetched: the run was asked to stop (Ctrl-C) before this request started.
    skipped: bool = False

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


def check_destination(url: str, policy: DestinationPolicy) -> None:
    """Refuse non-HTTP schemes and IP-literal hosts the policy forbids, before any I/O.
    Host names are checked where they are resolved and connected (``GuardedBackend``):
    checking them here would resolve twice and let DNS rebinding through."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"scheme {parts.scheme!r} is not fetched (only http and https)")
    host = parts.hostname
    if not host:
        raise FetchRefused("URL has no host")
    try:
        address = ipaddress.ip_address(host).compressed
    except ValueError:
        return
    kind = policy.refusal(address)
    if kind:
        raise FetchRefused(refused_message(host, [(address, kind)]))


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


def describe_network_error(error: BaseException, url: str) -> str:
    """What an operator needs from a network failure: the host and port tried and the
    operating system's reason ("Connection refused"), not only httpx's "All connection
    attempts failed"."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = "?"
    detail = str(error) or "the server closed or reset the connection mid-response"
    reason, cause = None, error
    while cause is not None and reason is None:
        if isinstance(cause, OSError) and (cause.errno or cause.strerror):
            # asyncio's strerror is "Connect call failed (...)"; the errno says why.
            reason = (
                os.strerror(cause.errno)
                if isinstance(cause.errno, int) and cause.errno > 0
                else cause.strerror
            )
        cause = cause.__cause__ or cause.__context__
    if reason and reason.lower() not in detail.lower():
        detail = f"{detail} ({reason})"
    return f"{type(error).__name__} to {parts.hostname}:{port}: {detail}"


@dataclass
class FetchBudget:
    """One fetch's wall-clock budget (``FetchLimits.total_timeout_s``) over all its
    attempts, slow headers and slow-drip bodies included, and the waits between attempts.
    Time spent queueing for a politeness slot is not counted: a feed waiting behind its
    host's other feeds has not been slow."""

    total_s: float
    spent_s: float = 0.0

    @property
    def left_s(self) -> float:
        return max(0.0, self.total_s - self.spent_s)

    def spend(self, seconds: float) -> None:
        self.spent_s += seconds

    def allows_wait(self, seconds: float) -> bool:
        """A retry after ``seconds`` leaves time for the attempt itself."""
        return seconds < self.left_s

    def exceeded_message(self, attempts: int) -> str:
        return (
            f"fetch budget of {self.total_s:g} s exceeded ({attempts} attempt(s); headers or body "
            "too slow); NEWSWIRE_FETCH_TOTAL_TIMEOUT_S sets it"
        )


def _backoff_delay(limits: FetchLimits, attempt: int) -> float:
    base = limits.backoff_base_s * (2 ** (attempt - 1))
    return base + random.uniform(0, limits.backoff_base_s)


class Fetcher:
    """One run's HTTP machinery: a shared client plus politeness limits."""

    def __init__(self, limits: FetchLimits, resolver=None, should_stop: Callable[[], bool] | None = None):
        self.limits = limits
        self._resolver = resolver
        # Asked before each request starts (after waiting for its politeness slot): a
        # run told to stop lets requests in flight finish and starts no new ones.
        self._should_stop = should_stop or (lambda: False)
        # One client per destination policy: the strict one for ordinary feeds, an open
        # one for feeds that may reach private networks (their pooled connections must
        # never serve a strict request).
        self._clients: dict[DestinationPolicy, httpx.AsyncClient] = {}
        self._global = asyncio.Semaphore(limits.global_concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    def policy(self, allow_private: bool) -> DestinationPolicy:
        return DestinationPolicy.from_settings(
            allow_private or self.limits.allow_private_networks, self.limits.allowed_networks
        )

    def _client(self, policy: DestinationPolicy) -> httpx.AsyncClient:
        if policy not in self._clients:
            limits = httpx.Limits(max_connections=self.limits.global_concurrency)
            extra = {"resolver": self._resolver} if self._resolver else {}
            self._clients[policy] = httpx.AsyncClient(
                transport=guarded_transport(policy, limits, **extra),
                timeout=httpx.Timeout(
                    connect=self.limits.connect_timeout_s,
                    read=self.limits.read_timeout_s,
                    write=self.limits.read_timeout_s,
                    pool=None,
                ),
                follow_redirects=False,
                headers={"User-Agent": self.limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                trust_env=False,
            )
        return self._clients[policy]

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        for client in self._clients.values():
            await client.aclose()

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
        budget = FetchBudget(self.limits.total_timeout_s)
        policy = self.policy(request.allow_private_network)
        try:
            for attempt in range(1, self.limits.max_retries + 2):
                result.attempts = attempt
                retry_in = await self._attempt(request, result, policy, budget)
                if retry_in is None or attempt > self.limits.max_retries:
                    break
                if not budget.allows_wait(retry_in):
                    result.error += (
                        f"; not retried: a wait of {retry_in:.1f} s would exceed the fetch budget "
                        f"of {budget.total_s:g} s ({budget.spent_s:.1f} s spent over {attempt} attempt(s))"
                    )
                    break
                await asyncio.sleep(retry_in)
                budget.spend(retry_in)
        finally:
            result.elapsed_s = round(time.monotonic() - started, 4)
        return result

    async def _attempt(
        self, request: FetchRequest, result: FetchResult, policy: DestinationPolicy, budget: FetchBudget
    ) -> float | None:
        """One try including redirects. Returns seconds to wait before retrying, or None
        when the outcome is final (success or a non-retryable error)."""
        result.error = result.error_kind = None
        result.redirects = []
        try:
            async with self._host_semaphore(request.url), self._global:
                if self._should_stop():
                    result.skipped = True
                    return None
                started = time.monotonic()
                try:
                    async with asyncio.timeout(budget.left_s):
                        await self._get_following_redirects(request, result, policy)
                finally:
                    budget.spend(time.monotonic() - started)
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
            # The budget covers every attempt and the waits between them: nothing is left.
            return self._final_error(result, "timeout", budget.exceeded_message(result.attempts))
        except httpx.TimeoutException as error:
            detail = str(error) or (
                f"no answer within {self.limits.connect_timeout_s:g} s (connect) / "
                f"{self.limits.read_timeout_s:g} s (between bytes)"
            )
            result.error_kind, result.error = "timeout", f"{type(error).__name__}: {detail}"
            return _backoff_delay(self.limits, result.attempts)
        except httpx.TooManyRedirects as error:
            return self._final_error(result, "redirects", str(error))
        except (UnsupportedEncoding, ValueError) as error:
            return self._final_error(result, "decoding", str(error))
        except (httpx.TransportError, httpx.DecodingError, OSError) as error:
            result.error_kind = "network"
            result.error = describe_network_error(error, result.final_url or request.url)
            return _backoff_delay(self.limits, result.attempts)

        status = result.status or 0
        if status == 304 and not (request.etag or request.last_modified):
            # A 304 to an unconditional request is a broken cache in front of the feed:
            # taken at its word we would never read the feed, and call it healthy.
            return self._final_error(
                result,
                "http",
                "HTTP 304 Not Modified to a request without If-None-Match/If-Modified-Since: "
                "the server (or a cache in front of it) is misconfigured; nothing was read",
            )
        if 200 <= status < 300 or status == 304:
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
        self, request: FetchRequest, result: FetchResult, policy: DestinationPolicy
    ) -> None:
        client = self._client(policy)
        url = request.url
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        permanent_so_far = True
        seen = {url}
        for _hop in range(self.limits.max_redirects + 1):
            check_destination(url, policy)
            async with client.stream("GET", url, headers=headers) as response:
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
                elif response.status_code == 304:
                    # A 304 has no body (RFC 9110), but the connection goes back to the
                    # pool only once its end is read: closed unread, the next request of
                    # the run opens a new one (an unchanged re-poll was one per feed).
                    await response.aread()
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
        decoder = BoundedDecoder(response.headers.get("content-encoding"), self.limits.max_body_bytes)
        chunks = [decoder.decode(chunk) async for chunk in response.aiter_raw()]
        return b"".join(chunks)


async def fetch_all(
    requests: Iterable[FetchRequest], limits: FetchLimits, should_stop: Callable[[], bool] | None = None
) -> list[FetchResult]:
    """Fetch every request concurrently; results come back in request order."""
    async with Fetcher(limits, should_stop=should_stop) as fetcher:
        return list(await asyncio.gather(*(fetcher.fetch(request) for request in requests)))


def fetch_feeds(
    requests: list[FetchRequest], limits: FetchLimits, should_stop: Callable[[], bool] | None = None
) -> list[FetchResult]:
    """Synchronous entry point for flows and tests."""
    return asyncio.run(fetch_all(requests, limits, should_stop))
