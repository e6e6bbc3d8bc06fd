"""Content-Encoding decoding that never produces more than the body cap.

httpx decodes gzip/deflate/brotli one network chunk at a time without an output limit: a
64 KB chunk of a brotli bomb inflates to gigabytes in one call, before any cap on the
decoded stream can look at it. These decoders take a byte budget and stop (raise
``BodyTooLarge``) as soon as the output would pass it, so memory stays within the cap
whatever the compression ratio.
"""

from __future__ import annotations

import zlib

import brotli

# What we ask servers for: every coding below has a bounded decoder. zstd is left out on
# purpose (its streaming decoder has no output limit).
ACCEPT_ENCODING = "gzip, deflate, br"


class BodyTooLarge(Exception):
    pass


class UnsupportedEncoding(Exception):
    pass


class _ZlibDecoder:
    def __init__(self, wbits: int):
        self._decompressor = zlib.decompressobj(wbits)
        self._first = True
        self._wbits = wbits

    def decode(self, data: bytes, budget: int) -> bytes:
        try:
            out = self._decompressor.decompress(data, budget + 1)
        except zlib.error:
            if not (self._first and self._wbits == zlib.MAX_WBITS):
                raise
            # "deflate" is often raw deflate without the zlib header.
            self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
            self._wbits = -zlib.MAX_WBITS
            out = self._decompressor.decompress(data, budget + 1)
        self._first = False
        if len(out) > budget:
            raise BodyTooLarge()
        return out


class _GzipDecoder:
    """gzip, all members: RFC 1952 allows several concatenated members (``cat a.gz b.gz``,
    log-rotating servers, pigz), and a decoder that stops after the first silently
    loses the rest of the feed. Bytes after the last member that do not start a new one
    (zero padding some servers append) are ignored, as gzip(1) does."""

    def __init__(self):
        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # the start of a next member, split across chunks
        self._trailing_garbage = False

    def decode(self, data: bytes, budget: int) -> bytes:
        chunks, produced = [], 0
        data = self._pending + data
        self._pending = b""
        while data and not self._trailing_garbage:
            if self._decompressor.eof:  # between members: does another one start here?
                if len(data) < 2:
                    self._pending = data
                    break
                if not data.startswith(b"\x1f\x8b"):
                    self._trailing_garbage = True
                    break
                self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = self._decompressor.decompress(data, budget - produced + 1)
            produced += len(out)
            if produced > budget:
                raise BodyTooLarge()
            chunks.append(out)
            if not self._decompressor.eof:
                break  # all of ``data`` consumed (output stayed within the budget)
            data = self._decompressor.unused_data
        return b"".join(chunks)


class _BrotliDecoder:
    def __init__(self):
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes, budget: int) -> bytes:
        out = self._decompressor.process(data, output_buffer_limit=budget + 1)
        if len(out) > budget:
            raise BodyTooLarge()
        chunks = [out]
        produced = len(out)
        while not self._decompressor.can_accept_more_data():
            more = self._decompressor.process(b"", output_buffer_limit=budget - produced + 1)
            produced += len(more)
            if produced > budget:
                raise BodyTooLarge()
            if not more:
                break
            chunks.append(more)
        return b"".join(chunks)


def _decoder_for(coding: str):
    if coding in ("gzip", "x-gzip"):
        return _GzipDecoder()
    if coding == "deflate":
        return _ZlibDecoder(zlib.MAX_WBITS)
    if coding == "br":
        return _BrotliDecoder()
    raise UnsupportedEncoding(
        f"Content-Encoding {coding!r} is not supported (we ask for {ACCEPT_ENCODING}); "
        "the server ignored Accept-Encoding"
    )


class BoundedDecoder:
    """Decodes a Content-Encoding chain (``gzip, br`` = gzip applied first) chunk by chunk,
    keeping the total decoded size within ``max_bytes``."""

    def __init__(self, content_encoding: str | None, max_bytes: int):
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        self._decoders = [_decoder_for(c) for c in reversed(codings) if c and c != "identity"]
        self.max_bytes = max_bytes
        self.size = 0

    def decode(self, chunk: bytes) -> bytes:
        budget = self.max_bytes - self.size
        try:
            for decoder in self._decoders:
                chunk = decoder.decode(chunk, budget)
        except (zlib.error, brotli.error) as error:
            raise ValueError(f"body does not decode as its Content-Encoding says: {error}") from error
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise BodyTooLarge()
        return chunk
