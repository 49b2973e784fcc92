/* maillage — outils communs aux pages : appels à l'API, formats français, cartes Leaflet.
 *
 * Les pages n'ont pas de logique propre : elles appellent l'API JSON (/v1/...) comme
 * n'importe quel client et mettent en forme ses réponses. Aucun texte venant des données
 * n'est inséré comme HTML : tout passe par textContent (fonction el()), et là où Leaflet
 * prend une chaîne comme HTML (bindTooltip, bindPopup), elle passe par escapeHtml().
 */
"use strict";

(function () {
  const M = {};
  window.maillage = M;

  // -- appels à l'API --------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  M.ApiError = ApiError;

  /** Le message français d'une réponse d'erreur {"detail": ...} de l'API. */
  function detailText(detail, status) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (typeof d === "string" ? d : d.msg || "")).filter(Boolean).join(" ; ");
    }
    return "Erreur " + status + ".";
  }

  // -- la session de la personne connectée --------------------------------------------------
  //
  // Les pages ne demandent jamais de clé d'API : une personne se connecte sur /connexion et son
  // navigateur garde un cookie de session (HttpOnly : invisible au JavaScript). M.api envoie ce
  // cookie (même origine seulement) et, pour les requêtes qui modifient (POST, PUT, PATCH,
  // DELETE), le jeton anti-falsification de la session dans l'en-tête X-CSRF-Token (le serveur
  // le met dans <meta name="csrf-token">). Les rôles sont ceux des clés : viewer, platform,
  // editor, admin.

  const UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];
  M.ROLES = {
    viewer: ["viewer", "platform", "editor", "admin"],
    platform: ["platform", "editor", "admin"],
    writer: ["editor", "admin"],
  };

  /** La personne connectée, {role}, ou null (son nom et son organisation sont dans l'en-tête). */
  M.person = document.body.dataset.role ? { role: document.body.dataset.role } : null;

  /** Le jeton CSRF de la session (null sans session). */
  M.csrfToken = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  };

  /** Vrai quand la personne connectée a l'un des rôles : M.can(M.ROLES.platform). */
  M.can = function (roles) {
    return Boolean(M.person && roles.indexOf(M.person.role) >= 0);
  };

  /** L'adresse de la page de connexion, qui ramène ici ensuite. */
  M.loginUrl = function () {
    return "/connexion?suite=" + encodeURIComponent(window.location.pathname + window.location.search);
  };

  /** Un message « Connectez-vous » avec le lien vers /connexion : node rempli, rendu.
   * reason : ce que la connexion permet (« pour demander des propositions »). */
  M.loginPrompt = function (node, reason, kind) {
    return M.fill(node, M.el("p", { class: "notice notice-" + (kind || "info") + " login-required" },
      M.el("a", { href: M.loginUrl() }, "Connectez-vous"), " " + reason + "."));
  };

  /** Le message d'une erreur d'API, et « Connectez-vous » quand la session manque (401) ou
   * quand le rôle ne suffit pas (403) : un nœud à afficher. */
  M.apiProblem = function (err, prefix) {
    const text = (prefix || "") + err.message;
    if (err.status === 401) {
      return M.el("p", { class: "notice notice-error" }, text + " ", M.el("a", { href: M.loginUrl() }, "Se connecter"));
    }
    return M.el("p", { class: "notice notice-error" }, text);
  };

  /** Appel à l'API (GET par défaut) ; rend le JSON, lève ApiError avec un message français.
   * options : celles de fetch, plus json (un objet envoyé en JSON). Le cookie de session part
   * avec (credentials « same-origin ») et, pour une méthode qui modifie, l'en-tête
   * X-CSRF-Token. ApiError.status : 0 (pas de réponse), 401 (pas ou plus de session), 403
   * (rôle insuffisant, ou jeton CSRF refusé), 422, 429, 503... */
  M.api = async function (path, options) {
    const opts = Object.assign({ headers: {}, credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    const method = (opts.method || "GET").toUpperCase();
    const token = M.csrfToken();
    if (token && UNSAFE_METHODS.indexOf(method) >= 0) opts.headers["X-CSRF-Token"] = token;
    let response;
    try {
      response = await fetch(path, opts);
    } catch (err) {
      throw new ApiError(0, "L'API ne répond pas : vérifiez la connexion au serveur.");
    }
    let body = null;
    const text = await response.text();
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        body = null;
      }
    }
    if (!response.ok) {
      const detail = body && body.detail !== undefined ? body.detail : null;
      throw new ApiError(response.status, detailText(detail, response.status));
    }
    return body;
  };

  /** Une requête de query string à partir d'un objet (les listes deviennent a,b,c). */
  M.query = function (params) {
    const search = new URLSearchParams();
    Object.entries(params).forEach(([key, value]) => {
      if (value === null || value === undefined || value === "") return;
      if (Array.isArray(value)) {
        if (value.length) search.set(key, value.join(","));
      } else {
        search.set(key, String(value));
      }
    });
    const text = search.toString();
    return text ? "?" + text : "";
  };

  const cached = {};
  function once(key, load) {
    if (!cached[key]) {
      cached[key] = load().catch((err) => {
        delete cached[key];
        throw err;
      });
    }
    return cached[key];
  }

  /** Un référentiel : kinds, families, thematiques, publics, opportunity-kinds... */
  M.reference = (name) => once("ref:" + name, () => M.api("/v1/reference/" + name));
  M.stats = () => once("stats", () => M.api("/v1/stats"));

  /** Le département affiché : ?departement= dans l'adresse, sinon le premier chargé. */
  M.departement = async function () {
    const asked = new URLSearchParams(window.location.search).get("departement");
    if (asked) return asked;
    const stats = await M.stats();
    return stats.departements.length ? stats.departements[0] : null;
  };

  M.communes = () =>
    once("communes", async () => {
      const departement = await M.departement();
      return M.api("/v1/communes" + M.query({ departement: departement }));
    });

  /** Libellés des typologies et des familles : {kinds: {code: item}, families: {code: label}}. */
  M.labels = () =>
    once("labels", async () => {
      const [kinds, families] = await Promise.all([M.reference("kinds"), M.reference("families")]);
      const out = { kinds: {}, families: {} };
      kinds.forEach((k) => (out.kinds[k.code] = k));
      families.forEach((f) => (out.families[f.code] = f.label));
      return out;
    });

  // -- DOM -------------------------------------------------------------------------------

  /** el("p", {class: "x"}, "texte", autreNoeud) : un élément, textes insérés comme texte. */
  M.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  };

  const HTML_ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  /** Un texte à afficher tel quel là où une bibliothèque attend du HTML : Leaflet insère une
   * chaîne de bindTooltip ou bindPopup comme innerHTML ; « <img …> » doit s'y lire, pas s'y
   * exécuter. */
  M.escapeHtml = function (text) {
    return String(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
  };

  M.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  /** Remplace le contenu d'une zone (aria-busy levé). */
  M.fill = function (node, ...children) {
    M.clear(node);
    children.flat().forEach((child) => child && node.append(child));
    node.setAttribute("aria-busy", "false");
    return node;
  };

  /** Un message dans une zone : kind = info, error, success. */
  M.notice = function (node, message, kind) {
    return M.fill(node, M.el("p", { class: "notice notice-" + (kind || "info") }, message));
  };

  // -- formats français --------------------------------------------------------------------

  const numberFormat = new Intl.NumberFormat("fr-FR");
  const decimalFormat = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
  const percentFormat = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0 });
  const dateFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long" });
  const dateTimeFormat = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short" });

  M.fmt = {
    number: (n) => numberFormat.format(n),
    decimal: (n) => decimalFormat.format(n),
    percent: (x) => percentFormat.format(x),
    date: (iso) => dateFormat.format(new Date(iso)),
    dateTime: (iso) => dateTimeFormat.format(new Date(iso)),
    minutes: (m) => (m < 1 ? "moins d'une minute" : Math.round(m) + " min"),
    distance: (metres) =>
      metres < 1000 ? Math.round(metres) + " m" : decimalFormat.format(metres / 1000) + " km",
    plural: (n, singular, plural) => numberFormat.format(n) + " " + (n > 1 ? plural || singular + "s" : singular),
    /** « de » + un nom de lieu, élidé ou contracté : « d'Alès », « du Vigan », « des Mages ». */
    of: (name) => {
      if (/^Le /.test(name)) return "du " + name.slice(3);
      if (/^Les /.test(name)) return "des " + name.slice(4);
      return (/^[AEIOUYÂÀÉÈÊÎÔÛaeiouyâàéèêîôûh]/.test(name) && !/^H[a-z]/.test(name) ? "d'" : "de ") + name;
    },
    /** « la crèche X », sans répéter le mot quand le nom le porte déjà (« Crèche AVIP … »). */
    creche: (name) => (/^(micro-)?crèche/i.test(name) ? name : "la crèche " + name),
  };

  M.MODES = {
    walk: "à pied",
    bike: "à vélo",
    transit: "en transports en commun",
    car: "en voiture",
  };

  M.RELATION_KINDS = {
    "oriente-vers": "oriente vers",
    prescrit: "prescrit",
    convention: "convention",
    membre: "membre de",
    recrute: "recrute via",
    "referent-employeur": "référent employeur de",
    finance: "finance",
  };

  /** La nature d'une relation, sans direction : « déjà partenaire de X (convention) ». */
  M.RELATION_NOUNS = {
    "oriente-vers": "orientations",
    prescrit: "prescriptions",
    convention: "convention",
    membre: "adhésion",
    recrute: "recrutements",
    "referent-employeur": "référent employeur",
    finance: "financement",
  };

  const DAYS = { Mo: "lun.", Tu: "mar.", We: "mer.", Th: "jeu.", Fr: "ven.", Sa: "sam.", Su: "dim." };

  /** Horaires OSM (« Mo-Fr 09:00-17:00; PH off ») lus en français. */
  M.openingHours = function (text) {
    if (!text) return null;
    if (text.trim() === "24/7") return "tous les jours, 24 h sur 24";
    return text
      .replace(/\bPH off\b/g, "fermé les jours fériés")
      .replace(/\bPH\b/g, "jours fériés")
      .replace(/\boff\b/g, "fermé")
      .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su)\b/g, (d) => DAYS[d])
      .replace(/(\d{2}):(\d{2})/g, "$1 h $2")
      .replace(/ h 00/g, " h")
      .replace(/-/g, " – ")
      .replace(/,/g, ", ")
      .replace(/;/g, " ;");
  };

  // -- cartes ------------------------------------------------------------------------------

  /** Couleurs des familles d'acteurs (contraste ≥ 3:1 sur le fond clair de la carte). */
  M.FAMILY_COLOURS = {
    hebergement: "#1f5fa8",
    "insertion-professionnelle": "#c2410c",
    "employeurs-inclusifs": "#15803d",
    remobilisation: "#0f766e",
    "employeurs-ordinaires": "#57534e",
    "formation-langue": "#7e22ce",
    mobilite: "#92400e",
    "garde-enfants": "#be185d",
    sante: "#b91c1c",
    "acces-aux-droits": "#4d7c0f",
    institutions: "#1e3a8a",
    reseaux: "#0e7490",
  };
  M.familyColour = (code) => M.FAMILY_COLOURS[code] || "#374151";

  /** Les cartes de la page, par identifiant d'élément (utile aux tests et à la console). */
  M.maps = {};

  /** Une carte Leaflet sans fond de tuiles (aucun serveur de tuiles) : fond uni, échelle. */
  M.map = function (elementId, options) {
    const map = L.map(elementId, Object.assign({ zoomSnap: 0.25, preferCanvas: false }, options || {}));
    map.attributionControl.setPrefix("Leaflet");
    map.attributionControl.addAttribution("Communes : Insee, IGN");
    L.control.scale({ imperial: false, metric: true }).addTo(map);
    map.setView([44.0, 4.2], 9);
    M.basemap.addTiles(map);
    M.maps[elementId] = map;
    return map;
  };

  /** Les communes en fins contours gris ; interactive=false : un simple fond de carte, avec
   * leurs noms et les routes principales quand aucun fond de tuiles n'est configuré. */
  M.drawCommunes = function (map, collection, options) {
    const interactive = Boolean(options && options.interactive);
    const tiles = M.basemap.tiles();
    const layer = L.geoJSON(collection, {
      interactive: interactive,
      pane: interactive ? "overlayPane" : M.basemap.pane(map, "communes", 300),
      style: () => ({ color: "#8a8f98", weight: 0.6, fillColor: "#ffffff", fillOpacity: tiles ? 0.08 : 0.55 }),
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    if (!interactive) {
      M.basemap.communeLabels(map, collection);
      M.basemap.roads(map);
    }
    return layer;
  };

  /** Un point de partenaire coloré par famille ; un clic ne déplace pas le point de départ. */
  M.partnerMarker = function (partner, options) {
    return L.circleMarker([partner.lat, partner.lon], Object.assign({
      radius: 6,
      color: "#1f2937",
      weight: 1,
      fillColor: M.familyColour(partner.family),
      fillOpacity: 0.9,
      bubblingMouseEvents: false,
    }, options || {}));
  };

  /** Légende des familles présentes (couleur des points). */
  M.familyLegend = function (map, familyCodes, labels, title) {
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = M.el("div", { class: "map-legend" }, M.el("p", { class: "legend-title" }, title || "Familles"));
      const list = M.el("ul", {});
      familyCodes.forEach((code) => {
        list.append(M.el("li", {},
          M.el("span", { class: "swatch swatch-dot", "aria-hidden": "true", dataset: { colour: M.familyColour(code) } }),
          labels.families[code] || code));
      });
      box.append(list);
      M.paintSwatches(box);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  };

  /** Les pastilles de couleur : la couleur passe par le CSSOM (la CSP interdit style=""). */
  M.paintSwatches = function (root) {
    root.querySelectorAll("[data-colour]").forEach((node) => {
      node.style.backgroundColor = node.dataset.colour;
    });
  };

  /** Un marqueur de point de départ (cercle noir épais). */
  M.originMarker = function (lat, lon) {
    return L.circleMarker([lat, lon], {
      radius: 9,
      color: "#111827",
      weight: 3,
      fillColor: "#facc15",
      fillOpacity: 1,
      bubblingMouseEvents: false,
    });
  };

  // -- sélecteur de commune ----------------------------------------------------------------

  /** Remplit un <datalist> avec les noms de communes ; rend une fonction nom → commune. */
  M.communePicker = async function (datalist) {
    const collection = await M.communes();
    const byLabel = {};
    const features = collection.features.slice().sort((a, b) =>
      a.properties.name.localeCompare(b.properties.name, "fr"));
    features.forEach((feature) => {
      const p = feature.properties;
      const label = p.name + " (" + p.code_insee + ")";
      byLabel[label.toLowerCase()] = p;
      byLabel[p.name.toLowerCase()] = byLabel[p.name.toLowerCase()] || p;
      byLabel[p.code_insee] = p;
      datalist.append(M.el("option", { value: label }));
    });
    return (text) => byLabel[(text || "").trim().toLowerCase()] || null;
  };

  /** Précision d'une adresse trouvée, en français. */
  M.PRECISIONS = {
    housenumber: "adresse précise (numéro)",
    street: "rue (départ de son milieu)",
    locality: "lieu-dit",
    municipality: "commune : départ de sa mairie",
  };

  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  }

  /** La source d'un champ « adresse ou commune » (M.combobox) : GET /v1/geocode quand le serveur
   * l'offre (les lieux proches du centre de ``map`` d'abord), sinon les communes du territoire.
   * Chaque proposition : {label, detail, value: {lat, lon, code_insee (une commune seulement),
   * label}} ; une commune part de sa mairie. */
  M.placeSource = function (map) {
    let communes = null;
    async function communeCandidates(text) {
      if (!communes) {
        const collection = await M.communes();
        communes = collection.features.map((f) => Object.assign({ folded: folded(f.properties.name) }, f.properties))
          .sort((a, b) => (b.population || 0) - (a.population || 0));
      }
      const wanted = folded(text);
      const found = communes.filter((c) => c.folded.startsWith(wanted) || c.code_insee === wanted);
      const inside = communes.filter((c) => !found.includes(c) && c.folded.includes(" " + wanted));
      return found.concat(inside).slice(0, 8).map((c) => ({
        label: c.name, detail: "commune (" + c.code_insee + ") : départ de sa mairie",
        value: { code_insee: c.code_insee, lat: c.lat, lon: c.lon, label: "mairie " + M.fmt.of(c.name) },
      }));
    }
    return async function (text) {
      if (document.body.dataset.geocode !== "true") return communeCandidates(text);
      const centre = map.getCenter();
      const answer = await M.api("/v1/geocode" + M.query({ q: text, limit: 8, lat: centre.lat.toFixed(4), lon: centre.lng.toFixed(4) }));
      return answer.results.map((r) => {
        const commune = r.precision === "municipality" && r.code_insee;
        return {
          label: r.label,
          detail: M.PRECISIONS[r.precision] || r.precision,
          value: { code_insee: commune ? r.code_insee : null, lat: r.lat, lon: r.lon,
            label: commune ? "mairie " + M.fmt.of(r.label) : r.label },
        };
      });
    };
  };

  /** Libellé court d'un partenaire : « nom — typologie ». */
  M.partnerLabel = function (partner, labels) {
    const kind = labels.kinds[partner.kind];
    return partner.name + " — " + (kind ? kind.label : partner.kind);
  };
})();
