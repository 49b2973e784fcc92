/* maillage — le fond des cartes : tuiles quand un serveur est configuré, sinon les noms des
 * communes et, quand un réseau de rues est inscrit, ses routes principales.
 *
 * Tuiles : MAILLAGE_TILES_URL et MAILLAGE_TILES_ATTRIBUTION (réglages du serveur), passés aux
 * pages par les attributs data-tiles-url et data-tiles-attribution de <body> ; la politique de
 * sécurité des pages n'autorise que cet hôte. Sans tuiles (hors ligne, par défaut) : les noms
 * des communes (les plus peuplées d'abord, toutes en zoomant) et les routes principales du
 * réseau inscrit (GET /v1/networks/roads), pour qu'un clic « chez la personne » ait un sens.
 */
"use strict";

(function () {
  const M = window.maillage;
  const B = {};
  M.basemap = B;

  /** Le serveur de tuiles configuré : {url, attribution} ou null (hors ligne). */
  B.tiles = function () {
    const data = document.body.dataset;
    return data.tilesUrl ? { url: data.tilesUrl, attribution: data.tilesAttribution || "" } : null;
  };

  /** Ajoute le fond de tuiles configuré à une carte ; rend la couche, ou null. */
  B.addTiles = function (map) {
    const tiles = B.tiles();
    if (!tiles) return null;
    return L.tileLayer(tiles.url, {
      attribution: M.escapeHtml(tiles.attribution),
      maxZoom: 19,
      crossOrigin: false,
      className: "tiles",
    }).addTo(map);
  };

  /** Un calque de la carte à la hauteur voulue (tuiles 200, communes 300, routes 350, points
   * et tracés 400) ; il ne capte pas les clics. */
  B.pane = function (map, name, zIndex) {
    const pane = map.getPane(name) || map.createPane(name);
    pane.style.zIndex = String(zIndex);
    pane.style.pointerEvents = "none";
    return name;
  };

  // -- noms des communes ----------------------------------------------------------------------

  /** Population minimale d'une commune nommée, selon le zoom (toutes au-delà de 11). */
  function minimumPopulation(zoom) {
    if (zoom >= 11) return 0;
    if (zoom >= 10.5) return 1500;
    if (zoom >= 10) return 4000;
    if (zoom >= 9) return 12000;
    return 40000;
  }

  /** Les noms des communes au point de leur mairie, selon le zoom ; sans effet avec des tuiles
   * (elles portent déjà les noms). Rend la couche, ou null. */
  B.communeLabels = function (map, collection) {
    if (B.tiles()) return null;
    const layer = L.layerGroup().addTo(map);
    const communes = collection.features
      .map((f) => f.properties)
      .filter((p) => p.lat !== null && p.lon !== null)
      .sort((a, b) => (b.population || 0) - (a.population || 0));
    function refresh() {
      layer.clearLayers();
      const floor = minimumPopulation(map.getZoom());
      const bounds = map.getBounds().pad(0.1);
      const placed = [];  // les boîtes des noms posés, en pixels : aucun nom n'en chevauche un autre
      communes.forEach((p) => {
        if ((p.population || 0) < floor || !bounds.contains([p.lat, p.lon])) return;
        const at = map.latLngToContainerPoint([p.lat, p.lon]);
        const half = p.name.length * 3.4 + 4;
        const box = [at.x - half, at.y - 9, at.x + half, at.y + 9];
        if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) return;
        placed.push(box);
        L.marker([p.lat, p.lon], {
          icon: L.divIcon({ className: "commune-label", html: "<span>" + M.escapeHtml(p.name) + "</span>", iconSize: null }),
          interactive: false,
          keyboard: false,
        }).addTo(layer);
      });
    }
    map.on("zoomend moveend", refresh);
    refresh();
    return layer;
  };

  // -- routes principales du réseau de rues inscrit -----------------------------------------------

  /** Les routes principales du réseau de rues inscrit, redemandées à chaque déplacement de la
   * carte ; sans effet sans réseau de rues ou avec des tuiles. Rend la couche, ou null. */
  B.roads = function (map) {
    if (B.tiles() || document.body.dataset.streets !== "true") return null;
    const layer = L.geoJSON(null, {
      interactive: false,
      pane: B.pane(map, "routes", 350),
      style: (feature) => ({
        color: feature.properties.rank === 1 ? "#b45309" : "#9ca3af",
        weight: feature.properties.rank === 1 ? 2.5 : 1.2,
        opacity: 0.9,
      }),
    }).addTo(map);
    let asked = 0;
    let timer = null;
    async function refresh() {
      const query = ++asked;
      const b = map.getBounds();
      if (b.getEast() - b.getWest() > 5 || b.getNorth() - b.getSouth() > 5) {
        layer.clearLayers();  // au-delà de 5 degrés, l'API ne dessine pas : rien à demander
        return;
      }
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5));
      let collection;
      try {
        collection = await M.api("/v1/networks/roads" + M.query({ bbox: bbox }));
      } catch (err) {
        return;  // un fond de carte absent n'empêche rien : la carte reste utilisable
      }
      if (query !== asked) return;
      layer.clearLayers();
      layer.addData(collection);
    }
    map.on("moveend", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
    refresh();
    return layer;
  };
})();
