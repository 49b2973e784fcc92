# syntax=docker/dockerfile:1
# Image de production de l'API maillage. La base PostGIS est un autre conteneur (docker-compose.yml) :
# l'image ne contient ni PostgreSQL ni la base embarquée de `maillage demo`.

# --- construction : les dépendances s'installent dans un venv copié tel quel ensuite -------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README* ./
COPY service ./service
COPY graph ./graph
COPY geodata ./geodata
RUN pip install .

# --- exécution ------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MAILLAGE_ENV=production \
    MAILLAGE_HOME=/var/lib/maillage
# osmium-tool : `maillage territory fetch` découpe l'extrait OSM régional au département.
RUN apt-get update \
    && apt-get install -y --no-install-recommends osmium-tool \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system maillage \
    && useradd --system --gid maillage --home-dir /var/lib/maillage --create-home \
       --shell /usr/sbin/nologin maillage
COPY --from=build /opt/venv /opt/venv
WORKDIR /var/lib/maillage
USER maillage
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
# `maillage serve` applique les migrations alembic puis lance uvicorn.
CMD ["maillage", "serve", "--host", "0.0.0.0", "--port", "8000"]
