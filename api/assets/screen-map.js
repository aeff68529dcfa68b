// The map: the caller's grids from their GeoJSON boundaries, community and
// street outlines, and the layer that colours them.
GridgovScreen.map = (function (S) {
  "use strict";

  var state = S.state, $ = S.$;

  // The cases layer: a grid takes the colour of its worst open case; one
  // reported and not yet filed has no light yet.
  var LIGHT_NAMES = ["无在办案件", "待立案", "绿灯", "黄灯", "红灯"];
  var UNITS = { density: "人/平方公里", pending: "条", findings: "条", rented: "%" };

  function ringOf(boundary) {
    if (!boundary) return null;
    if (boundary.type === "Polygon") return boundary.coordinates[0];
    if (boundary.type === "MultiPolygon") return boundary.coordinates[0][0];
    return null;
  }

  // Square kilometres of a small lon/lat ring (shoelace, scaled at its latitude).
  function km2(ring) {
    if (!ring || ring.length < 4) return 0;
    var lat = ring[0][1] * Math.PI / 180, kx = 111.32 * Math.cos(lat), ky = 110.57, sum = 0;
    for (var i = 0; i + 1 < ring.length; i++) {
      sum += ring[i][0] * kx * ring[i + 1][1] * ky - ring[i + 1][0] * kx * ring[i][1] * ky;
    }
    return Math.abs(sum) / 2;
  }

  // The edges a group of grids (codes sharing their first `width` digits)
  // does not share among themselves: its outline. Areas have no boundary
  // of their own in the API; their grids' edges make it.
  function outlines(width) {
    var edges = new Map();
    state.grids.forEach(function (grid) {
      var ring = ringOf(grid.boundary);
      if (!ring) return;
      var group = grid.code.slice(0, width);
      for (var i = 0; i + 1 < ring.length; i++) {
        var from = ring[i], to = ring[i + 1];
        var key = group + "|" + [from.join(","), to.join(",")].sort().join("|");
        var seen = edges.get(key);
        if (seen) seen.count++; else edges.set(key, { count: 1, coords: [from, to] });
      }
    });
    var lines = [];
    edges.forEach(function (edge) { if (edge.count === 1) lines.push({ coords: edge.coords }); });
    return lines;
  }

  function extentOf(codes) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    codes.forEach(function (code) {
      var grid = state.grids.get(code);
      (ringOf(grid && grid.boundary) || []).forEach(function (point) {
        box[0] = Math.min(box[0], point[0]); box[1] = Math.min(box[1], point[1]);
        box[2] = Math.max(box[2], point[0]); box[3] = Math.max(box[3], point[1]);
      });
    });
    return box[0] === Infinity ? null : box;
  }

  // A grid's value on `layer`; null where the caller may not know it.
  function value(code, layer) {
    var counts = state.stats.get(code);
    switch (layer) {
      case "density": {
        var area = km2(ringOf(state.grids.get(code).boundary));
        return counts && counts.residents != null && area > 0 ? Math.round(counts.residents / area) : null;
      }
      case "cases": {
        var lights = counts && counts.openCases;
        if (!lights) return null;
        return lights.red > 0 ? 4 : lights.yellow > 0 ? 3 : lights.green > 0 ? 2 : lights.open > 0 ? 1 : 0;
      }
      case "pending": return state.pending.has(code) ? state.pending.get(code) : 0;
      case "findings": return state.findings.get(code) || 0;
      case "rented": {
        var homes = counts && counts.dwellings;
        if (!homes || homes.rented == null) return null;
        var all = (homes.ownerOccupied || 0) + homes.rented + (homes.office || 0) + (homes.vacant || 0);
        return all > 0 ? Math.round(homes.rented * 100 / all) : 0;
      }
    }
    return null;
  }

  // Only the grids (series 0) take the layer's colours, not the outlines.
  function visualMap(layer, values) {
    if (layer === "cases") {
      return {
        type: "piecewise", seriesIndex: 0, left: 10, bottom: 10, textStyle: { color: "#e4ecf7" },
        pieces: [
          { value: 0, label: LIGHT_NAMES[0], color: "#2b4a6f" },
          { value: 1, label: LIGHT_NAMES[1], color: "#4fc3f7" },
          { value: 2, label: LIGHT_NAMES[2], color: "#27ae60" },
          { value: 3, label: LIGHT_NAMES[3], color: "#f1c40f" },
          { value: 4, label: LIGHT_NAMES[4], color: "#e74c3c" },
        ],
      };
    }
    var known = values.filter(function (v) { return v != null; });
    var max = Math.max(1, Math.max.apply(null, known.concat([0])));
    return {
      type: "continuous", seriesIndex: 0, min: 0, max: max, left: 10, bottom: 10, calculable: true,
      text: [String(max) + " " + UNITS[layer], "0"], textStyle: { color: "#e4ecf7" },
      inRange: { color: ["#123a63", "#1f77b4", "#7fc97f", "#ffdd57", "#ff7f0e", "#e74c3c"] },
    };
  }

  function layer() { return $("layer").value; }

  function seriesData() {
    var data = [];
    state.grids.forEach(function (grid, code) {
      data.push({ name: code, value: value(code, layer()), gridName: grid.name });
    });
    return data;
  }

  function tooltip(item) {
    if (!item.data || !item.data.gridName) return "";
    var v = item.data.value;
    var shown = layer() === "cases" ? LIGHT_NAMES[v] || "—" : v == null ? "—" : v;
    return S.esc(item.data.gridName) + "<br>" + S.esc($("layer").selectedOptions[0].textContent) + ":" + S.esc(shown);
  }

  function draw(onSelect, onZoom) {
    var features = [];
    state.grids.forEach(function (grid, code) {
      if (grid.boundary) features.push({ type: "Feature", properties: { name: code }, geometry: grid.boundary });
    });
    echarts.registerMap("gridgov", { type: "FeatureCollection", features: features });
    if (!state.chart) {
      state.chart = echarts.init($("map"), null, { renderer: "canvas" });
      window.addEventListener("resize", function () { state.chart.resize(); });
      state.chart.on("click", function (item) {
        if (item.componentType === "series" && state.grids.has(item.name)) onSelect(item.name);
      });
      // A double click zooms to the grid's community.
      state.chart.on("dblclick", function (item) {
        if (item.componentType === "series" && state.grids.has(item.name)) onZoom(item.name.slice(0, 12));
      });
    }
    var data = seriesData();
    state.chart.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item", formatter: tooltip },
      visualMap: visualMap(layer(), data.map(function (d) { return d.value; })),
      geo: {
        map: "gridgov", roam: true, zoom: 1, center: null, regions: [],
        itemStyle: { areaColor: "#2b4a6f", borderColor: "#0b1a2e", borderWidth: 0.5 },
        emphasis: { itemStyle: { areaColor: "#4fc3f7" }, label: { show: false } },
      },
      series: [
        { id: "grids", type: "map", geoIndex: 0, data: data,
          label: { show: false }, emphasis: { label: { show: false } } },
        { id: "communities", type: "lines", coordinateSystem: "geo", silent: true, polyline: false,
          lineStyle: { color: "#9fc5e8", width: 1.2, opacity: 0.8 }, data: outlines(12) },
        { id: "streets", type: "lines", coordinateSystem: "geo", silent: true, polyline: false,
          lineStyle: { color: "#ffffff", width: 2.4, opacity: 0.9 }, data: outlines(9) },
      ],
    }, { replaceMerge: ["series"] });
    $("map").dataset.grids = String(features.length);
  }

  function recolour() {
    if (!state.chart) return;
    var data = seriesData();
    state.chart.setOption({
      visualMap: visualMap(layer(), data.map(function (d) { return d.value; })),
      series: [{ id: "grids", data: data }],
    });
    $("map").dataset.layer = layer();
  }

  // The selected grid is drawn with a bright border.
  function mark(code) {
    if (!state.chart) return;
    state.chart.setOption({
      geo: { regions: code && code.length === 15 ? [{ name: code, itemStyle: { borderColor: "#ffffff", borderWidth: 3 } }] : [] },
    });
  }

  function zoomTo(code) {
    if (!state.chart) return;
    if (!code) {
      state.chart.setOption({ geo: { center: null, zoom: 1 } });
      return;
    }
    var codes = Array.from(state.grids.keys()).filter(function (g) { return g.indexOf(code) === 0; });
    var box = extentOf(codes);
    if (!box) return;
    // The box's size on screen with the whole map in view, and the zoom
    // that makes it fill most of the view.
    state.chart.setOption({ geo: { center: null, zoom: 1 } });
    var a = state.chart.convertToPixel({ geoIndex: 0 }, [box[0], box[1]]);
    var b = state.chart.convertToPixel({ geoIndex: 0 }, [box[2], box[3]]);
    if (!a || !b) return;
    var wide = Math.max(Math.abs(b[0] - a[0]), 1), high = Math.max(Math.abs(b[1] - a[1]), 1);
    var zoom = 0.85 * Math.min(state.chart.getWidth() / wide, state.chart.getHeight() / high);
    state.chart.setOption({
      geo: { center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: Math.max(1, Math.min(zoom, 60)) },
    });
  }

  // A grid's centre on the page, in pixels from the map's corner.
  function gridPoint(code) {
    var box = extentOf([code]);
    if (!box || !state.chart) return null;
    var point = state.chart.convertToPixel({ geoIndex: 0 }, [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]);
    return point ? [Math.round(point[0]), Math.round(point[1])] : null;
  }

  function clear() {
    if (state.chart) state.chart.clear();
    delete $("map").dataset.grids;
  }

  return {
    draw: draw, recolour: recolour, mark: mark, zoomTo: zoomTo, clear: clear,
    gridPoint: gridPoint, value: function (code) { return value(code, layer()); },
  };
})(GridgovScreen);
