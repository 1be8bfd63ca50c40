// The teacher's page of chainrule serve: the offline player in an iframe (the very page
// viz.backprop_html writes, fetched from /api/player with the teacher's token), and beside it
// the room: the join code, questions asked of every student, the live count, the answers'
// distribution, the graph's numbers to edit, the nudge check, live training and the results.
// The page drives the player through its hook, window.chainrulePlayer (viz/player.js).
// The token comes from the address's fragment (#token=...), which no server ever sees.
// Every word is marked _("...") (Babel extracts them into the classroom catalog); the
// server's welcome carries the lesson language's translations in `messages`.
"use strict";
(function () {
  let translated = new Map();
  // _("Reveal"): the word in the lesson's language, else the English it is written in.
  const _ = (text) => translated.get(text) || text;
  // format(_("{n} of {total} answered"), {n: 3, total: 30}): filled after translating.
  const format = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const auth = { Authorization: `Bearer ${token}` };
  const frame = $("player");
  const RETRY = [500, 1000, 2000, 4000, 8000]; // milliseconds before each reconnection

  let socket = null, tries = 0, closedForGood = false;
  let version = null, fetching = 0, goTo = null; // the player page shown, and where to go in it
  let leaves = []; // [{index, name, value}]: what the teacher may edit
  let open = null; // the question the room is answering: {id, step, ask}
  let asking = false; // an ask sent, its question not yet back
  let training = null; // helper T's view (window.chainruleTraining), once mounted
  let ended = false;
  let joined = 0; // students in the room (the roster's count), until the first live count

  // ---- Words ---------------------------------------------------------------------------
  function fillWords() {
    // The page's fixed words, in the lesson's language (teacher.html holds none of its own).
    const words = {
      "code-label": _("Join code"),
      "ask": _("Ask the room (A)"),
      "reveal": _("Reveal (V)"),
      "cancel": _("Cancel"),
      "values-title": _("Values"),
      "nudge-title": _("Nudge"),
      "nudge": _("Nudge it"),
      "train-title": _("Live training"),
      "train-moons": _("Train moons"),
      "train-xor": _("Train XOR"),
      "csv": _("Download CSV"),
      "end": _("End lesson"),
      // TRANSLATORS: the teacher's keys; keep A, V and the arrows as keys.
      "help": _("A: ask the room about the step on screen · V: reveal the answers · → ←: step through the player"),
    };
    Object.entries(words).forEach(([id, text]) => { $(id).textContent = text; });
    $("qr-button").title = _("Show the QR code big, for the projector");
    $("qr").alt = _("QR code of the join address");
    frame.title = _("backprop player");
    document.title = _("chainrule: the live classroom");
  }

  function status(text, kind) {
    // One line for what went wrong (the server's errors) or what just happened.
    $("status").textContent = text;
    $("status").className = "status " + (kind || "");
  }

  // ---- The socket ----------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws`);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "hello", role: "teacher", token }));
    });
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      // 1008: the server refused this page (a wrong token): trying again would not help.
      if (event.code === 1008) closedForGood = true;
      showConnection();
      if (!closedForGood) setTimeout(connect, RETRY[Math.min(tries++, RETRY.length - 1)]);
    });
  }

  function showConnection() {
    const live = socket && socket.readyState === WebSocket.OPEN && tries === 0;
    const box = $("connection");
    box.textContent = live ? _("connected") : closedForGood ? _("disconnected") : _("reconnecting…");
    box.className = "connection " + (live ? "live" : "down");
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      status(_("Not connected: wait until the page says connected."), "error");
      return false;
    }
    socket.send(JSON.stringify(message));
    return true;
  }

  function receive(message) {
    const handle = {
      welcome, roster, count, question, results, closed, graph, nudged, frame: trainingFrame,
      ended: lessonEnded, training_stopped: trainingStopped, error: refused,
    }[message.type];
    if (handle) handle(message);
  }

  function welcome(message) {
    tries = 0;
    translated = new Map(Object.entries(message.messages || {}));
    document.documentElement.lang = message.lang || "en";
    fillWords();
    showConnection();
    $("code").textContent = $("big-code").textContent = message.code || "";
    $("url").textContent = $("big-url").textContent = message.join_url || "";
    const state = message.state || {};
    if (state.roster) roster(state.roster);
    if (state.graph) setLeaves(state.graph.leaves);
    if (state.graph && state.graph.version !== version) loadPlayer(state.graph.version);
    if (state.question) question(state.question);
    else showQuestion(null);
    if (state.ended) lessonEnded();
    mountTraining(message.messages || {});
    $("show-training").hidden = !state.training;
    status("");
  }

  function refused(message) {
    if (asking) { // the ask came back refused: show the answer again
      asking = false;
      hold();
      lockEdits();
      showStep();
    }
    status(message.error, "error");
  }

  // ---- The room ------------------------------------------------------------------------
  function roster(message) {
    const here = "here" in message ? message.here : message.students;
    joined = message.students;
    $("students").textContent = format(_("Students: {n}"), { n: here });
    $("students").title = (message.names || []).join(", ");
  }

  // ---- The player ----------------------------------------------------------------------
  const player = () => (frame.contentWindow && frame.contentWindow.chainrulePlayer) || null;

  async function loadPlayer(v) {
    // The player page for graph version v; it opens at the step on screen now.
    const mine = ++fetching, on = player();
    if (on) goTo = on.at();
    const response = await fetch(`/api/player?v=${encodeURIComponent(v)}`, { headers: auth });
    if (mine !== fetching) return; // a newer version is on its way
    if (!response.ok) return status(format(_("The player could not be loaded ({status})."), { status: response.status }), "error");
    const page = await response.text();
    if (mine !== fetching) return;
    version = v;
    frame.srcdoc = page;
  }

  frame.addEventListener("load", () => {
    const p = player();
    if (!p) return;
    frame.contentDocument.addEventListener("keydown", onKey); // A and V inside the player too
    frame.contentDocument.addEventListener("chainrule:step", showStep);
    if (goTo !== null) p.go(goTo);
    else frame.contentWindow.focus(); // the first page: the arrow keys step at once
    goTo = null;
    hold();
    showStep();
  });

  function asked(step) {
    // What step `step` asks the room, as the students read it: ∂f/∂x, or a value's name.
    const p = player(), s = p.step(step);
    if (s.phase === "tangent") return null; // forward mode's steps are not asked
    return s.ask || p.node(s.node).name;
  }

  function showStep() {
    // Under the Ask button: what it would ask now.
    const p = player();
    if (!p) return;
    const what = asked(p.at());
    $("ask-what").textContent = what === null ? _("This step asks nothing.")
      : format(_("Step {n}: {ask} = ?"), { n: p.at() + 1, ask: what });
    $("ask").disabled = what === null || open !== null || asking !== false || ended;
    $("ask-what").hidden = open !== null; // the question itself is shown below
  }

  function hold() {
    // The projector keeps the open question's number hidden (the player's hook).
    const p = player();
    if (!p) return;
    if (open && open.step !== undefined) {
      p.hold(open.step, format(_("The room is answering: {ask} = ?"), { ask: open.ask }));
    } else if (asking) {
      p.hold(asking.step, format(_("The room is answering: {ask} = ?"), { ask: asking.ask }));
    } else p.hold(null);
  }

  // ---- Asking --------------------------------------------------------------------------
  function ask() {
    const p = player();
    if (!p || open !== null || asking || ended) return;
    const step = p.at(), what = asked(step);
    if (what === null) return;
    if (!send({ type: "ask", step })) return;
    asking = { step, ask: what };
    hold(); // hidden at once, before the question comes back
    lockEdits();
    showStep();
  }

  function question(message) {
    // The question the room now answers (also in a welcome when the page comes back).
    const step = "step" in message ? message.step : asking ? asking.step : undefined;
    asking = false;
    open = { id: message.id, step, ask: message.ask };
    showQuestion(open);
    count({ question: message.id, answers: 0, students: joined });
    hold();
  }

  function showQuestion(q) {
    $("question").hidden = q === null;
    if (q !== null) {
      $("results").hidden = true;
      $("question-text").textContent = format(_("The room is answering: {ask} = ?"), { ask: q.ask });
    }
    open = q;
    lockEdits();
    showStep();
  }

  function count(message) {
    if (!open || message.question !== open.id) return;
    const n = message.answers, total = message.students;
    $("count").textContent = format(_("{n} of {total} answered"), { n, total });
    $("count-bar").style.width = `${total ? (100 * n) / total : 0}%`;
  }

  function reveal() {
    if (open !== null) send({ type: "reveal" });
  }

  function cancel() {
    if (open !== null) send({ type: "cancel" });
  }

  function results(message) {
    // The distribution: the right answer first, then each wrong one with how many gave it.
    showQuestion(null);
    hold();
    $("results").hidden = false;
    $("results-title").textContent = format(_("Answer: {ask} = {right}"), { ask: message.ask, right: message.right });
    $("results-count").textContent = format(_("{n} of {total} answered"), { n: message.answers, total: message.students });
    const rows = message.distribution.slice();
    if (!rows.some((row) => row.kind === "right")) { // no one was right: the answer still leads
      rows.unshift({ answer: message.right, count: 0, kind: "right", label: _("no one gave it") });
    }
    const most = Math.max(1, ...rows.map((row) => row.count));
    $("distribution").replaceChildren(...rows.map((row) => {
      const item = document.createElement("li");
      item.className = row.kind === "right" ? "right" : "wrong";
      const answer = document.createElement("span"), many = document.createElement("span");
      const label = document.createElement("span"), bar = document.createElement("span");
      answer.className = "answer";
      answer.textContent = row.answer;
      many.className = "many";
      many.textContent = String(row.count);
      label.className = "kind";
      label.textContent = row.label;
      bar.className = "bar";
      bar.style.width = `${(100 * row.count) / most}%`;
      item.append(answer, label, many, bar);
      return item;
    }));
    $("kinds").replaceChildren(...message.kinds.map((kind) => {
      const item = document.createElement("li");
      item.textContent = format(_("{label}: {count}"), { label: kind.label, count: kind.count });
      return item;
    }));
  }

  function closed() {
    showQuestion(null);
    hold();
    status(_("The question was cancelled: it is not counted."));
  }

  // ---- Values --------------------------------------------------------------------------
  function reach(value) {
    // A slider's half-width: a power of ten past twice the value (at least 10).
    return 10 ** Math.ceil(Math.log10(Math.max(1, Math.abs(value)) * 2));
  }

  function setLeaves(given) {
    // One row per input or weight: its name, a number field and a slider.
    const same = given.length === leaves.length && given.every((leaf, k) => leaf.index === leaves[k].index);
    leaves = given;
    if (!same) {
      $("leaves").replaceChildren(...leaves.map(leafRow));
      $("nudge-leaf").replaceChildren(...leaves.map((leaf) => {
        const option = document.createElement("option");
        option.value = String(leaf.index);
        option.textContent = leaf.name;
        return option;
      }));
    }
    leaves.forEach((leaf) => {
      const field = $(`leaf-${leaf.index}`), slider = $(`slide-${leaf.index}`);
      if (document.activeElement !== field) field.value = String(leaf.value);
      const r = Math.max(Number(slider.max), reach(leaf.value));
      slider.min = String(-r);
      slider.max = String(r);
      slider.step = String(r / 100);
      slider.value = String(leaf.value);
    });
    $("values").hidden = $("nudging").hidden = leaves.length === 0;
    lockEdits();
  }

  function leafRow(leaf) {
    const row = document.createElement("div"), name = document.createElement("label");
    const field = document.createElement("input"), slider = document.createElement("input");
    row.className = "leaf";
    name.textContent = leaf.name;
    name.htmlFor = field.id = `leaf-${leaf.index}`;
    field.type = "number";
    field.step = "any";
    slider.type = "range";
    slider.id = `slide-${leaf.index}`;
    slider.setAttribute("aria-label", leaf.name);
    slider.max = "0";
    // Sent when the teacher is done (Enter, leaving the field, letting go of the slider),
    // not on every keystroke or pixel: each edit recomputes and lays out the page again.
    field.addEventListener("change", () => setLeaf(leaf.index, field.value));
    slider.addEventListener("input", () => { field.value = slider.value; });
    slider.addEventListener("change", () => setLeaf(leaf.index, slider.value));
    row.append(name, field, slider);
    return row;
  }

  function setLeaf(index, text) {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      return status(_("Type a number, like -4 or 0.5."), "error");
    }
    send({ type: "set", leaf: index, value });
  }

  function graph(message) {
    // The numbers changed: the new leaves, and the player redrawn at the same step. The last
    // question's results and the nudge were about the old numbers: they go.
    setLeaves(message.leaves);
    loadPlayer(message.version);
    $("results").hidden = true;
    $("nudged").replaceChildren();
    status("");
  }

  function lockEdits() {
    // While the room answers, the numbers stay as they are (the server refuses edits then),
    // and the nudge check, which shows the gradient, waits.
    const locked = open !== null || asking !== false;
    document.querySelectorAll("#leaves input, #nudging input, #nudging select, #nudge")
      .forEach((input) => { input.disabled = locked; });
  }

  // ---- Nudge ---------------------------------------------------------------------------
  function nudge() {
    const h = Number($("nudge-h").value);
    if ($("nudge-h").value.trim() === "" || !Number.isFinite(h)) {
      return status(_("Type a number, like -4 or 0.5."), "error");
    }
    send({ type: "nudge", leaf: Number($("nudge-leaf").value), h });
  }

  function nudged(message) {
    $("nudged").replaceChildren(...message.lines.map((line) => {
      const div = document.createElement("div");
      div.textContent = line;
      return div;
    }));
  }

  // ---- Training (helper T's view: window.chainruleTraining from /static/training.js) -----
  function mountTraining(messages) {
    if (training || typeof window.chainruleTraining !== "function") return;
    training = window.chainruleTraining($("training"), { messages, send });
  }

  function showTraining(shown) {
    // The training takes the player's place on the screen; a button swaps them back.
    $("training").hidden = !shown;
    frame.hidden = shown;
    $("show-training").hidden = false;
    $("show-training").textContent = shown ? _("Show the graph") : _("Show the training");
  }

  function train(task) {
    if (send({ type: "train", task }) && training) showTraining(true);
  }

  function trainingFrame(message) {
    if (training) training.update(message);
  }

  function trainingStopped() {
    status(_("The training stopped."));
  }

  // ---- Results and the end -------------------------------------------------------------
  async function downloadCsv() {
    const response = await fetch("/api/results.csv", { headers: auth });
    if (!response.ok) return status(format(_("The results could not be downloaded ({status})."), { status: response.status }), "error");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "chainrule-results.csv";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000); // long after the save began
  }

  function lessonEnded() {
    ended = true;
    status(_("The lesson is over: each student now sees their score."));
    showStep();
  }

  // ---- The QR code, big ----------------------------------------------------------------
  function showQr(shown) {
    $("qr-big").hidden = !shown;
    if (!shown) $("qr-button").focus();
  }

  // ---- Keys: A asks, V reveals; the player keeps every other key -------------------------
  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, textarea, select")) return; // being typed
    const key = event.key.toLowerCase();
    if (!$("qr-big").hidden && (key === "escape" || key === "enter" || key === " ")) showQr(false);
    else if (key === "a") ask();
    else if (key === "v") reveal();
    else return;
    event.preventDefault();
  }

  // After a button of the room, the arrow keys go back to the player.
  const thenPlayer = (act) => () => { act(); if (frame.contentWindow) frame.contentWindow.focus(); };

  // ---- Wiring --------------------------------------------------------------------------
  $("ask").addEventListener("click", thenPlayer(ask));
  $("reveal").addEventListener("click", thenPlayer(reveal));
  $("cancel").addEventListener("click", thenPlayer(cancel));
  $("nudge").addEventListener("click", nudge);
  $("train-moons").addEventListener("click", () => train("moons"));
  $("train-xor").addEventListener("click", () => train("xor"));
  $("show-training").addEventListener("click", () => showTraining(frame.hidden === false));
  $("csv").addEventListener("click", downloadCsv);
  $("end").addEventListener("click", () => send({ type: "end" }));
  $("qr-button").addEventListener("click", () => showQr(true));
  $("qr-big").addEventListener("click", () => showQr(false));
  document.addEventListener("keydown", onKey);

  async function start() {
    // The words first (/api/room needs no token), so nothing shows in the wrong language.
    try {
      const room = await (await fetch("/api/room")).json();
      translated = new Map(Object.entries(room.messages || {}));
      document.documentElement.lang = room.lang || "en";
    } catch (error) { /* the welcome brings the words as well */ }
    fillWords();
    showConnection();
    if (!token) {
      closedForGood = true;
      showConnection();
      return status(_("Open the address that `chainrule serve` printed: it ends in `#token=…`."), "error");
    }
    connect();
  }
  start();
})();
