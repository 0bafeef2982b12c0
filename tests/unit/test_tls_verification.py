"""The HTTP client verifies TLS with the default trust store for https
servers; for http servers (no TLS) it skips loading the trust store but
still refuses any certificate, so an https redirect cannot go unverified."""

import ssl

import pytest

from fiftyone_labelstudio.client.transport import Transport, tls_verification

pytestmark = pytest.mark.unit


def test_https_servers_use_the_default_trust_store():
    assert tls_verification("https://ls.example.org") is True


def test_http_servers_verify_against_no_authority():
    ctx = tls_verification("http://localhost:8080")
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.cert_store_stats()["x509_ca"] == 0


def test_transport_of_an_http_server_uses_that_context():
    transport = Transport("http://127.0.0.1:9", "key")
    try:
        pool = transport.http._transport._pool
        ctx = pool._ssl_context
        assert ctx.verify_mode == ssl.CERT_REQUIRED
        assert ctx.cert_store_stats()["x509_ca"] == 0
    finally:
        transport.close()
