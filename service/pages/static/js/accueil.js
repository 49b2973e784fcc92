/* Accueil : le territoire en un coup d'œil, depuis GET /v1/stats. */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;

  function figure(value, label) {
    return el("div", { class: "figure" },
      el("span", { class: "figure-value" }, M.fmt.number(value)),
      el("span", { class: "figure-label" }, label));
  }

  function figures(stats) {
    return [
      figure(stats.partners, stats.partners > 1 ? "partenaires" : "partenaire"),
      figure(stats.opportunities, "offres (emplois, immersions, formations…)"),
      figure(stats.relations, "relations entre partenaires"),
      figure(stats.communes, "communes" + (stats.departements.length ?
        " (" + (stats.departements.length > 1 ? "départements " : "département ") +
        stats.departements.join(", ") + ")" : "")),
    ];
  }

  function familyTable(stats) {
    const max = Math.max(1, ...stats.families.map((f) => f.count));
    const body = el("tbody", {});
    stats.families.forEach((family) => {
      const bar = el("span", { class: "bar", "aria-hidden": "true", dataset: { colour: M.familyColour(family.code) } });
      bar.style.width = Math.round((100 * family.count) / max) + "%";
      body.append(el("tr", {},
        el("th", { scope: "row" },
          el("span", { class: "swatch", "aria-hidden": "true", dataset: { colour: M.familyColour(family.code) } }),
          " ",
          el("a", { href: "/partenaires?families=" + encodeURIComponent(family.code) }, family.label)),
        el("td", { class: "num" }, M.fmt.number(family.count)),
        el("td", { class: "bar-cell" }, bar)));
    });
    const table = el("table", { class: "data-table" },
      el("caption", { class: "visually-hidden" }, "Nombre de partenaires par famille d'acteurs"),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Famille"),
        el("th", { scope: "col", class: "num" }, "Partenaires"),
        el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Proportion")))),
      body);
    M.paintSwatches(table);
    return table;
  }

  function freshness(stats) {
    const f = stats.freshness;
    if (!stats.partners) {
      return [el("p", {}, "Aucun partenaire n'est encore enregistré.")];
    }
    const share = f.fresh_share;
    const items = [
      el("dl", { class: "facts" },
        el("dt", {}, "Fiches mises à jour depuis " + f.fresh_months + " mois"),
        el("dd", {}, el("strong", {}, M.fmt.percent(share)),
          " (" + M.fmt.number(Math.round(share * stats.partners)) + " sur " + M.fmt.number(stats.partners) + ")"),
        el("dt", {}, "Mise à jour la plus récente"),
        el("dd", {}, M.fmt.dateTime(f.newest)),
        el("dt", {}, "Mise à jour la plus ancienne"),
        el("dd", {}, M.fmt.dateTime(f.oldest)),
        el("dt", {}, "Placés au centre de leur commune"),
        el("dd", {}, el("a", { href: "/v1/partners?geocoding=commune&size=100" },
          M.fmt.number(stats.commune_placed || 0) + " sur " + M.fmt.number(stats.partners)),
          " (adresse non géocodée par la source : position approchée)"),
        el("dt", {}, "Provenance des fiches"),
        el("dd", {}, stats.sources.map((s) => s.source + " : " + M.fmt.number(s.count)).join(" ; "))),
    ];
    if (share < 0.8) {
      items.push(el("p", { class: "notice notice-warning" },
        "Une part importante des fiches n'a pas été mise à jour depuis un an : vérifiez places, " +
        "horaires et contacts avant d'orienter."));
    }
    if (stats.demo) {
      items.push(el("p", { class: "hint" },
        "Les partenaires de démonstration sont fictifs (source « demo ») : leurs dates de mise à " +
        "jour sont celles du chargement de la démo."));
    }
    return items;
  }

  async function main() {
    const zones = ["chiffres", "familles", "fraicheur"].map((id) => document.getElementById(id));
    try {
      const stats = await M.stats();
      M.fill(zones[0], figures(stats));
      M.fill(zones[1], familyTable(stats));
      M.fill(zones[2], freshness(stats));
    } catch (err) {
      zones.forEach((zone) => M.notice(zone, "Chiffres indisponibles : " + err.message, "error"));
      return;
    }
    document.body.dataset.ready = "true";
  }

  main();
})();
