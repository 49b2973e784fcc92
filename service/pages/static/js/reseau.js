/* Réseau : le réseau du territoire par défaut (reseau-territoire.js : courtiers, partenariats
 * suggérés, employeurs, orientations, structures isolées), ou celui d'une structure choisie :
 * ses relations (GET /v1/partners/{id}/relations), ses partenaires sur la carte
 * (GET /v1/partners/{id}), les orientations de chaque relation quand elles sont déclarées, et
 * toujours les structures d'hébergement isolées de l'emploi (GET /v1/network/isolated).
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  const CONCURRENCY = 6;

  const KIND_COLOURS = {
    "oriente-vers": "#1d4ed8",
    prescrit: "#7e22ce",
    convention: "#15803d",
    membre: "#c2410c",
    recrute: "#57534e",
    "referent-employeur": "#0e7490",
    finance: "#b91c1c",
  };
  // [sortante, entrante] : la relation lue depuis la structure choisie
  const DIRECTED = {
    "oriente-vers": ["Oriente vers", "Reçoit des orientations de"],
    prescrit: ["Prescrit vers", "Reçoit des prescriptions de"],
    convention: ["Convention avec", "Convention avec"],
    membre: ["Membre de", "A pour membres"],
    recrute: ["Recrute par l'intermédiaire de", "Employeurs qui recrutent par son intermédiaire"],
    "referent-employeur": ["Référent employeur de", "A pour référent employeur"],
    finance: ["Finance", "Financé par"],
  };

  const form = document.getElementById("choix-structure");
  const search = document.getElementById("structure-recherche");
  const select = document.getElementById("structure");
  const network = document.getElementById("reseau");
  const status = document.getElementById("etat");
  const isolatedZone = document.getElementById("isoles");
  const backButton = document.getElementById("vue-territoire");
  const territoryLegend = document.getElementById("legende-territoire");

  const state = {
    map: null, layer: null, legend: null, labels: null, query: 0, shown: 0, isolated: [],
    kindColours: KIND_COLOURS, territory: null,
  };

  async function searchStructures(text) {
    const query = ++state.query;
    if (text.trim().length < 2) return;
    let page;
    try {
      page = await M.api("/v1/partners" + M.query({ q: text.trim(), size: 30 }));
    } catch (err) {
      M.clear(select).append(el("option", { value: "" }, "Recherche impossible : " + err.message));
      return;
    }
    if (query !== state.query) return;
    M.clear(select);
    select.append(el("option", { value: "" }, page.items.length ?
      "— " + M.fmt.plural(page.total, "structure trouvée", "structures trouvées") + ", choisissez —" :
      "Aucune structure ne correspond"));
    page.items.forEach((p) => select.append(el("option", { value: p.id },
      M.partnerLabel(p, state.labels) + (p.address ? " — " + p.address : ""))));
  }

  async function details(ids) {
    const out = {};
    const queue = ids.slice();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (queue.length) {
        const id = queue.shift();
        out[id] = await M.api("/v1/partners/" + id);
      }
    }));
    return out;
  }

  function kindLabel(code) {
    const kind = state.labels.kinds[code];
    return kind ? kind.label : code;
  }

  function relationLegend(kinds) {
    if (state.legend) state.legend.remove();
    const control = L.control({ position: "bottomright" });
    control.onAdd = () => {
      const box = el("div", { class: "map-legend" }, el("p", { class: "legend-title" }, "Relations"),
        el("ul", {}, kinds.map((kind) => el("li", {},
          el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: KIND_COLOURS[kind] } }),
          M.RELATION_KINDS[kind] || kind))),
        el("p", { class: "legend-note" }, "Points : couleur de la famille d'acteurs."));
      M.paintSwatches(box);
      return box;
    };
    state.legend = control.addTo(state.map);
  }

  /** Les orientations déclarées d'une relation (null sans compte). */
  function flowOf(relation) {
    if (!state.territory || !state.territory.flows) return null;
    const flows = state.territoryFlows || (state.territoryFlows = M.territoryNetwork.flowsByEdge(state.territory.flows));
    return flows.get(M.territoryNetwork.edgeKey(relation.source_partner_id, relation.target_partner_id, relation.kind)) || null;
  }

  function groupList(partnerId, relations) {
    const groups = new Map();
    relations.forEach((r) => {
      const outgoing = r.source_partner_id === partnerId;
      const title = (DIRECTED[r.kind] || [r.kind, r.kind])[outgoing ? 0 : 1];
      if (!groups.has(title)) groups.set(title, []);
      groups.get(title).push({
        relation: r,
        other: outgoing ? r.target_partner_id : r.source_partner_id,
        name: outgoing ? r.target_name : r.source_name,
      });
    });
    const out = [];
    groups.forEach((items, title) => {
      out.push(el("h3", {}, title + " (" + items.length + ")"),
        el("ul", {}, items.map((item) => el("li", {},
          el("a", { href: "/reseau?partenaire=" + encodeURIComponent(item.other) }, item.name),
          item.relation.since ? " — depuis " + M.fmt.date(item.relation.since) : "",
          item.relation.note ? " — " + item.relation.note : "",
          flowOf(item.relation) ? el("span", { class: "flow-note" },
            " — " + M.territoryNetwork.flowSentence(flowOf(item.relation), state.territory.flows)) : ""))));
    });
    return out;
  }

  async function showNetwork(partnerId) {
    const shown = ++state.shown;
    backButton.hidden = false;
    territoryLegend.hidden = true;
    M.notice(network, "Chargement du réseau…");
    let partner;
    let relations;
    try {
      [partner, relations] = await Promise.all([
        M.api("/v1/partners/" + partnerId),
        M.api("/v1/partners/" + partnerId + "/relations"),
      ]);
    } catch (err) {
      M.notice(network, "Réseau indisponible : " + err.message, "error");
      return;
    }
    const others = Array.from(new Set(relations.map((r) =>
      r.source_partner_id === partnerId ? r.target_partner_id : r.source_partner_id)));
    let neighbours;
    try {
      neighbours = await details(others);
    } catch (err) {
      M.notice(network, "Réseau indisponible : " + err.message, "error");
      return;
    }
    if (shown !== state.shown) return;
    const header = [
      el("h3", {}, partner.name),
      el("p", { class: "meta" }, kindLabel(partner.kind) + (partner.address ? " · " + partner.address : "")),
    ];
    if (!relations.length) {
      M.fill(network, header, el("p", { class: "notice notice-warning" }, "Aucune relation enregistrée pour cette structure."));
    } else {
      M.fill(network, header, el("p", {}, M.fmt.plural(relations.length, "relation") + " avec " +
        M.fmt.plural(others.length, "partenaire") + "."), groupList(partnerId, relations));
    }
    drawNetwork(partner, relations, neighbours);
  }

  function drawNetwork(partner, relations, neighbours) {
    state.layer.clearLayers();
    const centre = [partner.lat, partner.lon];
    const kinds = new Set();
    relations.forEach((r) => {
      const otherId = r.source_partner_id === partner.id ? r.target_partner_id : r.source_partner_id;
      const other = neighbours[otherId];
      if (!other) return;
      kinds.add(r.kind);
      const flow = flowOf(r);
      L.polyline([centre, [other.lat, other.lon]], {
        color: KIND_COLOURS[r.kind] || "#374151",
        weight: flow && flow.volume ? 5 : 2.5,
        opacity: 0.85,
        dashArray: r.source_partner_id === partner.id ? null : "6 4",
        className: flow ? "lien lien-flux" : "lien",
      }).bindTooltip(M.escapeHtml((M.RELATION_KINDS[r.kind] || r.kind) + " : " + r.source_name + " → " + r.target_name +
        (flow ? " — " + M.territoryNetwork.flowSentence(flow, state.territory.flows) : ""))).addTo(state.layer);
    });
    Object.values(neighbours).forEach((p) => {
      M.partnerMarker(p).bindTooltip(M.escapeHtml(p.name + " — " + kindLabel(p.kind))).addTo(state.layer);
    });
    M.partnerMarker(partner, { radius: 11, weight: 3, color: "#111827" })
      .bindTooltip(M.escapeHtml(partner.name), { permanent: true, direction: "top", offset: [0, -10] }).addTo(state.layer);
    relationLegend(Array.from(kinds));
    const bounds = state.layer.getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds, { paddingTopLeft: [40, 40], paddingBottomRight: [200, 60], maxZoom: 13 });
    status.textContent = "Traits pleins : relations de la structure vers ses partenaires ; pointillés : de ses " +
      "partenaires vers elle ; trait épais : orientations déclarées.";
  }

  function drawTerritory() {
    state.shown++;
    backButton.hidden = true;
    M.territoryNetwork.draw(state, state.territory);
    status.textContent = state.territory.graph ?
      "Le réseau du territoire : chaque trait est une relation, les pointillés des partenariats suggérés." : "";
  }

  function listIsolated() {
    const result = state.territory.isolated;
    if (!result) {
      M.notice(isolatedZone, "Liste indisponible.", "error");
      return;
    }
    state.isolated = result.items;
    if (!result.items.length) {
      M.notice(isolatedZone, "Toutes les structures d'hébergement ont au moins un lien avec un employeur.", "success");
      return;
    }
    const list = el("ul", { class: "isolated-list" }, result.items.map((s) => el("li", {},
      el("strong", {}, s.name), " — " + kindLabel(s.kind) + (s.address ? ", " + s.address : ""),
      el("br"),
      M.fmt.plural(s.relations, "relation") + " au total, aucune avec un employeur",
      s.nearest_siae ? " ; SIAE la plus proche : " + s.nearest_siae.name + " (" + kindLabel(s.nearest_siae.kind) +
        ", " + M.fmt.distance(s.nearest_siae.distance_m) + " à vol d'oiseau)" : " ; aucune SIAE sur le territoire",
      ". ",
      el("a", { href: "/reseau?partenaire=" + encodeURIComponent(s.id) }, "Voir son réseau"))));
    M.fill(isolatedZone,
      el("p", {}, el("strong", {}, M.fmt.plural(result.items.length, "structure")),
        " sur " + M.fmt.plural(result.hosting, "structure d'hébergement", "structures d'hébergement") + "."),
      list);
  }

  async function main() {
    state.map = M.map("carte");
    state.layer = L.featureGroup().addTo(state.map);
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => searchStructures(search.value), 250);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        clearTimeout(timer);
        searchStructures(search.value);
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!select.value) {
        M.notice(network, "Choisissez d'abord une structure dans la liste.", "error");
        search.focus();
        return;
      }
      history.replaceState(null, "", "/reseau?partenaire=" + encodeURIComponent(select.value));
      showNetwork(select.value);
    });
    try {
      const [labels, communes] = await Promise.all([M.labels(), M.communes()]);
      state.labels = labels;
      M.drawCommunes(state.map, communes);
    } catch (err) {
      M.notice(network, "Chargement impossible : " + err.message, "error");
      return;
    }
    state.territory = await M.territoryNetwork.show(state);
    listIsolated();
    backButton.addEventListener("click", () => {
      history.replaceState(null, "", "/reseau");
      if (state.legend) state.legend.remove();
      M.clear(network);
      drawTerritory();
    });
    const wanted = new URLSearchParams(window.location.search).get("partenaire");
    if (wanted && /^[0-9a-f-]{36}$/i.test(wanted)) {
      await showNetwork(wanted);
    } else {
      drawTerritory();
    }
    document.body.dataset.ready = "true";
  }

  main();
})();
