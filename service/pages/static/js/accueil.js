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

  const shortDate = new Intl.DateTimeFormat("fr-FR", { dateStyle: "medium" });
  const day = (iso) => (iso ? shortDate.format(new Date(iso)) : "—");

  function producerDates(s) {
    if (!s.dated) {
      return "non fournie";
    }
    const span = s.producer_oldest === s.producer_newest ? day(s.producer_newest) :
      day(s.producer_oldest) + " – " + day(s.producer_newest);
    return s.dated < s.records ? span + " (" + M.fmt.number(s.dated) + " datées)" : span;
  }

  function sourceTable(f) {
    const body = el("tbody", {});
    f.sources.forEach((s) => {
      const toCheck = s.stale ? el("strong", {}, M.fmt.number(s.stale) + " à vérifier") :
        "aucune à vérifier";
      body.append(el("tr", {},
        el("th", { scope: "row" }, el("strong", {}, s.source), el("br", {}),
          el("span", { class: "hint" }, s.rule + ", " + M.fmt.plural(s.records, "fiche") + ", "),
          el("span", { class: "hint" }, toCheck)),
        el("td", {}, day(s.last_seen)),
        el("td", {}, producerDates(s))));
    });
    if (f.edited) {
      body.append(el("tr", {},
        el("th", { scope: "row" }, el("strong", {}, "écrites dans maillage"), el("br", {}),
          el("span", { class: "hint" }, M.fmt.plural(f.edited, "fiche"))),
        el("td", {}, "—"),
        el("td", {}, "leur dernière modification")));
    }
    return el("div", { class: "table-scroll" },
      el("table", { class: "data-table freshness-table" },
        el("caption", { class: "visually-hidden" },
          "Fraîcheur par source : fiches à vérifier, dernier extrait qui listait les fiches, dates du producteur"),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, "Source"),
          el("th", { scope: "col" }, "Vu dans un extrait"),
          el("th", { scope: "col" }, "Date du producteur"))),
        body));
  }

  function freshness(stats) {
    const f = stats.freshness;
    if (!stats.partners) {
      return [el("p", {}, "Aucun partenaire n'est encore enregistré.")];
    }
    const items = [
      el("dl", { class: "facts" },
        el("dt", {}, "À vérifier"),
        el("dd", {}, el("a", { href: "/v1/partners?stale=true&size=100" },
          el("strong", {}, M.fmt.plural(f.stale, "partenaire"))),
          " non confirmés depuis " + M.fmt.number(f.stale_after_days) + " jours selon la règle de leur source"),
        el("dt", {}, "Placés au centre de leur commune"),
        el("dd", {}, el("a", { href: "/v1/partners?geocoding=commune&size=100" },
          M.fmt.number(stats.commune_placed || 0) + " sur " + M.fmt.number(stats.partners)),
          " (adresse non géocodée par la source : position approchée)")),
      el("p", {}, "Deux signaux, séparés : ", el("strong", {}, "vu dans un extrait"),
        " (le dernier import de la source qui listait ses fiches) et ",
        el("strong", {}, "date du producteur"), " (sa propre date de mise à jour)."),
      sourceTable(f),
      el("p", { class: "hint" }, f.rule),
    ];
    if (f.stale > 0.2 * stats.partners) {
      items.splice(1, 0, el("p", { class: "notice notice-warning" },
        "Une part importante des fiches n'a pas été confirmée par sa source récemment : " +
        "vérifiez places, horaires et contacts avant d'orienter."));
    }
    if (stats.demo) {
      items.push(el("p", { class: "hint" },
        "Les partenaires de démonstration sont fictifs (source « demo ») : écrits par la démo, " +
        "ils datent de son chargement."));
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
