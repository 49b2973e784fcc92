"""The OpenID Connect settings: off unless complete, and https with a secret in production."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.settings import Settings

PRODUCTION: dict[str, Any] = {
    "env": "production",
    "database_url": "postgresql+psycopg://maillage:Zx8q@db/m",
}
OIDC: dict[str, Any] = {
    "oidc_issuer": "https://proconnect.example/api/v2",
    "oidc_client_id": "maillage",
    "oidc_redirect_uri": "https://maillage.example/connexion/proconnect/retour",
}


def test_the_federated_login_is_off_unless_issuer_client_and_return_are_set() -> None:
    assert not Settings(env="test").oidc_enabled
    assert not Settings(env="test", oidc_issuer=OIDC["oidc_issuer"]).oidc_enabled
    assert Settings(env="test", **OIDC).oidc_enabled


def test_production_wants_https_and_a_client_secret() -> None:
    assert Settings(**PRODUCTION, **OIDC, oidc_client_secret="s3cret").oidc_enabled
    with pytest.raises(ValidationError, match="MAILLAGE_OIDC_CLIENT_SECRET"):
        Settings(**PRODUCTION, **OIDC)
    plain: dict[str, Any] = {
        **OIDC,
        "oidc_redirect_uri": "http://maillage.example/connexion/proconnect/retour",
    }
    with pytest.raises(ValidationError, match="en https"):
        Settings(**PRODUCTION, **plain, oidc_client_secret="s3cret")
