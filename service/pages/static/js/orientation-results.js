/* Orientation : la réponse de POST /v1/matches (MatchResult) mise en forme — score, trajet
 * étape par étape, crèche sur le trajet, contacts de la structure, raisons, obstacles et qui
 * peut aider, parcours, appuis, exclusions légales. La même mise en forme sert à l'écran et à
 * la fiche imprimée (la feuille de style d'impression ne garde que les résultats).
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  const COMPONENTS = { wish: "souhaits", travel: "trajet", hours: "horaires", places: "places", warm: "relation" };
  const OBSTACLE_KINDS = {
    "garde-enfants": "Garde d'enfants",
    mobilite: "Mobilité",
    langue: "Langue",
    sante: "Santé et handicap",
    droits: "Accès aux droits",
    logement: "Logement",
    formation: "Formation",
    administratif: "Démarches administratives",
    horaires: "Horaires",
  };
  const CONTACT_FIELDS = ["address", "phone", "email", "opening_hours"];

  function kindLabel(labels, code) {
    const kind = labels && labels.kinds[code];
    return kind ? kind.label : code;
  }

  function estimatedBadge() {
    return el("span", { class: "badge badge-estimate", title: "Temps estimé : pas de réseau ou pas d'horaires pour tout ou partie du trajet" }, "estimé");
  }

  // -- les contacts ------------------------------------------------------------------------

  /** Les partenaires (propositions et appuis) dont la réponse ne dit pas les contacts : leur
   * fiche (GET /v1/partners/{id}) les donne. */
  async function ensureContacts(result) {
    const sites = [];
    result.items.forEach((item) => sites.push(item.partner, ...item.obstacles.flatMap((o) => o.supports)));
    result.pathways.forEach((p) => sites.push(...p.carriers));
    result.supports.forEach((s) => sites.push(...s.partners));
    const missing = [...new Set(sites.filter((s) => !("phone" in s)).map((s) => s.id))].slice(0, 40);
    const details = {};
    await Promise.all(missing.map(async (id) => {
      try {
        details[id] = await M.api("/v1/partners/" + encodeURIComponent(id));
      } catch (err) {
        details[id] = null;  // la fiche reste sans contact : la page le dit
      }
    }));
    sites.forEach((site) => {
      const detail = details[site.id];
      if (!detail || "phone" in site) return;
      site.address = detail.address;
      site.phone = detail.contact ? detail.contact.phone : null;
      site.email = detail.contact ? detail.contact.email : null;
      site.opening_hours = detail.opening_hours;
    });
  }

  /** Adresse, téléphone, courriel et horaires d'une structure ; null sans aucun d'eux. */
  function contactBlock(site, className) {
    if (!CONTACT_FIELDS.some((f) => site[f])) {
      return el("p", { class: "contacts contacts-none " + (className || "") }, "Coordonnées non publiées : voir la fiche de la structure.");
    }
    const parts = [];
    if (site.address) parts.push(el("span", { class: "contact contact-address" }, site.address));
    if (site.phone) parts.push(el("span", { class: "contact contact-phone" }, "tél. ", el("a", { href: "tel:" + site.phone.replace(/[^\d+]/g, "") }, site.phone)));
    if (site.email) parts.push(el("span", { class: "contact contact-email" }, el("a", { href: "mailto:" + site.email }, site.email)));
    if (site.opening_hours) parts.push(el("span", { class: "contact contact-hours" }, "ouvert " + M.openingHours(site.opening_hours)));
    const block = el("p", { class: "contacts " + (className || "") });
    parts.forEach((part, i) => block.append(i ? " · " : "", part));
    return block;
  }

  // -- un partenaire d'appui -----------------------------------------------------------------

  function siteLine(labels, site) {
    const parts = [el("strong", {}, site.name), " (" + kindLabel(labels, site.kind) + ")"];
    if (site.access) {
      parts.push(" — " + site.access);
    } else if (site.minutes !== null && site.minutes !== undefined && site.mode) {
      parts.push(" — " + M.fmt.minutes(site.minutes) + " " + M.MODES[site.mode]);
    }
    if (site.estimated && site.minutes !== null && site.minutes !== undefined) parts.push(" ", estimatedBadge());
    if (site.reachable === false && !site.access) parts.push(" ", el("span", { class: "badge badge-unreachable" }, "hors de portée"));
    if (site.available_places !== null && site.available_places !== undefined) {
      parts.push(" · " + (site.available_places ? M.fmt.plural(site.available_places, "place libre", "places libres") : "complet"));
    }
    parts.push(contactBlock(site, "contacts-support"));
    return parts;
  }

  function supportList(labels, sites) {
    return sites.length ? el("ul", { class: "obstacle-supports" }, sites.map((s) => el("li", {}, siteLine(labels, s)))) : null;
  }

  // -- une proposition ---------------------------------------------------------------------

  const STREET_KINDS = ["walk", "bike", "car"];

  function tripBlock(travel) {
    const legs = travel.journey && travel.journey.legs ? travel.journey.legs : [];
    // un trajet en transports en commun où la marche est plus rapide : le dire ainsi
    const walked = legs.length === 1 && STREET_KINDS.includes(legs[0].kind) && legs[0].kind !== travel.mode;
    const how = walked ? M.MODES[legs[0].kind] + " (plus rapide que " +
      (travel.mode === "transit" ? "les transports en commun" : M.MODES[travel.mode]) + ")" : M.MODES[travel.mode];
    const line = el("p", { class: "trip" }, el("strong", {}, "Trajet : "), M.fmt.minutes(travel.minutes) + " " + how);
    if (travel.estimated) line.append(" ", estimatedBadge());
    const box = el("div", { class: "trip-block" }, line);
    if (travel.creche) {
      const article = M.fmt.creche(travel.creche.name) === travel.creche.name ? "" : "la crèche ";
      box.append(el("p", { class: "trip-creche" }, "En passant par " + article, el("strong", { class: "creche" }, travel.creche.name),
        " (" + M.fmt.minutes(travel.creche.minutes) + " depuis le départ" +
        (travel.creche.available_places !== null && travel.creche.available_places !== undefined ?
          ", " + M.fmt.plural(travel.creche.available_places, "place libre", "places libres") : "") +
        ") ; dépôt de l'enfant compris."));
    }
    const list = M.journeyList(travel.journey);
    if (list) box.append(list);
    return box;
  }

  let CONTRACTS = {};

  function opportunityFacts(o) {
    const parts = [];
    if (o.contract && o.contract !== o.kind) parts.push((CONTRACTS[o.contract] || o.contract).replace(/^[A-ZÀ-Ý](?=[a-zà-ÿ])/, (c) => c.toLowerCase()));
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

  function obstacleItem(labels, obstacle) {
    const item = el("li", {}, el("strong", {}, (OBSTACLE_KINDS[obstacle.kind] || obstacle.kind) + " : "), obstacle.message);
    if (obstacle.supports.length) {
      item.append(el("p", { class: "obstacle-help" }, "Qui peut aider :"), supportList(labels, obstacle.supports));
    }
    return item;
  }

  function matchCard(labels, item, rank) {
    const o = item.opportunity;
    const card = el("article", { class: "match-card", "aria-labelledby": "proposition-" + rank },
      el("div", { class: "match-head" },
        el("h3", { id: "proposition-" + rank }, rank + ". " + o.title),
        el("span", { class: "score", title: "Score de 0 à 100 : somme pondérée des composantes" },
          "Score " + Math.round(item.score * 100) + " / 100")),
      el("p", { class: "meta" }, el("strong", {}, item.partner.name), " — " + kindLabel(labels, item.partner.kind) +
        " · " + (labels.families[item.partner.family] || item.partner.family)),
      contactBlock(item.partner, "contacts-partner"),
      el("p", { class: "opportunity-facts" }, ((labels.opportunityKinds || {})[o.kind] || o.kind) + (opportunityFacts(o) ? " · " + opportunityFacts(o) : "")),
      tripBlock(item.travel),
      el("ul", { class: "components", "aria-label": "Composantes du score" },
        Object.entries(COMPONENTS).map(([key, label]) =>
          el("li", {}, label + " " + Math.round(item.components[key] * 100) + " %"))),
      el("h4", {}, "Pourquoi cette proposition"),
      el("ul", { class: "reasons" }, item.reasons.map((r) => el("li", {}, r))));
    if (item.obstacles.length) {
      card.append(el("h4", {}, "À résoudre"), el("ul", { class: "obstacles" }, item.obstacles.map((ob) => obstacleItem(labels, ob))));
    } else {
      card.append(el("p", { class: "no-obstacle" }, "Aucun obstacle repéré pour cette proposition."));
    }
    return card;
  }

  function section(title, className, children) {
    return el("section", { class: className }, el("h3", {}, title), children);
  }

  /** Les nœuds de la réponse, dans l'ordre de lecture. */
  function render(labels, result) {
    const out = result.items.map((item, i) => matchCard(labels, item, i + 1));
    if (result.pathways.length) {
      out.push(section("Parcours possibles", "pathways", el("ul", {}, result.pathways.map((p) =>
        el("li", {}, el("strong", {}, p.title + " : "), p.message, supportList(labels, p.carriers))))));
    }
    if (result.supports.length) {
      out.push(section("Appuis à mobiliser", "supports", el("ul", {}, result.supports.map((s) =>
        el("li", {}, el("strong", {}, (OBSTACLE_KINDS[s.kind] || s.kind) + " : "), s.message, supportList(labels, s.partners))))));
    }
    if (result.exclusions.length) {
      out.push(section("Écartées par une condition légale", "exclusions", el("ul", {}, result.exclusions.map((e) =>
        el("li", {}, e.message)))));
    }
    return out;
  }

  M.orientationResults = {
    render: render,
    ensureContacts: ensureContacts,
    /** Les libellés des contrats (GET /v1/reference/contracts). */
    contracts: (items) => (CONTRACTS = Object.fromEntries(items.map((c) => [c.code, c.label]))),
  };
})();
