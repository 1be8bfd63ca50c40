// The student's page of chainrule serve: join with the room's code and a name, then answer
// each question the teacher asks, see the verdict after the reveal and the score at the end.
// One WebSocket carries it all (the protocol is in classroom/app.py). The key the welcome
// gives is kept in sessionStorage, so a reload or a lost connection rejoins as the same
// student, answers and score kept. Every text from the server goes in with textContent; the
// picture is parsed as SVG (DOMParser) and imported, never as HTML. Every word is marked
// _("...") (Babel extracts them into the classroom catalog); the translations come from
// GET /api/room before joining and from the welcome after.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let translated = new Map();
  // _("Join"): the word in the lesson's language, else the English it is written in.
  const _ = (text) => translated.get(text) || text;
  // format(_("You are {name}"), {name: "王芳"}): placeholders are filled after the sentence is
  // translated, as Python's str.format does, since Chinese puts them elsewhere.
  const format = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const STORE = "chainrule-student"; // sessionStorage: {key, code, name} of this tab's student
  const RETRY_FIRST = 500, RETRY_MOST = 10000; // milliseconds between reconnection attempts
  const SVG = "http://www.w3.org/2000/svg";

  let room = { lang: "en", code_required: false, messages: {} }; // GET /api/room
  let me = remembered(); // {key, code, name} once welcomed
  let socket = null, retries = 0, retryTimer = null;
  let question = null; // the question message on screen, until the next one
  let revealed = false; // whether its verdict has come
  let score = null; // {right, asked}: the server's count, then one more per verdict
  let ended = false;
  let training = null; // the live training view (training.js), once a frame comes

  function remembered() {
    try {
      const kept = JSON.parse(sessionStorage.getItem(STORE));
      return kept && typeof kept.key === "string" ? kept : null;
    } catch (err) {
      return null; // storage refused (a private window): the page still works, without rejoining
    }
  }

  function remember(value) {
    try {
      if (value) sessionStorage.setItem(STORE, JSON.stringify(value));
      else sessionStorage.removeItem(STORE);
    } catch (err) { /* as above */ }
  }

  // ---- Words ---------------------------------------------------------------------------
  function setWords(messages, lang) {
    translated = new Map(Object.entries(messages || {}));
    if (lang) document.documentElement.lang = lang;
    document.title = _("chainrule: the live lesson");
    $("join-title").textContent = _("Join the lesson");
    $("code-label").textContent = _("Join code");
    $("name-label").textContent = _("Your name (optional)");
    $("name").placeholder = _("Leave it empty to join anonymously");
    $("join-button").textContent = _("Join");
    $("answer").placeholder = _("e.g. -4 or 1/3");
    $("send").textContent = _("Send");
    $("sign").setAttribute("aria-label", _("Change the sign"));
    $("sign").title = _("Change the sign");
    drawScore();
  }

  // A derivative such as ∂总价/∂小计 or ∂y/∂(w.x + b) never breaks inside a name on a narrow
  // phone (CJK text may otherwise break between any two characters): each piece between its
  // spaces is kept whole, and a long one may break after its `/`. A name is letters, digits,
  // `_` and `.`, or anything in (one level of) brackets, or a call such as σ(u2), as
  // viz/notation.py writes them (the same rule as viz/player.js).
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
    for (const found of (text || "").matchAll(DERIVATIVE)) {
      box.append(text.slice(from, found.index), derivative(found[0]));
      from = found.index + found[0].length;
    }
    box.append((text || "").slice(from));
  }

  // ---- What is on screen ---------------------------------------------------------------
  function show(part) {
    // "join" (the form), "lesson" (waiting, a question, the score)
    $("join").hidden = part !== "join";
    $("lesson").hidden = part !== "lesson";
  }

  function connection(state) {
    // "" (connected), "connecting", "reconnecting", "offline", or null (not joined yet)
    if (state === null) {
      $("connection").textContent = "";
      $("connection").className = "connection";
      return;
    }
    const said = {
      "": _("connected"),
      connecting: _("Connecting…"),
      reconnecting: _("Reconnecting…"),
      offline: _("The server cannot be reached; trying again…"),
    };
    $("connection").textContent = said[state];
    $("connection").className = "connection " + (state || "live");
  }

  function showJoin(error) {
    show("join");
    connection(null);
    $("code-field").hidden = !room.code_required;
    const code = $("code");
    if (!code.value) code.value = new URLSearchParams(location.search).get("code") || "";
    $("join-error").textContent = error || "";
    $("join-button").disabled = false;
    const first = room.code_required && !code.value.trim() ? code : $("name");
    if (!document.activeElement || document.activeElement === document.body) first.focus();
  }

  function waiting(text) {
    $("waiting").textContent = text;
    $("waiting").hidden = !text;
  }

  function drawScore() {
    const box = $("score");
    if (!score || (!ended && !score.asked)) {
      box.textContent = "";
      return;
    }
    const said = ended ? _("Your score: {right} of {asked} right")
      : _("Your score so far: {right} of {asked} right");
    box.textContent = format(said, { right: score.right, asked: score.asked });
    box.classList.toggle("final", ended);
  }

  function drawPicture(text, ask) {
    // The server's SVG, parsed as SVG (never as HTML), with nothing in it but drawing.
    const box = $("picture");
    box.replaceChildren();
    if (typeof text !== "string" || !text) return;
    const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = parsed.documentElement;
    if (svg.namespaceURI !== SVG || svg.localName !== "svg" ||
        parsed.getElementsByTagName("parsererror").length) return;
    svg.querySelectorAll("script, foreignObject, a, image, use, style").forEach((e) => e.remove());
    [svg, ...svg.querySelectorAll("*")].forEach((e) => [...e.attributes].forEach((a) => {
      if (/^on/i.test(a.name) || /href$/i.test(a.name)) e.removeAttribute(a.name);
    }));
    svg.removeAttribute("width"); // sized by the page (student.css)
    svg.removeAttribute("height");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", format(_("The graph around {ask}"), { ask }));
    box.appendChild(document.importNode(svg, true));
  }

  function showQuestion(asked, answered) {
    question = asked;
    revealed = false;
    waiting("");
    $("notice").textContent = "";
    $("question").hidden = false;
    writeMath($("heading"), asked.heading);
    drawPicture(asked.picture, asked.ask);
    writeMath($("ask-label"), `${asked.ask}\u00a0=`); // the = never alone on a line
    const box = $("answer");
    box.value = "";
    box.disabled = $("send").disabled = $("sign").disabled = false;
    $("answer-form").hidden = false;
    $("answer-error").textContent = "";
    $("sent").textContent = answered ? sentLine(answered) : "";
    $("verdict").hidden = true;
  }

  function sentLine(text) {
    return format(_("Sent: {answer} — you can change it until the reveal"), { answer: text });
  }

  function showVerdict(verdict) {
    revealed = true;
    $("answer").disabled = $("send").disabled = $("sign").disabled = true;
    $("answer-error").textContent = "";
    const said = { ask: verdict.ask || question.ask, answer: verdict.answer, typed: verdict.typed };
    $("sent").textContent = verdict.typed === null ? "" : format(_("You answered {typed}."), said);
    const line = $("verdict-line");
    line.replaceChildren();
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = verdict.right ? "✓" : "✗";
    const words = document.createElement("span");
    if (verdict.right) writeMath(words, format(_("Right: {ask} = {answer}"), said));
    else if (verdict.typed === null) {
      writeMath(words, format(_("You did not answer. The answer: {ask} = {answer}"), said));
    } else writeMath(words, format(_("Not quite. The answer: {ask} = {answer}"), said));
    line.append(mark, words);
    $("verdict").className = "verdict " + (verdict.right ? "right" : "wrong");
    const named = !verdict.right && verdict.label && verdict.kind !== "other";
    $("verdict-kind").textContent = named ? verdict.label : "";
    writeMath($("verdict-hint"), verdict.right ? "" : verdict.hint || "");
    $("verdict").hidden = false;
    waiting(_("Waiting for the teacher's next question"));
  }

  // ---- The connection ------------------------------------------------------------------
  function connect(code, name, key) {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (socket) socket.onclose = socket.onmessage = null;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    socket = ws;
    ws.joining = { code, name };
    ws.onopen = () => {
      const hello = { type: "hello", role: "student", code: code || "", name: name || null, key: key || null };
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (message && typeof message === "object") receive(ws, message);
    };
    ws.onclose = () => closed(ws);
  }

  function closed(ws) {
    if (ws !== socket) return;
    socket = null;
    if (!ws.welcomed && ws.refusal) {
      // The hello was refused (a wrong code, a full room): say why on the join form.
      if (me) remember((me = null));
      showJoin(ws.refusal);
    } else if (!ws.welcomed && !me) {
      showJoin(_("The server cannot be reached: check the address and try again."));
    } else {
      connection(retries > 2 ? "offline" : "reconnecting");
      later();
    }
  }

  function later() {
    // Try again after a growing wait (0.5 s, 1 s, 2 s, ... at most 10 s), or as soon as the
    // device says it is back online.
    clearTimeout(retryTimer);
    const wait = Math.min(RETRY_MOST, RETRY_FIRST * 2 ** retries) * (0.75 + Math.random() / 2);
    retries += 1;
    retryTimer = setTimeout(rejoin, wait);
  }

  function rejoin() {
    retryTimer = null;
    if (me) connect(me.code, me.name, me.key);
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN || !socket.welcomed) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function receive(ws, message) {
    if (!ws.welcomed) {
      if (message.type === "welcome") welcome(ws, message);
      else if (message.type === "error") ws.refusal = String(message.error || "");
      return;
    }
    const handle = {
      question: (m) => showQuestion(m),
      received: (m) => {
        if (question && m.question === question.id) {
          $("answer-error").textContent = "";
          $("sent").textContent = sentLine(m.text);
        }
      },
      error: (m) => {
        const box = question && !revealed ? $("answer-error") : $("notice");
        box.textContent = String(m.error || "");
      },
      verdict: (m) => {
        score = score || { right: 0, asked: 0 };
        score = { right: score.right + (m.right ? 1 : 0), asked: score.asked + 1 };
        if (question && m.question === question.id) showVerdict(m);
        drawScore();
      },
      closed: (m) => {
        if (question && m.question === question.id && !revealed) {
          question = null;
          $("question").hidden = true;
          $("notice").textContent = _("The teacher closed the question without counting it.");
          waiting(_("Waiting for the teacher's question"));
        }
      },
      score: (m) => {
        ended = true;
        score = { right: m.right, asked: m.asked };
        if (question && !revealed) $("question").hidden = true;
        waiting(_("The lesson is over. Thank you!"));
        drawScore();
      },
      revealed: (m) => { // the same picture, with the number the room was asked filled in
        if (question && m.question === question.id) drawPicture(m.picture, question.ask);
      },
      frame: (m) => drawTraining(m),
      training_stopped: () => stopTraining(),
    }[message.type];
    if (handle) handle(message);
  }

  function welcome(ws, message) {
    ws.welcomed = true;
    retries = 0;
    me = { key: message.key, code: ws.joining.code, name: message.name };
    remember(me);
    setWords(message.messages, message.lang);
    connection("");
    $("who").textContent = format(_("You are {name}"), { name: message.name });
    $("notice").textContent = "";
    show("lesson");
    const state = message.state || {};
    if (state.score) score = { right: state.score.right, asked: state.score.asked };
    ended = Boolean(state.ended);
    if (ended) {
      $("question").hidden = true;
      waiting(_("The lesson is over. Thank you!"));
    } else if (state.question) {
      showQuestion(state.question, state.answered);
    } else {
      question = null;
      $("question").hidden = true;
      waiting(_("Waiting for the teacher's question"));
    }
    drawScore();
  }

  // ---- Live training (training.js draws it; a student only watches) ---------------------
  function drawTraining(frame) {
    if (typeof window.chainruleTraining !== "function") return;
    if (!training) {
      $("training").hidden = false;
      training = window.chainruleTraining($("training"), { messages: Object.fromEntries(translated) });
    }
    training.update(frame);
  }

  function stopTraining() {
    training = null;
    $("training").replaceChildren();
    $("training").hidden = true;
  }

  // ---- What the student does -----------------------------------------------------------
  $("join").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("code").value.trim();
    if (room.code_required && !code) {
      $("join-error").textContent = _("Type the join code from the board.");
      $("code").focus();
      return;
    }
    $("join-error").textContent = "";
    $("join-button").disabled = true;
    connection("connecting");
    connect(code, $("name").value.trim(), null);
  });

  $("answer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!question || revealed) return;
    const text = $("answer").value.trim();
    if (!text) {
      $("answer-error").textContent = _("Type a number first.");
      return;
    }
    if (!send({ type: "answer", question: question.id, text })) {
      $("answer-error").textContent = _("Not connected: send it again once the page has reconnected.");
    }
  });

  $("sign").addEventListener("click", () => {
    // A phone's decimal keypad may have no minus key: this puts one in front, or takes it off.
    const box = $("answer");
    const minus = /^\s*[-\u2212\uff0d]/;
    box.value = minus.test(box.value) ? box.value.replace(minus, "") : "-" + box.value.trimStart();
    box.focus();
  });

  window.addEventListener("online", () => {
    if (retryTimer !== null) {
      retries = 0;
      rejoin();
    }
  });

  // ---- Start: the room's language and whether it needs a code, then join or rejoin -------
  async function start() {
    try {
      const reply = await fetch("/api/room", { cache: "no-store" });
      if (!reply.ok) throw new Error(String(reply.status));
      room = await reply.json();
    } catch (err) {
      connection("offline");
      setTimeout(start, Math.min(RETRY_MOST, RETRY_FIRST * 2 ** retries++));
      return;
    }
    setWords(room.messages, room.lang);
    if (me) {
      connection("connecting");
      connect(me.code, me.name, me.key);
    } else showJoin();
  }

  setWords({}, null);
  start();
})();
