// The live training view: the loss curve, the decision boundary and the network coloured by
// gradient, redrawn from each "frame" message classroom/training.py makes (about 5 a second).
// window.chainruleTraining(container, {messages, send}) builds it inside `container` and
// returns {update(frame)}. With `send` (the teacher's page) it has controls that send
// {"type": "training", "action": ...} and {"type": "lr", "value": x}; without (a student's
// page) it only shows. Every text goes in with textContent, never parsed as HTML, and every
// word is marked _("...") (Babel extracts them into the classroom catalog).
"use strict";
window.chainruleTraining = function (container, options) {
  const { messages, send } = options || {};
  const translated = new Map(Object.entries(messages || {}));
  // _("Pause"): the word in the page's language, else the English it is written in.
  const _ = (text) => translated.get(text) || text;
  // format(_("step {step}"), {step: 3}): placeholders are filled after the sentence is
  // translated, as Python's str.format does, since Chinese puts them elsewhere.
  const format = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const SVG = "http://www.w3.org/2000/svg";
  const CLASS_COLOURS = ["#0072B2", "#D55E00"]; // Okabe-Ito blue and vermilion, as the lessons' plots
  const TINTS = [[0, 114, 178], [213, 94, 0]]; // the regions' colours, faded to white at p = 0.5
  const POSITIVE = "#B2182B", NEGATIVE = "#2166AC", ZERO = "#BBBBBB"; // viz/palette.py's RdBu
  const LR_MIN = -3, LR_MAX = 1; // the slider: log10 of the learning rate, 0.001 to 10
  const TITLES = { moons: _("Live training: two moons"), xor: _("Live training: XOR") };

  function make(tag, attributes, parent, text) {
    const svg = ["svg", "g", "line", "polyline", "circle", "text", "rect", "path"].includes(tag);
    const e = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
    Object.entries(attributes || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // A number as the page shows it: 4 significant digits, no trailing zeros.
  const num = (x, digits = 4) => (x === null || !Number.isFinite(x) ? "?" : String(Number(x.toPrecision(digits))));

  // ---- The parts -----------------------------------------------------------------------
  const root = make("section", { class: "crt" }, container);
  const title = make("h2", { class: "crt-title" }, root, _("Live training"));
  const status = make("p", { class: "crt-status", role: "status" }, root, _("Waiting for the first step"));
  const stats = make("p", { class: "crt-stats" }, root);
  const stat = {};
  ["step", "loss", "accuracy", "lr"].forEach((k) => {
    stat[k] = make("span", { class: "crt-stat", "data-stat": k }, stats);
  });

  let last = null; // the frame on screen
  const controls = send ? makeControls() : null;

  const panels = make("div", { class: "crt-panels" }, root);
  const lossPanel = make("figure", { class: "crt-panel crt-loss" }, panels);
  make("figcaption", {}, lossPanel, _("Loss per step"));
  const W = 360, H = 220; // each picture's drawing units; CSS scales it to the panel
  const lossSvg = make("svg", { viewBox: `0 0 ${W} ${H}`, class: "crt-loss-svg", role: "img" }, lossPanel);
  lossSvg.setAttribute("aria-label", _("Loss per step"));

  const boundaryPanel = make("figure", { class: "crt-panel crt-boundary" }, panels);
  make("figcaption", {}, boundaryPanel, _("Decision boundary"));
  const canvas = make("canvas", { class: "crt-canvas", width: 480, height: 480, role: "img" }, boundaryPanel);
  canvas.setAttribute("aria-label", _("Decision boundary"));
  const classKey = make("p", { class: "crt-key" }, boundaryPanel);
  [_("class 0"), _("class 1")].forEach((label, c) => {
    const item = make("span", { class: "crt-key-item" }, classKey);
    const mark = make("svg", { viewBox: "0 0 14 14", class: "crt-key-mark", "aria-hidden": "true" }, item);
    if (c === 0) make("circle", { cx: 7, cy: 7, r: 5, fill: CLASS_COLOURS[0], stroke: "#fff" }, mark);
    else make("rect", { x: 2, y: 2, width: 10, height: 10, fill: CLASS_COLOURS[1], stroke: "#fff" }, mark);
    make("span", {}, item, label);
  });
  make("span", { class: "crt-key-item crt-key-line" }, classKey, _("line: where p = 0.5"));

  const networkPanel = make("figure", { class: "crt-panel crt-network" }, panels);
  make("figcaption", {}, networkPanel, _("The network, coloured by gradient"));
  const netSvg = make("svg", { viewBox: `0 0 ${W} ${H}`, class: "crt-net-svg", role: "img" }, networkPanel);
  netSvg.setAttribute("aria-label", _("The network, coloured by gradient"));
  const netKey = make("p", { class: "crt-key" }, networkPanel);
  [[POSITIVE, _("gradient > 0: the step lowers the weight")],
   [NEGATIVE, _("gradient < 0: the step raises the weight")]].forEach(([colour, label]) => {
    const item = make("span", { class: "crt-key-item" }, netKey);
    const mark = make("svg", { viewBox: "0 0 24 10", class: "crt-key-mark crt-key-wide", "aria-hidden": "true" }, item);
    make("line", { x1: 1, y1: 5, x2: 23, y2: 5, stroke: colour, "stroke-width": 3 }, mark);
    make("span", {}, item, label);
  });
  make("span", { class: "crt-key-item" }, netKey, _("thicker: a larger |gradient| (this step's largest is the thickest)"));

  // ---- The teacher's controls ----------------------------------------------------------
  function makeControls() {
    const box = make("div", { class: "crt-controls" }, root);
    const toggle = make("button", { type: "button", class: "crt-toggle" }, box, _("Pause"));
    const step = make("button", { type: "button", class: "crt-step" }, box, _("Step"));
    const stop = make("button", { type: "button", class: "crt-stop" }, box, _("Stop"));
    const form = make("form", { class: "crt-lr" }, box);
    const label = make("label", { class: "crt-lr-label" }, form);
    make("span", {}, label, _("Learning rate"));
    const field = make("input", {
      type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false", size: 6,
      class: "crt-lr-field",
    }, label);
    make("button", { type: "submit", class: "crt-lr-set" }, form, _("Set"));
    const slider = make("input", {
      type: "range", min: LR_MIN, max: LR_MAX, step: 0.05, class: "crt-lr-slider",
    }, form);
    slider.setAttribute("aria-label", _("Learning rate (slider, log scale)"));
    const error = make("p", { class: "crt-error", role: "alert" }, box);

    toggle.addEventListener("click", () => {
      const running = !last || last.status !== "paused";
      send({ type: "training", action: running ? "pause" : "resume" });
    });
    step.addEventListener("click", () => send({ type: "training", action: "step" }));
    stop.addEventListener("click", () => send({ type: "training", action: "stop" }));
    const sendLr = (value) => {
      if (!(Number.isFinite(value) && value > 0 && value <= 10)) {
        error.textContent = _("The learning rate must be a number above 0 and at most 10.");
        return;
      }
      error.textContent = "";
      send({ type: "lr", value });
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      // NFKC: full-width digits from a Chinese input method read as ASCII ones
      const text = field.value.normalize("NFKC").replace(/\u2212/g, "-").trim();
      sendLr(text === "" ? NaN : Number(text));
    });
    slider.addEventListener("input", () => { field.value = num(10 ** Number(slider.value), 3); });
    slider.addEventListener("change", () => sendLr(Number(num(10 ** Number(slider.value), 3))));
    return { toggle, step, stop, field, slider, error, editing: () => document.activeElement === field };
  }

  function showControls(frame) {
    if (!controls) return;
    const stopped = frame.status === "stopped";
    controls.toggle.textContent = frame.status === "paused" ? _("Resume") : _("Pause");
    [controls.toggle, controls.step, controls.stop, controls.field, controls.slider]
      .forEach((e) => { e.disabled = stopped; });
    if (!controls.editing()) controls.field.value = num(frame.lr, 3);
    if (document.activeElement !== controls.slider) controls.slider.value = Math.log10(frame.lr);
  }

  // ---- The loss curve ------------------------------------------------------------------
  const PAD = { left: 48, right: 10, top: 10, bottom: 34 };
  function drawLoss(frame) {
    lossSvg.replaceChildren();
    const losses = frame.loss.map((v, i) => [frame.step - frame.loss.length + 1 + i, v])
      .filter(([, v]) => v !== null && Number.isFinite(v));
    const x0 = PAD.left, x1 = W - PAD.right, y0 = H - PAD.bottom, y1 = PAD.top;
    make("line", { x1: x0, y1: y0, x2: x1, y2: y0, class: "crt-axis" }, lossSvg);
    make("line", { x1: x0, y1: y0, x2: x0, y2: y1, class: "crt-axis" }, lossSvg);
    if (!losses.length) return;
    const values = losses.map(([, v]) => v);
    let low = Math.min(...values), high = Math.max(...values);
    // A log scale once the loss spans more than a factor of 10: the late steps stay visible.
    const log = low > 0 && high / low > 10;
    const f = log ? Math.log10 : (v) => v;
    if (!log) { low = Math.min(0, low); }
    let a = f(low), b = f(high);
    if (log) { a = Math.floor(a); b = Math.ceil(b); }
    if (b - a < 1e-12) { b = a + 1; }
    const first = losses[0][0], lastStep = losses[losses.length - 1][0];
    const span = Math.max(1, lastStep - first);
    const X = (s) => x0 + ((s - first) / span) * (x1 - x0);
    const Y = (v) => y0 - ((f(v) - a) / (b - a)) * (y0 - y1);
    // Ticks: each power of ten on a log scale, else the bottom, middle and top.
    const ticks = log ? Array.from({ length: b - a + 1 }, (_x, k) => 10 ** (a + k))
      : [low, (low + high) / 2, high];
    ticks.forEach((t) => {
      const y = Y(t);
      make("line", { x1: x0, y1: y, x2: x1, y2: y, class: "crt-grid" }, lossSvg);
      make("text", { x: x0 - 4, y: y + 4, class: "crt-tick", "text-anchor": "end" }, lossSvg, num(t, 3));
    });
    [first, lastStep].forEach((s, k) => {
      make("text", { x: X(s), y: y0 + 14, class: "crt-tick", "text-anchor": k ? "end" : "start" }, lossSvg, String(s));
    });
    make("text", { x: (x0 + x1) / 2, y: H - 4, class: "crt-axis-label", "text-anchor": "middle" }, lossSvg, _("step"));
    const ylabel = log ? _("loss (log scale)") : _("loss");
    make("text", { x: 12, y: (y0 + y1) / 2, class: "crt-axis-label", "text-anchor": "middle",
      transform: `rotate(-90 12 ${(y0 + y1) / 2})` }, lossSvg, ylabel);
    const points = losses.map(([s, v]) => `${X(s).toFixed(1)},${Y(v).toFixed(1)}`).join(" ");
    make("polyline", { points, class: "crt-curve" }, lossSvg);
  }

  // ---- The decision boundary -----------------------------------------------------------
  const context = canvas.getContext("2d");
  const cells = document.createElement("canvas"); // one pixel per grid cell, drawn scaled up
  function drawBoundary(frame) {
    const { n, p, x, y } = frame.boundary;
    const width = 480, height = Math.round(480 * Math.min(1.2, Math.max(0.5, (y[1] - y[0]) / (x[1] - x[0]))));
    if (canvas.height !== height) canvas.height = height;
    cells.width = n; cells.height = n;
    const cellContext = cells.getContext("2d");
    const image = cellContext.createImageData(n, n);
    p.forEach((v, i) => {
      const rgb = v === null ? [128, 128, 128] : TINTS[v > 0.5 ? 1 : 0];
      const t = v === null ? 0.5 : 0.55 * Math.abs(2 * v - 1) ** 0.7; // how far from white
      for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 + (rgb[c] - 255) * t);
      image.data[4 * i + 3] = 255;
    });
    cellContext.putImageData(image, 0, 0);
    context.imageSmoothingEnabled = true;
    context.drawImage(cells, 0, 0, width, height);
    // Grid cell centres in canvas pixels; data coordinates likewise (row 0 is the top)
    const cx = (j) => ((j + 0.5) / n) * width, cy = (i) => ((i + 0.5) / n) * height;
    drawContour(n, p, cx, cy);
    const px = (a) => ((a - x[0]) / (x[1] - x[0])) * width;
    const py = (b) => ((y[1] - b) / (y[1] - y[0])) * height;
    const r = frame.points.length > 20 ? 6 : 14;
    context.lineWidth = 1.5;
    context.strokeStyle = "#ffffff";
    frame.points.forEach(([a, b, label]) => {
      context.fillStyle = CLASS_COLOURS[label ? 1 : 0];
      context.beginPath();
      if (label) context.rect(px(a) - r * 0.85, py(b) - r * 0.85, 1.7 * r, 1.7 * r); // squares
      else context.arc(px(a), py(b), r, 0, 2 * Math.PI); // circles
      context.fill();
      context.stroke();
    });
  }

  // Where p crosses 0.5, by marching squares over the cell centres: in each square of four
  // neighbouring centres, the crossings on its edges (found by linear interpolation) are joined.
  function drawContour(n, p, cx, cy) {
    const at = (i, j) => (p[i * n + j] === null ? 0 : p[i * n + j] - 0.5);
    context.strokeStyle = "#333333";
    context.lineWidth = 2;
    context.beginPath();
    for (let i = 0; i + 1 < n; i++) {
      for (let j = 0; j + 1 < n; j++) {
        const corners = [[i, j], [i, j + 1], [i + 1, j + 1], [i + 1, j]];
        const crossings = [];
        corners.forEach(([ai, aj], k) => {
          const [bi, bj] = corners[(k + 1) % 4];
          const va = at(ai, aj), vb = at(bi, bj);
          if ((va > 0) !== (vb > 0)) {
            const t = va / (va - vb);
            crossings.push([cx(aj + t * (bj - aj)), cy(ai + t * (bi - ai))]);
          }
        });
        for (let k = 0; k + 1 < crossings.length; k += 2) {
          context.moveTo(...crossings[k]);
          context.lineTo(...crossings[k + 1]);
        }
      }
    }
    context.stroke();
  }

  // ---- The network ---------------------------------------------------------------------
  let drawnSizes = "", lines = [];
  function buildNetwork(sizes) {
    netSvg.replaceChildren();
    const edges = make("g", { class: "crt-edges" }, netSvg);
    const nodes = make("g", { class: "crt-nodes" }, netSvg);
    const left = 30, right = W - 30, top = 14, bottom = H - 14;
    const colX = (l) => left + (l / (sizes.length - 1)) * (right - left);
    // Each column centred, its neurons at most 40 units apart (a short column stays compact)
    const gap = (l) => Math.min(40, (bottom - top) / Math.max(1, sizes[l] - 1));
    const rowY = (l, j) => (top + bottom) / 2 + (j - (sizes[l] - 1) / 2) * gap(l);
    const radius = Math.max(3, Math.min(10, (bottom - top) / Math.max(...sizes) / 2.6));
    lines = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const layer = [];
      for (let j = 0; j < sizes[l + 1]; j++) {
        const row = [];
        for (let i = 0; i < sizes[l]; i++) {
          row.push(make("line", { x1: colX(l), y1: rowY(l, i), x2: colX(l + 1), y2: rowY(l + 1, j),
            class: "crt-weight" }, edges));
        }
        layer.push(row);
      }
      lines.push(layer);
    }
    sizes.forEach((size, l) => {
      for (let j = 0; j < size; j++) {
        make("circle", { cx: colX(l), cy: rowY(l, j), r: radius, class: "crt-neuron" }, nodes);
      }
    });
    ["x0", "x1"].slice(0, sizes[0]).forEach((name, i) => {
      make("text", { x: colX(0) - radius - 3, y: rowY(0, i) + 4, class: "crt-tick", "text-anchor": "end" }, nodes, name);
    });
    drawnSizes = JSON.stringify(sizes);
  }

  function drawNetwork(frame) {
    const { sizes, grads, weights } = frame.network;
    if (JSON.stringify(sizes) !== drawnSizes) buildNetwork(sizes);
    let biggest = 0;
    grads.forEach((layer) => layer.forEach((row) => row.forEach((g) => {
      if (g !== null && Number.isFinite(g)) biggest = Math.max(biggest, Math.abs(g));
    })));
    grads.forEach((layer, l) => layer.forEach((row, j) => row.forEach((g, i) => {
      const line = lines[l][j][i];
      const share = biggest > 0 && g !== null ? Math.abs(g) / biggest : 0;
      line.setAttribute("stroke", g > 0 ? POSITIVE : g < 0 ? NEGATIVE : ZERO);
      line.setAttribute("stroke-width", (0.4 + 4 * share).toFixed(2));
      line.setAttribute("stroke-opacity", (0.25 + 0.75 * share).toFixed(2));
      const w = weights[l][j][i];
      line.dataset.weight = w === null ? "" : String(w);
      line.dataset.grad = g === null ? "" : String(g);
    })));
  }

  // ---- One frame -----------------------------------------------------------------------
  function update(frame) {
    if (!frame || frame.type !== "frame") return;
    last = frame;
    title.textContent = TITLES[frame.task] || _("Live training");
    const current = frame.loss.length ? frame.loss[frame.loss.length - 1] : null;
    stat.step.textContent = format(_("step {step}"), { step: frame.step });
    stat.loss.textContent = format(_("loss {loss}"), { loss: num(current) });
    stat.accuracy.textContent = format(_("accuracy {accuracy}"), { accuracy: `${Math.round(100 * frame.accuracy)}%` });
    stat.lr.textContent = format(_("{optimizer}, learning rate {lr}"), { optimizer: frame.optimizer || "SGD", lr: num(frame.lr, 3) });
    const states = { running: _("Training is running"), paused: _("Training is paused"), stopped: _("Training stopped") };
    let said = states[frame.status] || states.running;
    if (frame.diverged) said = _("The loss grew too large to be a number: lower the learning rate, or start again.");
    if (status.textContent !== said) status.textContent = said;
    root.classList.toggle("crt-diverged", Boolean(frame.diverged));
    showControls(frame);
    drawLoss(frame);
    drawBoundary(frame);
    drawNetwork(frame);
  }

  return { update };
};
