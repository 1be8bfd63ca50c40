// The backprop player: steps through data.steps over the SVG that Graphviz laid out once.
// Step s < n computes the value of node s; step n + b finishes the b-th gradient going
// backwards, so node i's value is known from step i and its gradient from step 2n - 1 - i.
// Every text from the graph is put in with textContent, never parsed as HTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("cr-data").textContent);
  const nodes = data.nodes, steps = data.steps, n = nodes.length, total = steps.length;
  const $ = (id) => document.getElementById(id);
  const graph = $("graph"), svg = graph.querySelector("svg");
  const el = {};
  svg.querySelectorAll("[id]").forEach((e) => { el[e.id] = e; });
  const SPEEDS = [3000, 2000, 1300, 800, 450]; // milliseconds per step, slow to fast
  const LIT = ["cr-current", "cr-context", "cr-op", "cr-flow", "cr-future"];
  let at = 0, timer = null, quiz = Boolean(data.quiz);
  let answers = {}; // step index -> {typed, right}
  const full = svg.viewBox.baseVal, whole = [full.x, full.y, full.width, full.height];
  const READABLE = 1.2; // screen pixels per SVG point at which an 11 pt label reads easily
  let zoom = 1, shownBox = whole.slice(), frame = null;

  const valueStep = (i) => i;
  const gradStep = (i) => 2 * n - 1 - i;
  const waiting = () => quiz && steps[at].phase === "backward" && !(at in answers);
  const cellText = (i, word) => { const g = el[`v${i}-${word}`]; return g ? g.querySelector("text") : null; };

  function setCell(i, word, text, isNew) {
    const t = cellText(i, word);
    if (!t) return;
    t.textContent = text === null ? "?" : text;
    t.classList.toggle("cr-unknown", text === null);
    t.classList.toggle("cr-new", Boolean(isNew));
  }

  function mark(id, cls) { if (el[id]) el[id].classList.add(cls); }

  function drawGraph() {
    const step = steps[at], hide = waiting();
    graph.className = "phase-" + step.phase;
    svg.querySelectorAll("." + LIT.join(",.")).forEach((e) => e.classList.remove(...LIT));
    nodes.forEach((node, i) => {
      const future = at < valueStep(i);
      if (future) {
        [`v${i}`, `o${i}`, `r${i}`].forEach((id) => mark(id, "cr-future"));
        node.inputs.forEach((_, k) => mark(`e${i}_${k}`, "cr-future"));
      }
      setCell(i, "data", future ? null : node.data, at === valueStep(i));
      const known = at > gradStep(i) || (at === gradStep(i) && !hide);
      setCell(i, "grad", known ? node.grad : null, at === gradStep(i) && known);
      node.inputs.forEach((j, k) => {
        // An edge's numbers (local derivative, what it adds) arrive with its input's gradient.
        const edge = el[`e${i}_${k}`];
        if (!edge) return;
        const shown = at >= gradStep(j);
        edge.querySelectorAll("text").forEach((t) => {
          const adds = t.textContent.trim().startsWith("+=");
          t.classList.toggle("cr-gone", !shown || (adds && hide && at === gradStep(j)));
        });
      });
    });
    step.context.forEach((i) => mark(`v${i}`, "cr-context"));
    step.flow.forEach((id) => {
      mark(id, "cr-flow");
      if (id[0] === "r") mark("o" + id.slice(1), "cr-op");
    });
    mark(`v${step.node}`, "cr-current");
  }

  function lines(box, texts, classes) {
    box.replaceChildren();
    texts.forEach((text, k) => {
      const div = document.createElement("div");
      // Keep "d L/d v17" on one line: a derivative split over two lines is hard to read.
      div.textContent = text.replace(/\bd (\S+?)\/d (\S+)/g, "d\u00a0$1/d\u00a0$2");
      if (classes) div.className = classes(k, texts.length);
      box.appendChild(div);
    });
  }

  function drawPanel() {
    const step = steps[at], hide = waiting(), forward = step.phase === "forward";
    $("phase").textContent = forward ? "Forward pass" : "Backward pass";
    $("phase").className = "phase " + step.phase;
    $("heading").textContent = step.heading;
    const shown = hide ? step.lines : step.lines.concat(step.answer);
    lines($("lines"), shown, (k, count) => {
      if (forward) return "result forward";
      return (k > 0 ? "cont" : "") + (k === count - 1 && !hide ? " result" : "");
    });
    const ask = $("ask");
    ask.hidden = !hide;
    if (hide) {
      $("ask-label").textContent = `Your turn: ${step.ask} = ?`;
    }
    const verdict = $("verdict"), answer = answers[at];
    verdict.className = "";
    verdict.textContent = "";
    if (!forward && answer) {
      verdict.className = answer.right ? "right" : "wrong";
      verdict.textContent = answer.right
        ? `\u2713 Right: you typed ${answer.typed}`
        : `\u2717 Not quite: you typed ${answer.typed}. ${step.ask} = ${nodes[step.node].grad}`;
    }
    const uses = hide ? [] : step.uses;
    const title = uses.length > 1 ? `Used ${uses.length} times, so the uses add up:` : "Used once:";
    lines($("uses"), uses.length ? [title].concat(uses.flat()) : [],
      (k) => (k === 0 ? "title" : (k % 2 ? "via" : "product")));
    $("why").textContent = hide || !step.why ? "" : `(${step.why})`;
    $("note").textContent = step.note;
    const done = Object.values(answers);
    $("score").textContent = quiz
      ? `Quiz: ${done.filter((a) => a.right).length} right out of ${done.length} answered`
      : "";
    $("counter").textContent = `step ${at + 1} / ${total}`;
    $("prev").disabled = at === 0;
    $("next").disabled = at === total - 1;
    $("quiz").checked = quiz;
  }

  // The camera: at zoom 1 the whole graph fits; zoomed in, it follows the current step.
  function focusBox() {
    const step = steps[at], ids = [`v${step.node}`].concat(step.context.map((i) => `v${i}`), step.flow);
    const base = el.graph0;
    const m = base ? base.transform.baseVal.consolidate() : null;
    const t = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 };
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    ids.forEach((id) => {
      if (!el[id]) return;
      const b = el[id].getBBox();
      x0 = Math.min(x0, t.a * b.x + t.e); y0 = Math.min(y0, t.d * b.y + t.f);
      x1 = Math.max(x1, t.a * (b.x + b.width) + t.e); y1 = Math.max(y1, t.d * (b.y + b.height) + t.f);
    });
    return [(x0 + x1) / 2, (y0 + y1) / 2];
  }

  function target() {
    if (zoom <= 1) return whole.slice();
    // A window the shape of the pane, `zoom` times closer than the fitted picture.
    const pane = graph.getBoundingClientRect();
    const scale = zoom * Math.min(pane.width / whole[2], pane.height / whole[3]);
    const w = pane.width / scale, h = pane.height / scale, [cx, cy] = focusBox();
    const clamp = (c, size, lo, span) =>
      size >= span ? lo + (span - size) / 2 : Math.max(lo, Math.min(lo + span - size, c - size / 2));
    return [clamp(cx, w, whole[0], whole[2]), clamp(cy, h, whole[1], whole[3]), w, h];
  }

  function moveCamera() {
    const from = shownBox.slice(), to = target();
    let start = null; // the first frame's own clock: performance.now() may run ahead of it
    if (frame !== null) cancelAnimationFrame(frame);
    const tick = (now) => {
      if (start === null) start = now;
      const u = Math.min(1, Math.max(0, (now - start) / 350)), ease = u * (2 - u);
      shownBox = from.map((v, k) => v + (to[k] - v) * ease);
      svg.setAttribute("viewBox", shownBox.join(" "));
      frame = u < 1 ? requestAnimationFrame(tick) : null;
    };
    frame = requestAnimationFrame(tick);
  }

  function setZoom(z) {
    zoom = Math.max(1, Math.min(8, z));
    $("zoom-fit").textContent = zoom > 1 ? `${zoom.toFixed(1)}\u00d7` : "Fit";
    moveCamera();
  }

  function startZoom() {
    // Big graphs start zoomed in far enough to read, following the step; small ones fit.
    const pane = graph.getBoundingClientRect();
    const fit = Math.min(pane.width / whole[2], pane.height / whole[3]);
    return fit > 0 && fit < READABLE ? Math.round((READABLE / fit) * 2) / 2 : 1;
  }

  function draw() {
    drawGraph();
    drawPanel();
    moveCamera();
    if (waiting()) {
      stop();
      $("answer").value = "";
      $("answer").focus();
    }
  }

  function go(s) {
    at = Math.max(0, Math.min(total - 1, s));
    draw();
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = "Play";
  }

  function play() {
    if (timer !== null) return stop();
    if (at === total - 1) go(0);
    $("play").textContent = "Pause";
    timer = setInterval(() => (at >= total - 1 ? stop() : go(at + 1)), SPEEDS[Number($("speed").value)]);
  }

  function parseNumber(text) {
    const s = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    const num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?";
    const fraction = s.match(new RegExp(`^(${num})\\s*/\\s*(${num})$`, "i"));
    if (fraction) return Number(fraction[1]) / Number(fraction[2]);
    return new RegExp(`^${num}$`, "i").test(s) ? Number(s) : NaN;
  }

  function check(event) {
    event.preventDefault();
    const typed = $("answer").value.trim(), value = parseNumber(typed), want = steps[at].grad;
    if (!Number.isFinite(value)) {
      $("verdict").className = "invalid";
      $("verdict").textContent = "Type a number, like -4, 0.5 or 1/3.";
      return;
    }
    // Numbers on the page have 4 significant digits: accept 1% (and a little absolute) slack.
    const right = want !== null && Math.abs(value - want) <= 1e-3 + 1e-2 * Math.abs(want);
    answers[at] = { typed, right };
    $("answer").blur();
    draw();
  }

  $("next").addEventListener("click", () => { stop(); go(at + 1); });
  $("prev").addEventListener("click", () => { stop(); go(at - 1); });
  $("reset").addEventListener("click", () => { stop(); answers = {}; go(0); });
  $("play").addEventListener("click", play);
  $("zoom-in").addEventListener("click", () => setZoom(zoom * 1.5));
  $("zoom-out").addEventListener("click", () => setZoom(zoom / 1.5));
  $("zoom-fit").addEventListener("click", () => setZoom(zoom > 1 ? 1 : startZoom()));
  $("speed").addEventListener("input", () => { if (timer !== null) { stop(); play(); } });
  $("quiz").addEventListener("change", () => { quiz = $("quiz").checked; draw(); });
  $("ask").addEventListener("submit", check);
  svg.querySelectorAll("a").forEach((a) => a.addEventListener("click", (e) => e.preventDefault()));
  document.addEventListener("keydown", (event) => {
    const typing = event.target === $("answer") && $("answer").value !== "";
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    const key = event.key;
    if (key === "ArrowRight" || key === "PageDown") { stop(); go(at + 1); }
    else if (key === "ArrowLeft" || key === "PageUp") { stop(); go(at - 1); }
    else if (key === "Home") { stop(); go(0); }
    else if (key === "End") { stop(); go(total - 1); }
    else if (key === " " && event.target !== $("answer")) play();
    else if (key === "+" || key === "=") setZoom(zoom * 1.5);
    else if (key === "-") setZoom(zoom / 1.5);
    else if (key === "0") setZoom(1);
    else if ((key === "q" || key === "Q") && event.target !== $("answer")) { quiz = !quiz; draw(); }
    else return;
    event.preventDefault();
  });
  zoom = startZoom();
  setZoom(zoom);
  go(0);
})();
