/* maillage — propositions au fil de la frappe (combobox ARIA), pour les métiers et les adresses.
 *
 * Usage (après common.js) :
 *   maillage.autocomplete(input, maillage.autocomplete.jobs, (item) => { ... });
 *   maillage.autocomplete(input, maillage.autocomplete.addresses({ near: () => [lon, lat] }), pick);
 *
 * Une source est une fonction async (texte) → { items: [{ label, detail, value }], note }.
 * La liste suit le motif « combobox » de l'ARIA : flèches haut et bas, Entrée choisit, Échap
 * ferme ; clic ou toucher choisit ; une réponse arrivée après une frappe plus récente est
 * ignorée. Le texte tapé n'est ni conservé ni envoyé ailleurs qu'à l'API. Aucun texte de
 * l'API n'est inséré comme HTML (textContent seulement). Styles : css/autocomplete.css.
 */
"use strict";

(function () {
  const M = window.maillage;
  let counter = 0;

  function autocomplete(input, source, onPick, options) {
    const opts = Object.assign({ minChars: 2, delay: 150 }, options || {});
    const id = "propositions-" + ++counter;
    const wrapper = document.createElement("div");
    wrapper.className = "ac";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    const list = document.createElement("ul");
    list.id = id;
    list.className = "ac-liste";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrapper.appendChild(list);
    const status = document.createElement("p");
    status.className = "ac-etat";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");

    let items = [];
    let active = -1;
    let sequence = 0;
    let timer = null;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const options = list.querySelectorAll("[role=option]");
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      const item = items[index];
      if (!item) return;
      input.value = item.label;
      close();
      status.textContent = "";
      onPick(item);
    }

    function show(found) {
      items = found.items || [];
      list.replaceChildren();
      items.forEach((item, index) => {
        const option = document.createElement("li");
        option.id = id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "ac-option";
        const label = document.createElement("span");
        label.className = "ac-libelle";
        label.textContent = item.label;
        option.appendChild(label);
        if (item.detail) {
          const detail = document.createElement("span");
          detail.className = "ac-detail";
          detail.textContent = item.detail;
          option.appendChild(detail);
        }
        // mousedown, not click: the input keeps the focus
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(index);
        });
        list.appendChild(option);
      });
      const open = items.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", String(open));
      active = -1;
      status.textContent = open
        ? items.length + (items.length > 1 ? " propositions" : " proposition") + (found.note ? " — " + found.note : "")
        : found.note || "Aucune proposition.";
    }

    async function lookup() {
      const text = input.value.trim();
      const mine = ++sequence;
      if (text.length < opts.minChars) {
        close();
        status.textContent = "";
        return;
      }
      try {
        const found = await source(text);
        if (mine === sequence) show(found);
      } catch (err) {
        if (mine !== sequence) return;
        close();
        status.textContent = err && err.message ? err.message : "Propositions indisponibles.";
      }
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(lookup, opts.delay);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          if (items.length) show({ items: items });
          return;
        }
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + items.length) % items.length);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 100));
    return { close: close, refresh: lookup };
  }

  /** Les intitulés de métiers du ROME 4.0 ; value : le code ROME. */
  autocomplete.jobs = async function (text) {
    const body = await M.api("/v1/reference/jobs" + M.query({ q: text, limit: 10 }));
    return {
      items: body.results.map((job) => ({
        label: job.label,
        detail: job.code_rome + (job.rome_label && job.rome_label !== job.label ? " · " + job.rome_label : ""),
        value: job.code_rome,
        job: job,
      })),
      note: body.notice || "",
      source: body.source,
    };
  };

  const PRECISIONS = {
    housenumber: "adresse",
    street: "rue",
    locality: "lieu-dit",
    municipality: "commune",
  };

  /** Les adresses (GET /v1/geocode) ; near() rend [lon, lat] ou null ; value : [lon, lat]. */
  autocomplete.addresses = function (options) {
    const near = (options && options.near) || (() => null);
    return async function (text) {
      const point = near();
      const params = { q: text, limit: 6 };
      if (point) {
        params.lon = point[0];
        params.lat = point[1];
      }
      const body = await M.api("/v1/geocode" + M.query(params));
      return {
        items: body.results.map((place) => ({
          label: place.label,
          detail: [PRECISIONS[place.precision] || place.precision, place.code_insee ? place.city || "" : ""]
            .filter(Boolean)
            .join(" · "),
          value: [place.lon, place.lat],
          place: place,
        })),
        note: "",
        attribution: body.attribution,
      };
    };
  };

  M.autocomplete = autocomplete;
})();
