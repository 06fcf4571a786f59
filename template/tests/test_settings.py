"""Settings: parsing, normalising, and refusing unsafe production configurations."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.fixtures.database import PRODUCTION_DATABASE_URL
from tests.helpers import (
    PROJECT_DIR,
    TEST_WEBHOOK_SECRET,
    ExplicitSettings,
    make_settings,
    replace_settings,
)
from tests.sign_in_settings import PRODUCTION_SIGN_IN_SETTINGS


def production(**overrides: object) -> Settings:
    """Production settings as a deployment would give them (defaults for the rest)."""
    values: dict[str, object] = {
        "environment": "production",
        **PRODUCTION_SIGN_IN_SETTINGS,
        "database_url": PRODUCTION_DATABASE_URL,
        "allowed_hosts": "api.example.com",
    }
    return ExplicitSettings.model_validate(values | overrides)


@pytest.mark.usefixtures("clean_environment")
def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("WEBHOOK_URL", "")

    settings = Settings(_env_file=None)

    assert settings.debug is True
    assert settings.log_level == "WARNING"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.webhook_url is None  # an empty variable counts as unset


@pytest.mark.usefixtures("clean_environment")
def test_the_tests_settings_ignore_the_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A developer's own configuration (`.env`, exported variables) never reaches a test."""
    expected = make_settings()
    (tmp_path / ".env").write_text(
        "LOG_LEVEL=DEBUG\nWEBHOOK_URL=https://hooks.example.com/dev\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEBUG", "true")
    monkeypatch.setenv("MAX_BODY_BYTES", "64")

    developers = Settings()
    assert (developers.debug, developers.max_body_bytes) == (True, 64)
    assert (developers.log_level, str(developers.webhook_url)) == (
        "DEBUG",
        "https://hooks.example.com/dev",
    )
    assert make_settings() == expected
    assert replace_settings(expected, debug=False) == expected


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("webhook_url", "ftp://hook:S3cr3t@hooks.example.com"),
        ("database_url", "postgres//app:S3cr3t@db.example.com/app"),  # "://" mistyped
        ("webhook_secret", "whsec_S3cr3t"),  # too short
    ],
)
def test_a_refused_value_is_not_repeated_in_the_error(setting: str, value: str) -> None:
    """Settings errors reach deploy logs: a mistyped URL must not print its password."""
    with pytest.raises(ValidationError) as raised:
        make_settings(**{setting: value})

    assert setting in str(raised.value)
    assert "S3cr3t" not in str(raised.value)


@pytest.mark.usefixtures("clean_environment")
def test_log_format_comes_from_the_environment_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).log_format == "text"

    monkeypatch.setenv("LOG_FORMAT", "JSON")

    assert Settings(_env_file=None).log_format == "json"


@pytest.mark.parametrize("value", ["xml", "jsonl", "", 1])
def test_an_unknown_log_format_is_refused_with_the_choices(value: object) -> None:
    with pytest.raises(ValidationError, match=r"LOG_FORMAT is text or json, got "):
        make_settings(log_format=value)


@pytest.mark.usefixtures("clean_environment")
def test_cors_origins_accept_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", '["https://a.example"]')

    assert Settings(_env_file=None).cors_origins == ["https://a.example"]


@pytest.mark.usefixtures("clean_environment")
def test_unset_database_url_stays_unset() -> None:
    assert Settings(_env_file=None).database_url is None


def test_production_accepts_a_safe_configuration() -> None:
    settings = production()

    assert settings.docs_enabled is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"database_url": None}, "DATABASE_URL is required", id="no-database"),
        pytest.param({"allowed_hosts": None}, "ALLOWED_HOSTS is required", id="no-allowed-hosts"),
        pytest.param(
            {"webhook_url": "https://hooks.example.com/todos"},
            "WEBHOOK_SECRET is required in production when WEBHOOK_URL is set",
            id="unsigned-webhooks",
        ),
        pytest.param(
            {"cors_origins": ["*"]}, "CORS_ORIGINS cannot contain '\\*'", id="cors-wildcard"
        ),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        production(**overrides)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        pytest.param("http_timeout_seconds", 0, id="no-time-to-answer"),
        pytest.param("http_timeout_seconds", 61, id="timeout-over-a-minute"),
        pytest.param("max_body_bytes", 0, id="no-body-at-all"),
    ],
)
def test_numbers_out_of_their_range_are_refused(setting: str, value: int) -> None:
    with pytest.raises(ValidationError, match=setting):
        make_settings(**{setting: value})


def test_production_signs_webhooks_with_webhook_secret() -> None:
    settings = production(
        webhook_url="https://hooks.example.com/todos", webhook_secret=TEST_WEBHOOK_SECRET
    )

    assert settings.webhook_signing_key() == b"test-webhook-signing-key-32bytes"


def test_without_webhook_secret_deliveries_go_unsigned_outside_production() -> None:
    settings = make_settings(webhook_url="https://hooks.example.com/todos")

    assert settings.webhook_signing_key() is None


def test_outside_production_anything_goes() -> None:
    settings = make_settings(environment="development", database_url=None)

    assert settings.docs_enabled is True


def test_env_example_documents_every_setting() -> None:
    text = (PROJECT_DIR / ".env.example").read_text(encoding="utf-8")
    names = {name.upper() for name in Settings.model_fields}

    assigned = set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))
    assert assigned <= names, "unknown settings in .env.example"
    assert {name for name in names if name not in text} == set()


def test_allowed_hosts_default_to_local_names_outside_production() -> None:
    settings = make_settings()

    assert settings.allowed_hosts is None
    assert settings.trusted_hosts == ["localhost", "127.0.0.1", "test", "testserver"]


@pytest.mark.usefixtures("clean_environment")
def test_allowed_hosts_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com, *.example.org")

    assert Settings(_env_file=None).trusted_hosts == ["api.example.com", "*.example.org"]


def test_production_accepts_any_host_only_when_told() -> None:
    assert production(allowed_hosts="*").trusted_hosts == ["*"]


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_cors_wildcard_with_credentials_is_refused_everywhere(environment: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS cannot contain"):
        production(environment=environment, cors_origins="https://a.example,*")


def test_cors_wildcard_is_accepted_without_credentials() -> None:
    settings = production(cors_origins="*", cors_allow_credentials=False)

    assert settings.cors_origins == ["*"]


@pytest.mark.parametrize(
    "origin", ["https://app.example.com/", "app.example.com", "https://a.example/path", "ftp://a"]
)
def test_cors_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS entries are origins"):
        make_settings(cors_origins=[origin])
