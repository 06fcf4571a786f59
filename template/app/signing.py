"""Webhook signatures, as the Standard Webhooks specification defines them.

Every delivery carries `webhook-id`, `webhook-timestamp` and `webhook-signature`: the
HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the secret the service
and its receiver share. The receiver recomputes it to know that the delivery comes from
this service, unchanged, and recently (https://www.standardwebhooks.com); the
`standardwebhooks` and Svix libraries check exactly this.
"""

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
# The specification's bounds for a symmetric signing secret.
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64
GENERATE_SECRET = 'echo "whsec_$(openssl rand -base64 32)"'
SIGNATURE_VERSION = "v1"


def signing_key(secret: str) -> bytes:
    """The HMAC key in a `whsec_<base64>` secret; ValueError naming the rule otherwise."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        key = b""
    if not secret.startswith(SECRET_PREFIX) or not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        msg = (
            f"WEBHOOK_SECRET must be {SECRET_PREFIX} followed by the base64 of "
            f"{MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} random bytes: generate one with "
            f"`{GENERATE_SECRET}`"
        )
        raise ValueError(msg)
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value of one delivery: `v1,<base64 of the HMAC-SHA256>`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"
