/* maillage — les disponibilités d'une personne choisies avec des cases de jours et des heures,
 * traduites en horaires OpenStreetMap (opening_hours) pour l'API : « Mo-Fr 08:30-16:30 ».
 *
 * Plusieurs plages : chaque jour reçoit les heures de toutes les plages qui le cochent, et les
 * jours aux mêmes heures sont regroupés (« Mo-Fr 08:30-12:00,14:00-17:00; Sa 09:00-12:00 ») :
 * dans opening_hours, une règle plus loin remplacerait les heures d'un jour déjà nommé.
 */
"use strict";

(function () {
  const M = window.maillage;
  const DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

  /** « Mo-Fr », « Mo,We,Fr », « Mo-We,Sa » : des jours (dans l'ordre de la semaine) groupés. */
  function dayRanges(indexes) {
    const parts = [];
    let start = null;
    indexes.forEach((day, i) => {
      if (start === null) start = day;
      const next = indexes[i + 1];
      if (next !== day + 1) {
        if (day === start) parts.push(DAYS[day]);
        else if (day === start + 1) parts.push(DAYS[start], DAYS[day]);
        else parts.push(DAYS[start] + "-" + DAYS[day]);
        start = null;
      }
    });
    return parts.join(",");
  }

  /** opening_hours de plages [{days: ["Mo", …], from: "08:30", to: "16:30"}] ; "" sans plage. */
  M.openingHoursOf = function (ranges) {
    const perDay = DAYS.map(() => []);
    ranges.forEach((range) => {
      range.days.forEach((day) => {
        const spans = perDay[DAYS.indexOf(day)];
        const span = range.from + "-" + range.to;
        if (!spans.includes(span)) spans.push(span);
      });
    });
    const groups = new Map();  // heures → jours, dans l'ordre de la semaine
    perDay.forEach((spans, day) => {
      if (!spans.length) return;
      const key = spans.slice().sort().join(",");
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(day);
    });
    return Array.from(groups.entries()).map(([hours, days]) => dayRanges(days) + " " + hours).join("; ");
  };

  class AvailabilityProblem extends Error {
    constructor(message, field) {
      super(message);
      this.field = field;
    }
  }
  M.AvailabilityProblem = AvailabilityProblem;

  /** Les plages du formulaire : un <ol> et le <template> d'une plage. */
  M.availability = function (list, template, addButton, summary) {
    function rows() {
      return Array.from(list.querySelectorAll(".time-range"));
    }

    function renumber() {
      rows().forEach((row, i) => {
        row.querySelector("[data-rank]").textContent = String(i + 1);
      });
    }

    /** Les plages remplies ; une plage sans jour est ignorée ; des heures incohérentes : erreur. */
    function ranges() {
      const out = [];
      rows().forEach((row, i) => {
        const days = Array.from(row.querySelectorAll("input[data-day]:checked")).map((c) => c.dataset.day);
        if (!days.length) return;
        const from = row.querySelector("select[data-from-hour]").value + ":" + row.querySelector("select[data-from-minute]").value;
        const to = row.querySelector("select[data-to-hour]").value + ":" + row.querySelector("select[data-to-minute]").value;
        if (from === to) {
          throw new AvailabilityProblem("Plage " + (i + 1) + " : l'heure de fin doit différer de l'heure de début.", row.querySelector("select[data-to-hour]"));
        }
        out.push({ days: days, from: from, to: to });
      });
      return out;
    }

    function describe() {
      let text;
      try {
        const value = M.openingHoursOf(ranges());
        text = value ? "Disponible : " + M.openingHours(value) + " (envoyé à l'API : « " + value + " »)." : "Non renseigné.";
      } catch (err) {
        text = err.message;
      }
      summary.textContent = text;
    }

    function add() {
      const row = template.content.firstElementChild.cloneNode(true);
      row.querySelector("[data-remove]").addEventListener("click", () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber();
        describe();
        (next ? next.querySelector("input[data-day]") : addButton).focus();
      });
      list.append(row);
      renumber();
      return row;
    }

    list.addEventListener("change", describe);
    list.addEventListener("input", describe);
    addButton.addEventListener("click", () => {
      const row = add();
      describe();
      row.querySelector("input[data-day]").focus();
    });
    add();
    describe();

    return {
      /** opening_hours à envoyer, ou null (non renseigné). */
      value: () => M.openingHoursOf(ranges()) || null,
      reset: () => {
        M.clear(list);
        add();
        describe();
      },
    };
  };
})();
