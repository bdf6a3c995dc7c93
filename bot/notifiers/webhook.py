"""A JSON POST of the event itself for any other system, HMAC-SHA256 signed when a secret is set."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from ..errors import PermanentDeliveryError, RetryLater
from ..models import Message
from ..notifying import SendContext, event_json, post
from ..options import Options as BaseOptions, SecretStr

KIND = "webhook"
MAX_BATCH = 1
SIGNATURE_HEADER = "X-Releasewatch-Signature"


class Options(BaseOptions):
    url: SecretStr
    headers: dict[str, str] = {}
    secret: SecretStr | None = None


def build_payload(msgs: list[Message], opts: Options) -> bytes:
    return json.dumps(event_json(msgs[0]), ensure_ascii=False, sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(ctx: SendContext, opts: Options, payload: Any) -> float | None:
    headers = {**opts.headers, "Content-Type": "application/json",
               "Idempotency-Key": ctx.key}
    if opts.secret:
        headers[SIGNATURE_HEADER] = signature(opts.secret.reveal(), payload)
    response = await post(ctx, opts.url.reveal(), "webhook", content=payload, headers=headers)
    status = response.status_code
    if response.is_success:
        return None
    if status == 429 or status >= 500 or status == 408:
        after = response.headers.get("retry-after")
        raise RetryLater(f"webhook answered {status}",
                         float(after) if after and after.isdigit() else None)
    raise PermanentDeliveryError(f"webhook answered {status}: {response.text.strip()[:200]}",
                                 status)
