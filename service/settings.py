"""Settings, read from the environment (prefix ``MAILLAGE_``) or a ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDERS = ("change-me", "changeme", "password@", ":postgres@")


def default_home() -> Path:
    """``$XDG_DATA_HOME/maillage``, else ``~/.local/share/maillage``."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "maillage"


def tiles_origin(url: str) -> str | None:
    """The origin (``https://host[:port]``) a tile URL template loads from, for the pages'
    Content-Security-Policy; ``None`` when it is neither https nor http on the local host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host in ("127.0.0.1", "localhost", "::1")
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        return None
    if "{" in parts.netloc:  # {s} subdomains: one host only, the policy names it
        return None
    return f"{parts.scheme}://{parts.netloc}"


class Settings(BaseSettings):
    """Everything the service needs to start. Build one and pass it to ``create_app``."""

    model_config = SettingsConfigDict(env_prefix="MAILLAGE_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "MAILLAGE_DATABASE_URL"),
        description="URL SQLAlchemy de la base PostGIS ; vide : base embarquée dans MAILLAGE_HOME",
    )
    home: Path = Field(default_factory=default_home, description="répertoire d'état local")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    db_pool_size: int = Field(5, ge=1, le=100)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    stale_after_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="âge (jours) au-delà duquel une fiche est ancienne "
        "(GET /v1/partners?stale=true)",
    )
    flow_retention_months: int = Field(
        36,
        ge=1,
        le=120,
        description="durée de conservation des comptes d'orientations (mois) : une période "
        "finie avant le premier jour du mois, autant de mois en arrière, est effacée à chaque "
        "écriture et par « maillage network purge-flows »",
    )
    flow_min_public_count: int = Field(
        5,
        ge=1,
        le=100,
        description="sans clé ni session, un compte d'orientations entre 1 et ce seuil moins un "
        "est masqué (et les totaux qui le contiennent) ; 1 : rien n'est masqué",
    )
    snapshot_refresh: Literal["background", "inline"] = Field(
        "background",
        description="background : après une écriture, le nouvel instantané de la base est "
        "construit en tâche de fond et les requêtes sont servies par le précédent ; inline : "
        "la requête qui voit le changement le reconstruit (tests dans une transaction)",
    )
    snapshot_rebuild_seconds: float = Field(
        2.0,
        ge=0,
        le=600,
        description="intervalle minimal entre deux reconstructions de l'instantané (s) : les "
        "écritures arrivées entre-temps attendent la suivante",
    )
    snapshot_check_seconds: float = Field(
        0.5,
        ge=0,
        le=60,
        description="intervalle minimal entre deux lectures de la révision de la base (s)",
    )

    db_connect_timeout_seconds: int = Field(
        3,
        ge=1,
        le=60,
        description="délai de connexion à PostgreSQL (s) : une base injoignable ne fait pas "
        "attendre une requête plus longtemps",
    )
    db_pool_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=120,
        description="attente maximale d'une connexion libre du pool (s), puis 503",
    )
    db_retry_after_seconds: int = Field(
        5,
        ge=1,
        le=3600,
        description="valeur de l'en-tête Retry-After (s) d'une réponse 503 quand la base est "
        "injoignable",
    )
    db_startup_wait_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="au démarrage, attente de la base (s) avant d'abandonner ; 0 : abandon "
        "immédiat",
    )
    max_body_bytes: int = Field(
        1_000_000,
        ge=1_000,
        le=1_000_000_000,
        description="taille maximale d'un corps de requête (octets) ; au-delà : 413",
    )
    max_batch_body_bytes: int = Field(
        2_000_000,
        ge=1_000,
        le=1_000_000_000,
        description="taille maximale du corps de POST /v1/matches/batch (octets) : 200 "
        "personnes au plus",
    )
    rate_limit_enabled: bool | None = Field(
        None,
        description="limitation du débit des routes coûteuses, par clé et par adresse ; "
        "vide : active sauf en environnement test",
    )
    rate_limit_matches_per_minute: int = Field(
        60, ge=1, le=100_000, description="POST /v1/matches, par clé et par adresse"
    )
    rate_limit_batch_per_minute: int = Field(
        6, ge=1, le=100_000, description="POST /v1/matches/batch, par clé et par adresse"
    )
    rate_limit_coverage_per_minute: int = Field(
        60,  # the map page asks for /v1/coverage and /v1/gaps together at each change
        ge=1,
        le=100_000,
        description="GET /v1/coverage, GET /v1/gaps, POST /v1/siting, par clé et par adresse",
    )
    siting_time_limit_seconds: float = Field(
        5.0,
        gt=0,
        le=600,
        description="POST /v1/siting : secondes que le solveur (HiGHS) peut passer à prouver "
        "l'optimum ; au-delà, la meilleure solution trouvée est rendue (optimal : false, et la "
        "borne dit l'écart possible)",
    )
    territory_buffer_km: float = Field(
        10.0,
        ge=0,
        le=200,
        description="largeur (km) de la zone tampon autour d'un département : maillage "
        "territory fetch y découpe l'extrait OpenStreetMap régional",
    )

    # --- accounts for people (service/accounts) ------------------------------------------------
    session_idle_minutes: int = Field(
        60,
        ge=1,
        le=24 * 60,
        description="une session sans requête depuis tant de minutes est close (reconnexion)",
    )
    session_max_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 31,
        description="durée de vie maximale d'une session (heures), active ou non",
    )
    cookie_secure: bool | None = Field(
        None,
        description="cookies de session marqués Secure (HTTPS seulement) ; vide : Secure quand "
        "la requête arrive en https (derrière un proxy : uvicorn --proxy-headers), toujours "
        "en production",
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        le=100,
        description="échecs de connexion consécutifs avant le verrouillage du compte",
    )
    login_lockout_minutes: int = Field(
        15, ge=1, le=24 * 60, description="durée du verrouillage après trop d'échecs (minutes)"
    )
    rate_limit_login_per_minute: int = Field(
        20,
        ge=1,
        le=100_000,
        description="POST /connexion, par adresse (en plus du verrouillage par compte)",
    )
    oidc_issuer: str | None = Field(
        None,
        description="connexion OpenID Connect (ProConnect) : URL de l'émetteur, dont "
        "/.well-known/openid-configuration est lu ; vide : pas de connexion ProConnect",
    )
    oidc_client_id: str | None = Field(None, description="identifiant du client OpenID Connect")
    oidc_client_secret: SecretStr | None = Field(
        None, description="secret du client OpenID Connect"
    )
    oidc_redirect_uri: str | None = Field(
        None,
        description="adresse de retour déclarée chez le fournisseur, par exemple "
        "https://maillage.example/connexion/proconnect/retour",
    )
    oidc_scopes: str = Field(
        "openid email given_name usual_name siret",
        description="portées demandées (ProConnect : email, given_name, usual_name, siret)",
    )
    oidc_provisioning: Literal["existing", "siret"] = Field(
        "existing",
        description="existing : seul un compte déjà créé (même adresse électronique) se "
        "connecte ; siret : un compte « viewer » est aussi créé à la première connexion quand "
        "le SIRET de la personne est celui d'un partenaire du territoire (son organisation)",
    )
    oidc_label: str = Field("ProConnect", description="nom du bouton de connexion fédérée")

    demo_gtfs: Path | None = Field(
        None,
        description="horaires GTFS des trains de la démo ; vide : "
        "../shared/data/gtfs/sncf_ter_2025.zip à côté du dépôt (absent : la démo n'a que "
        "des transports en commun estimés)",
    )
    geocoder: Literal["local", "ban"] = Field(
        "local",
        description="GET /v1/geocode : local (hors ligne : communes, adresses des partenaires, "
        "adresses OpenStreetMap des réseaux de rues inscrits) ou ban (service national "
        "d'adresses à MAILLAGE_GEOCODER_URL)",
    )
    geocoder_url: str = Field(
        "https://api-adresse.data.gouv.fr/search/",
        pattern=r"^https?://",
        description="adresse de recherche du service national d'adresses (format BAN : "
        "https://api-adresse.data.gouv.fr/search/ ou https://data.geopf.fr/geocodage/search)",
    )
    geocoder_timeout_seconds: float = Field(
        3.0,
        gt=0,
        le=60,
        description="attente maximale d'une réponse du service national d'adresses (s), puis 503",
    )
    demo_rome: Path | None = Field(
        None,
        description="répertoire des fichiers ROME 4.0 de France Travail que charge la démo ; "
        "vide : ../shared/data/rome à côté du dépôt (absent : pas d'intitulés de métiers)",
    )

    tiles_url: str | None = Field(
        None,
        description="fond de carte des pages : URL de tuiles XYZ ({z}, {x}, {y}), en https (ou "
        "http sur 127.0.0.1 / localhost) ; vide : aucun fond de tuiles (hors ligne), les "
        "communes et leurs noms seulement",
    )
    tiles_attribution: str | None = Field(
        None,
        max_length=300,
        description="mention de la source des tuiles (texte), obligatoire avec tiles_url",
    )

    @property
    def rate_limited(self) -> bool:
        """Whether the expensive routes are rate limited (by default, except in tests)."""
        if self.rate_limit_enabled is None:
            return self.env != "test"
        return self.rate_limit_enabled

    @property
    def oidc_enabled(self) -> bool:
        """Whether the OpenID Connect login is offered (issuer, client and return set)."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_uri)

    @model_validator(mode="after")
    def _tiles_make_sense(self) -> Settings:
        if self.tiles_url is None:
            return self
        if not self.tiles_attribution or not self.tiles_attribution.strip():
            raise ValueError("MAILLAGE_TILES_ATTRIBUTION est obligatoire avec MAILLAGE_TILES_URL")
        if not all(part in self.tiles_url for part in ("{z}", "{x}", "{y}")):
            raise ValueError("MAILLAGE_TILES_URL doit contenir {z}, {x} et {y}")
        if tiles_origin(self.tiles_url) is None:
            raise ValueError(
                "MAILLAGE_TILES_URL doit être en https (http seulement sur 127.0.0.1 ou localhost)"
            )
        return self

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.env == "production":
            if not self.database_url:
                raise ValueError("DATABASE_URL est obligatoire en production")
            lowered = self.database_url.lower()
            if any(p in lowered for p in _PLACEHOLDERS):
                raise ValueError(
                    "DATABASE_URL contient un mot de passe d'exemple : "
                    "choisissez un vrai secret en production"
                )
            if self.oidc_enabled and not (
                str(self.oidc_issuer).startswith("https://")
                and str(self.oidc_redirect_uri).startswith("https://")
                and self.oidc_client_secret is not None
            ):
                raise ValueError(
                    "connexion OpenID Connect en production : MAILLAGE_OIDC_ISSUER et "
                    "MAILLAGE_OIDC_REDIRECT_URI en https, et MAILLAGE_OIDC_CLIENT_SECRET, sont "
                    "obligatoires"
                )
        return self

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("aucune base de données configurée (DATABASE_URL)")
        return self.database_url
