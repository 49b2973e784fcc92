/* Carte de couverture (DDETS) : les communes colorées selon un indicateur d'accès à l'offre
 * d'une famille ou d'un type d'acteurs, pour une demande (population, habitants des QPV,
 * enfants de 0 à 3 ans, places d'hébergement, couche importée), avec une légende, l'offre en
 * points, la liste classée des manques, le panneau d'une commune et les exports.
 *
 * Sans session : les communes colorées par leur population (GET /v1/communes) et l'offre
 * (GET /v1/partners). Connecté (rôle viewer ou plus) : GET /v1/coverage, GET /v1/gaps et
 * GET /v1/coverage/demands, avec le cookie de session (même origine, aucune clé).
 *
 * Une commune qui n'atteint aucune structure dans le temps choisi prend la classe la pire de
 * tout indicateur d'accès, avec sa propre entrée de légende (« Aucune structure atteignable ») :
 * « sans donnée » (gris) ne dit qu'une valeur absente.
 */
"use strict";

(function () {
  const M = window.maillage;
  const Z = M.carteZone;
  const el = M.el;

  const BLUES = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"]; // ColorBrewer Blues
  const ACCESS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20"]; // ColorBrewer YlOrRd, du mieux au pire
  const NOTHING = "#bd0026"; // la classe la pire : aucune structure atteignable
  const NO_DATA = "#d1d5db";
  const NOTHING_LABEL = "Aucune structure atteignable";
  const POPULATION = { property: "population", label: "Population (Insee)", unit: "habitants" };
  const GAPS_SHOWN = 20; // manques listés sur la page ; les exports les donnent tous

  const form = document.getElementById("couverture");
  const categorySelect = document.getElementById("categorie");
  const demandSelect = document.getElementById("demande");
  const demandNote = document.getElementById("demande-note");
  const indicatorSelect = document.getElementById("indicateur");
  const gapsZone = document.getElementById("manques");
  const zonePanel = document.getElementById("zone");
  const status = document.getElementById("etat");
  const summary = document.getElementById("couverture-resume");
  const explanation = document.getElementById("explication");
  const legend = document.getElementById("legende");
  const ZONE_HINT = "Cliquez sur une commune de la carte (ou choisissez un manque) pour voir ses chiffres.";

  const state = {
    map: null,
    labels: null,
    communes: null, // les communes seules (sans session)
    collection: null, // ce qui est coloré : les communes, ou la couverture
    metadata: null, // celles de la couverture affichée (null : les communes seules)
    query: null, // les paramètres de la couverture affichée (exports)
    indicator: POPULATION,
    indicators: [POPULATION],
    gaps: null, // null : pas de manques (pas connecté, ou couverture indisponible)
    gapsTotal: 0,
    zones: null,
    partners: null,
    partnerLegend: null,
    selectedId: null,
    layersById: {},
    generation: 0, // la dernière demande ; une réponse plus ancienne n'est pas dessinée
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

  /** Une couleur par classe, prises dans la palette de bout en bout ; reverse : les petites
   * valeurs sont les pires (un ratio offre/demande). */
  function colours(breaks, palette, reverse) {
    const ordered = reverse ? palette.slice().reverse() : palette;
    const n = breaks.length + 1;
    return Array.from({ length: n }, (_, i) =>
      ordered[n === 1 ? (reverse ? 0 : ordered.length - 1) : Math.round((i * (ordered.length - 1)) / (n - 1))]);
  }

  function valueOf(feature) {
    const value = feature.properties[state.indicator.property];
    return typeof value === "number" && Number.isFinite(value) ? value : null;
  }

  /** Vrai quand la commune n'atteint aucune structure et que l'indicateur mesure l'accès. */
  function reachesNothing(feature) {
    return Boolean(state.metadata && state.indicator.access && feature.properties.covered === 0);
  }

  function zoneId(properties) {
    return String(properties.zone_id || properties.code_insee || "");
  }

  function zoneName(properties) {
    return properties.name || properties.zone_name || zoneId(properties);
  }

  // -- la couche des zones ---------------------------------------------------------------

  /** La légende des communes, sous la carte (sur un téléphone, dans la carte, elle en
   * cacherait la moitié). */
  function renderLegend(scale) {
    const indicator = state.indicator;
    const show = (v) => (indicator.format ? indicator.format(v) : Z.number(v));
    const swatch = (colour) => el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: colour } });
    const list = el("ul", {});
    if (scale.values.length) {
      const bounds = [Math.min(...scale.values), ...scale.breaks, Math.max(...scale.values)];
      scale.palette.forEach((colour, i) => {
        const last = i === scale.palette.length - 1;
        list.append(el("li", {}, swatch(colour),
          "de " + show(bounds[i]) + (last ? " à " : " à moins de ") + show(bounds[i + 1])));
      });
    }
    if (scale.nothing) list.append(el("li", { class: "legend-nothing" }, swatch(NOTHING), NOTHING_LABEL));
    if (scale.noData) list.append(el("li", {}, swatch(NO_DATA), "sans donnée"));
    const notes = [];
    if (indicator.unit) notes.push("en " + indicator.unit);
    if (scale.nothing) {
      notes.push(NOTHING_LABEL.toLowerCase() + " : en moins de " + Z.number(state.metadata.max_minutes) + " min " +
        (M.MODES[state.metadata.mode] || ""));
    }
    M.fill(legend, el("p", { class: "legend-title" }, indicator.label), list,
      notes.map((note) => el("p", { class: "legend-note" }, note)));
    M.paintSwatches(legend);
    legend.hidden = !(scale.values.length || scale.nothing);
  }

  function drawZones() {
    if (state.zones) state.zones.remove();
    state.layersById = {};
    const features = state.collection.features;
    const ranked = features.filter((f) => !reachesNothing(f));
    const values = ranked.map(valueOf).filter((v) => v !== null);
    const breaks = quantileBreaks(values, state.indicator.access ? ACCESS.length : BLUES.length);
    const palette = colours(breaks, state.indicator.access ? ACCESS : BLUES, Boolean(state.indicator.reverse));
    const scale = { values: values, breaks: breaks, palette: palette, nothing: ranked.length < features.length,
      noData: ranked.some((f) => valueOf(f) === null) };
    state.zones = L.geoJSON(state.collection, {
      style: (feature) => {
        const value = valueOf(feature);
        const nothing = reachesNothing(feature);
        return {
          color: "#6b7280",
          weight: 0.6,
          fillColor: nothing ? NOTHING : value === null ? NO_DATA : palette[classOf(value, breaks)],
          fillOpacity: 0.8,
          className: nothing ? "zone zone-nothing" : value === null ? "zone zone-no-data" : "zone",
        };
      },
      onEachFeature: (feature, layer) => {
        state.layersById[zoneId(feature.properties)] = layer;
        layer.on("click", () => selectZone(layer));
        layer.bindTooltip(M.escapeHtml(zoneName(feature.properties)), { sticky: true });
      },
    }).addTo(state.map);
    renderLegend(scale);
    if (state.partners) state.partners.eachLayer((layer) => layer.bringToFront && layer.bringToFront());
    const selected = state.selectedId && state.layersById[state.selectedId];
    if (selected) selectZone(selected);
  }

  function gapOf(id) {
    return (state.gaps || []).find((gap) => gap.zone_id === id) || null;
  }

  /** Une commune choisie : soulignée sur la carte, ses chiffres dans le panneau à côté (sous
   * la carte sur un téléphone). */
  function selectZone(layer) {
    state.zones.resetStyle();
    layer.setStyle({ weight: 3, color: "#111827" });
    layer.bringToFront();
    const p = layer.feature.properties;
    state.selectedId = zoneId(p);
    M.fill(zonePanel, Z.panel(p, { metadata: state.metadata, indicator: state.indicator, gap: gapOf(state.selectedId) }));
  }

  function selectZoneById(id) {
    const layer = state.layersById[String(id)];
    if (!layer) return false;
    state.map.fitBounds(layer.getBounds(), { maxZoom: 11, padding: [20, 20], animate: false });
    selectZone(layer);
    return true;
  }

  /** Nouveaux réglages : la commune choisie n'a plus de sens (panneau vidé, carte recadrée
   * sur le territoire une fois la réponse dessinée). */
  function resetView() {
    state.selectedId = null;
    M.fill(zonePanel, el("p", { class: "hint" }, ZONE_HINT));
  }

  function fitZones() {
    const bounds = state.zones && state.zones.getBounds();
    if (bounds && bounds.isValid()) state.map.fitBounds(bounds, { padding: [8, 8], animate: false });
  }

  // -- la liste des manques --------------------------------------------------------------

  function renderGaps() {
    const exports = [document.getElementById("export-manques"), document.getElementById("export-manques-fr")];
    exports.forEach((button) => (button.disabled = !(state.gaps && state.gaps.length)));
    if (state.gaps === null) {
      if (M.can(M.ROLES.viewer)) {
        M.fill(gapsZone, el("p", { class: "notice" }, "Le classement des manques s'affiche avec la couverture."));
      } else {
        M.loginPrompt(gapsZone, "pour voir les indicateurs de couverture et le classement des manques. " +
          "En attendant, la carte montre la population des communes et l'offre de la catégorie choisie");
      }
      return;
    }
    if (!state.gaps.length) {
      M.fill(gapsZone, el("p", { class: "notice notice-success" }, "Aucun manque pour ces réglages."));
      return;
    }
    const list = el("ol", { class: "gaps" });
    state.gaps.slice(0, GAPS_SHOWN).forEach((gap) => {
      list.append(el("li", {},
        el("button", { type: "button", class: "button-link", onclick: () => selectZoneById(gap.zone_id) }, gap.zone_name),
        el("div", {}, gap.message)));
    });
    const total = Math.max(state.gapsTotal, state.gaps.length);
    M.fill(gapsZone, list, total > GAPS_SHOWN ?
      el("p", { class: "hint" }, "Les " + GAPS_SHOWN + " premiers manques sur " + M.fmt.number(total) +
        " ; les exports des manques les donnent tous.") : null);
  }

  // -- la couverture ------------------------------------------------------------------------

  function showSummary(metadata) {
    if (!metadata) {
      summary.hidden = true;
      explanation.hidden = true;
      return;
    }
    const share = metadata.share_covered === null ? "Une part inconnue" :
      M.fmt.decimal(Math.round(metadata.share_covered * 1000) / 10) + " %";
    const who = metadata.demand === "population" ? "de la population" : "de la demande « " + metadata.demand_label + " »";
    summary.textContent = share + " " + who + " atteint " +
      (metadata.sites ? "un des " + M.fmt.number(metadata.sites) + " sites « " + metadata.category_label + " »" :
        "un site « " + metadata.category_label + " »") +
      " en moins de " + Z.number(metadata.max_minutes) + " min " + (M.MODES[metadata.mode] || metadata.mode) +
      (metadata.estimated ? " ; " + M.fmt.percent(metadata.estimated_share) + " des trajets estimés" : "") + ".";
    summary.hidden = false;
    explanation.textContent = metadata.e2sfca_explanation;
    explanation.hidden = false;
  }

  function showCoverage(coverage, gaps) {
    const kept = state.metadata ? state.indicator.property : null; // the indicator chosen on a coverage
    state.collection = coverage;
    state.metadata = coverage.metadata;
    state.indicators = Z.indicators(coverage.metadata);
    state.indicator = state.indicators.find((i) => i.property === kept) || state.indicators[0];
    state.gaps = gaps.items;
    state.gapsTotal = gaps.total;
    fillIndicators();
    drawZones();
    renderGaps();
    showSummary(coverage.metadata);
  }

  /** Les communes colorées par leur population (sans session, ou la couverture indisponible). */
  function showCommunes() {
    state.collection = state.communes;
    state.metadata = null;
    state.query = null;
    state.indicator = POPULATION;
    state.indicators = [POPULATION];
    state.gaps = null;
    fillIndicators();
    drawZones();
    renderGaps();
    showSummary(null);
  }

  function fillIndicators() {
    M.clear(indicatorSelect);
    state.indicators.forEach((indicator) => indicatorSelect.append(
      el("option", { value: indicator.property, selected: indicator === state.indicator }, indicator.label)));
  }

  async function requestCoverage(params, generation) {
    if (!M.can(M.ROLES.viewer)) {
      showCommunes();
      return "Connectez-vous pour afficher la couverture.";
    }
    const query = { category: params.category, mode: params.mode, max_minutes: params.max_minutes,
      zones: "communes", demand: params.demand };
    let answers;
    try {
      answers = await Promise.all([M.api("/v1/coverage" + M.query(query)), M.api("/v1/gaps" + M.query(query))]);
    } catch (err) {
      if (!(err instanceof M.ApiError)) throw err;
      if (generation !== state.generation) return null;
      showCommunes();
      if (err.status === 401) M.loginPrompt(gapsZone, "à nouveau : " + err.message, "error");
      return "Couverture indisponible : " + err.message;
    }
    if (generation !== state.generation) return null;
    state.query = query;
    showCoverage(answers[0], answers[1]);
    return null;
  }

  // -- la demande ---------------------------------------------------------------------------

  async function fillDemands() {
    if (!M.can(M.ROLES.viewer)) {
      demandSelect.disabled = true;
      demandNote.textContent = "Connectez-vous pour choisir la demande (habitants des QPV, jeunes enfants…).";
      return;
    }
    let answer;
    try {
      answer = await M.api("/v1/coverage/demands");
    } catch (err) {
      if (!(err instanceof M.ApiError)) throw err;
      demandNote.textContent = "Liste des demandes indisponible : " + err.message;
      return;
    }
    M.clear(demandSelect);
    const missing = [];
    answer.items.forEach((demand) => {
      const label = Z.capitalised(demand.label);
      demandSelect.append(el("option", { value: demand.name, disabled: !demand.available },
        demand.available ? label : label + " — non chargée"));
      if (!demand.available) missing.push("« " + label + " » : " + demand.reason.charAt(0).toLowerCase() + demand.reason.slice(1));
    });
    demandSelect.value = "population";
    M.fill(demandNote, missing.length ? el("span", {}, (missing.length > 1 ? "Demandes non disponibles ici — " :
      "Demande non disponible ici — ") + missing.join(" ")) : null);
  }

  // -- l'offre de la catégorie ------------------------------------------------------------

  function categoryLabel(code) {
    if (state.labels.families[code]) return state.labels.families[code];
    return state.labels.kinds[code] ? state.labels.kinds[code].label : code;
  }

  async function drawPartners(category, generation) {
    if (!category) return [];
    const filter = state.labels.families[category] ? { families: [category] } : { kinds: [category] };
    const items = [];
    for (let page = 1; page <= 20; page++) {
      const result = await M.api("/v1/partners" + M.query(Object.assign({ size: 100, page: page }, filter)));
      items.push(...result.items);
      if (items.length >= result.total || !result.items.length) break;
    }
    if (generation !== state.generation) return items;
    state.partners.clearLayers();
    if (state.partnerLegend) state.partnerLegend.remove();
    items.forEach((p) => {
      M.partnerMarker(p, { pane: "partenaires" })
        .bindTooltip(M.escapeHtml(p.name + (p.available_places !== null ? " — " + M.fmt.plural(p.available_places, "place libre", "places libres") : "")))
        .addTo(state.partners);
    });
    const family = state.labels.families[category] ? category : (state.labels.kinds[category] || {}).family;
    const control = L.control({ position: "topright" });
    control.onAdd = () => {
      const box = el("div", { class: "map-legend" }, el("p", { class: "legend-title" }, "Offre"),
        el("ul", {}, el("li", {}, el("span", { class: "swatch swatch-dot", "aria-hidden": "true", dataset: { colour: M.familyColour(family) } }),
          categoryLabel(category) + " (" + M.fmt.number(items.length) + ")")));
      M.paintSwatches(box);
      return box;
    };
    state.partnerLegend = control.addTo(state.map);
    return items;
  }

  function fillCategories(labels) {
    M.clear(categorySelect);
    const families = el("optgroup", { label: "Familles (tous leurs types d'acteurs)" });
    Object.entries(labels.families).forEach(([code, label]) => families.append(el("option", { value: code }, label)));
    categorySelect.append(families);
    Object.entries(labels.families).forEach(([family, familyLabel]) => {
      const kinds = Object.values(labels.kinds).filter((kind) => kind.family === family)
        .sort((a, b) => a.label.localeCompare(b.label, "fr"));
      if (!kinds.length) return;
      const group = el("optgroup", { label: "Types : " + familyLabel });
      kinds.forEach((kind) => group.append(el("option", { value: kind.code }, kind.label)));
      categorySelect.append(group);
    });
    const wanted = new URLSearchParams(window.location.search).get("categorie");
    const known = (code) => Boolean(code && (labels.kinds[code] || labels.families[code]));
    categorySelect.value = known(wanted) ? wanted : known("creches-avip") ? "creches-avip" : categorySelect.options[0].value;
  }

  // -- exports ------------------------------------------------------------------------------

  function save(href, filename) {
    const link = el("a", { href: href, download: filename || "", class: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  function download(content, filename, type) {
    const url = URL.createObjectURL(new Blob([content], { type: type }));
    save(url, filename);
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /** Un CSV comme ceux de l'API : « ; », UTF-8 avec BOM ; french : la virgule décimale. */
  function toCsv(rows, french) {
    const columns = [];
    rows.forEach((row) => Object.keys(row).forEach((key) => {
      if (!columns.includes(key) && (row[key] === null || typeof row[key] !== "object")) columns.push(key);
    }));
    const cell = (value) => {
      if (value === null || value === undefined) return "";
      const text = typeof value === "number" && french ? String(value).replace(".", ",") : String(value);
      return /[;"\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
    };
    const lines = [columns.join(";")].concat(rows.map((row) => columns.map((c) => cell(row[c])).join(";")));
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function exportName(extension) {
    return ["communes", categorySelect.value || "toutes", form.elements.mode.value, form.elements.minutes.value + "min"]
      .join("-") + "." + extension;
  }

  /** Les communes : depuis l'API quand la couverture est affichée, sinon celles de la page. */
  function exportZones(format) {
    if (state.query) {
      save("/v1/coverage" + M.query(Object.assign({}, state.query, { format: format })));
    } else {
      const rows = state.collection.features.map((f) => f.properties);
      download(toCsv(rows, format === "csv-fr"), exportName(format === "csv-fr" ? "excel-fr.csv" : "csv"), "text/csv;charset=utf-8");
    }
  }

  function exportGaps(format) {
    if (state.query) save("/v1/gaps" + M.query(Object.assign({}, state.query, { format: format, limit: 20000 })));
  }

  // -- la page ------------------------------------------------------------------------------

  async function apply() {
    const generation = ++state.generation;
    const params = {
      category: categorySelect.value,
      demand: demandSelect.disabled ? "population" : demandSelect.value,
      mode: form.elements.mode.value,
      max_minutes: Number(form.elements.minutes.value),
    };
    resetView();
    status.textContent = "Mise à jour de la carte…";
    try {
      const [items, problem] = await Promise.all([drawPartners(params.category, generation), requestCoverage(params, generation)]);
      if (generation !== state.generation) return;
      fitZones();
      status.textContent = M.fmt.plural(items.length, "structure") + " « " + categoryLabel(params.category) + " »" +
        " sur la carte ; communes colorées selon : " + state.indicator.label + "." + (problem ? " " + problem : "");
      document.body.dataset.drawn = String(generation);
    } catch (err) {
      if (generation === state.generation) status.textContent = "Mise à jour impossible : " + err.message;
    }
  }

  function applyWhenValid() {
    if (form.reportValidity()) apply();
  }

  async function main() {
    state.map = M.map("carte");
    state.map.createPane("partenaires").style.zIndex = 450;
    state.partners = L.layerGroup().addTo(state.map);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      applyWhenValid();
    });
    [categorySelect, demandSelect, form.elements.mode, form.elements.minutes]
      .forEach((control) => control.addEventListener("change", applyWhenValid));
    indicatorSelect.addEventListener("change", () => {
      state.indicator = state.indicators.find((i) => i.property === indicatorSelect.value) || state.indicator;
      drawZones();
    });
    document.getElementById("export-geojson").addEventListener("click", () =>
      download(JSON.stringify(state.collection), exportName("geojson"), "application/geo+json"));
    document.getElementById("export-csv").addEventListener("click", () => exportZones("csv"));
    document.getElementById("export-csv-fr").addEventListener("click", () => exportZones("csv-fr"));
    document.getElementById("export-manques").addEventListener("click", () => exportGaps("csv"));
    document.getElementById("export-manques-fr").addEventListener("click", () => exportGaps("csv-fr"));
    try {
      const [labels, communes] = await Promise.all([M.labels(), M.communes(), fillDemands()]);
      state.labels = labels;
      fillCategories(labels);
      state.communes = communes;
      state.collection = communes;
      drawZones();
      fitZones();
      M.basemap.communeLabels(state.map, communes); // hors ligne : les noms, sans tuiles
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

  M.carte = { selectZone: selectZoneById, state: state };
  main();
})();
