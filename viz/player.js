// The backprop player: steps through data.steps over the SVG that Graphviz laid out once.
// Forward steps compute values, backward steps finish gradients. Each node carries the step
// that computes its value (value_step) and the one that finishes its gradient (grad_step);
// null means the walk gives it no step of its own, and then its numbers are simply shown.
// Forward mode's steps (phase "tangent") find a node's value and its tangent together
// (tangent_step, the same step); a page of forward mode alone has no gradients at all.
// Every text from the graph goes in with textContent, never parsed as HTML.
// Every word the script writes is marked _("...") (Babel extracts them into the player
// catalog); player.py puts the page's language's translations in data.messages.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("cr-data").textContent);
  const translated = new Map(Object.entries(data.messages || {}));
  // _("Play"): the word in the page's language, else the English it is written in.
  const _ = (text) => translated.get(text) || text;
  // format(_("step {n} / {total}"), {n: 3, total: 12}): placeholders are filled after the
  // sentence is translated, as Python's str.format does, since Chinese puts them elsewhere.
  const format = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  const nodes = data.nodes, steps = data.steps, total = steps.length;
  const hasGrad = steps.some((step) => step.phase === "backward");
  // The steps that ask something in a quiz: each gradient, and in forward mode each tangent.
  const asks = (s) => steps[s].phase === "backward" || steps[s].phase === "tangent";
  // The answer to step `step`'s question: as shown, and the exact number it is checked against.
  const answerOf = (step) => (step.phase === "tangent"
    ? { shown: nodes[step.node].tangent, exact: nodes[step.node].tangent_exact }
    : { shown: nodes[step.node].grad, exact: nodes[step.node].exact });
  const $ = (id) => document.getElementById(id);
  const graph = $("graph"), svg = $("graph-svg"), answerBox = $("answer");
  const el = {};
  svg.querySelectorAll("[id]").forEach((e) => { el[e.id] = e; });
  const SPEEDS = [3000, 2000, 1300, 800, 450]; // milliseconds per step, slow to fast
  let at = 0, timer = null, quiz = Boolean(data.quiz);
  let answers = {}; // step index -> {tries: [typed, ...], right, revealed}
  // The live classroom (classroom/static/teacher.js) drives this page through
  // window.chainrulePlayer (at the end). While the room answers about step `held`, the number
  // that step finds stays "?" on the graph, and at that step the panel hides it as a quiz
  // question would, with `heldLine` ("The room is answering: ∂f/∂x = ?") in its place.
  let held = null, heldLine = "";
  const CELL = { forward: "data", backward: "grad", tangent: "tangent" }; // what a phase finds
  const heldBack = (i, word) => held !== null && steps[held].node === i && CELL[steps[held].phase] === word;
  const holding = () => held !== null && held === at;

  // ---- Which element draws which node --------------------------------------------------
  // A node's element is its own box v{i}, or the folded box it sits in (several nodes).
  const members = {}; // element id -> the node indices it draws
  nodes.forEach((node, i) => { (members[node.element] = members[node.element] || []).push(i); });
  const elements = Object.keys(members).filter((id) => el[id]);
  // An element shows the numbers of the last node it draws: its own node, or a box's output.
  const owner = (id) => members[id][members[id].length - 1];
  // Click targets: a node's element, and its op ellipse and the edge out of it (o{i}, r{i}).
  const clickable = {};
  elements.forEach((id) => { clickable[id] = members[id]; });
  nodes.forEach((node, i) => ["o", "r"].forEach((c) => { if (el[c + i]) clickable[c + i] = [i]; }));
  // An edge's texts, read once: the local derivative, and what it adds (`+= ...`).
  const edgeTexts = {};
  nodes.forEach((node, i) => node.inputs.forEach((j, k) => {
    const edge = el[`e${i}_${k}`];
    if (edge) edgeTexts[edge.id] = [...edge.querySelectorAll("text")];
  }));
  const cells = {}; // "v3-grad" -> the <text> that shows the number
  const cellText = (i, word) => {
    const id = `v${i}-${word}`;
    if (!(id in cells)) cells[id] = el[id] ? el[id].querySelector("text") : null;
    return cells[id];
  };

  // ---- What is known at step `at` ------------------------------------------------------
  const reached = (s) => s === null || at >= s;
  const record = (s) => answers[s];
  const settled = (s) => Boolean(record(s) && (record(s).right || record(s).revealed));
  // A backward (or tangent) step in quiz mode is an open question until answered or revealed.
  const isOpen = (s) => quiz && asks(s) && !settled(s);
  const waiting = () => isOpen(at) && !holding(); // the room's question, not the quiz's
  // A number found at step s is shown from then on, except while its own question is open.
  const shownFrom = (s) => s === null || at > s || (at === s && !waiting());
  const gradKnown = (i) => shownFrom(nodes[i].grad_step) && !heldBack(i, "grad");
  const tangentKnown = (i) => shownFrom(nodes[i].tangent_step) && !heldBack(i, "tangent");
  const valueKnown = (i) => reached(nodes[i].value_step) && !heldBack(i, "data");
  // An edge's local derivative is used by forward mode at its op's step, by backprop at its
  // input's: it is shown from the first of them.
  const localKnown = (i, j) => ("tangent_step" in nodes[i] && reached(nodes[i].tangent_step)) ||
    (hasGrad && reached(nodes[j].grad_step));

  // ---- The graph: numbers, what is lit, what a screen reader hears ---------------------
  function setCell(i, word, text, isNew) {
    // Only what changed is written: a big graph then redraws in a few milliseconds a step.
    const t = cellText(i, word), shown = text === null ? "?" : text;
    if (!t) return;
    if (t.textContent !== shown) t.textContent = shown;
    t.classList.toggle("cr-unknown", text === null);
    t.classList.toggle("cr-new", Boolean(isNew));
  }

  // What is lit (cr-current, cr-flow, ...) is gathered for the whole step, then only the
  // classes that differ from the last step are changed: restyling a big graph is the slow part.
  let marked = new Map(), marking = null; // element id -> its set of classes
  function mark(id, cls) {
    if (!el[id]) return;
    if (!marking.has(id)) marking.set(id, new Set());
    marking.get(id).add(cls);
  }

  function applyMarks() {
    marked.forEach((old, id) => old.forEach((c) => {
      if (!marking.has(id) || !marking.get(id).has(c)) el[id].classList.remove(c);
    }));
    marking.forEach((now, id) => now.forEach((c) => {
      if (!marked.has(id) || !marked.get(id).has(c)) el[id].classList.add(c);
    }));
    marked = marking;
  }

  function drawNumbers() {
    nodes.forEach((node, i) => {
      const computed = reached(node.value_step);
      if (!computed) {
        [`o${i}`, `r${i}`].forEach((id) => mark(id, "cr-future"));
        node.inputs.forEach((j, k) => mark(`e${i}_${k}`, "cr-future"));
      }
      const known = valueKnown(i);
      setCell(i, "data", known ? node.data : null, known && at === node.value_step);
      if ("tangent" in node) {
        const known = tangentKnown(i);
        setCell(i, "tangent", known ? node.tangent : null, known && at === node.tangent_step);
      }
      if (hasGrad) {
        const known = gradKnown(i);
        setCell(i, "grad", known ? node.grad : null, known && at === node.grad_step);
      }
      node.inputs.forEach((j, k) => {
        // An edge's local derivative arrives when it is first used; in a quiz its `+=` waits
        // for the answer, since it is the very product the student is asked for.
        (edgeTexts[`e${i}_${k}`] || []).forEach((t) => {
          const adds = t.textContent.trim().startsWith("+=");
          t.classList.toggle("cr-gone", adds ? !(hasGrad && gradKnown(j)) : !localKnown(i, j));
        });
      });
    });
    elements.forEach((id) => {
      if (!members[id].some((i) => reached(nodes[i].value_step))) mark(id, "cr-future");
    });
  }

  function drawGraph() {
    const step = steps[at];
    graph.className = "phase-" + step.phase;
    marking = new Map();
    drawNumbers();
    step.context.forEach((i) => mark(nodes[i].element, "cr-context"));
    step.flow.forEach((id) => {
      mark(id, "cr-flow");
      if (id[0] === "r") mark("o" + id.slice(1), "cr-op");
    });
    mark(nodes[step.node].element, "cr-current");
    applyMarks();
    elements.forEach(labelElement);
  }

  function labelElement(id) {
    // The name and numbers as text, for a screen reader; a hidden gradient stays hidden.
    const i = owner(id), node = nodes[i];
    const value = valueKnown(i)
      ? format(_("value {value}"), { value: node.data }) : _("value not computed yet");
    const grad = hasGrad && gradKnown(i)
      ? format(_("gradient {grad}"), { grad: node.grad }) : _("gradient not known yet");
    const tangent = "tangent" in node && tangentKnown(i)
      ? format(_("tangent {tangent}"), { tangent: node.tangent }) : _("tangent not known yet");
    const said = { name: node.name, value, grad, tangent };
    let label;
    // TRANSLATORS: a node read out by a screen reader: its name, then value, then gradient.
    if (!("tangent" in node)) label = format(_("{name}: {value}, {grad}"), said);
    // TRANSLATORS: a node read out by a screen reader in forward mode: name, value, tangent.
    else if (!hasGrad) label = format(_("{name}: {value}, {tangent}"), said);
    // TRANSLATORS: a node read out by a screen reader: name, value, tangent, gradient.
    else label = format(_("{name}: {value}, {tangent}, {grad}"), said);
    if (el[id].getAttribute("aria-label") !== label) el[id].setAttribute("aria-label", label);
  }

  // ---- The panel: narration, quiz, score -----------------------------------------------
  // A derivative such as ∂总价/∂小计 or ∂y/∂(w.x + b) never breaks inside a name (CJK text
  // may otherwise break between any two characters): each piece between the spaces and after
  // the `/` is kept whole, and a line may break only there. A name is letters, digits, `_`
  // and `.`, or anything in (one level of) brackets, or a call such as σ(u2), as
  // viz/notation.py writes them.
  const NAME = String.raw`(?:[\p{L}\p{M}\p{N}_.]*\((?:[^()]|\([^()]*\))*\)|[\p{L}\p{M}\p{N}_.]+)`;
  const DERIVATIVE = new RegExp(`∂${NAME}/∂${NAME}`, "gu");

  const SHORT = 24; // characters: a derivative this short is never broken at all

  function derivative(text) {
    const unit = document.createElement("span");
    unit.className = "derivative";
    const halves = text.length <= SHORT ? [text] : text.split(/(?<=\/)(?=∂)/);
    halves.forEach((half, h) => {
      if (h > 0) unit.append(document.createElement("wbr"));
      (text.length <= SHORT ? [half] : half.split(" ")).forEach((piece, k) => {
        if (k > 0) unit.append(" ");
        const whole = document.createElement("span");
        whole.className = "piece";
        whole.textContent = piece;
        unit.append(whole);
      });
    });
    return unit;
  }

  function writeMath(box, text) {
    box.replaceChildren();
    let from = 0;
    for (const found of text.matchAll(DERIVATIVE)) {
      box.append(text.slice(from, found.index), derivative(found[0]));
      from = found.index + found[0].length;
    }
    box.append(text.slice(from));
  }

  function writeLines(box, texts, classes) {
    box.replaceChildren();
    texts.forEach((text, k) => {
      const div = document.createElement("div");
      writeMath(div, text);
      if (classes) div.className = classes(k, texts.length);
      box.appendChild(div);
    });
  }

  function drawPanel() {
    const step = steps[at], hide = waiting() || holding(), forward = step.phase === "forward";
    const tangent = step.phase === "tangent";
    if (tangent) {
      // TRANSLATORS: the phase of a forward-mode step; {dot} is the chosen input's tangent, ẋ
      $("phase").textContent = format(_("Forward mode, {dot} = 1"), { dot: data.wrt_dot });
    } else $("phase").textContent = forward ? _("Forward pass") : _("Backward pass");
    $("phase").className = "phase " + step.phase;
    writeMath($("heading"), step.heading);
    // (a forward step's line ends in the value: held, it goes)
    const shown = holding() && forward ? [] : hide ? step.lines : step.lines.concat(step.answer);
    // A tangent step: the value's line, the tangent's in symbols, then its numbers; the last
    // of those that is not a bracketed reason, "(...)" or "（...）", is the tangent found.
    const reason = (text) => /^[(\uff08]/.test(text);
    const result = tangent && !hide ? shown.map((text) => !reason(text)).lastIndexOf(true) : -1;
    writeLines($("lines"), shown, (k, count) => {
      if (forward || (tangent && k === 0)) return "result forward";
      if (tangent && reason(shown[k])) return "reason";
      if (tangent) return (shown[k].startsWith("=") ? "cont" : "") + (k === result ? " result tangent" : "");
      return (k > 0 ? "cont" : "") + (k === count - 1 && !hide ? " result" : "");
    });
    $("ask").hidden = !waiting();
    if (waiting()) writeMath($("ask-label"), format(_("Your turn: {ask} = ?"), { ask: step.ask }));
    drawVerdict();
    drawUses(hide ? [] : step.uses);
    // TRANSLATORS: why a gradient is what it is (zero, say), in brackets under the lines.
    const why = tangent ? step.why : format(_("({why})"), { why: step.why });
    writeMath($("why"), hide || !step.why ? "" : why); // a tangent's: a plain sentence
    writeMath($("note"), step.note);
    writeMath($("after"), hide ? "" : step.after || ""); // what the answer would give away
    drawScore();
    $("counter").textContent = format(_("step {n} / {total}"), { n: at + 1, total });
    $("prev").disabled = at === 0;
    $("next").disabled = at === total - 1;
    $("quiz").checked = quiz;
    announce(step, hide, shown);
  }

  function drawUses(uses) {
    // Each use of the node: the op that used it ("via q = x + y"), then its lines indented.
    const box = $("uses");
    box.replaceChildren();
    if (!uses.length) return;
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = uses.length > 1
      ? format(_("Used {n} times, so the uses add up:"), { n: uses.length }) : _("Used once:");
    box.append(title);
    uses.forEach(([via, ...rest]) => {
      const group = document.createElement("div");
      group.className = "use";
      writeLines(group, [via].concat(rest), (k) => (k === 0 ? "via" : "product"));
      box.append(group);
    });
  }

  function drawVerdict() {
    // What the student's answers at this step earned, and the hints a wrong try unlocked.
    const step = steps[at], rec = record(at), verdict = $("verdict");
    if (holding()) { // the room is answering: no verdict of the page's own
      verdict.className = "";
      writeMath(verdict, heldLine);
      $("hint").replaceChildren();
      return;
    }
    const answer = `${step.ask} = ${asks(at) ? answerOf(step).shown : ""}`;
    let text = "", kind = "";
    if (asks(at) && rec) {
      const typed = rec.tries[rec.tries.length - 1], words = { typed, answer };
      if (rec.right) {
        text = rec.tries.length > 1
          ? _("\u2713 Right at the second try: you typed {typed}") : _("\u2713 Right: you typed {typed}");
        kind = "right";
      } else if (rec.revealed) {
        text = typed === undefined ? _("Shown: {answer}") : _("\u2717 Not quite: you typed {typed}. {answer}");
        kind = typed === undefined ? "shown" : "wrong";
      } else {
        text = _("\u2717 Not yet: you typed {typed}. Try once more.");
        kind = "wrong";
      }
      text = format(text, words);
    }
    verdict.className = kind;
    writeMath(verdict, text);
    const hints = waiting() && rec ? (step.hints || []).slice(0, rec.tries.length) : [];
    writeLines($("hint"), hints.map((hint) => format(_("Hint: {hint}"), { hint })));
  }

  function tell(text, kind) {
    // A passing message (a number we cannot read, a question still open) in the verdict line.
    $("verdict").className = kind;
    writeMath($("verdict"), text);
  }

  function announce(step, hide, shown) {
    // One sentence per step for a screen reader; during a question, without the answer.
    const said = [format(_("Step {n} of {total}."), { n: at + 1, total }),
      // TRANSLATORS: the step's heading as a sentence: only the full stop is yours.
      format(_("{heading}."), { heading: step.heading })];
    said.push(...shown);
    if (holding()) said.push(heldLine);
    else if (hide) said.push(format(_("Your turn: type {ask}."), { ask: step.ask }));
    else if (step.after) said.push(step.after);
    $("say").textContent = said.join(" ");
  }

  // ---- The camera: the SVG viewBox is a window onto the graph, the shape of the pane ---
  // Zoom 1 fits the whole graph. Zoomed in, each step keeps the window where it is if its
  // node and lit edges are inside, and otherwise centres on them; a step whose lit edges are
  // wider than the window widens the window for that step, so nothing lit is ever cut off.
  const full = svg.viewBox.baseVal, whole = [full.x, full.y, full.width, full.height];
  const READABLE = 1.2; // screen pixels per SVG point at which an 11 pt label reads easily
  const MAX_ZOOM = 8, MARGIN = 24; // the margin in screen pixels around what must show
  const GLIDE = 350; // milliseconds; none when the reader asks for reduced motion
  const stillCamera = window.matchMedia("(prefers-reduced-motion: reduce)");
  const boxes = {};
  let zoom = 1, view = whole.slice(), frame = null;
  // The pane's size in screen pixels, kept by a ResizeObserver: asking the page for it on
  // every step would make the browser lay the page out once more per step.
  let pane = svg.getBoundingClientRect();

  function userBox(id) {
    // An element's box in viewBox units: Graphviz puts everything in one scale + translate.
    if (!(id in boxes)) {
      const m = el.graph0 ? el.graph0.transform.baseVal.consolidate() : null;
      const t = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 }, b = el[id].getBBox();
      boxes[id] = [t.a * b.x + t.e, t.d * b.y + t.f, t.a * b.width, t.d * b.height];
    }
    return boxes[id];
  }

  function unionBox(ids) {
    const found = ids.filter((id) => el[id]).map(userBox);
    if (!found.length) return null;
    const x0 = Math.min(...found.map((b) => b[0])), y0 = Math.min(...found.map((b) => b[1]));
    const x1 = Math.max(...found.map((b) => b[0] + b[2])), y1 = Math.max(...found.map((b) => b[1] + b[3]));
    return [x0, y0, x1 - x0, y1 - y0];
  }

  const stepBox = () => unionBox([nodes[steps[at].node].element].concat(steps[at].flow));

  function windowSize(z) {
    // The window that shows the graph `z` times closer than fitted, in viewBox units.
    const scale = z * Math.min(pane.width / whole[2], pane.height / whole[3]);
    return [pane.width / scale, pane.height / scale];
  }

  const centred = (box, [w, h]) => [box[0] + box[2] / 2 - w / 2, box[1] + box[3] / 2 - h / 2, w, h];

  function clampToGraph([x, y, w, h]) {
    // Keep the window over the graph; wider than the graph, centre it.
    const fit = (v, size, lo, span) =>
      size >= span ? lo + (span - size) / 2 : Math.max(lo, Math.min(lo + span - size, v));
    return [fit(x, w, whole[0], whole[2]), fit(y, h, whole[1], whole[3]), w, h];
  }

  function showing(win, focus) {
    // The window around `focus`: `win` if it holds it with a margin, else one centred on it.
    if (!focus) return clampToGraph(win);
    const pad = (MARGIN * win[2]) / Math.max(1, pane.width);
    const need = [focus[0] - pad, focus[1] - pad, focus[2] + 2 * pad, focus[3] + 2 * pad];
    const grow = Math.max(1, need[2] / win[2], need[3] / win[3]);
    let w = win.slice();
    if (grow > 1) w = centred(need, [win[2] * grow, win[3] * grow]);
    const inside = need[0] >= w[0] && need[1] >= w[1] &&
      need[0] + need[2] <= w[0] + w[2] && need[1] + need[3] <= w[1] + w[3];
    return clampToGraph(inside ? w : centred(need, [w[2], w[3]]));
  }

  function moveTo(box, glide) {
    // Show `box`: at once, or gliding there over GLIDE ms (the glide reads its own clock).
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    const from = view.slice();
    const put = (b) => { view = b; svg.setAttribute("viewBox", b.join(" ")); };
    if (!glide || stillCamera.matches) return put(box);
    let start = null;
    const tick = (now) => {
      if (start === null) start = now;
      const u = Math.min(1, Math.max(0, (now - start) / GLIDE)), ease = u * (2 - u);
      put(from.map((v, k) => v + (box[k] - v) * ease));
      frame = u < 1 ? requestAnimationFrame(tick) : null;
    };
    frame = requestAnimationFrame(tick);
  }

  function follow(glide = true) {
    // The user's zoom, around where the window is, moved if the step would fall outside.
    if (pane.width === 0) return; // not laid out (a hidden iframe)
    moveTo(showing(centred(view, windowSize(zoom)), stepBox()), glide);
  }

  function setZoom(z) {
    zoom = Math.max(1, Math.min(MAX_ZOOM, z));
    $("zoom-fit").textContent = zoom > 1 ? `${zoom.toFixed(1)}\u00d7` : _("Fit");
  }

  function readableZoom() {
    // Big graphs start zoomed in far enough to read, following the step; small ones fit.
    const fit = Math.min(pane.width / whole[2], pane.height / whole[3]);
    return fit > 0 && fit < READABLE ? Math.round((READABLE / fit) * 2) / 2 : 1;
  }

  function zoomBy(factor) { setZoom(zoom * factor); follow(); }

  function pointerAt(event) {
    // Where the pointer is, in viewBox units.
    const r = svg.getBoundingClientRect();
    return [view[0] + ((event.clientX - r.left) / r.width) * view[2],
      view[1] + ((event.clientY - r.top) / r.height) * view[3]];
  }

  function wheelZoom(event) {
    // Zoom towards the pointer: the point under it stays under it.
    event.preventDefault();
    const [px, py] = pointerAt(event), old = view.slice();
    setZoom(zoom * Math.exp(-event.deltaY * 0.002));
    const [w, h] = windowSize(zoom);
    moveTo(clampToGraph([px - ((px - old[0]) * w) / old[2], py - ((py - old[1]) * h) / old[3], w, h]), false);
  }

  // Drag to pan. A press that hardly moves is a click (on a node: jump to its step).
  let drag = null, dragged = false;
  function startDrag(event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, from: view.slice() };
    dragged = false;
  }
  function moveDrag(event) {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!dragged && Math.hypot(dx, dy) < 5) return;
    if (!dragged) svg.setPointerCapture(event.pointerId);
    dragged = true;
    graph.classList.add("dragging");
    const f = drag.from;
    moveTo(clampToGraph([f[0] - (dx * f[2]) / pane.width, f[1] - (dy * f[3]) / pane.height, f[2], f[3]]), false);
  }
  function endDrag() { drag = null; graph.classList.remove("dragging"); }

  // ---- Moving through the steps --------------------------------------------------------
  function draw() {
    drawGraph();
    drawPanel();
    follow();
    if (waiting()) {
      stop();
      answerBox.value = "";
      answerBox.focus();
    }
    document.dispatchEvent(new CustomEvent("chainrule:step", { detail: { at } }));
  }

  function go(s) {
    // Forward moves stop at the first open question on the way: nothing skips one unseen.
    s = Math.max(0, Math.min(total - 1, s));
    if (s > at && waiting()) {
      tell(format(_("Answer first, or press Reveal (R) to see {ask}."), { ask: steps[at].ask }), "invalid");
      return false;
    }
    for (let k = at + 1; k < s; k++) if (isOpen(k)) { s = k; break; }
    at = s;
    draw();
    return true;
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    $("play").textContent = _("Play");
  }

  function play() {
    if (timer !== null) return stop();
    if (at === total - 1) go(0);
    $("play").textContent = _("Pause");
    timer = setInterval(() => { if (at >= total - 1 || !go(at + 1)) stop(); }, SPEEDS[Number($("speed").value)]);
  }

  function stepOf(id) {
    // The step of a clicked element in the phase on screen: when its value is computed, or
    // when its gradient is finished. A folded box goes to the last of its members' steps.
    const own = steps[at].phase === "backward" ? "grad_step" : "value_step";
    const other = own === "value_step" ? "grad_step" : "value_step";
    for (const key of [own, other]) { // (a page of forward mode alone has no grad_step)
      const found = clickable[id].map((i) => nodes[i][key]).filter((s) => s != null);
      if (found.length) return Math.max(...found);
    }
    return null;
  }

  function jumpTo(id) {
    const s = stepOf(id);
    if (s !== null) { stop(); go(s); }
  }

  function clickedElement(target) {
    for (let e = target; e && e !== svg; e = e.parentNode) if (e.id in clickable) return e.id;
    return null;
  }

  // ---- The quiz ------------------------------------------------------------------------
  // What a student may type: -4, −4 (U+2212), an IME's full-width forms (－４, ０．５: NFKC
  // turns them into ASCII), +0.5, .5, 1e-3, 3/4, spaces around, nan, inf, -inf, ∞, -∞.
  // A comma is refused: 1,000 is a thousand to some and one to others, so we do not guess.
  const NUMBER = String.raw`[-+]?\s*(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?`;
  const PLAIN = new RegExp(`^${NUMBER}$`), FRACTION = new RegExp(`^(${NUMBER})\\s*/\\s*(${NUMBER})$`);
  const EXAMPLES = _("Type a number, like -4, 0.5, 1/3 or 1e-3.");

  function readNumber(typed) {
    const s = typed.normalize("NFKC").replace(/[\u2212\u2012\u2013\ufe63]/g, "-")
      .replace(/\u3002/g, ".").trim().toLowerCase();
    if (/[,\u3001]/.test(s)) {
      return { error: _("A comma is ambiguous (is 1,000 a thousand or one?): write the number with a point, like 1000 or -4.0.") };
    }
    const unsigned = (t) => Number(t.replace(/\s+/g, ""));
    const special = s.replace(/\s+/g, "").match(/^([-+]?)(nan|inf|infinity|∞)$/);
    if (special) return { value: special[2] === "nan" ? NaN : (special[1] === "-" ? -Infinity : Infinity) };
    const fraction = s.match(FRACTION);
    if (fraction) return { value: unsigned(fraction[1]) / unsigned(fraction[2]) };
    return PLAIN.test(s) ? { value: unsigned(s) } : { error: EXAMPLES };
  }

  function matches(value, exact) {
    // The page shows about 4 significant digits: 1% slack, so 0.33 counts for 1/3.
    const want = typeof exact === "number" ? exact : { nan: NaN, inf: Infinity, "-inf": -Infinity }[exact];
    if (Number.isNaN(want)) return Number.isNaN(value);
    if (!Number.isFinite(want)) return value === want;
    return Math.abs(value - want) <= 1e-9 + 1e-2 * Math.abs(want);
  }

  // Each wrong try shows the next hint (gentlest first) and earns one more try; with no
  // hints there is still a second try. Then the answer is shown.
  const triesFor = (step) => Math.max(2, (step.hints || []).length + 1);

  function check(event) {
    event.preventDefault();
    const typed = answerBox.value.trim(), read = readNumber(typed), step = steps[at];
    if (read.error) return tell(read.error, "invalid");
    const rec = answers[at] || (answers[at] = { tries: [], right: false, revealed: false });
    rec.tries.push(typed);
    rec.right = matches(read.value, answerOf(step).exact);
    rec.revealed = !rec.right && rec.tries.length >= triesFor(step);
    draw();
    // Answered: the box is gone, so the focus leaves it at once, for Next (left on a hidden
    // box until the browser moves it, a quick → would be typed into the box).
    if (!waiting()) { answerBox.blur(); $("next").focus(); }
  }

  function reveal() {
    if (!waiting()) return;
    const rec = answers[at] || (answers[at] = { tries: [], right: false, revealed: false });
    rec.revealed = true;
    draw();
    $("next").focus(); // the box is gone; the next step is what comes next
  }

  function drawScore() {
    const done = Object.keys(answers).filter(settled);
    const right = done.filter((s) => answers[s].right);
    const first = right.filter((s) => answers[s].tries.length === 1);
    const shown = done.length - right.length;
    const counts = { right: right.length, done: done.length, first: first.length, shown };
    $("score").textContent = !quiz ? "" : format(shown
      ? _("Quiz: {right} right out of {done} ({first} at the first try, {shown} shown)")
      : _("Quiz: {right} right out of {done} ({first} at the first try)"), counts);
    $("copy").hidden = !quiz || done.length === 0;
    $("export").hidden = !quiz; // the name can be typed before the first answer
  }

  function scoreText() {
    // The score as plain text a student can paste into a message or a form.
    const done = Object.keys(answers).filter(settled).map(Number).sort((a, b) => a - b);
    const rows = done.map((s) => {
      const rec = answers[s], step = steps[s];
      // TRANSLATORS: between the answers a student typed at one step, in the copied score.
      const tries = rec.tries.join(_(", then "));
      const words = { n: s + 1, ask: step.ask, grad: answerOf(step).shown, tries };
      if (rec.right) return format(_("step {n}: {ask} = {grad}; typed {tries}: right"), words);
      if (tries) return format(_("step {n}: {ask} = {grad}; typed {tries}: shown"), words);
      return format(_("step {n}: {ask} = {grad}; not answered: shown"), words);
    });
    return [data.title, $("score").textContent].concat(rows).join("\n") + "\n";
  }

  async function copyScore() {
    const text = scoreText(), box = $("score-text");
    try {
      await navigator.clipboard.writeText(text);
      box.hidden = true;
      $("copy").textContent = _("Copied \u2713");
    } catch (error) { // no clipboard here (an old browser, a denied permission): select it
      box.value = text;
      box.hidden = false;
      box.focus();
      box.select();
      $("copy").textContent = format(_("Press {keys} to copy"), { keys: "Ctrl+C" });
    }
  }

  // ---- The export: the answers as ANSWERS.csv, for `chainrule check` ------------------
  // One row per question of the quiz (every backward step, every tangent step), in the page's
  // order: the name typed, the page's title as the sheet, what the quiz asked (∂f/∂x, q̇) as
  // the question, and the last answer typed there (blank when none: chainrule check counts it
  // missing). No verdict column: the teacher's key and its tolerance mark the answers, not
  // this page.
  const nameBox = $("student");
  const COLUMNS = ["student", "sheet", "question", "answer"];

  function csvField(text) {
    // RFC 4180: a field holding a comma, a quote, a line break or edge spaces goes in quotes.
    // (\u0022 is the quote: a bare one inside a regex would end Babel's reading of a string.)
    return /[\u0022,\r\n]|^\s|\s$/.test(text) ? `"${text.split('"').join('""')}"` : text;
  }

  function answersCsv(student) {
    const rows = [COLUMNS];
    steps.forEach((step, s) => {
      if (!asks(s)) return;
      const tries = answers[s] ? answers[s].tries : [];
      rows.push([student, data.title, step.ask, tries.length ? tries[tries.length - 1] : ""]);
    });
    // The BOM lets a spreadsheet read 王芳 as UTF-8; chainrule check reads either.
    return "\ufeff" + rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
  }

  function download(event) {
    event.preventDefault();
    const student = nameBox.value.trim().replace(/\s+/g, " ");
    if (!student) {
      tell(_("Type your name first, so your teacher knows whose answers these are."), "invalid");
      nameBox.focus();
      return;
    }
    const blob = new Blob([answersCsv(student)], { type: "text/csv;charset=utf-8" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    // answers-Wang-Fang.csv: no character a file system refuses, no spaces
    link.download = `answers-${student.replace(/[\\/:*?\u0022<>|\u0000-\u001f]/g, "_").replace(/ /g, "-")}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000); // long after the save began
    tell(format(_("Saved {file}: hand it in to your teacher."), { file: link.download }), "invalid");
  }

  // ---- The legend: the colour key of graph.svg, beside the graph -----------------------
  function drawLegend() {
    const list = $("legend-items");
    (data.legend || []).forEach((entry) => {
      const item = document.createElement("li");
      entry.swatches.forEach((s) => {
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = s.fill;
        swatch.style.borderColor = s.border;
        swatch.style.borderStyle = s.dashed ? "dashed" : "solid";
        item.append(swatch);
      });
      const words = document.createElement("span");
      words.textContent = entry.text;
      item.append(words);
      list.append(item);
    });
    $("legend").hidden = list.children.length === 0;
  }

  // ---- Keys ----------------------------------------------------------------------------
  function onKey(event) {
    const key = event.key, target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    // Every key typed into the answer belongs to the answer: -4 is minus four, not zoom out.
    // So do the keys typed into the name (a space, a Q) of the quiz's export.
    if (target === answerBox || target === nameBox) { if (key === "Escape") target.blur(); return; }
    if (target.type === "range" || target.tagName === "TEXTAREA") return; // their own keys
    const onNode = clickedElement(target);
    const pressing = key === "Enter" || key === " ";
    if (onNode && pressing) jumpTo(onNode);
    else if (pressing && target.closest("button, input, summary")) return; // press it
    else if (key === "ArrowRight" || key === "PageDown") { stop(); go(at + 1); }
    else if (key === "ArrowLeft" || key === "PageUp") { stop(); go(at - 1); }
    else if (key === "Home") { stop(); go(0); }
    else if (key === "End") { stop(); go(total - 1); }
    else if (key === " ") play();
    else if (key === "+" || key === "=") zoomBy(1.5);
    else if (key === "-" || key === "_") zoomBy(1 / 1.5);
    else if (key === "0") { setZoom(1); follow(); }
    else if (key === "q" || key === "Q") { quiz = !quiz; draw(); }
    else if ((key === "r" || key === "R") && waiting()) reveal();
    else return;
    event.preventDefault();
  }

  // ---- Wiring --------------------------------------------------------------------------
  $("next").addEventListener("click", () => { stop(); go(at + 1); });
  $("prev").addEventListener("click", () => { stop(); go(at - 1); });
  $("reset").addEventListener("click", () => { stop(); answers = {}; at = 0; draw(); });
  $("play").addEventListener("click", play);
  $("zoom-in").addEventListener("click", () => zoomBy(1.5));
  $("zoom-out").addEventListener("click", () => zoomBy(1 / 1.5));
  $("zoom-fit").addEventListener("click", () => { setZoom(zoom > 1 ? 1 : readableZoom()); follow(); });
  $("speed").addEventListener("input", () => { if (timer !== null) { stop(); play(); } });
  $("quiz").addEventListener("change", () => { quiz = $("quiz").checked; draw(); });
  $("ask").addEventListener("submit", check);
  $("reveal").addEventListener("click", reveal);
  $("copy").addEventListener("click", copyScore);
  $("export").addEventListener("submit", download);
  svg.addEventListener("wheel", wheelZoom, { passive: false });
  svg.addEventListener("pointerdown", startDrag);
  svg.addEventListener("pointermove", moveDrag);
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener("click", (event) => {
    event.preventDefault(); // Graphviz's links (#v0-data) lead nowhere here
    const id = clickedElement(event.target);
    if (id && !dragged) jumpTo(id);
  });
  svg.addEventListener("focusin", (event) => {
    // A node reached with Tab comes into view, as a focused button would scroll into view.
    const id = clickedElement(event.target);
    if (id && el[id].hasAttribute("tabindex")) moveTo(showing(view, userBox(id)), true);
  });
  svg.setAttribute("tabindex", "-1"); // Tab goes to its nodes, not to the picture as a whole
  elements.forEach((id) => {
    el[id].setAttribute("tabindex", "0");
    el[id].setAttribute("role", "button");
  });
  document.addEventListener("keydown", onKey);
  new ResizeObserver(() => { pane = svg.getBoundingClientRect(); follow(false); }).observe(svg);
  // ---- The classroom's hook ------------------------------------------------------------
  // What the teacher's page reads and does: the step on screen, a copy of a step, a node's
  // numbers; go to a step; hold(s, line) hides what step s finds while the room answers
  // (line: the sentence shown in its place, in the classroom's words; default "∂f/∂x = ?"),
  // hold(null) shows it again. Every draw() tells the page with a "chainrule:step" event.
  window.chainrulePlayer = {
    at: () => at,
    total,
    step: (s) => JSON.parse(JSON.stringify(steps[s])),
    node: (i) => ({ name: nodes[i].name, data: nodes[i].data, grad: nodes[i].grad }),
    go: (s) => { stop(); return go(s); },
    hold: (s, line) => {
      held = s === null || s === undefined ? null : Math.max(0, Math.min(total - 1, s));
      const step = held === null ? null : steps[held];
      heldLine = held === null ? "" : line || `${step.ask || nodes[step.node].name} = ?`;
      draw();
    },
  };
  drawLegend();
  setZoom(readableZoom());
  drawGraph();
  drawPanel();
  follow(false);
})();
