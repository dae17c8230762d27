import pytest

from pydantic import ValidationError

from siyu.config import DEV_SECRET_KEY, Settings


def test_default_secret_is_refused_outside_dev(monkeypatch):
    monkeypatch.delenv("SIYU_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SIYU_SECRET_KEY"):
        Settings(env="prod", _env_file=None)


def test_short_secret_is_refused_outside_dev():
    with pytest.raises(ValidationError, match="32"):
        Settings(env="prod", secret_key="short", _env_file=None)


def test_dev_accepts_the_default_key_and_uses_plain_cookies():
    settings = Settings(env="dev", _env_file=None)
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.secure_cookies is False


def test_settings_come_from_siyu_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("SIYU_ENV", "prod")
    monkeypatch.setenv("SIYU_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SIYU_DATA_DIR", str(tmp_path))
    settings = Settings(_env_file=None)
    assert settings.secure_cookies is True
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'siyu.db'}"
    assert settings.resolved_queue_url == f"sqlite:///{tmp_path / 'queue.db'}"


def test_fast_password_hashing_is_refused_in_production():
    with pytest.raises(ValidationError, match="test suites"):
        Settings(env="prod", secret_key="k" * 40, password_hashing="fast", _env_file=None)
