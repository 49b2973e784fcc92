/* Orientation : le formulaire devient exactement le corps de POST /v1/matches (MatchRequest) ;
 * la réponse (MatchResult) est mise en forme : score, trajet, crèche sur le trajet, raisons,
 * obstacles et qui peut aider, parcours, appuis, exclusions légales.
 *
 * Rien du formulaire n'est conservé (ni stockage local, ni adresse de page). La demande part
 * avec la session de la personne connectée (rôle plateforme, éditeur ou administrateur) :
 * aucune clé d'API n'est demandée.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  const MODES = ["walk", "transit", "bike", "car"];
  const COMPONENTS = { wish: "souhaits", travel: "trajet", hours: "horaires", places: "places", warm: "relation" };
  const OBSTACLE_KINDS = {
    "garde-enfants": "Garde d'enfants",
    mobilite: "Mobilité",
    langue: "Langue",
    sante: "Santé et handicap",
    droits: "Accès aux droits",
    logement: "Logement",
    formation: "Formation",
  };

  const form = document.getElementById("orientation");
  const summary = document.getElementById("resume");
  const output = document.getElementById("propositions");
  const printButton = document.getElementById("imprimer");
  const structureSearch = document.getElementById("structure-recherche");
  const structureSelect = document.getElementById("structure");
  const communeInput = document.getElementById("commune");
  const pointText = document.getElementById("point-choisi");

  const state = { point: null, pointLayer: null, map: null, labels: null, structureQuery: 0 };
  let findCommune = () => null;

  // -- le point de départ ------------------------------------------------------------------

  function choose(value) {
    document.getElementById("depart-" + value).checked = true;
  }

  async function searchStructures(text) {
    const query = ++state.structureQuery;
    const words = text.trim();
    if (words.length < 2) return;
    let page;
    try {
      page = await M.api("/v1/partners" + M.query({ q: words, size: 30 }));
    } catch (err) {
      M.clear(structureSelect).append(el("option", { value: "" }, "Recherche impossible : " + err.message));
      return;
    }
    if (query !== state.structureQuery) return;
    M.clear(structureSelect);
    if (!page.items.length) {
      structureSelect.append(el("option", { value: "" }, "Aucune structure ne correspond"));
      return;
    }
    structureSelect.append(el("option", { value: "" },
      "— " + M.fmt.plural(page.total, "structure trouvée", "structures trouvées") + ", choisissez —"));
    page.items.forEach((p) => {
      structureSelect.append(el("option", { value: p.id },
        M.partnerLabel(p, state.labels) + (p.address ? " — " + p.address : "")));
    });
  }

  function initLocation() {
    let timer = null;
    structureSearch.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => searchStructures(structureSearch.value), 250);
    });
    structureSearch.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {  // chercher la structure, pas envoyer le formulaire
        event.preventDefault();
        clearTimeout(timer);
        searchStructures(structureSearch.value);
      }
    });
    structureSearch.addEventListener("focus", () => choose("structure"));
    structureSelect.addEventListener("change", () => choose("structure"));
    communeInput.addEventListener("input", () => choose("commune"));
    state.map.on("click", (event) => {
      state.point = { lat: event.latlng.lat, lon: event.latlng.lng };
      if (state.pointLayer) state.pointLayer.remove();
      state.pointLayer = M.originMarker(state.point.lat, state.point.lon).addTo(state.map);
      pointText.textContent = "Point choisi : " + M.fmt.decimal(state.point.lat) + " ; " +
        M.fmt.decimal(state.point.lon) + " (latitude ; longitude).";
      choose("point");
    });
  }

  // -- le corps de la requête (MatchRequest) ------------------------------------------------

  class FormProblem extends Error {
    constructor(message, field) {
      super(message);
      this.field = field;
    }
  }

  function numberOf(id) {
    const value = document.getElementById(id).value.trim();
    return value === "" ? null : Number(value);
  }

  function location() {
    const chosen = form.elements.depart.value;
    if (chosen === "structure") {
      if (!structureSelect.value) {
        throw new FormProblem("Choisissez la structure référente dans la liste (ou un autre point de départ).", structureSearch);
      }
      return { partner_id: structureSelect.value };
    }
    if (chosen === "commune") {
      const commune = findCommune(communeInput.value);
      if (!commune) throw new FormProblem("Choisissez une commune de la liste.", communeInput);
      return { code_insee: commune.code_insee };
    }
    if (!state.point) throw new FormProblem("Cliquez sur la carte pour placer le point de départ.", document.getElementById("depart-point"));
    return { lat: Number(state.point.lat.toFixed(6)), lon: Number(state.point.lon.toFixed(6)) };
  }

  function modes() {
    const out = [];
    MODES.forEach((mode) => {
      if (!document.getElementById("mode-" + mode).checked) return;
      const minutes = numberOf("minutes-" + mode);
      if (minutes === null) {
        throw new FormProblem("Indiquez le temps de trajet maximal " + M.MODES[mode] + ".", document.getElementById("minutes-" + mode));
      }
      out.push({ mode: mode, max_minutes: minutes });
    });
    if (!out.length) throw new FormProblem("Cochez au moins un mode de déplacement.", document.getElementById("mode-walk"));
    return out;
  }

  function wishes() {
    const out = {};
    const rome = document.getElementById("rome").value.split(/[\s,;]+/).map((c) => c.trim().toUpperCase()).filter(Boolean);
    if (rome.length) out.rome_codes = rome;
    const kinds = Array.from(form.querySelectorAll("input[name=kinds]:checked")).map((i) => i.value);
    if (kinds.length) out.kinds = kinds;
    const keywords = document.getElementById("mots-cles").value.trim();
    if (keywords) out.keywords = keywords;
    return out;
  }

  function situation() {
    const out = {};
    form.querySelectorAll("select[data-tri-state]").forEach((select) => {
      if (select.value === "true") out[select.name] = true;
      else if (select.value === "false") out[select.name] = false;
    });
    [["situation-age", "age"], ["situation-children_under_3", "children_under_3"]].forEach(([id, name]) => {
      const value = numberOf(id);
      if (value !== null) out[name] = value;
    });
    const diploma = document.getElementById("situation-diploma_level").value;
    if (diploma) out.diploma_level = Number(diploma);
    ["french_level", "cdaph_orientation"].forEach((name) => {
      const value = document.getElementById("situation-" + name).value;
      if (value) out[name] = value;
    });
    return out;
  }

  /** Le corps exact de POST /v1/matches ; les champs vides sont omis (« non renseigné »). */
  function requestBody() {
    const body = { location: location(), modes: modes(), wishes: wishes(), situation: situation() };
    const low = numberOf("heures-min");
    const high = numberOf("heures-max");
    if (low !== null || high !== null) body.hours_per_week = { min: low === null ? 0 : low, max: high === null ? 48 : high };
    const available = document.getElementById("disponibilites").value.trim();
    if (available) body.available = available;
    const limit = numberOf("limite");
    if (limit !== null) body.limit = limit;
    return body;
  }

  // -- la réponse (MatchResult) -----------------------------------------------------------

  function kindLabel(code) {
    const kind = state.labels && state.labels.kinds[code];
    return kind ? kind.label : code;
  }

  function estimatedBadge() {
    return el("span", { class: "badge badge-estimate", title: "Aucun réseau ne couvre ce trajet : temps estimé à vol d'oiseau, corrigé des détours" }, "estimé");
  }

  /** Un partenaire d'appui : nom, typologie, trajet, places. */
  function siteLine(site) {
    const parts = [el("strong", {}, site.name), " (" + kindLabel(site.kind) + ")"];
    if (site.minutes !== null && site.minutes !== undefined && site.mode) {
      parts.push(" — " + M.fmt.minutes(site.minutes) + " " + M.MODES[site.mode]);
      if (site.estimated) parts.push(" ", estimatedBadge());
    }
    if (site.reachable === false) parts.push(" ", el("span", { class: "badge badge-unreachable" }, "hors de portée"));
    if (site.available_places !== null && site.available_places !== undefined) {
      parts.push(" · " + (site.available_places ? M.fmt.plural(site.available_places, "place libre", "places libres") : "complet"));
    }
    return parts;
  }

  function tripLine(travel) {
    const line = el("p", { class: "trip" }, el("strong", {}, "Trajet : "),
      M.fmt.minutes(travel.minutes) + " " + M.MODES[travel.mode]);
    if (travel.estimated) line.append(" ", estimatedBadge());
    if (travel.creche) {
      line.append(el("br"), "En passant par la crèche ", el("strong", { class: "creche" }, travel.creche.name),
        " (" + M.fmt.minutes(travel.creche.minutes) + " depuis le départ" +
        (travel.creche.available_places !== null && travel.creche.available_places !== undefined ?
          ", " + M.fmt.plural(travel.creche.available_places, "place libre", "places libres") : "") +
        ") ; dépôt de l'enfant compris.");
    }
    return line;
  }

  function opportunityFacts(o) {
    const parts = [];
    if (o.contract) parts.push("contrat " + o.contract.toUpperCase());
    if (o.hours_min !== null && o.hours_max !== null) {
      parts.push(o.hours_min === o.hours_max ? M.fmt.decimal(o.hours_min) + " h par semaine" :
        M.fmt.decimal(o.hours_min) + " à " + M.fmt.decimal(o.hours_max) + " h par semaine");
    }
    if (o.schedule) parts.push("horaires : " + M.openingHours(o.schedule));
    if (o.atypical_hours) parts.push("horaires décalés");
    if (o.places !== null && o.places !== undefined) parts.push(o.places ? M.fmt.plural(o.places, "place") : "pas de place pour l'instant");
    if (o.rome_code) parts.push("ROME " + o.rome_code);
    return parts.join(" · ");
  }

  function obstacleItem(obstacle) {
    const item = el("li", {}, el("strong", {}, (OBSTACLE_KINDS[obstacle.kind] || obstacle.kind) + " : "), obstacle.message);
    if (obstacle.supports.length) {
      item.append(el("p", { class: "obstacle-help" }, "Qui peut aider :"),
        el("ul", { class: "obstacle-supports" }, obstacle.supports.map((s) => el("li", {}, siteLine(s)))));
    }
    return item;
  }

  function matchCard(item, rank) {
    const o = item.opportunity;
    const card = el("article", { class: "match-card", "aria-labelledby": "proposition-" + rank },
      el("div", { class: "match-head" },
        el("h3", { id: "proposition-" + rank }, rank + ". " + o.title),
        el("span", { class: "score", title: "Score de 0 à 100 : somme pondérée des composantes" },
          "Score " + Math.round(item.score * 100) + " / 100")),
      el("p", { class: "meta" }, el("strong", {}, item.partner.name), " — " + kindLabel(item.partner.kind) +
        " · " + (state.labels.families[item.partner.family] || item.partner.family)),
      el("p", { class: "opportunity-facts" }, o.kind + (opportunityFacts(o) ? " · " + opportunityFacts(o) : "")),
      tripLine(item.travel),
      el("ul", { class: "components", "aria-label": "Composantes du score" },
        Object.entries(COMPONENTS).map(([key, label]) =>
          el("li", {}, label + " " + Math.round(item.components[key] * 100) + " %"))),
      el("h4", {}, "Pourquoi cette proposition"),
      el("ul", { class: "reasons" }, item.reasons.map((r) => el("li", {}, r))));
    if (item.obstacles.length) {
      card.append(el("h4", {}, "À résoudre"), el("ul", { class: "obstacles" }, item.obstacles.map(obstacleItem)));
    } else {
      card.append(el("p", { class: "no-obstacle" }, "Aucun obstacle repéré pour cette proposition."));
    }
    return card;
  }

  function section(title, className, children) {
    return el("section", { class: className }, el("h3", {}, title), children);
  }

  function render(result) {
    const out = [];
    if (result.items.length) {
      out.push(...result.items.map((item, i) => matchCard(item, i + 1)));
    }
    if (result.pathways.length) {
      out.push(section("Parcours possibles", "pathways", el("ul", {}, result.pathways.map((p) =>
        el("li", {}, el("strong", {}, p.title + " : "), p.message,
          p.carriers.length ? el("ul", { class: "obstacle-supports" }, p.carriers.map((s) => el("li", {}, siteLine(s)))) : null)))));
    }
    if (result.supports.length) {
      out.push(section("Appuis à mobiliser", "supports", el("ul", {}, result.supports.map((s) =>
        el("li", {}, el("strong", {}, (OBSTACLE_KINDS[s.kind] || s.kind) + " : "), s.message,
          s.partners.length ? el("ul", { class: "obstacle-supports" }, s.partners.map((p) => el("li", {}, siteLine(p)))) : null)))));
    }
    if (result.exclusions.length) {
      out.push(section("Écartées par une condition légale", "exclusions", el("ul", {}, result.exclusions.map((e) =>
        el("li", {}, e.message)))));
    }
    return out;
  }

  async function submit(event) {
    event.preventDefault();
    let body;
    try {
      if (!form.reportValidity()) return;
      body = requestBody();
    } catch (err) {
      if (!(err instanceof FormProblem)) throw err;
      M.notice(summary, err.message, "error");
      if (err.field) err.field.focus();
      return;
    }
    if (!M.can(M.ROLES.platform)) {
      if (M.person) {
        M.notice(summary, "Votre compte (consultation) ne permet pas de demander des propositions : " +
          "demandez un rôle plateforme à l'administrateur du service.", "error");
      } else {
        M.loginPrompt(summary, "pour demander des propositions (compte plateforme, éditeur ou administrateur)", "error");
      }
      const link = summary.querySelector("a");
      if (link) link.focus();
      return;
    }
    M.notice(summary, "Recherche des opportunités atteignables…");
    M.clear(output);
    printButton.hidden = true;
    let result;
    try {
      result = await M.api("/v1/matches", {
        method: "POST",
        json: body,
        referrerPolicy: "no-referrer",
      });
    } catch (err) {
      if (!(err instanceof M.ApiError)) throw err;
      M.fill(summary, M.apiProblem(err, "La demande a échoué : "));
      return;
    }
    const count = result.items.length;
    M.fill(summary,
      el("p", { class: "result-count" }, el("strong", {}, count ? M.fmt.plural(count, "proposition") : "Aucune proposition"),
        " parmi " + M.fmt.plural(result.reachable, "offre atteignable", "offres atteignables") +
        " (" + M.fmt.plural(result.considered, "offre examinée", "offres examinées") + ")."),
      el("p", { class: "print-only" }, "Établi le " + M.fmt.dateTime(new Date().toISOString()) + " avec maillage — document de travail, à vérifier avec les structures."));
    M.fill(output, render(result));
    printButton.hidden = false;
    summary.scrollIntoView({ block: "start" });
  }

  async function main() {
    state.map = M.map("carte");
    initLocation();
    printButton.addEventListener("click", () => window.print());
    form.addEventListener("submit", submit);
    form.addEventListener("reset", () => {
      state.point = null;
      if (state.pointLayer) state.pointLayer.remove();
      pointText.textContent = "Cliquez sur la carte pour placer le point.";
      M.clear(structureSelect).append(el("option", { value: "" }, "— tapez quelques lettres ci-dessus —"));
    });
    try {
      const [labels, kinds, communes] = await Promise.all([
        M.labels(), M.reference("opportunity-kinds"), M.communes(),
      ]);
      state.labels = labels;
      const box = document.getElementById("types-offres");
      box.querySelectorAll(".loading").forEach((n) => n.remove());
      kinds.forEach((kind) => {
        box.append(el("div", {}, el("label", { class: "check-label", for: "type-" + kind.code },
          el("input", { type: "checkbox", id: "type-" + kind.code, name: "kinds", value: kind.code }), kind.label)));
      });
      M.drawCommunes(state.map, communes);
      findCommune = await M.communePicker(document.getElementById("communes-liste"));
    } catch (err) {
      M.notice(summary, "Chargement impossible : " + err.message, "error");
      return;
    }
    document.body.dataset.ready = "true";
  }

  main();
})();
