#!/usr/bin/env bash
# Prépare la machine pour maillage ; sourcé par scripts/test et scripts/demo (exécutable seul aussi).
#   1. paquets système (Debian/Ubuntu) : PostgreSQL 15 + PostGIS 3, osmium-tool (découpe l'extrait
#      OSM régional au département : `maillage territory fetch`), plus $MAILLAGE_APT_EXTRA
#      (scripts/test y ajoute chromium) ; apt-get n'est lancé que s'il manque quelque chose ;
#   2. Python ≥ 3.11 : un venv dans .venv, `pip install -e '.[dev]'` seulement quand pyproject.toml
#      a changé depuis la dernière installation réussie (empreinte dans .venv/.maillage-stamp).
# Variables : MAILLAGE_APT_EXTRA (paquets apt en plus, séparés par des espaces),
#             MAILLAGE_PYTHON (interpréteur à utiliser pour créer le venv).
# Après coup : MAILLAGE_ROOT est la racine du dépôt, le répertoire courant aussi, et .venv/bin est
# en tête du PATH.
set -euo pipefail

MAILLAGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$MAILLAGE_ROOT"

maillage_apt_packages=(postgresql-15 postgresql-15-postgis-3 postgresql-contrib osmium-tool)
read -r -a _maillage_apt_extra <<<"${MAILLAGE_APT_EXTRA:-}"
maillage_apt_packages+=("${_maillage_apt_extra[@]}")

_maillage_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# Affiche l'interpréteur ≥ 3.11 avec venv + ensurepip, ou échoue.
_maillage_find_python() {
  local candidate
  for candidate in "${MAILLAGE_PYTHON:-}" python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
    [[ -n "$candidate" ]] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
      >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

_maillage_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "→ pas de dpkg : installez vous-même PostgreSQL 15 et PostGIS 3 (les tests de base seront sautés sinon)." >&2
    return 0
  fi
  local missing=() pkg
  # Sans Python ≥ 3.11 utilisable pour un venv, celui de Debian (3.11 sur Debian 12) est installé.
  if ! _maillage_find_python >/dev/null; then
    maillage_apt_packages+=(python3 python3-venv)
  fi
  for pkg in "${maillage_apt_packages[@]}"; do
    _maillage_installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  echo "→ installation des paquets système : ${missing[*]}…"
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "Paquets manquants : ${missing[*]}. Lancez en root, ou installez sudo, ou installez-les :" >&2
      echo "  apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get introuvable : installez vous-même ${missing[*]}." >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${maillage_apt_packages[@]}"
}

_maillage_python_env() {
  local python
  if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    if ! python="$(_maillage_find_python)"; then
      echo "Python ≥ 3.11 (avec le module venv) est introuvable : installez python3 et python3-venv," >&2
      echo "ou indiquez l'interpréteur dans MAILLAGE_PYTHON." >&2
      exit 1
    fi
    echo "→ création de l'environnement Python .venv ($("$python" --version))…"
    rm -rf .venv
    "$python" -m venv .venv
  fi
  local stamp wanted
  stamp=.venv/.maillage-stamp
  wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
    echo "→ installation des dépendances Python (pip install -e '.[dev]')…"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    echo "$wanted" >"$stamp"
  fi
  export VIRTUAL_ENV="$MAILLAGE_ROOT/.venv"
  export PATH="$VIRTUAL_ENV/bin:$PATH"
}

_maillage_system_packages
_maillage_python_env
