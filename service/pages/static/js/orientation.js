/* Orientation : le formulaire devient exactement le corps de POST /v1/matches (MatchRequest) ;
 * la réponse est mise en forme par orientation-results.js.
 *
 * Point de départ : une adresse ou une commune choisie dans une liste (GET /v1/geocode quand le
 * serveur l'offre, sinon les communes du territoire), un clic sur la carte, ou la structure
 * référente (GET /v1/partners?q=). Métiers : des intitulés choisis dans le ROME
 * (GET /v1/reference/jobs quand le serveur l'offre), ou des codes. Disponibilités : des jours
 * et des heures (availability.js). Situation : des questions groupées où « je ne sais pas »
 * est la réponse par défaut et n'est jamais envoyée comme « non ».
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
  const ROME_CODE = /^[A-N]\d{4}$/;
  const form = document.getElementById("orientation");
  const summary = document.getElementById("resume");
  const output = document.getElementById("propositions");
  const printButton = document.getElementById("imprimer");
  const addressInput = document.getElementById("adresse");
  const structureInput = document.getElementById("structure");
  const jobInput = document.getElementById("metier");
  const jobChips = document.getElementById("metiers-choisis");
  const pointText = document.getElementById("point-choisi");
  const served = document.body.dataset;  // data-jobs, data-geocode : ce que le serveur offre

  const state = {
    home: null,  // {body, lat, lon, label} : adresse, commune ou point de la carte
    referent: null,  // {id, lat, lon, label}
    jobs: [],  // [{code, label}]
    marker: null,
    map: null,
    labels: null,
    availability: null,
  };

  // -- le point de départ ------------------------------------------------------------------

  function choose(value) {
    document.getElementById("depart-" + value).checked = true;
  }

  function mark(lat, lon) {
    if (state.marker) state.marker.remove();
    state.marker = M.originMarker(lat, lon).addTo(state.map);
    if (!state.map.getBounds().contains([lat, lon])) state.map.panTo([lat, lon]);
  }

  /** Adresses et communes : le corps de la demande part de la mairie d'une commune (code
   * INSEE) ou du point d'une adresse. */
  function addressSource() {
    const places = M.placeSource(state.map);
    return async (text) => (await places(text)).map((option) => {
      const place = option.value;
      const body = place.code_insee ? { code_insee: place.code_insee } :
        { lat: Number(place.lat.toFixed(6)), lon: Number(place.lon.toFixed(6)) };
      return Object.assign({}, option, { value: { body: body, lat: place.lat, lon: place.lon } });
    });
  }

  async function structureCandidates(text) {
    const page = await M.api("/v1/partners" + M.query({ q: text, size: 8 }));
    return page.items.map((p) => ({
      label: p.name,
      detail: [state.labels ? M.partnerLabel(p, state.labels).slice(p.name.length + 3) : p.kind, p.address].filter(Boolean).join(" · "),
      value: { id: p.id, lat: p.lat, lon: p.lon },
      key: p.id,
    }));
  }

  /** Un point de départ choisi dans une liste : ``slot`` (home, referent) garde le choix, le
   * bouton radio ``depart`` le dit ; taper à nouveau l'oublie. */
  function startPicker(input, slot, depart, source, empty) {
    M.combobox(input, {
      source: source,
      empty: empty,
      onPick: (option) => {
        state[slot] = Object.assign({ label: option.label }, option.value);
        choose(depart);
        if (slot === "home") pointText.textContent = "";
        mark(option.value.lat, option.value.lon);
      },
    });
    input.addEventListener("input", () => {
      state[slot] = null;
      choose(depart);
    });
  }

  function initLocation() {
    startPicker(addressInput, "home", "adresse", addressSource(),
      "Aucune adresse ni commune ne correspond ; essayez le nom de la commune, ou cliquez sur la carte.");
    startPicker(structureInput, "referent", "structure", structureCandidates, "Aucune structure ne correspond.");
    state.map.on("click", (event) => {
      const lat = event.latlng.lat;
      const lon = event.latlng.lng;
      state.home = { body: { lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)) }, lat: lat, lon: lon };
      addressInput.value = "Point de la carte";
      pointText.textContent = "Point choisi sur la carte : " + M.fmt.decimal(lat) + " ; " + M.fmt.decimal(lon) +
        " (latitude ; longitude). Les trajets partent de là.";
      choose("adresse");
      mark(lat, lon);
    });
  }

  // -- les métiers -------------------------------------------------------------------------

  function drawJobs() {
    M.clear(jobChips);
    state.jobs.forEach((job, i) => {
      jobChips.append(el("li", { class: "chip" },
        el("span", {}, job.label ? job.label + " (" + job.code + ")" : "code ROME " + job.code),
        el("button", { type: "button", class: "chip-remove", "aria-label": "Retirer " + (job.label || job.code),
          onclick: () => {
            state.jobs.splice(i, 1);
            drawJobs();
            jobInput.focus();
          } }, "×")));
    });
  }

  function addJob(code, label) {
    if (state.jobs.length >= 20 || state.jobs.some((j) => j.code === code && j.label === label)) return;
    state.jobs.push({ code: code, label: label });
    drawJobs();
  }

  async function jobCandidates(text) {
    const code = text.trim().toUpperCase();
    const typed = ROME_CODE.test(code) ? [{ label: "Code ROME " + code, detail: "ajouter ce code", value: { code: code, label: null } }] : [];
    if (served.jobs !== "true") return typed;
    const answer = await M.api("/v1/reference/jobs" + M.query({ q: text, limit: 8 }));
    if (answer.source) document.getElementById("metier-source").textContent = answer.source;
    if (answer.notice && !answer.results.length && !typed.length) throw new Error(answer.notice);
    return typed.concat(answer.results.map((r) => ({
      label: r.label, detail: "ROME " + r.code_rome + " — " + r.rome_label, value: { code: r.code_rome, label: r.label },
    })));
  }

  function initJobs() {
    const widget = M.combobox(jobInput, {
      source: jobCandidates,
      minLength: 2,
      empty: served.jobs === "true" ? "Aucun métier ne correspond ; essayez un autre mot." : "Tapez un code ROME (ex. D1106) puis Entrée.",
      onPick: (option) => {
        addJob(option.value.code, option.value.label);
        widget.clear();
      },
      onEnter: (text) => {
        const codes = text.toUpperCase().split(/[\s,;]+/).filter(Boolean);
        if (!codes.length || !codes.every((c) => ROME_CODE.test(c))) return false;
        codes.forEach((c) => addJob(c, null));
        widget.clear();
        return true;
      },
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
    if (form.elements.depart.value === "structure") {
      if (!state.referent) {
        throw new FormProblem("Choisissez la structure référente dans la liste (ou partez de chez la personne).", structureInput);
      }
      return { partner_id: state.referent.id };
    }
    if (!state.home) {
      throw new FormProblem("Choisissez l'adresse ou la commune dans la liste, ou cliquez sur la carte.", addressInput);
    }
    return state.home.body;
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
    const typed = jobInput.value.toUpperCase().split(/[\s,;]+/).filter((c) => ROME_CODE.test(c));
    const codes = [...new Set(state.jobs.map((j) => j.code).concat(typed))];
    if (codes.length) out.rome_codes = codes;
    const kinds = Array.from(form.querySelectorAll("input[name=kinds]:checked")).map((i) => i.value);
    if (kinds.length) out.kinds = kinds;
    const keywords = document.getElementById("mots-cles").value.trim();
    if (keywords) out.keywords = keywords;
    return out;
  }

  const JOB_SEEKER = {
    non: { job_seeker_registered: false },
    oui: { job_seeker_registered: true },
    "moins-12": { job_seeker_registered: true, deld: false, detld: false },
    "12-24": { job_seeker_registered: true, deld: true, detld: false },
    "24-plus": { job_seeker_registered: true, deld: false, detld: true },
  };
  const HOUSING = {
    logement: { homeless: false, hosted: false },
    heberge: { homeless: false, hosted: true },
    sans: { homeless: true, hosted: false },
  };

  /** La situation : seules les réponses données sont envoyées (« je ne sais pas » : rien). */
  function situation() {
    const out = {};
    form.querySelectorAll(".tri-state input[type=radio]:checked").forEach((radio) => {
      if (radio.value) out[radio.name] = radio.value === "true";
    });
    [["situation-age", "age"], ["situation-children_under_3", "children_under_3"]].forEach(([id, name]) => {
      const value = numberOf(id);
      if (value !== null) out[name] = value;
    });
    const diploma = document.getElementById("situation-diploma_level").value;
    if (diploma === "aucun") out.no_diploma = true;
    else if (diploma) {
      out.diploma_level = Number(diploma);
      if (out.diploma_level >= 3) out.no_diploma = false;
    }
    ["french_level", "cdaph_orientation"].forEach((name) => {
      const value = document.getElementById("situation-" + name).value;
      if (value) out[name] = value;
    });
    Object.assign(out, JOB_SEEKER[document.getElementById("situation-job_seeker").value] || {});
    Object.assign(out, HOUSING[document.getElementById("situation-logement").value] || {});
    const allowances = Array.from(form.querySelectorAll("input[data-allowance]:checked")).map((c) => c.dataset.allowance);
    if (allowances.includes("aucun")) {
      ["rsa", "ass", "aah"].forEach((name) => (out[name] = false));
    } else {
      allowances.forEach((name) => (out[name] = true));
    }
    form.querySelectorAll("input[data-flag]:checked").forEach((c) => (out[c.dataset.flag] = true));
    return out;
  }

  /** Le corps exact de POST /v1/matches ; les champs vides sont omis (« non renseigné »). */
  function requestBody() {
    const body = { location: location(), modes: modes(), wishes: wishes(), situation: situation() };
    const low = numberOf("heures-min");
    const high = numberOf("heures-max");
    if (low !== null || high !== null) body.hours_per_week = { min: low === null ? 0 : low, max: high === null ? 48 : high };
    let available;
    try {
      available = state.availability.value();
    } catch (err) {
      if (err instanceof M.AvailabilityProblem) throw new FormProblem(err.message, err.field);
      throw err;
    }
    if (available) body.available = available;
    const limit = numberOf("limite");
    if (limit !== null) body.limit = limit;
    return body;
  }

  // -- l'envoi -----------------------------------------------------------------------------

  function originText() {
    if (form.elements.depart.value === "structure" && state.referent) return "depuis la structure référente " + state.referent.label;
    if (state.home && state.home.label) return "depuis " + state.home.label;
    return "depuis un point choisi sur la carte";
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
    await M.orientationResults.ensureContacts(result);
    const count = result.items.length;
    M.fill(summary,
      el("p", { class: "print-only print-title" }, "Propositions d'orientation — maillage"),
      el("p", { class: "result-count" }, el("strong", {}, count ? M.fmt.plural(count, "proposition") : "Aucune proposition"),
        " parmi " + M.fmt.plural(result.reachable, "offre atteignable", "offres atteignables") +
        " (" + M.fmt.plural(result.considered, "offre examinée", "offres examinées") + "), " + originText() + "."),
      result.notice ? el("p", { class: "notice notice-info" }, result.notice) : null,
      el("p", { class: "print-only" }, "Établi le " + M.fmt.dateTime(new Date().toISOString()) +
        " avec maillage — document de travail, à vérifier avec les structures. Aucune donnée de la personne n'y figure."));
    M.fill(output, M.orientationResults.render(state.labels, result));
    printButton.hidden = false;
    summary.scrollIntoView({ block: "start" });
  }

  function reset() {
    state.home = null;
    state.referent = null;
    state.jobs = [];
    drawJobs();
    if (state.marker) state.marker.remove();
    pointText.textContent = "";
    setTimeout(() => state.availability.reset(), 0);  // après la remise à zéro des champs
  }

  async function main() {
    state.map = M.map("carte");
    initLocation();
    initJobs();
    state.availability = M.availability(document.getElementById("plages"), document.getElementById("plage-modele"),
      document.getElementById("ajouter-plage"), document.getElementById("dispo-resume"));
    printButton.addEventListener("click", () => window.print());
    form.addEventListener("submit", submit);
    form.addEventListener("reset", reset);
    try {
      const [labels, kinds, communes, contracts] = await Promise.all([
        M.labels(), M.reference("opportunity-kinds"), M.communes(), M.reference("contracts"),
      ]);
      M.orientationResults.contracts(contracts);
      state.labels = labels;
      state.labels.opportunityKinds = Object.fromEntries(kinds.map((k) => [k.code, k.label]));
      const box = document.getElementById("types-offres");
      box.querySelectorAll(".loading").forEach((n) => n.remove());
      kinds.forEach((kind) => {
        box.append(el("div", {}, el("label", { class: "check-label", for: "type-" + kind.code },
          el("input", { type: "checkbox", id: "type-" + kind.code, name: "kinds", value: kind.code }), kind.label)));
      });
      M.drawCommunes(state.map, communes);
    } catch (err) {
      M.notice(summary, "Chargement impossible : " + err.message, "error");
      return;
    }
    document.body.dataset.ready = "true";
  }

  main();
})();
