"""Settings read from the environment (prefix ``CASCADE_``), one object per process or service."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a Cascade process needs to know about where it runs.

    Embedded mode (the default) keeps SQLite files under ``data_dir`` and uses the in-process bus.
    Distributed mode sets ``bus=rabbitmq``, ``amqp_url`` and one ``database_url`` per service.
    """

    model_config = SettingsConfigDict(env_prefix="CASCADE_", env_file=None, extra="ignore")

    service: str = "embedded"
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: a SQLite file per service"
    )
    data_dir: Path = Path("data")
    bus: Literal["inprocess", "rabbitmq"] = "inprocess"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    broker_password_file: Path | None = Field(
        default=None,
        description="a file holding the broker user's password (a mounted secret), used in "
        "place of any password in amqp_url, which then names only the user",
    )
    namespace: str = Field(default="cascade", description="prefix of exchange and queue names")
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=100,
        description="connections a process keeps open to its PostgreSQL database, and as many "
        "more at a peak: processes × 2 × this stays under the server's max_connections",
    )
    db_pre_ping: bool = Field(
        default=False,
        description="test each PostgreSQL connection as it leaves the pool (3 round trips each "
        "time); off, a connection found dead fails its first statement, the pool is renewed "
        "at once and the request answers 503 or the event is retried",
    )
    prefetch: int = 32
    delivery_limit: int = Field(default=5, description="deliveries before a message is parked")
    publish_timeout: float = 10.0
    broker_user_template: str | None = Field(
        default=None,
        description="each service's own broker user, e.g. 'cascade-{service}': when set, a "
        "consumer applies an event only if the broker validated that its producer's user sent "
        "it (others are parked); unset, events are not checked (embedded, development)",
    )
    relay_batch_size: int = 200
    relay_poll_interval: float = 1.0
    relay_stuck_seconds: float = Field(
        default=60.0,
        description="readiness fails when the outbox relay has not finished a pass for longer",
    )
    outbox_retention_days: float = Field(
        default=30.0,
        description="published outbox rows older than this are deleted (0: kept forever); "
        "longer than any reconciliation window",
    )
    outbox_prune_interval: float = Field(default=3600.0, description="seconds between prunes")
    transient_retry_seconds: float = Field(
        default=60.0, description="how long a handler retries a database that is unreachable"
    )
    workers: bool = Field(
        default=True, description="run the services' background workers (schedulers, senders)"
    )

    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, description="larger API request bodies are refused (413)"
    )

    host: str = "127.0.0.1"
    port: int = 8000

    jwt_secret: str | None = Field(default=None, description="HS256 secret for dev tokens")
    jwks_url: str | None = Field(default=None, description="identity provider's JWKS (RS256)")
    jwt_audience: str = "cascade"
    jwt_issuer: str = "cascade-dev"
    dev_tokens: bool = Field(default=True, description="allow the dev-only token endpoint")
    token_ttl_seconds: int = 8 * 3600

    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    otel_enabled: bool = Field(
        default=False,
        description="trace with OpenTelemetry (W3C trace context over HTTP and AMQP), exporting "
        "over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT; setting that variable alone turns it on",
    )
    seed_demo: bool = Field(
        default=False,
        description="seed the demo directory, users and programs into an empty plans database "
        "on start (on in embedded mode unless set; never in production)",
    )
    demo_history: bool = Field(
        default=False,
        description="also seed approved plans of four Huế wards and months of their progress "
        "reports (the demo of make run; never in production)",
    )

    def broker_url(self) -> str:
        """``amqp_url`` with the password of ``broker_password_file`` when one is given, so the
        password never has to sit in an environment variable. Read when the bus is made: a
        process that never connects to the broker (a migration) does not need the file."""
        if self.broker_password_file is None:
            return self.amqp_url
        parts = urlsplit(self.amqp_url)
        userinfo, at, hostport = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        if not at or not user:
            raise ValueError(
                "CASCADE_BROKER_PASSWORD_FILE is set, but CASCADE_AMQP_URL names no user: "
                "give it as amqp://USER@host:5672/"
            )
        try:
            password = self.broker_password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ValueError(f"CASCADE_BROKER_PASSWORD_FILE: cannot read it ({exc})") from exc
        if not password:
            raise ValueError(f"CASCADE_BROKER_PASSWORD_FILE {self.broker_password_file} is empty")
        netloc = f"{user}:{quote(password, safe='')}@{hostport}"
        return urlunsplit(parts._replace(netloc=netloc))

    def database_url_for(self, service: str) -> str:
        """The database of ``service``: the configured URL, or a SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.sqlite3').resolve()}"
