/* Réseau du territoire : l'analyse du graphe des relations (GET /v1/network/graph et
 * /structure : courtiers, composantes, points d'articulation, communautés), les partenariats à
 * créer (/v1/network/partnerships, tracés en pointillés), un interlocuteur par employeur
 * (/v1/network/employers), les orientations par relation (/v1/network/flows : l'épaisseur des
 * traits) et les structures d'hébergement sans lien avec l'emploi (/v1/network/isolated).
 * Chaque chiffre vient avec sa phrase d'explication, celle que l'API donne.
 * Sans session, seules les orientations (petits nombres masqués) et les structures isolées
 * sont lues : l'analyse demande une connexion.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;

  const BROKERS_SHOWN = 5; // mis en évidence sur la carte
  const BROKERS_LISTED = 8;
  const SUGGESTIONS_PER_SHELTER = 2;
  const FLOWS_LISTED = 10;
  const SUGGESTED_COLOUR = "#111827"; // noir : aucune couleur de type de relation ne l'est
  const ISOLATED_COLOUR = "#b91c1c";

  const zones = {
    figures: document.getElementById("chiffres"),
    brokers: document.getElementById("courtiers"),
    suggestions: document.getElementById("suggestions"),
    employers: document.getElementById("employeurs"),
    flows: document.getElementById("flux"),
    legend: document.getElementById("legende-territoire"),
  };

  /** Tout ce que la page lit de l'API pour le territoire ; les analyses restent null sans session. */
  async function load() {
    const data = { graph: null, structure: null, partnerships: null, employers: null, flows: null, isolated: null, problems: [] };
    const wanted = [
      ["flows", "/v1/network/flows"],
      ["isolated", "/v1/network/isolated"],
    ];
    if (M.person) {
      wanted.push(
        ["graph", "/v1/network/graph"],
        ["structure", "/v1/network/structure" + M.query({ limit: BROKERS_LISTED })],
        ["partnerships", "/v1/network/partnerships" + M.query({
          origins: ["hebergement"], unlinked_only: "true", limit: SUGGESTIONS_PER_SHELTER })],
        ["employers", "/v1/network/employers"]);
    }
    await Promise.all(wanted.map(async ([key, path]) => {
      try {
        data[key] = await M.api(path);
      } catch (err) {
        data.problems.push([key, err]);
      }
    }));
    return data;
  }

  function edgeKey(source, target, kind) {
    return source + "|" + target + "|" + kind;
  }

  function flowsByEdge(flows) {
    const out = new Map();
    if (!flows) return out;
    flows.relations.forEach((r) => out.set(edgeKey(r.source.id, r.target.id, r.kind), r));
    return out;
  }

  /** « 12 », « masqué » (sans connexion : un petit nombre, ou un total qui en contient un) ou
   * « — » (non déclaré). */
  function count(value, name, counts) {
    if (value !== null && value !== undefined) return M.fmt.number(value);
    return counts.masked.indexOf(name) >= 0 ? "masqué" : "—";
  }

  /** « 1er septembre 2026 », « 30 novembre 2026 ». */
  function day(iso) {
    return M.fmt.date(iso).replace(/^1 /, "1er ");
  }

  function flowPeriod(flows) {
    if (!flows || !flows.periods.length) return null;
    const first = flows.periods[0].period_start;
    const last = flows.periods[flows.periods.length - 1].period_end;
    return "du " + day(first) + " au " + day(last);
  }

  function flowSentence(flow, flows) {
    return "orientations reçues : " + count(flow.received, "received", flow) +
      ", envoyées : " + count(flow.sent, "sent", flow) +
      ", acceptées : " + count(flow.accepted, "accepted", flow) + " (" + flowPeriod(flows) + ")";
  }

  /** Épaisseur d'un trait : 1,5 px sans compte, de 2 à 7 px selon le volume (racine carrée). */
  function edgeWeight(volume, largest) {
    if (!volume || !largest) return 1.5;
    return 2 + 5 * Math.sqrt(volume / largest);
  }

  // -- la carte ---------------------------------------------------------------------------

  function draw(state, data) {
    const layer = state.layer;
    layer.clearLayers();
    if (state.legend) state.legend.remove();
    const nodes = new Map();
    if (data.graph) data.graph.nodes.forEach((n) => nodes.set(n.id, n));
    const flows = flowsByEdge(data.flows);
    const largest = Math.max(0, ...Array.from(flows.values()).map((f) => f.volume || 0));
    const kinds = new Set();
    if (data.graph) {
      data.graph.edges.forEach((e) => {
        const a = nodes.get(e.source);
        const b = nodes.get(e.target);
        if (!a || !b) return;
        kinds.add(e.kind);
        const flow = flows.get(edgeKey(e.source, e.target, e.kind));
        const line = L.polyline([[a.lat, a.lon], [b.lat, b.lon]], {
          color: state.kindColours[e.kind] || "#374151",
          weight: edgeWeight(flow && flow.volume, largest),
          opacity: flow ? 0.7 : 0.45,
          className: flow ? "lien lien-flux" : "lien",
        });
        line.bindTooltip(M.escapeHtml((M.RELATION_KINDS[e.kind] || e.kind) + " : " + a.name + " → " + b.name +
          (flow ? " — " + flowSentence(flow, data.flows) : "")));
        line.addTo(layer);
      });
    }
    if (data.partnerships) {
      data.partnerships.origins.forEach((origin) => origin.suggestions.forEach((s) => {
        L.polyline([[origin.partner.lat, origin.partner.lon], [s.partner.lat, s.partner.lon]], {
          color: SUGGESTED_COLOUR, weight: 3, opacity: 0.95, dashArray: "6 5", className: "lien-suggere",
        }).bindTooltip(M.escapeHtml("Partenariat suggéré : " + origin.partner.name + " → " + s.partner.name +
          " (" + M.fmt.minutes(s.minutes) + ")")).addTo(layer);
      }));
    }
    const brokers = new Set((data.structure ? data.structure.brokers : [])
      .filter((b) => b.betweenness > 0).slice(0, BROKERS_SHOWN).map((b) => b.partner.id));
    const isolated = new Set((data.isolated ? data.isolated.items : []).map((s) => s.id));
    nodes.forEach((n) => {
      if (brokers.has(n.id) || isolated.has(n.id)) return; // dessinés au-dessus
      M.partnerMarker(n, { radius: 4.5, className: "noeud" })
        .bindTooltip(M.escapeHtml(n.name + " — " + kindLabel(state, n.kind))).addTo(layer);
    });
    (data.isolated ? data.isolated.items : []).forEach((s) => {
      M.partnerMarker({ lat: s.lat, lon: s.lon, family: "hebergement" },
        { radius: 8, color: ISOLATED_COLOUR, weight: 3, className: "noeud-isole" })
        .bindTooltip(M.escapeHtml(s.name + " — sans lien avec l'emploi")).addTo(layer);
    });
    brokers.forEach((id) => {
      const n = nodes.get(id);
      if (!n) return;
      M.partnerMarker(n, { radius: 10, color: "#111827", weight: 4, className: "noeud-courtier" })
        .bindTooltip(M.escapeHtml("Courtier : " + n.name + " — " + kindLabel(state, n.kind))).addTo(layer);
    });
    const bounds = layer.getBounds();
    if (bounds.isValid()) state.map.fitBounds(bounds, { padding: [24, 24], maxZoom: 12 });
    legend(state, Array.from(kinds), data);
  }

  function kindLabel(state, code) {
    const kind = state.labels && state.labels.kinds[code];
    return kind ? kind.label : code;
  }

  /** La légende, sous la carte (lisible sur un téléphone, jamais par-dessus la carte). */
  function legend(state, kinds, data) {
    const items = [];
    if (data.structure) {
      items.push(el("li", {}, el("span", { class: "swatch swatch-dot legend-broker", "aria-hidden": "true" }),
        "Courtiers : les " + BROKERS_SHOWN + " plus fortes intermédiarités (gros cercles cerclés de noir)"));
    }
    items.push(el("li", {}, el("span", { class: "swatch swatch-dot legend-isolated", "aria-hidden": "true" }),
      "Structures d'hébergement sans lien avec l'emploi (cercles rouges)"));
    if (data.partnerships) {
      items.push(el("li", {}, el("span", { class: "swatch legend-dashed", "aria-hidden": "true" }),
        "Partenariats suggérés (pointillés)"));
    }
    kinds.sort().forEach((kind) => items.push(el("li", {},
      el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: state.kindColours[kind] } }),
      M.RELATION_KINDS[kind] || kind)));
    const notes = [];
    if (data.graph) notes.push(el("p", { class: "legend-note" }, "Points : couleur de la famille d'acteurs."));
    if (data.graph && data.flows && data.flows.relations.length) {
      notes.push(el("p", { class: "legend-note" },
        "Trait épais : orientations passées par la relation (reçues, à défaut envoyées, " + flowPeriod(data.flows) + ")."));
    }
    M.fill(zones.legend, el("ul", {}, items), notes);
    M.paintSwatches(zones.legend);
    zones.legend.hidden = false;
  }

  // -- les chiffres et les listes ------------------------------------------------------------

  /** Un chiffre, sa phrase, et le calcul tel que l'API le dit (« Comment c'est calculé »). */
  function figure(value, label, sentence, how) {
    return el("div", { class: "figure" },
      el("span", { class: "figure-value" }, value),
      el("span", { class: "figure-label" }, label),
      el("p", { class: "figure-note" }, sentence),
      how ? el("details", { class: "figure-how" }, el("summary", {}, "Comment c'est calculé"), el("p", {}, how)) : null);
  }

  function figures(data) {
    const out = [];
    const s = data.structure;
    if (s) {
      const largest = s.components.length ? s.components[0].size : 0;
      const alone = s.components.filter((c) => c.size === 1).length;
      out.push(
        figure(M.fmt.number(s.components.length), "composantes",
          "Des groupes de structures reliées par une chaîne de relations ; le plus grand en réunit " +
            M.fmt.number(largest) + " sur " + M.fmt.number(s.partners) +
            (alone ? ", et " + M.fmt.plural(alone, "structure n'a", "structures n'ont") + " aucune relation." : "."),
          s.explanations.components),
        figure(M.fmt.number(s.articulation_points.length), "points d'articulation",
          "Des structures dont le départ couperait le réseau en morceaux.", s.explanations.articulation_points),
        figure(M.fmt.number(s.employment_cuts.shelters_cut_off), "hébergements à un fil de l'emploi",
          "Des structures d'hébergement qu'un seul départ, d'une structure ou d'un lien, couperait de l'emploi.",
          s.explanations.employment_cuts),
        figure(M.fmt.number(s.communities.length), "communautés",
          "Des groupes de structures plus liées entre elles qu'avec le reste du réseau.", s.explanations.communities));
    }
    if (data.isolated) {
      out.push(figure(M.fmt.number(data.isolated.items.length), "hébergements sans lien avec l'emploi",
        "Sur " + M.fmt.number(data.isolated.hosting) + " structures d'hébergement, celles qui n'ont aucune relation avec un employeur.",
        data.isolated.definition));
    }
    if (data.partnerships) {
      const n = data.partnerships.origins.reduce((t, o) => t + o.suggestions.length, 0);
      out.push(figure(M.fmt.number(n), "partenariats suggérés",
        "Des acteurs de l'emploi à portée de ces structures, avec qui elles n'ont encore aucune relation (pointillés).",
        data.partnerships.rule));
    }
    if (data.employers) {
      out.push(figure(M.fmt.number(data.employers.employers), "employeurs approchés par plusieurs structures",
        "Un interlocuteur unique pour chacun leur épargnerait " +
          M.fmt.plural(data.employers.saved, "démarche", "démarches") + ".", data.employers.rule));
    }
    if (data.flows && data.flows.totals.received !== null && data.flows.periods.length) {
      out.push(figure(M.fmt.number(data.flows.totals.received), "orientations reçues",
        "Comptées par relation, " + flowPeriod(data.flows) + " : des nombres, jamais une personne.",
        data.flows.explanation));
    } else if (data.flows) {
      out.push(figure(M.fmt.number(data.flows.relations.length), "relations avec des comptes d'orientations",
        "Des relations dont les structures ont déclaré combien d'orientations y sont passées.",
        data.flows.explanation));
    }
    if (!M.person) {
      out.push(M.loginPrompt(el("div", { class: "figure" }),
        "pour voir les courtiers, les composantes, les partenariats à créer et les employeurs approchés"));
    }
    M.fill(zones.figures, out);
  }

  function partnerLink(ref) {
    return el("a", { href: "/reseau?partenaire=" + encodeURIComponent(ref.id) }, ref.name);
  }

  function brokersList(state, data) {
    if (!data.structure) {
      return M.person ? M.fill(zones.brokers, problem(data, "structure")) :
        M.loginPrompt(zones.brokers, "pour voir les courtiers du réseau");
    }
    const brokers = data.structure.brokers.filter((b) => b.betweenness > 0);
    if (!brokers.length) return M.notice(zones.brokers, "Aucune structure ne relie d'autres structures entre elles.");
    return M.fill(zones.brokers,
      el("p", { class: "hint" }, "Les structures par lesquelles passent le plus de chemins entre deux autres : " +
        "sans elles, des parties du réseau ne se connaîtraient pas. Les " + BROKERS_SHOWN +
        " premières sont cerclées de noir sur la carte."),
      el("details", { class: "figure-how" }, el("summary", {}, "Comment c'est calculé"),
        el("p", {}, data.structure.explanations.betweenness)),
      el("ol", { class: "broker-list" }, brokers.map((b) => el("li", {},
        partnerLink(b.partner),
        el("span", { class: "meta" }, " — intermédiarité " + M.fmt.decimal(b.betweenness * 100) + "\u00a0%, " +
          M.fmt.plural(b.degree, "partenaire") + (b.articulation ? " ; son départ couperait le réseau" : ""))))));
  }

  function suggestionsList(state, data) {
    if (!data.partnerships) {
      return M.person ? M.fill(zones.suggestions, problem(data, "partnerships")) :
        M.loginPrompt(zones.suggestions, "pour voir les partenariats à créer");
    }
    const origins = data.partnerships.origins.filter((o) => o.suggestions.length);
    const exportLink = el("a", { href: "/v1/network/partnerships" + M.query({ format: "csv", unlinked_only: "true" }),
      download: "partenariats-a-creer.csv" }, "Exporter en CSV (comité de pilotage)");
    if (!origins.length) {
      return M.fill(zones.suggestions, el("p", { class: "notice notice-success" },
        "Aucune structure d'hébergement sans lien avec l'emploi n'attend de partenariat à portée."));
    }
    const suggestion = (s) => el("li", {}, el("strong", {}, s.partner.name), " — " + s.reasons.join(" "));
    const shelter = (o) => el("li", {},
      partnerLink(o.partner), el("ul", {}, o.suggestions.map(suggestion)));
    return M.fill(zones.suggestions,
      el("details", { class: "figure-how" }, el("summary", {}, "Comment elles sont choisies et classées"),
        el("p", {}, data.partnerships.rule + (data.partnerships.notice ? " " + data.partnerships.notice : ""))),
      el("p", {}, exportLink),
      el("ul", { class: "suggestion-list" }, origins.map(shelter)));
  }

  const REFERENT_RULES = {
    "referent-existant": "déjà référent de la relation avec l'employeur",
    plateforme: "la plateforme emploi du territoire",
    "plus-de-liens": "la structure qui a le plus de partenaires",
  };

  function employersList(state, data) {
    if (!data.employers) {
      return M.person ? M.fill(zones.employers, problem(data, "employers")) :
        M.loginPrompt(zones.employers, "pour voir les employeurs approchés par plusieurs structures");
    }
    const items = data.employers.items;
    if (!items.length) {
      return M.notice(zones.employers, "Aucun employeur n'est approché par plusieurs structures.", "success");
    }
    const employer = (item) => el("li", {},
      el("strong", {}, item.employer.name), " — approché par " + M.fmt.plural(item.structures.length, "structure") +
        " : " + item.structures.map((a) => a.partner.name).join(", ") + ".",
      el("br"), "Interlocuteur proposé : ", el("strong", { class: "referent" }, item.referent.name),
      " (" + (REFERENT_RULES[item.rule] || item.rule) + ") — " +
        M.fmt.plural(item.saved, "démarche épargnée", "démarches épargnées") + ".");
    const many = items.filter((item) => item.structures.length >= 3);
    const others = items.filter((item) => item.structures.length < 3);
    return M.fill(zones.employers,
      el("p", {}, el("strong", {}, M.fmt.plural(data.employers.employers, "employeur")),
        " approchés par au moins " + data.employers.min_structures + " structures : un interlocuteur unique " +
        "pour chacun leur épargnerait " + M.fmt.plural(data.employers.saved, "démarche", "démarches") + "."),
      el("details", { class: "figure-how" }, el("summary", {}, "Comment l'interlocuteur est proposé"),
        el("p", {}, data.employers.rule)),
      many.length ? [el("h3", {}, "Approchés par trois structures ou plus (" + many.length + ")"),
        el("ul", { class: "employer-list" }, many.map(employer))] : null,
      others.length ? el("details", { class: "more" },
        el("summary", {}, M.fmt.plural(others.length, "employeur approché", "employeurs approchés") + " par deux structures"),
        el("ul", { class: "employer-list" }, others.map(employer))) : null);
  }

  function flowsList(state, data) {
    if (!data.flows) return M.fill(zones.flows, problem(data, "flows"));
    const flows = data.flows;
    if (!flows.relations.length) {
      return M.fill(zones.flows, el("p", { class: "hint" }, flows.explanation),
        el("p", { class: "notice" }, "Aucun compte d'orientations déclaré sur la période conservée (" +
          M.fmt.plural(flows.retention_months, "mois", "mois") + ")."));
    }
    const top = flows.relations.slice().sort((a, b) => (b.volume || 0) - (a.volume || 0)).slice(0, FLOWS_LISTED);
    return M.fill(zones.flows,
      el("p", { class: "hint" }, flows.explanation),
      el("p", {}, "Période : " + flowPeriod(flows) + " ; " + M.fmt.plural(flows.relations.length, "relation") +
        " avec des comptes. Les " + top.length + " plus gros volumes :"),
      el("div", { class: "table-scroll" }, el("table", { class: "data-table flow-table" },
        el("thead", {}, el("tr", {}, ["Relation", "Envoyées", "Reçues", "Acceptées"].map((h, i) =>
          el("th", { scope: "col", class: i ? "num" : "" }, h)))),
        el("tbody", {}, top.map((r) => el("tr", {},
          el("th", { scope: "row" }, r.source.name + " → " + r.target.name,
            el("br"), el("span", { class: "meta" }, M.RELATION_KINDS[r.kind] || r.kind)),
          el("td", { class: "num" }, count(r.sent, "sent", r)),
          el("td", { class: "num" }, count(r.received, "received", r)),
          el("td", { class: "num" }, count(r.accepted, "accepted", r))))))));
  }

  function problem(data, key) {
    const found = data.problems.find(([k]) => k === key);
    return found ? M.apiProblem(found[1], "Indisponible : ") : el("p", { class: "loading" }, "Chargement…");
  }

  /** Lit le territoire, remplit les listes ; rend les données pour dessiner la carte. */
  async function show(state) {
    const data = await load();
    figures(data);
    brokersList(state, data);
    suggestionsList(state, data);
    employersList(state, data);
    flowsList(state, data);
    return data;
  }

  M.territoryNetwork = { show: show, draw: draw, flowsByEdge: flowsByEdge, edgeKey: edgeKey, flowSentence: flowSentence };
})();
