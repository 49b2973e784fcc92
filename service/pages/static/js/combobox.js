/* maillage — une liste de propositions sous un champ de saisie (motif « combobox » de l'ARIA
 * Authoring Practices 1.2, liste déroulante avec saisie libre).
 *
 *   M.combobox(input, {
 *     source: async (texte) => [{ label, detail, value, key }],  // les propositions du texte
 *                                                              // tapé ; key : data-key de l'option
 *     onPick: (proposition) => {},                           // une proposition choisie
 *     onEnter: (texte) => bool,   // facultatif : Entrée sans proposition active ; true si traité
 *     minLength: 2, delay: 200, empty: "Aucune proposition",
 *   })
 *
 * Le champ porte role=combobox, aria-expanded, aria-controls et aria-activedescendant ; la liste
 * role=listbox et ses propositions role=option. Clavier : flèches haut et bas, Entrée choisit,
 * Échap ferme (puis efface), Tab ferme. Un message dit combien de propositions sont offertes.
 * Les textes sont insérés comme texte (jamais comme HTML).
 */
"use strict";

(function () {
  const M = window.maillage;
  const el = M.el;
  let counter = 0;

  M.combobox = function (input, options) {
    const opts = Object.assign({ minLength: 2, delay: 200, empty: "Aucune proposition" }, options);
    const id = input.id || "combobox-" + ++counter;
    const list = el("ul", { id: id + "-liste", role: "listbox", class: "combobox-list", hidden: true });
    const labelId = input.getAttribute("aria-labelledby") ||
      (input.labels && input.labels[0] && input.labels[0].id) || null;
    if (labelId) list.setAttribute("aria-labelledby", labelId);
    const status = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    const wrapper = el("div", { class: "combobox" });
    input.parentNode.insertBefore(wrapper, input);
    wrapper.append(input, list, status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    let items = [];
    let active = -1;
    let asked = 0;
    let timer = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const nodes = list.querySelectorAll("[role=option]");
      nodes.forEach((node, i) => node.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0 && nodes[index]) {
        input.setAttribute("aria-activedescendant", nodes[index].id);
        nodes[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(index) {
      const item = items[index];
      if (!item) return;
      input.value = item.label;
      close();
      status.textContent = "Choisi : " + item.label;
      opts.onPick(item);
    }

    function show(found, message) {
      items = found;
      M.clear(list);
      found.forEach((item, i) => {
        const option = el("li", { id: id + "-option-" + i, role: "option", "aria-selected": "false",
          class: "combobox-option", dataset: item.key ? { key: item.key } : null }, el("span", { class: "combobox-label" }, item.label),
        item.detail ? el("span", { class: "combobox-detail" }, item.detail) : null);
        option.addEventListener("mousedown", (event) => event.preventDefault());  // garder le focus
        option.addEventListener("click", () => pick(i));
        list.append(option);
      });
      if (!found.length) {
        list.append(el("li", { class: "combobox-empty", role: "option", "aria-disabled": "true",
          id: id + "-vide" }, message || opts.empty));
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      status.textContent = found.length ? M.fmt.plural(found.length, "proposition") + " ; flèche bas pour les parcourir."
        : message || opts.empty;
    }

    async function search() {
      const text = input.value.trim();
      const query = ++asked;
      if (text.length < opts.minLength) {
        close();
        return;
      }
      let found;
      try {
        found = await opts.source(text);
      } catch (err) {
        if (query === asked) show([], "Recherche impossible : " + err.message);
        return;
      }
      if (query !== asked || document.activeElement !== input) return;
      show(found);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, opts.delay);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) {
          clearTimeout(timer);
          search();
          return;
        }
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(active);
        } else if (opts.onEnter && opts.onEnter(input.value.trim())) {
          event.preventDefault();
          close();
        } else if (!list.hidden) {
          event.preventDefault();  // une liste ouverte : Entrée n'envoie pas le formulaire
          if (items.length === 1) pick(0);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));

    return {
      close: close,
      clear: () => {
        input.value = "";
        close();
      },
      input: input,
    };
  };
})();
