/* Carte de France des résultats nationaux (maillage national coverage, puis load) : chaque
 * département coloré par la part de sa population qui atteint un site de la catégorie dans
 * le temps choisi, avec une légende (dans la carte ; dessous jusqu'à 960 px de large, où la
 * carte n'a plus que 380 px de haut et la légende en cacherait une bonne part), et au survol
 * son nom, sa part et si les temps viennent d'un réseau inscrit (réel) ou sont estimés.
 *
 * Lit GET /v1/coverage?departements=all&level=departements avec la catégorie, le mode et le
 * temps du formulaire de la carte (#couverture), au chargement et à chaque envoi, quand le
 * calcul chargé y répond (data-choices : les [mode, catégorie, minutes] chargés, que la page
 * reçoit du serveur) ; sinon la section dit quels choix il couvre, sans carte ni requête.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  const section = document.getElementById("france");
  const form = document.getElementById("couverture");
  if (!section || !form || !window.L) return;

  const PALETTE = ["#a50f15", "#de2d26", "#fb6a4a", "#fcae91", "#fee5d9"]; // ColorBrewer Reds : peu couvert = foncé
  const BREAKS = [0.2, 0.4, 0.6, 0.8]; // parts de la population dans le budget
  const status = document.getElementById("france-etat");
  const mapBox = document.getElementById("carte-france");
  const choices = JSON.parse(section.dataset.choices || "[]");
  const MODES = { walk: "à pied", bike: "à vélo", car: "en voiture", transit: "en transports en commun" };
  const state = { map: null, layer: null, legend: null, box: null, slot: null };
  // sur une tablette ou un téléphone (la carte basse du CSS), la légende passe sous la carte
  const below = document.getElementById("legende-france");
  const narrow = window.matchMedia("(max-width: 960px)");

  function percent(share) {
    return share === null || share === undefined ? "inconnue" : M.fmt.decimal(100 * share) + " %";
  }

  function color(share) {
    if (share === null || share === undefined) return "#d1d5db";
    let k = 0;
    while (k < BREAKS.length && share >= BREAKS[k]) k += 1;
    return PALETTE[k];
  }

  function legend() {
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      state.slot = el("div", {});
      const box = el("div", { class: "map-legend" },
        el("p", { class: "legend-title" }, "Part de la population à portée"));
      const list = el("ul", {});
      const bounds = [0, ...BREAKS, 1];
      PALETTE.forEach((colour, k) => {
        list.append(el("li", {}, el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: colour } }),
          "de " + Math.round(100 * bounds[k]) + " à " + Math.round(100 * bounds[k + 1]) + " %"));
      });
      box.append(list);
      M.paintSwatches(box);
      L.DomEvent.disableClickPropagation(box);
      state.box = box;
      placeLegend();
      return state.slot;
    };
    return control;
  }

  /** La légende dans la carte (en bas à droite), ou sous la carte sur un écran étroit. */
  function placeLegend() {
    if (!state.box || !state.slot) return;
    const under = narrow.matches;
    (under ? below : state.slot).append(state.box);
    state.box.classList.toggle("legend-below", under);
    below.hidden = !under || mapBox.hidden;
  }

  function ensureMap() {
    if (state.map) return state.map;
    state.map = M.map("carte-france", { zoomSnap: 0.5 });
    state.map.setView([46.6, 2.4], 5);
    state.legend = legend().addTo(state.map);
    return state.map;
  }

  function tooltip(p) {
    const network = p.real ? "temps sur un réseau inscrit" : "temps estimés (aucun réseau inscrit)";
    return M.escapeHtml(p.name + " (" + p.departement + ") : " + percent(p.share_within) +
      " de la population à portée ; " + network);
  }

  async function refresh() {
    const data = new FormData(form);
    const kind = data.get("categorie");
    if (!kind) return;
    // le type d'acteur choisi, ou sa famille (un calcul national compte par famille par défaut)
    const labels = await M.labels();
    const family = labels.kinds[kind] ? labels.kinds[kind].family : null;
    const asked = [kind, family].find((code) => code && choices.some(([mode, category, minutes]) =>
      mode === data.get("mode") && category === code && Number(minutes) === Number(data.get("minutes"))));
    const query = M.query({
      departements: "all",
      level: "departements",
      category: asked,
      mode: data.get("mode"),
      max_minutes: data.get("minutes"),
    });
    if (!asked) {
      mapBox.hidden = true;
      below.hidden = true;
      const listed = choices.slice(0, 8).map(([mode, category, minutes]) =>
        category + " " + (MODES[mode] || mode) + " en " + minutes + " min");
      status.textContent = "Le calcul national chargé ne couvre pas ce choix ; il couvre : " +
        listed.join(" ; ") + (choices.length > 8 ? "…" : ".");
      return;
    }
    mapBox.hidden = false;
    let collection;
    try {
      collection = await M.api("/v1/coverage" + query);
    } catch (err) {
      if (state.layer) state.layer.remove();
      status.replaceChildren(M.apiProblem(err, "Carte de France indisponible : "));
      return;
    }
    const map = ensureMap();
    placeLegend();
    map.invalidateSize();
    if (state.layer) state.layer.remove();
    state.layer = L.geoJSON(collection, {
      style: (feature) => ({
        color: "#4b5563", weight: 0.6, fillOpacity: 0.85,
        fillColor: color(feature.properties.share_within),
      }),
      onEachFeature: (feature, layer) => layer.bindTooltip(tooltip(feature.properties), { sticky: true }),
    }).addTo(map);
    // la métropole cadre la carte ; l'outre-mer (97x) reste à sa place, hors cadre, et le survol
    // ou le dézoom le montre
    const metropole = L.featureGroup();
    state.layer.eachLayer((layer) => {
      if (!String(layer.feature.properties.departement).startsWith("97")) metropole.addLayer(layer);
    });
    const bounds = metropole.getLayers().length ? metropole.getBounds() : state.layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    const meta = collection.metadata;
    const estimated = meta.departements.filter((d) => !d.real).map((d) => d.code);
    const what = asked === kind ? "" : "Famille « " + (labels.families[asked] || asked) + " » (le calcul national compte par famille) : ";
    const overseas = meta.departements.filter((d) => d.code.startsWith("97")).map((d) => d.code);
    status.textContent = what + meta.departements.length + " départements ; " + percent(meta.share_covered) +
      " de leur population à portée." + (estimated.length
        ? " Temps estimés (aucun réseau inscrit) : " + estimated.join(", ") + "."
        : " Tous les temps viennent de réseaux inscrits.") +
      (overseas.length ? " Outre-mer hors du cadre (dézoomez) : " + overseas.join(", ") + "." : "");
  }

  narrow.addEventListener("change", placeLegend);
  form.addEventListener("submit", () => { refresh(); });
  const categories = document.getElementById("categorie");
  // la liste des catégories se remplit après le chargement de la page : attendre son premier choix
  const watcher = new MutationObserver(() => {
    if (categories.value) { watcher.disconnect(); refresh(); }
  });
  watcher.observe(categories, { childList: true });
  if (categories.value) refresh();
})();
