"""A service's broker password read from a file (a mounted secret), never from the URL.

docker-compose.yml gives each service ``CASCADE_AMQP_URL=amqp://cascade-<service>@rabbitmq/``
and ``CASCADE_BROKER_PASSWORD_FILE=/run/secrets/broker-<service>``; the bus connects with the
two put together, and ``cascade-admin broker-users --password-files`` gives each user the
password of the same file.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from cascade_shared.bus import make_bus
from cascade_shared.bus.rabbitmq import RabbitMQBus
from cascade_shared.chassis import cli
from cascade_shared.settings import Settings


def test_the_password_of_the_file_goes_into_the_url(tmp_path: Path) -> None:
    secret = tmp_path / "broker-plans"
    secret.write_text("p@ss:w/rd#1\n", encoding="utf-8")  # as a secret store may write it
    settings = Settings(amqp_url="amqp://cascade-plans@rabbitmq:5672/", broker_password_file=secret)
    url = urlsplit(settings.broker_url())
    assert (url.username, unquote(url.password or "")) == ("cascade-plans", "p@ss:w/rd#1")
    assert (url.hostname, url.port, url.path) == ("rabbitmq", 5672, "/")
    # Any password in the URL gives way to the file's.
    settings = Settings(amqp_url="amqp://cascade-plans:old@rabbitmq/", broker_password_file=secret)
    assert unquote(urlsplit(settings.broker_url()).password or "") == "p@ss:w/rd#1"


def test_the_bus_connects_as_the_user_with_the_password_of_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "broker-approvals"
    secret.write_text("0123abcd", encoding="utf-8")
    settings = Settings(
        bus="rabbitmq",
        service="approvals",
        amqp_url="amqp://cascade-approvals@rabbitmq:5672/",
        broker_password_file=secret,
        broker_user_template="cascade-{service}",
    )
    bus = make_bus(settings)
    assert isinstance(bus, RabbitMQBus)
    assert bus.url == "amqp://cascade-approvals:0123abcd@rabbitmq:5672/"
    assert bus.user == "cascade-approvals"  # the user_id it stamps on what it sends


def test_without_a_file_the_url_is_used_as_it_is() -> None:
    settings = Settings(amqp_url="amqp://guest:guest@127.0.0.1:5672/")
    assert settings.broker_url() == "amqp://guest:guest@127.0.0.1:5672/"


def test_a_missing_empty_or_userless_password_file_is_refused(tmp_path: Path) -> None:
    missing = Settings(amqp_url="amqp://u@h/", broker_password_file=tmp_path / "none")
    with pytest.raises(ValueError, match="cannot read it"):
        missing.broker_url()
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    empty = Settings(amqp_url="amqp://u@h/", broker_password_file=tmp_path / "empty")
    with pytest.raises(ValueError, match="is empty"):
        empty.broker_url()
    (tmp_path / "pw").write_text("x", encoding="utf-8")
    userless = Settings(amqp_url="amqp://h:5672/", broker_password_file=tmp_path / "pw")
    with pytest.raises(ValueError, match="names no user"):
        userless.broker_url()


def test_broker_users_refuses_password_files_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before the broker is asked anything (the management URL here answers nothing)."""
    apply = ["broker-users", "--apply", "http://127.0.0.1:9", "--password-files"]
    with pytest.raises(SystemExit) as refused:
        cli.admin_main([*apply, str(tmp_path / "broker-{service}")])
    assert refused.value.code == 2
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.admin_main([*apply, str(tmp_path / "broker-password")])
    assert refused.value.code == 2
    assert "{service}" in capsys.readouterr().err
