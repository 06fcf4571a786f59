"""Access tokens: short-lived JWTs signed with the service's secret key."""

from datetime import UTC, datetime, timedelta

import jwt

from app.errors import Unauthorized
from app.settings import Settings

ALGORITHM = "HS256"
# How far apart the clocks of the replica that signs a token and the one that reads it
# may be. PyJWT refuses a token whose `iat` is ahead of the reader's clock by any amount:
# without a margin, a replica whose clock runs behind refuses tokens its peers have just
# issued (401 right after sign-in). The margin also lets `exp` pass by as much.
CLOCK_SKEW_SECONDS = 30


def create_access_token(*, subject: str, settings: Settings, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.access_token_expire_minutes),
    }
    return jwt.encode(claims, settings.token_signing_key(), algorithm=ALGORITHM)


def read_access_token(token: str, settings: Settings) -> str:
    """Return the token's subject; `Unauthorized` if it is forged, malformed or expired."""
    try:
        claims = jwt.decode(
            token,
            settings.token_signing_key(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
            leeway=CLOCK_SKEW_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        msg = "Token has expired"
        raise Unauthorized(msg) from exc
    except jwt.InvalidTokenError as exc:
        msg = "Could not validate credentials"
        raise Unauthorized(msg) from exc
    subject: str = claims["sub"]
    return subject
