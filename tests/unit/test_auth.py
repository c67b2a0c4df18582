"""Tokens: RS256 from an identity provider's JWKS, HS256 dev tokens, and unit scopes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cascade_shared.auth import Principal, TokenVerifier
from cascade_shared.problems import Problem
from cascade_shared.settings import Settings
from cascade_shared.units import unit_within
from cryptography.hazmat.primitives.asymmetric import rsa


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A stand-in identity provider serving its JWKS on loopback."""
    key = _key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    server.shutdown()


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "approver.hue",
        "name": "A",
        "unit": "vn.hue",
        "roles": ["approver"],
        "aud": "cascade",
        "iat": now,
        "exp": now + 300,
        **over,
    }


def test_rs256_token_from_the_identity_provider(idp: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = idp
    verifier = TokenVerifier(Settings(jwks_url=url, dev_tokens=False))
    token = jwt.encode(_claims(), key, algorithm="RS256", headers={"kid": "k1"})
    principal = verifier.verify(token)
    assert principal.unit == "vn.hue" and principal.roles == ["approver"]


def test_forged_expired_and_wrong_audience_tokens_are_refused(
    idp: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = idp
    verifier = TokenVerifier(Settings(jwks_url=url, dev_tokens=False))
    forged = jwt.encode(_claims(), _key(), algorithm="RS256", headers={"kid": "k1"})
    expired = jwt.encode(
        _claims(exp=int(time.time()) - 10), key, algorithm="RS256", headers={"kid": "k1"}
    )
    other_aud = jwt.encode(_claims(aud="other"), key, algorithm="RS256", headers={"kid": "k1"})
    hs = jwt.encode(_claims(), "a-shared-secret-that-is-long-enough-32b", algorithm="HS256")
    for token in (forged, expired, other_aud, hs):
        with pytest.raises(Problem) as err:
            verifier.verify(token)
        assert err.value.status == 401


def test_dev_tokens_round_trip_and_carry_the_unit() -> None:
    verifier = TokenVerifier(Settings(), secret="dev-secret-that-is-at-least-32-bytes-long")
    p = Principal(username="drafter.huong-an", name="D", unit="vn.hue.huong-an", roles=["drafter"])
    assert verifier.verify(verifier.issue(p)) == p


def test_unit_scope_is_the_unit_and_its_subtree() -> None:
    city = Principal(username="a", unit="vn.hue", roles=["approver"])
    assert city.sees("vn.hue") and city.sees("vn.hue.huong-an")
    assert not city.sees("vn") and not city.sees("vn.ha-noi")
    assert not city.sees("vn.hue-2")  # a prefix of the name is not a parent
    assert unit_within("vn.hue.huong-an", "vn")
