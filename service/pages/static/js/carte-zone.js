/* Carte de couverture : les mots d'une commune. Le panneau « Commune choisie » en français
 * (jamais les clés de l'API : ni « zone_id », ni « nearest_site_id », ni
 * « aucun-site-atteignable »), les indicateurs proposés et le format de leurs valeurs.
 *
 * Un temps de trajet se lit comme dans les phrases de l'API (« est à 20,4 min ») : l'API
 * l'arrondit au dixième supérieur (graph.coverage.shown_minutes), la page l'écrit avec une
 * décimale au plus et la virgule.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;

  const significant = new Intl.NumberFormat("fr-FR", { maximumSignificantDigits: 2 });
  const oneDecimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });

  /** Un nombre en français, lisible à toute échelle : 12 345 ; 12,3 ; 0,012. */
  function number(value) {
    const size = Math.abs(value);
    if (size >= 100) return whole.format(value);
    if (size >= 1 || value === 0) return oneDecimal.format(value);
    return significant.format(value);
  }

  /** « 20,4 min », « 21 min » : les minutes de l'API (déjà arrondies au dixième supérieur). */
  function minutes(value) {
    return oneDecimal.format(value) + " min";
  }

  function capitalised(text) {
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  }

  /** Les indicateurs d'une couverture ; access : un indicateur d'accès à l'offre (les
   * communes qui n'atteignent rien prennent la classe la pire), reverse : plus c'est haut,
   * mieux c'est. */
  function indicators(metadata) {
    const demand = metadata.demand !== "population" ? capitalised(metadata.demand_label) : null;
    const list = [
      { property: "nearest_minutes", label: "Temps jusqu'à la structure la plus proche", access: true, format: minutes },
      { property: "e2sfca", label: "Accessibilité E2SFCA", access: true, reverse: true, unit: perThousand(metadata) },
      { property: "reachable_sites", label: "Structures atteignables", access: true, reverse: true },
      { property: "population", label: "Population (Insee)", unit: "habitants" },
    ];
    if (demand) list.splice(3, 0, { property: "demand", label: demand });
    return list;
  }

  /** « places pour 1 000 habitants », « … pour 1 000 enfants de 0 à 3 ans (Filosofi, Insee) ». */
  function perThousand(metadata) {
    return "places pour 1 000 " + (metadata.demand === "population" ? "habitants" : metadata.demand_label);
  }

  function formatValue(value, indicator) {
    if (value === null || value === undefined) return "sans donnée";
    if (indicator && typeof indicator.format === "function") return indicator.format(value);
    return number(value) + (indicator && indicator.unit ? " " + indicator.unit : "");
  }

  const NO_LAYER_DATA = "sans donnée (commune hors de la couche de demande)";

  const GAP_WORDS = {
    "aucun-site-atteignable": "Aucune structure atteignable dans le temps choisi",
    "offre-faible": "Offre faible : accessibilité sous la moitié de la médiane du territoire",
  };

  function plural(count, singular, pluralForm) {
    return whole.format(count) + " " + (count >= 2 ? pluralForm : singular);
  }

  /** Les lignes [propriété, terme, valeur] d'une commune de la couverture, en français. */
  function coverageFacts(p, metadata) {
    const mode = M.MODES[metadata.mode] || "";
    const budget = oneDecimal.format(metadata.max_minutes) + " min";
    const reached = p.reachable_sites;
    return [
      ["population", "Habitants", whole.format(Math.round(p.population || 0))],
      metadata.demand !== "population" ? ["demand", capitalised(metadata.demand_label),
        p.demand === null ? NO_LAYER_DATA : number(p.demand)] : null,
      ["nearest_site", "Structure la plus proche", p.nearest_site_name ?
        p.nearest_site_name + " — " + minutes(p.nearest_minutes) + " " + mode :
        "aucune à moins de " + oneDecimal.format(metadata.search_minutes) + " min " + mode],
      ["reachable_sites", "En moins de " + budget, reached ?
        plural(reached, "structure atteignable", "structures atteignables") +
          (p.reachable_supply ? ", " + plural(Math.round(p.reachable_supply), "place", "places") : "") :
        "aucune structure atteignable"],
      ["e2sfca", "Accessibilité E2SFCA", p.e2sfca === null ? NO_LAYER_DATA :
        number(p.e2sfca) + " " + perThousand(metadata).replace(/^places/, p.e2sfca >= 2 ? "places" : "place")],
      ["gap", "Manque", p.gap ? GAP_WORDS[p.gap] || "Manque signalé" : "Aucun manque signalé"],
    ].filter(Boolean);
  }

  /** Le panneau d'une commune : son nom, l'indicateur choisi en tête, puis ses chiffres.
   * options : {metadata (null sans couverture), indicator, gap (le manque classé, s'il y en a)} */
  function panel(properties, options) {
    const p = properties;
    const indicator = options.indicator;
    const metadata = options.metadata;
    const value = p[indicator.property];
    const nothing = metadata && indicator.access && p.covered === 0;
    const known = typeof value === "number" ? value : null;
    const headline = nothing && (indicator.property !== "nearest_minutes" || known === null) ?
      "Aucune structure atteignable" : formatValue(known, indicator);
    const facts = el("dl", { class: "facts zone-facts" },
      el("dt", {}, indicator.label), el("dd", {}, el("strong", {}, headline)));
    const rows = metadata ? coverageFacts(p, metadata) : [["code_insee", "Code Insee", p.code_insee]];
    rows.filter(([property]) => property !== indicator.property)
      .forEach(([, term, text]) => facts.append(el("dt", {}, term), el("dd", {}, text)));
    const gap = options.gap;
    return [
      el("h3", {}, p.name || p.zone_name || ""),
      facts,
      gap && gap.message ? el("p", { class: "zone-gap" }, gap.message) : null,
      metadata && p.estimated ? el("p", { class: "hint" }, "Temps de trajet estimés : aucun réseau de " +
        "déplacement chargé ne les donne ici.") : null,
      metadata ? null : el("p", { class: "hint" }, "Connectez-vous pour voir l'accès à l'offre de cette commune."),
    ];
  }

  M.carteZone = {
    number: number,
    minutes: minutes,
    capitalised: capitalised,
    indicators: indicators,
    formatValue: formatValue,
    panel: panel,
  };
})();
