/* Recherche de partenaires (CIP) : GET /v1/partners avec un point, un mode et un temps maximal,
 * puis, pour chaque résultat, sa fiche (horaires, contact) et ses relations (déjà partenaire de).
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  const PAGE_SIZE = 50;
  const DETAIL_CONCURRENCY = 6;

  const form = document.getElementById("recherche");
  const placeInput = document.getElementById("adresse");
  const originText = document.getElementById("depart");
  const familySelect = document.getElementById("famille");
  const kindsSelect = document.getElementById("typologies");
  const thematiquesSelect = document.getElementById("thematiques");
  const summary = document.getElementById("resume");
  const list = document.getElementById("resultats");

  const state = { origin: null, map: null, markers: null, originLayer: null, labels: null, search: 0, places: null };

  function selected(select) {
    return Array.from(select.selectedOptions).map((o) => o.value).filter(Boolean);
  }

  function setOrigin(lat, lon, description) {
    state.origin = { lat: lat, lon: lon };
    M.clear(originText).append("Départ : ", el("strong", {}, description));
    if (state.originLayer) state.originLayer.remove();
    state.originLayer = M.originMarker(lat, lon).bindTooltip("Point de départ").addTo(state.map);
  }

  function fillKinds(labels) {
    const family = familySelect.value;
    const keep = new Set(selected(kindsSelect));
    M.clear(kindsSelect);
    const groups = {};
    Object.values(labels.kinds).forEach((kind) => {
      if (family && kind.family !== family) return;
      (groups[kind.family] = groups[kind.family] || []).push(kind);
    });
    Object.keys(groups).forEach((code) => {
      const group = el("optgroup", { label: labels.families[code] || code });
      groups[code].sort((a, b) => a.label.localeCompare(b.label, "fr")).forEach((kind) => {
        group.append(el("option", { value: kind.code, selected: keep.has(kind.code) }, kind.label));
      });
      kindsSelect.append(group);
    });
  }

  // Intitulés des catégories de thématiques data·inclusion v1 (le référentiel ne les donne pas).
  const THEMATIQUE_CATEGORIES = {
    "choisir-un-metier": "Choisir un métier",
    "creer-une-entreprise": "Créer une entreprise",
    "difficultes-administratives-ou-juridiques": "Difficultés administratives ou juridiques",
    "difficultes-financieres": "Difficultés financières",
    "equipement-et-alimentation": "Équipement et alimentation",
    famille: "Famille",
    "lecture-ecriture-calcul": "Lecture, écriture, calcul",
    "logement-hebergement": "Logement et hébergement",
    mobilite: "Mobilité",
    numerique: "Numérique",
    "preparer-sa-candidature": "Préparer sa candidature",
    remobilisation: "Remobilisation",
    sante: "Santé",
    "se-former": "Se former",
    "souvrir-a-linternational": "S’ouvrir à l’international",
    "trouver-un-emploi": "Trouver un emploi",
  };

  function fillThematiques(items) {
    const groups = {};
    items.forEach((t) => {
      const head = t.code.split("--")[0];
      (groups[head] = groups[head] || []).push(t);
    });
    Object.keys(groups).sort().forEach((head) => {
      const group = el("optgroup", { label: THEMATIQUE_CATEGORIES[head] || head.replace(/-/g, " ") });
      groups[head].forEach((t) => group.append(el("option", { value: t.code }, t.label)));
      thematiquesSelect.append(group);
    });
  }

  // -- résultats ---------------------------------------------------------------------------

  function placesText(p) {
    if (p.available_places === null || p.available_places === undefined) {
      return p.capacity ? "Capacité " + M.fmt.number(p.capacity) + ", places libres non renseignées" : null;
    }
    const free = p.available_places === 0 ? "Aucune place disponible" :
      M.fmt.plural(p.available_places, "place disponible", "places disponibles");
    return free + (p.capacity ? " sur " + M.fmt.number(p.capacity) : "");
  }

  function travelLine(p) {
    const parts = [];
    if (p.travel) {
      parts.push(el("strong", { class: "minutes" }, M.fmt.minutes(p.travel.minutes)), " " + M.MODES[p.travel.mode]);
      if (p.travel.estimated) {
        parts.push(" ", el("span", { class: "badge badge-estimate", title: "Aucun réseau ne couvre ce trajet : temps estimé à vol d'oiseau" }, "estimé"));
      }
    }
    if (p.distance_m !== null && p.distance_m !== undefined) {
      parts.push(" · " + M.fmt.distance(p.distance_m) + " à vol d'oiseau");
    }
    const line = el("p", { class: "travel" }, parts);
    const legs = p.travel ? M.journeyList(p.travel.journey) : null;
    return legs ? el("div", { class: "trip-block" }, line, legs) : line;
  }

  function resultItem(p, rank) {
    const kind = state.labels.kinds[p.kind];
    const item = el("li", { class: "result", id: "partenaire-" + p.id, tabindex: "-1", dataset: { id: p.id } },
      el("h3", { class: "result-title" },
        el("span", { class: "swatch swatch-dot", "aria-hidden": "true", dataset: { colour: M.familyColour(p.family) } }),
        " ", p.name),
      el("p", { class: "meta" }, (kind ? kind.label : p.kind) + " · " + (state.labels.families[p.family] || p.family)),
      travelLine(p),
      placesText(p) ? el("p", { class: "places" }, placesText(p)) : null,
      el("div", { class: "details", "aria-busy": "true" }, el("p", { class: "loading" }, "Fiche en cours de chargement…")),
      el("button", { type: "button", class: "button-link", onclick: () => focusMarker(p.id) }, "Voir sur la carte"));
    item.dataset.rank = String(rank);
    M.paintSwatches(item);
    return item;
  }

  function contactLine(contact) {
    const parts = [];
    if (contact.phone) parts.push(el("a", { href: "tel:" + contact.phone.replace(/\s/g, "") }, contact.phone));
    if (contact.email) parts.push(el("a", { href: "mailto:" + contact.email }, contact.email));
    if (contact.website) parts.push(el("a", { href: contact.website, rel: "noopener noreferrer" }, "site web"));
    return parts.flatMap((part, i) => (i ? [" · ", part] : [part]));
  }

  function relationsLine(partnerId, relations) {
    const others = new Map();
    relations.forEach((r) => {
      const name = r.source_partner_id === partnerId ? r.target_name : r.source_name;
      const kind = M.RELATION_NOUNS[r.kind] || r.kind;
      if (!others.has(name)) others.set(name, []);
      if (!others.get(name).includes(kind)) others.get(name).push(kind);
    });
    if (!others.size) return el("p", { class: "relations relations-none" }, "Aucun partenariat enregistré.");
    const names = Array.from(others.keys());
    const shown = names.slice(0, 4).map((n) => n + " (" + others.get(n).join(", ") + ")");
    const rest = names.length - shown.length;
    return el("p", { class: "relations" }, el("strong", {}, "Déjà partenaire de "),
      shown.join(", ") + (rest > 0 ? " et " + M.fmt.plural(rest, "autre") : "") + ".");
  }

  async function loadDetails(p, item, searchId) {
    const zone = item.querySelector(".details");
    try {
      const [detail, relations] = await Promise.all([
        M.api("/v1/partners/" + p.id),
        M.api("/v1/partners/" + p.id + "/relations"),
      ]);
      if (searchId !== state.search) return;
      const facts = el("dl", { class: "facts facts-compact" });
      if (detail.address) facts.append(el("dt", {}, "Adresse"), el("dd", {}, detail.address));
      const hours = M.openingHours(detail.opening_hours);
      facts.append(el("dt", {}, "Horaires"), el("dd", {}, hours || "non renseignés"));
      const contact = contactLine(detail.contact || {});
      facts.append(el("dt", {}, "Contact"), el("dd", {}, contact.length ? contact : "non renseigné"));
      M.fill(zone, facts, relationsLine(p.id, relations));
    } catch (err) {
      if (searchId === state.search) M.notice(zone, "Fiche indisponible : " + err.message, "error");
    }
  }

  async function loadAllDetails(items, searchId) {
    const queue = items.slice();
    const workers = Array.from({ length: DETAIL_CONCURRENCY }, async () => {
      while (queue.length && searchId === state.search) {
        const [p, node] = queue.shift();
        await loadDetails(p, node, searchId);
      }
    });
    await Promise.all(workers);
    if (searchId === state.search) list.setAttribute("aria-busy", "false");
  }

  const markersById = {};

  function focusMarker(id) {
    const marker = markersById[id];
    if (!marker) return;
    state.map.panTo(marker.getLatLng());
    marker.openPopup();
    document.getElementById("carte").scrollIntoView({ block: "nearest" });
  }

  function focusItem(id) {
    const node = document.getElementById("partenaire-" + id);
    if (!node) return;
    list.querySelectorAll(".result-active").forEach((n) => n.classList.remove("result-active"));
    node.classList.add("result-active");
    node.scrollIntoView({ block: "nearest" });
    node.focus({ preventScroll: true });
  }

  function drawMarkers(items) {
    state.markers.clearLayers();
    Object.keys(markersById).forEach((k) => delete markersById[k]);
    items.forEach((p) => {
      const kind = state.labels.kinds[p.kind];
      const popup = el("div", {},
        el("strong", {}, p.name), el("br"), kind ? kind.label : p.kind,
        p.travel ? el("div", {}, M.fmt.minutes(p.travel.minutes) + " " + M.MODES[p.travel.mode] + (p.travel.estimated ? " (estimé)" : "")) : null,
        el("button", { type: "button", class: "button-link", onclick: () => focusItem(p.id) }, "Voir dans la liste"));
      const marker = M.partnerMarker(p).bindPopup(popup).bindTooltip(M.escapeHtml(p.name));
      marker.on("click", () => focusItem(p.id));
      marker.addTo(state.markers);
      markersById[p.id] = marker;
    });
    const bounds = L.featureGroup(Object.values(markersById)).getBounds();
    if (state.originLayer) bounds.extend(state.originLayer.getLatLng());
    if (bounds.isValid()) state.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
  }

  function legend(items) {
    if (state.legend) state.legend.remove();
    const families = Array.from(new Set(items.map((p) => p.family))).sort();
    if (families.length) state.legend = M.familyLegend(state.map, families, state.labels, "Partenaires trouvés");
  }

  async function search() {
    if (!form.reportValidity()) return;
    const typed = placeInput.value.trim();
    if (!state.origin && typed.length >= 2) {
      // tapé sans choisir : la première proposition, dite dans « Départ : … »
      const first = (await state.places(typed).catch(() => []))[0];
      if (first) setOrigin(first.value.lat, first.value.lon, first.value.label);
    }
    if (!state.origin) {
      M.notice(summary, "Choisissez une adresse ou une commune de départ dans la liste, ou cliquez sur la carte.", "error");
      placeInput.focus();
      return;
    }
    const searchId = ++state.search;
    const mode = form.elements.mode.value;
    const minutes = Number(form.elements.minutes.value);
    const params = {
      lat: state.origin.lat.toFixed(5),
      lon: state.origin.lon.toFixed(5),
      mode: mode,
      max_minutes: minutes,
      families: familySelect.value ? [familySelect.value] : [],
      kinds: selected(kindsSelect),
      thematiques: selected(thematiquesSelect),
      q: form.elements.mots.value.trim(),
      size: PAGE_SIZE,
    };
    M.notice(summary, "Recherche en cours…");
    list.setAttribute("aria-busy", "true");
    M.clear(list);
    let page;
    try {
      page = await M.api("/v1/partners" + M.query(params));
    } catch (err) {
      if (searchId === state.search) M.notice(summary, "La recherche a échoué : " + err.message, "error");
      return;
    }
    if (searchId !== state.search) return;
    const within = "à moins de " + minutes + " min " + M.MODES[mode];
    if (!page.total) {
      M.notice(summary, "Aucun partenaire " + within + ". Essayez un temps plus long ou un autre mode.", "info");
      drawMarkers([]);
      legend([]);
      return;
    }
    const estimated = page.items.some((p) => p.travel && p.travel.estimated);
    M.fill(summary,
      el("p", { class: "result-count" }, el("strong", {}, M.fmt.plural(page.total, "partenaire")), " " + within +
        (page.total > page.items.length ? " ; les " + page.items.length + " plus proches sont affichés." : ".")),
      estimated ? el("p", { class: "hint" }, "« estimé » : aucun réseau de transport ne couvre ce trajet ; " +
        "le temps est estimé à vol d'oiseau, corrigé des détours.") : null);
    const pairs = page.items.map((p, i) => [p, resultItem(p, i + 1)]);
    pairs.forEach(([, node]) => list.append(node));
    drawMarkers(page.items);
    legend(page.items);
    loadAllDetails(pairs, searchId);
  }

  async function main() {
    state.map = M.map("carte");
    state.markers = L.layerGroup().addTo(state.map);
    state.places = M.placeSource(state.map);
    state.map.on("click", (event) => {
      setOrigin(event.latlng.lat, event.latlng.lng,
        "point choisi sur la carte (" + M.fmt.decimal(event.latlng.lat) + " ; " + M.fmt.decimal(event.latlng.lng) + ")");
      placeInput.value = "";
      search();
    });
    try {
      const [labels, thematiques, communes] = await Promise.all([
        M.labels(), M.reference("thematiques"), M.communes(),
      ]);
      state.labels = labels;
      Object.entries(labels.families).forEach(([code, label]) =>
        familySelect.append(el("option", { value: code }, label)));
      const wanted = new URLSearchParams(window.location.search).get("families");
      if (wanted && labels.families[wanted]) familySelect.value = wanted;
      fillKinds(labels);
      fillThematiques(thematiques);
      M.drawCommunes(state.map, communes);
    } catch (err) {
      M.notice(summary, "Chargement impossible : " + err.message, "error");
      return;
    }
    familySelect.addEventListener("change", () => fillKinds(state.labels));
    M.combobox(placeInput, {
      source: state.places,
      empty: "Aucune adresse ni commune ne correspond ; essayez le nom de la commune, ou cliquez sur la carte.",
      onPick: (option) => {
        setOrigin(option.value.lat, option.value.lon, option.value.label);
        state.map.setView([option.value.lat, option.value.lon], 12);
      },
    });
    placeInput.addEventListener("input", () => {
      state.origin = null;
      M.clear(originText).append("Aucun point de départ choisi.");
      if (state.originLayer) state.originLayer.remove();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      search();
    });
    document.body.dataset.ready = "true";
  }

  main();
})();
