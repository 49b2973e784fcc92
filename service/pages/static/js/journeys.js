/* maillage — un trajet étape par étape, lu en français : « 12 min à pied (estimé) → train TER
 * Alès 07:29 → Nîmes 08:05 → 9 min à pied (estimé) ».
 *
 * L'API rend chaque trajet avec ses étapes (journey.legs : walk, bike, car, wait, ride,
 * transfer, dropoff), chacune avec ses minutes et « estimated » ; une étape estimée le dit.
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;

  const STREET = { walk: "à pied", bike: "à vélo", car: "en voiture" };

  /** « 07:29 » d'une heure de l'API (naïve, heure locale des horaires). */
  function clock(iso) {
    const match = /T(\d{2}):(\d{2})/.exec(iso || "");
    return match ? match[1] + ":" + match[2] : null;
  }

  function at(name, time) {
    return [name, time].filter(Boolean).join(" ");
  }

  /** Le texte d'une étape, sans la mention « estimé ». */
  M.legText = function (leg) {
    const minutes = M.fmt.minutes(leg.minutes);
    if (STREET[leg.kind]) {
      let text = minutes + " " + STREET[leg.kind];
      if (leg.to_name) text += " jusqu'à " + leg.to_name;
      return text;
    }
    if (leg.kind === "wait") return minutes + " d'attente" + (leg.from_name ? " à " + leg.from_name : "");
    if (leg.kind === "transfer") {
      return minutes + " de correspondance" + (leg.to_name ? " vers " + leg.to_name : "");
    }
    if (leg.kind === "dropoff") {
      return "dépôt de l'enfant" + (leg.to_name ? " à " + leg.to_name : " à la crèche") + " (" + minutes + ")";
    }
    // un trajet en véhicule
    const vehicle = [leg.vehicle_label, leg.line].filter(Boolean).join(" ") || "transport en commun";
    const departs = clock(leg.departure);
    const arrives = clock(leg.arrival);
    if (leg.from_name && leg.to_name) {
      const times = departs && arrives ? "" : " (" + minutes + ")";
      return vehicle + " " + at(leg.from_name, departs) + " → " + at(leg.to_name, arrives) + times;
    }
    // une estimation sans horaires : la durée, et l'arrêt connu
    return minutes + " en " + vehicle + (leg.from_name ? " depuis " + leg.from_name : "") +
      (leg.to_name ? " jusqu'à " + leg.to_name : "");
  };

  /** Le trajet en une ligne de texte (impression, infobulles). */
  M.journeyText = function (journey) {
    return journey.legs.map((leg) => M.legText(leg) + (leg.estimated ? " (estimé)" : "")).join(" → ");
  };

  /** Le trajet en liste ordonnée d'étapes, chaque étape estimée marquée ; null sans étapes. */
  M.journeyList = function (journey) {
    if (!journey || !journey.legs || !journey.legs.length) return null;
    const list = el("ol", { class: "legs", "aria-label": "Étapes du trajet" },
      journey.legs.map((leg) => el("li", { class: "leg leg-" + leg.kind, dataset: { kind: leg.kind } },
        M.legText(leg),
        leg.estimated ? [" ", el("span", { class: "badge badge-estimate",
          title: "Durée estimée : pas de réseau ou pas d'horaires pour cette étape" }, "estimé")] : null)));
    const box = el("div", { class: "journey" }, list);
    if (journey.notice) box.append(el("p", { class: "hint journey-notice" }, journey.notice));
    return box;
  };
})();
