"""Settings, read from the environment (prefix ``SIYU_``) and an optional ``.env`` file.

Nothing is built at import time: call :func:`get_settings` (cached) where settings are needed,
and let :mod:`siyu.bootstrap` turn them into engines, queues and channels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIYU_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "prod"
    secret_key: str = DEV_SECRET_KEY
    data_dir: Path = Path("var")
    database_url: str = ""
    queue_url: str = ""
    warehouse_url: str = ""  # the analytics warehouse (an Ibis backend); default: a DuckDB file
    base_url: str = "http://127.0.0.1:8000"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    cookie_secure: bool | None = None
    log_json: bool = True
    log_level: str = "INFO"
    import_max_mb: int = Field(default=256, ge=1)  # the largest import upload (CSV/XLSX) taken, in MiB
    password_hashing: Literal["standard", "fast"] = "standard"  # "fast" is for test suites only
    # Mass sends: how long an unanswered add_msg_template is left alone before WeCom is searched for it.
    mass_send_reconcile_seconds: float = Field(default=90, ge=0)
    # Materials' files are fetched by the worker to upload to WeCom: from public addresses only in
    # prod (a material cannot make the server read its own network); None: allowed outside prod.
    media_fetch_private: bool | None = None
    # A customer group's member limit (WeCom: 200; an upgraded group 500): group codes' thresholds stay under it.
    group_members_max: int = Field(default=200, ge=2, le=500)
    demo_simulator: bool = True  # simulated customers scan the demo brand's codes (only a tenant linked to the sandbox)

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.env != "dev" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError(
                "SIYU_SECRET_KEY is the built-in development key; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                "or run with SIYU_ENV=dev on a laptop"
            )
        if self.env == "prod" and self.password_hashing != "standard":
            raise ValueError("SIYU_PASSWORD_HASHING=fast is for test suites; production uses standard")
        if self.env != "dev" and len(self.secret_key) < 32:
            raise ValueError("SIYU_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'siyu.db'}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}"

    @property
    def resolved_warehouse_url(self) -> str:
        return self.warehouse_url or f"duckdb:///{self.data_dir / 'warehouse.duckdb'}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env == "prod"


@lru_cache
def get_settings() -> Settings:
    return Settings()
