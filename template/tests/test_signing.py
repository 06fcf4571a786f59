"""Webhook signatures (app/signing.py) against the Standard Webhooks specification."""

import base64

import pytest

from app.signing import signature, signing_key

# The verification example published with the specification's libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def whsec(size: int) -> str:
    return "whsec_" + base64.b64encode(bytes(range(size))).decode()


def test_signatures_match_the_specifications_example() -> None:
    key = signing_key(SPEC_SECRET)

    assert signature(key, SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


@pytest.mark.parametrize("size", [24, 32, 64])
def test_secrets_of_24_to_64_bytes_are_keys(size: int) -> None:
    assert signing_key(whsec(size)) == bytes(range(size))


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(whsec(32).removeprefix("whsec_"), id="no-prefix"),
        pytest.param("whsec_not base64!", id="not-base64"),
        # A lenient decoder would skip the stray character and find 32 bytes.
        pytest.param(whsec(32).replace("whsec_", "whsec_!"), id="stray-character"),
        pytest.param(whsec(16), id="too-short"),
        pytest.param(whsec(65), id="too-long"),
        pytest.param("whsec_", id="empty"),
    ],
)
def test_other_secrets_are_refused_with_the_rule(secret: str) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET must be whsec_") as raised:
        signing_key(secret)

    assert "openssl rand -base64 32" in str(raised.value)
