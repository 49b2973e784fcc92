/* Carte de couverture (DDETS) : les zones (communes, ou carreaux) colorées selon un indicateur,
 * avec une légende, l'offre de la catégorie choisie en points, la liste classée des manques,
 * les chiffres d'une zone au clic et les exports GeoJSON / CSV.
 *
 * Aujourd'hui la carte colore les communes par leur population (GET /v1/communes) et montre
 * les partenaires de la catégorie (GET /v1/partners). Les indicateurs de couverture et les
 * manques viendront de GET /v1/coverage et GET /v1/gaps : voir « BRANCHEMENT » plus bas.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;

  const PALETTE = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]; // ColorBrewer Blues
  const NO_DATA = "#d1d5db";
  const PROPERTY_LABELS = {
    name: "Nom",
    code_insee: "Code Insee",
    population: "Population (Insee)",
    departement: "Département",
    epci: "EPCI (SIREN)",
    demand: "Demande",
    people_affected: "Personnes concernées",
    nearest_minutes: "Temps jusqu'au site le plus proche (min)",
    nearest_site_name: "Site le plus proche",
    reachable_sites: "Sites atteignables",
    reachable_supply: "Offre atteignable (places)",
    covered: "Couverte (0/1)",
    e2sfca: "Accessibilité E2SFCA (places pour 1 000 hab.)",
    two_sfca: "Accessibilité 2SFCA (places pour 1 000 hab.)",
    threshold: "Seuil d'offre faible (places pour 1 000 hab.)",
    gap: "Manque",
    gap_severity: "Gravité du manque",
    severity: "Gravité",
    estimated: "Temps estimé à vol d'oiseau (0/1)",
  };
  const HIDDEN_PROPERTIES = new Set(["lon", "lat"]);
  const POPULATION = { property: "population", label: "Population (Insee)", unit: "habitants" };
  /** Les indicateurs de GET /v1/coverage proposés dans le sélecteur « Indicateur ». */
  const COVERAGE_INDICATORS = [
    { property: "nearest_minutes", label: "Temps jusqu'au site le plus proche (min)" },
    { property: "e2sfca", label: "Accessibilité E2SFCA (places pour 1 000 hab.)", reverse: true },
    { property: "reachable_sites", label: "Sites atteignables", reverse: true },
    { property: "population", label: "Population" },
  ];
  const MODE_LABELS = { walk: "à pied", bike: "à vélo", car: "en voiture", transit: "en transports en commun" };
  const GAPS_SHOWN = 20; // manques listés sur la page ; l'export CSV les donne tous

  const form = document.getElementById("couverture");
  const categorySelect = document.getElementById("categorie");
  const indicatorSelect = document.getElementById("indicateur");
  const gapsZone = document.getElementById("manques");
  const zonePanel = document.getElementById("zone");
  const status = document.getElementById("etat");
  const summary = document.getElementById("couverture-resume");

  const state = {
    map: null,
    labels: null,
    collection: null, // la FeatureCollection colorée (communes, ou couverture une fois branchée)
    indicator: POPULATION,
    indicators: [POPULATION],
    gaps: null, // null : pas encore de manques (pas connecté, ou couverture non chargée)
    communes: null, // les communes seules (sans session)
    zones: null,
    legend: null,
    partners: null,
    partnerLegend: null,
    selected: null,
    layersById: {},
  };

  // -- classes et couleurs --------------------------------------------------------------

  /** Seuils de classes par quantiles (au plus `count` classes, seuils distincts). */
  function quantileBreaks(values, count) {
    const sorted = values.slice().sort((a, b) => a - b);
    if (!sorted.length) return [];
    const breaks = [];
    for (let i = 1; i < count; i++) {
      const value = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / count))];
      if (!breaks.length || value > breaks[breaks.length - 1]) breaks.push(value);
    }
    return breaks.filter((b) => b > sorted[0]);
  }

  function classOf(value, breaks) {
    let index = 0;
    while (index < breaks.length && value >= breaks[index]) index++;
    return index;
  }

  function colours(breaks, reverse) {
    const n = breaks.length + 1;
    const picked = Array.from({ length: n }, (_, i) =>
      PALETTE[n === 1 ? PALETTE.length - 1 : Math.round((i * (PALETTE.length - 1)) / (n - 1))]);
    return reverse ? picked.reverse() : picked;
  }

  function valueOf(feature) {
    const value = feature.properties[state.indicator.property];
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  function formatValue(value, indicator) {
    if (value === null || value === undefined) return "sans donnée";
    if (indicator && typeof indicator.format === "function") return indicator.format(value);
    return M.fmt.decimal(value) + (indicator && indicator.unit ? " " + indicator.unit : "");
  }

  function zoneId(properties) {
    return String(properties.zone_id || properties.code_insee || properties.id || "");
  }

  function zoneName(properties) {
    return properties.name || properties.zone_name || properties.label || properties.commune || zoneId(properties);
  }

  // -- la couche des zones ---------------------------------------------------------------

  function legendControl(indicator, breaks, palette, values, hasNoData) {
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = el("div", { class: "map-legend", id: "legende" }, el("p", { class: "legend-title" }, indicator.label));
      const list = el("ul", {});
      const min = Math.min(...values);
      const max = Math.max(...values);
      const bounds = [min, ...breaks, max];
      palette.forEach((colour, i) => {
        const low = bounds[i];
        const high = bounds[i + 1];
        const text = i === palette.length - 1 ? "de " + M.fmt.decimal(low) + " à " + M.fmt.decimal(high) :
          "de " + M.fmt.decimal(low) + " à moins de " + M.fmt.decimal(high);
        list.append(el("li", {}, el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: colour } }), text));
      });
      if (hasNoData) {
        list.append(el("li", {}, el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: NO_DATA } }), "sans donnée"));
      }
      box.append(list);
      if (indicator.unit) box.append(el("p", { class: "legend-note" }, "en " + indicator.unit));
      M.paintSwatches(box);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    return control;
  }

  function drawZones() {
    if (state.zones) state.zones.remove();
    if (state.legend) state.legend.remove();
    state.layersById = {};
    state.selected = null;
    const values = state.collection.features.map(valueOf).filter((v) => v !== null);
    const breaks = quantileBreaks(values, PALETTE.length);
    const palette = colours(breaks, Boolean(state.indicator.reverse));
    let hasNoData = false;
    state.zones = L.geoJSON(state.collection, {
      style: (feature) => {
        const value = valueOf(feature);
        if (value === null) hasNoData = true;
        return {
          color: "#6b7280",
          weight: 0.6,
          fillColor: value === null ? NO_DATA : palette[classOf(value, breaks)],
          fillOpacity: 0.8,
        };
      },
      onEachFeature: (feature, layer) => {
        state.layersById[zoneId(feature.properties)] = layer;
        layer.on("click", () => selectZone(feature, layer));
        layer.bindTooltip(M.escapeHtml(zoneName(feature.properties)), { sticky: true });
      },
    }).addTo(state.map);
    if (values.length) {
      state.legend = legendControl(state.indicator, breaks, palette, values, hasNoData).addTo(state.map);
    }
    if (state.partners) state.partners.eachLayer((layer) => layer.bringToFront && layer.bringToFront());
  }

  function selectZone(feature, layer) {
    if (state.selected) state.zones.resetStyle(state.selected);
    state.selected = layer;
    layer.setStyle({ weight: 3, color: "#111827" });
    layer.bringToFront();
    const p = feature.properties;
    const facts = el("dl", { class: "facts" });
    facts.append(el("dt", {}, state.indicator.label), el("dd", {}, el("strong", {}, formatValue(valueOf(feature), state.indicator))));
    Object.entries(p).forEach(([key, value]) => {
      if (HIDDEN_PROPERTIES.has(key) || key === state.indicator.property || value === null || typeof value === "object") return;
      facts.append(el("dt", {}, PROPERTY_LABELS[key] || key.replace(/_/g, " ")),
        el("dd", {}, typeof value === "number" ? M.fmt.decimal(value) : String(value)));
    });
    M.fill(zonePanel, el("h3", {}, zoneName(p)), facts);
    layer.bindPopup(el("div", {}, el("strong", {}, zoneName(p)), el("br"),
      state.indicator.label + " : " + formatValue(valueOf(feature), state.indicator))).openPopup();
  }

  function selectZoneById(id) {
    const layer = state.layersById[String(id)];
    if (!layer) return false;
    state.map.fitBounds(layer.getBounds(), { maxZoom: 11, padding: [20, 20] });
    selectZone(layer.feature, layer);
    return true;
  }

  // -- la liste des manques --------------------------------------------------------------

  const GAP_SKIP = new Set(["rank", "name", "zone_name", "label", "message", "reason", "zone_id", "code_insee", "id",
    "geometry", "lon", "lat"]);

  function renderGaps() {
    if (state.gaps === null) {
      if (M.can(M.ROLES.viewer)) {
        M.fill(gapsZone, el("p", { class: "notice" }, "Le classement des manques s'affichera ici avec les " +
          "indicateurs de couverture."));
      } else {
        M.loginPrompt(gapsZone, "pour voir les indicateurs de couverture et le classement des manques. " +
          "En attendant, la carte montre la population des communes et l'offre de la catégorie choisie");
      }
      document.getElementById("export-manques").disabled = true;
      return;
    }
    document.getElementById("export-manques").disabled = !state.gaps.length;
    if (!state.gaps.length) {
      M.fill(gapsZone, el("p", { class: "notice notice-success" }, "Aucun manque pour ces réglages."));
      return;
    }
    const list = el("ol", { class: "gaps" });
    state.gaps.slice(0, GAPS_SHOWN).forEach((gap) => {
      const figures = Object.entries(gap).filter(([key, value]) => !GAP_SKIP.has(key) && typeof value === "number")
        .map(([key, value]) => (PROPERTY_LABELS[key] || key.replace(/_/g, " ")) + " : " + M.fmt.decimal(value));
      const id = zoneId(gap);
      list.append(el("li", {},
        el("button", { type: "button", class: "button-link", onclick: () => selectZoneById(id) }, zoneName(gap)),
        gap.message || gap.reason ? el("div", {}, gap.message || gap.reason) : null,
        figures.length ? el("div", { class: "hint" }, figures.join(" · ")) : null));
    });
    const total = Math.max(state.gapsTotal || 0, state.gaps.length);
    M.fill(gapsZone, list, total > GAPS_SHOWN ?
      el("p", { class: "hint" }, "Les " + GAPS_SHOWN + " premiers manques sur " + M.fmt.number(total) +
        " ; la liste complète est dans l'export CSV des manques.") : null);
  }

  // -- BRANCHEMENT DE LA COUVERTURE ------------------------------------------------------
  //
  // ▶ showCoverage(coverage, gaps, options) : LE point d'accroche pour /v1/coverage et /v1/gaps.
  //   coverage : la FeatureCollection de GET /v1/coverage (une entité par commune ou par
  //              carreau, EPSG:4326) ; chaque entité porte un identifiant de zone
  //              (properties.zone_id ou properties.code_insee), un nom (properties.name) et
  //              ses indicateurs en nombres ;
  //   gaps     : la liste classée de GET /v1/gaps (le meilleur rang d'abord) ; chaque manque
  //              porte l'identifiant de sa zone (zone_id ou code_insee), un nom, un message
  //              (message ou reason) et ses chiffres (nombres) ;
  //   options  : { indicator: {property, label, unit?, reverse?}, indicators?: [...] } —
  //              la propriété à colorer ; reverse = vrai quand une grande valeur est bonne
  //              (un ratio offre/demande : les zones faibles en foncé).
  // ▶ requestCoverage(params) : GET /v1/coverage et GET /v1/gaps avec la session de la
  //   personne connectée (cookie, même origine), puis showCoverage ; rend un message français
  //   pour la zone d'état quand rien n'est affiché.
  //
  function showCoverage(coverage, gaps, options) {
    const opts = options || {};
    state.collection = coverage;
    state.indicator = opts.indicator || state.indicator;
    state.indicators = opts.indicators || [state.indicator];
    state.gaps = Array.isArray(gaps) ? gaps : (gaps && gaps.items) || [];
    state.gapsTotal = gaps && !Array.isArray(gaps) && typeof gaps.total === "number" ? gaps.total : state.gaps.length;
    M.clear(indicatorSelect);
    state.indicators.forEach((indicator) => {
      indicatorSelect.append(el("option", { value: indicator.property, selected: indicator.property === state.indicator.property }, indicator.label));
    });
    drawZones();
    renderGaps();
  }

  function showSummary(metadata) {
    if (!metadata) {
      summary.textContent = "";
      summary.hidden = true;
      return;
    }
    const share = metadata.share_covered === null || metadata.share_covered === undefined ? "Une part inconnue" :
      M.fmt.decimal(Math.round(metadata.share_covered * 1000) / 10) + " %";
    const who = metadata.demand === "population" ? "de la population" : "de la demande (" + metadata.demand_label + ")";
    summary.textContent = share + " " + who + " atteint " +
      (metadata.sites ? "un des " + M.fmt.number(metadata.sites) + " sites « " + metadata.category_label + " »" :
        "un site « " + metadata.category_label + " »") +
      " en moins de " + M.fmt.decimal(metadata.max_minutes) + " min " + (MODE_LABELS[metadata.mode] || metadata.mode) +
      (metadata.estimated ? " ; temps estimés à vol d'oiseau" : "") + ".";
    summary.hidden = false;
  }

  /** Revenir aux communes colorées par leur population (sans session, ou après une erreur). */
  function showCommunes() {
    showSummary(null);
    if (!state.communes || state.collection === state.communes) return;
    state.collection = state.communes;
    state.indicator = POPULATION;
    state.indicators = [POPULATION];
    state.gaps = null;
    M.clear(indicatorSelect).append(el("option", { value: POPULATION.property }, POPULATION.label));
    drawZones();
    renderGaps();
  }

  async function requestCoverage(params) {
    if (!M.can(M.ROLES.viewer)) {
      showCommunes();
      return "Connectez-vous pour afficher la couverture.";
    }
    const query = M.query({ category: params.category, mode: params.mode, max_minutes: params.max_minutes, zones: "communes" });
    let coverage;
    let gaps;
    try {
      [coverage, gaps] = await Promise.all([M.api("/v1/coverage" + query), M.api("/v1/gaps" + query)]);
    } catch (err) {
      if (!(err instanceof M.ApiError)) throw err;
      showCommunes();
      if (err.status === 401) M.loginPrompt(gapsZone, "à nouveau : " + err.message, "error");
      return "Couverture indisponible : " + err.message;
    }
    const indicator = COVERAGE_INDICATORS.find((i) => i.property === state.indicator.property && state.collection !== state.communes) ||
      COVERAGE_INDICATORS[0];
    showCoverage(coverage, gaps, { indicator: indicator, indicators: COVERAGE_INDICATORS });
    showSummary(coverage.metadata || (gaps && gaps.metadata));
    return null;
  }

  // -- l'offre de la catégorie ------------------------------------------------------------

  async function allPartners(kind) {
    const items = [];
    for (let page = 1; page <= 20; page++) {
      const result = await M.api("/v1/partners" + M.query({ kinds: [kind], size: 100, page: page }));
      items.push(...result.items);
      if (items.length >= result.total || !result.items.length) break;
    }
    return items;
  }

  async function drawPartners(kind) {
    if (state.partners) state.partners.clearLayers();
    if (state.partnerLegend) state.partnerLegend.remove();
    if (!kind) return [];
    const items = await allPartners(kind);
    const label = state.labels.kinds[kind] ? state.labels.kinds[kind].label : kind;
    items.forEach((p) => {
      M.partnerMarker(p, { pane: "partenaires" })
        .bindTooltip(M.escapeHtml(p.name + (p.available_places !== null ? " — " + M.fmt.plural(p.available_places, "place libre", "places libres") : "")))
        .addTo(state.partners);
    });
    const family = state.labels.kinds[kind] ? state.labels.kinds[kind].family : null;
    const control = L.control({ position: "topright" });
    control.onAdd = () => {
      const box = el("div", { class: "map-legend" },
        el("p", { class: "legend-title" }, "Offre"),
        el("ul", {}, el("li", {}, el("span", { class: "swatch swatch-dot", "aria-hidden": "true", dataset: { colour: M.familyColour(family) } }),
          label + " (" + M.fmt.number(items.length) + ")")));
      M.paintSwatches(box);
      return box;
    };
    state.partnerLegend = control.addTo(state.map);
    return items;
  }

  // -- exports ------------------------------------------------------------------------------

  function download(content, filename, type) {
    const url = URL.createObjectURL(new Blob([content], { type: type }));
    const link = el("a", { href: url, download: filename, class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function csvCell(value) {
    if (value === null || value === undefined) return "";
    const text = typeof value === "number" ? String(value).replace(".", ",") : String(value);
    return /[;"\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  /** Un CSV « à la française » : séparateur point-virgule, virgule décimale, BOM UTF-8. */
  function toCsv(rows) {
    const columns = [];
    rows.forEach((row) => Object.keys(row).forEach((key) => {
      if (!columns.includes(key) && (row[key] === null || typeof row[key] !== "object")) columns.push(key);
    }));
    const lines = [columns.join(";")].concat(rows.map((row) => columns.map((c) => csvCell(row[c])).join(";")));
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function exportName(extension, what) {
    const parts = [what || "zones", categorySelect.value || "toutes", form.elements.mode.value, form.elements.minutes.value + "min"];
    return parts.join("-") + "." + extension;
  }

  // -- la page ------------------------------------------------------------------------------

  async function apply() {
    const params = {
      category: categorySelect.value,
      mode: form.elements.mode.value,
      max_minutes: Number(form.elements.minutes.value),
    };
    status.textContent = "Mise à jour de la carte…";
    try {
      const [items, problem] = await Promise.all([drawPartners(params.category), requestCoverage(params)]);
      const label = state.labels.kinds[params.category] ? state.labels.kinds[params.category].label : "";
      status.textContent = M.fmt.plural(items.length, "structure") + (label ? " « " + label + " »" : "") +
        " sur la carte ; zones colorées selon : " + state.indicator.label + "." + (problem ? " " + problem : "");
    } catch (err) {
      status.textContent = "Mise à jour impossible : " + err.message;
    }
  }

  function fillCategories(labels) {
    M.clear(categorySelect);
    const groups = {};
    Object.values(labels.kinds).forEach((kind) => (groups[kind.family] = groups[kind.family] || []).push(kind));
    Object.keys(groups).forEach((family) => {
      const group = el("optgroup", { label: labels.families[family] || family });
      groups[family].sort((a, b) => a.label.localeCompare(b.label, "fr"))
        .forEach((kind) => group.append(el("option", { value: kind.code }, kind.label)));
      categorySelect.append(group);
    });
    const wanted = new URLSearchParams(window.location.search).get("categorie");
    categorySelect.value = wanted && labels.kinds[wanted] ? wanted : labels.kinds["creches-avip"] ? "creches-avip" : categorySelect.options[0].value;
  }

  async function main() {
    state.map = M.map("carte");
    state.map.createPane("partenaires").style.zIndex = 450;
    state.partners = L.layerGroup().addTo(state.map);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.reportValidity()) apply();
    });
    indicatorSelect.addEventListener("change", () => {
      state.indicator = state.indicators.find((i) => i.property === indicatorSelect.value) || state.indicator;
      drawZones();
    });
    document.getElementById("export-geojson").addEventListener("click", () =>
      download(JSON.stringify(state.collection), exportName("geojson"), "application/geo+json"));
    document.getElementById("export-csv").addEventListener("click", () =>
      download(toCsv(state.collection.features.map((f) => f.properties)), exportName("csv"), "text/csv;charset=utf-8"));
    document.getElementById("export-manques").addEventListener("click", () =>
      download(toCsv(state.gaps || []), exportName("csv", "manques"), "text/csv;charset=utf-8"));
    try {
      const [labels, communes] = await Promise.all([M.labels(), M.communes()]);
      state.labels = labels;
      fillCategories(labels);
      state.collection = communes;
      state.communes = communes;
      drawZones();
      const bounds = state.zones.getBounds();
      if (bounds.isValid()) state.map.fitBounds(bounds, { padding: [8, 8] });
      M.basemap.communeLabels(state.map, communes);  // hors ligne : les noms, sans tuiles
      renderGaps();
      const findCommune = await M.communePicker(document.getElementById("communes-liste"));
      document.getElementById("zone-commune").addEventListener("change", (event) => {
        const commune = findCommune(event.target.value);
        if (commune) selectZoneById(commune.code_insee);
      });
      await apply();
    } catch (err) {
      M.notice(gapsZone, "Chargement impossible : " + err.message, "error");
      return;
    }
    document.body.dataset.ready = "true";
  }

  M.carte = { showCoverage: showCoverage, requestCoverage: requestCoverage, selectZone: selectZoneById };
  main();
})();
