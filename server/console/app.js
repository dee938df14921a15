// modgate console. Everything shown comes from /api/v1 on this origin and
// is put on the page with textContent and createElement only, never parsed
// as markup: rule tags, uids and errors are data.
"use strict";

(function () {
  const POLL_DECISIONS_MS = 2000;
  const POLL_RULES_MS = 3000;
  const SVG = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);

  // el builds an element with text and classes; children may be nodes or
  // strings (made text nodes).
  function el(tag, opts, ...children) {
    const e = document.createElement(tag);
    if (opts && opts.cls) e.className = opts.cls;
    if (opts && opts.title) e.title = opts.title;
    if (opts && opts.text !== undefined) e.textContent = String(opts.text);
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  // cell is a table cell labelled with its column, for the phone layout
  // that shows each row as a card.
  function cell(label, opts, ...children) {
    const td = el("td", opts, ...children);
    td.dataset.label = label;
    return td;
  }

  // ruleDir is the directory common to every rule file, left out when
  // showing where a rule is: "rules/spam.yaml:12" reads better than a long
  // absolute path (which stays in the tooltip).
  let ruleDir = "";

  function commonDir(files) {
    if (files.length === 0) return "";
    let dir = files[0].slice(0, files[0].lastIndexOf("/") + 1);
    for (const f of files) {
      while (dir && !f.startsWith(dir)) dir = dir.slice(0, dir.lastIndexOf("/", dir.length - 2) + 1);
    }
    return dir;
  }

  function where(file, line) {
    const short = ruleDir && file.startsWith(ruleDir) ? file.slice(ruleDir.length) : file;
    return short + ":" + line;
  }

  function badge(text, cls, title) {
    return el("span", { cls: "badge " + (cls || ""), text: text, title: title });
  }

  // api fetches a JSON answer; a non-2xx answer throws its {"error"}.
  async function api(path, init) {
    const res = await fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, init || {}));
    const type = res.headers.get("Content-Type") || "";
    const body = type.startsWith("application/json") ? await res.json() : null;
    if (!res.ok) {
      const err = new Error((body && body.error) || res.status + " " + res.statusText);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function showProblem(err) {
    const p = $("problem");
    if (!err) {
      p.hidden = true;
      return;
    }
    p.hidden = false;
    p.textContent = err.status === 401
      ? "The admin listener asks for credentials (admin_auth): reload the page to sign in."
      : "Cannot reach the gateway: " + err.message + ". Retrying…";
  }

  const fmtNum = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 });

  function fmtTime(s) {
    const d = new Date(s);
    if (isNaN(d)) return String(s);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }

  function fmtAgo(s) {
    const secs = Math.round((Date.now() - new Date(s).getTime()) / 1000);
    if (!isFinite(secs)) return "";
    if (secs < 60) return secs <= 1 ? "just now" : secs + " s ago";
    if (secs < 3600) return Math.round(secs / 60) + " min ago";
    if (secs < 86400) return Math.round(secs / 3600) + " h ago";
    return Math.round(secs / 86400) + " d ago";
  }

  // ---- status

  function renderStatus(st) {
    const pill = $("reload-pill");
    const last = st.last_reload;
    const ok = last && last.result === "success";
    pill.className = "pill " + (ok ? "ok" : "bad");
    pill.textContent = ok
      ? "rules loaded " + fmtAgo(last.time)
      : "last reload FAILED " + (last ? fmtAgo(last.time) : "");
    pill.title = last ? new Date(last.time).toString() : "";

    const dl = $("status");
    dl.replaceChildren();
    const row = (k, v) => dl.append(el("dt", { text: k }), el("dd", null, v));
    row("Last reload", ok
      ? "succeeded at " + new Date(last.time).toLocaleString() + " (took " + last.took + ")"
      : "failed at " + new Date(last.time).toLocaleString() + "; still serving the rules loaded " +
        (st.last_success ? "at " + new Date(st.last_success).toLocaleString() : "before"));
    row("Rules", st.rules_loaded + " enabled" + (st.rules_disabled ? ", " + st.rules_disabled + " disabled" : "") +
      " from " + st.rule_files.length + (st.rule_files.length === 1 ? " file" : " files") +
      (st.lists ? ", " + st.lists + (st.lists === 1 ? " list" : " lists") : ""));
    row("A failing rule", st.on_error === "drop" ? "drops the message (on_error: drop)" : "is skipped (on_error: pass, fail open)");
    row("Reload on edit", st.watching ? "on (file watcher)" : "off: SIGHUP or POST /-/reload");
    if (st.state) {
      row("State store", st.state.backend + (st.state.healthy ? ", healthy" : ", FAILING") +
        (st.state.detail ? " (" + st.state.detail + ")" : ""));
    }
    row("Message text", st.include_text ? "shown (decision_log.include_text is on)" : "hidden (decision_log.include_text is off)");
    $("footer").textContent = "modgate " + st.version + " · running since " + new Date(st.started).toLocaleString();

    const box = $("reload-errors");
    const list = $("reload-error-list");
    list.replaceChildren();
    const errs = (last && last.errors) || [];
    box.hidden = errs.length === 0;
    for (const e of errs) list.append(el("li", { text: e.error }));
  }

  // ---- rules

  // sparkline draws one bar per sample interval: matches, errors on top in
  // red, scaled to the busiest interval.
  function sparkline(recent) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 120 24");
    svg.setAttribute("preserveAspectRatio", "none");
    const m = recent.matches || [];
    const e = recent.errors || [];
    const slots = 30;
    const w = 120 / slots;
    const peak = Math.max(1, ...m.map((v, i) => v + (e[i] || 0)));
    const base = document.createElementNS(SVG, "line");
    base.setAttribute("class", "base");
    base.setAttribute("x1", "0"); base.setAttribute("x2", "120");
    base.setAttribute("y1", "23.5"); base.setAttribute("y2", "23.5");
    svg.append(base);
    const off = slots - m.length;
    m.forEach((v, i) => {
      const x = (off + i) * w;
      const hm = (v / peak) * 23;
      const he = ((e[i] || 0) / peak) * 23;
      if (hm > 0) svg.append(rect(x, 24 - hm, w - 1, hm, "bar"));
      if (he > 0) svg.append(rect(x, 24 - hm - he, w - 1, he, "bar err"));
    });
    const title = document.createElementNS(SVG, "title");
    const total = m.reduce((a, b) => a + b, 0);
    title.textContent = m.length === 0
      ? "no samples yet (one every " + recent.every_seconds + " s)"
      : fmtNum(total) + " matches in the last " + Math.round((m.length * recent.every_seconds) / 60 * 10) / 10 + " min";
    svg.append(title);
    return svg;
  }

  function rect(x, y, w, h, cls) {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", x.toFixed(2)); r.setAttribute("y", y.toFixed(2));
    r.setAttribute("width", Math.max(w, 0.5).toFixed(2)); r.setAttribute("height", h.toFixed(2));
    r.setAttribute("class", cls);
    return r;
  }

  // perMinute is the match rate over the last minute of samples.
  function perMinute(recent) {
    const m = recent.matches || [];
    const n = Math.min(m.length, Math.round(60 / recent.every_seconds));
    if (n === 0) return null;
    const sum = m.slice(m.length - n).reduce((a, b) => a + b, 0);
    return sum / (n * recent.every_seconds / 60);
  }

  function renderRules(rules) {
    const tbody = $("rules").tBodies[0];
    tbody.replaceChildren();
    ruleDir = commonDir(rules.map((r) => r.file));
    let never = 0, failing = 0, shadow = 0;
    rules.forEach((r, i) => {
      const tr = el("tr");
      tr.dataset.rule = r.id;
      if (r.matches === 0) { tr.classList.add("never"); never++; }
      if (r.errors > 0) { tr.classList.add("failing"); failing++; }
      if (r.mode === "shadow") shadow++;
      const idCell = cell("rule", { cls: "rule-id", title: r.description || "" }, r.id);
      if (r.matches === 0) idCell.append(" ", badge("never matched", "never"));
      if (r.errors > 0) idCell.append(" ", badge("failing", "failing"));
      if (r.triggers && r.triggers.length) idCell.append(el("div", { cls: "hint", text: "only " + r.triggers.join(", ") }));
      const rate = perMinute(r.recent);
      tr.append(
        cell("#", { cls: "num pos", text: i + 1 }),
        idCell,
        cell("action", null, badge(r.action, r.action)),
        cell("mode", null, badge(r.mode, r.mode, r.mode === "shadow" ? "counted, never changes the answer" : "")),
        cell("where", { cls: "where", text: where(r.file, r.line), title: r.file + ":" + r.line }),
        cell("matches", { cls: "num matches", text: fmtNum(r.matches) }),
        cell("errors", { cls: "num errors", text: fmtNum(r.errors) }),
        cell("last 5 min", { cls: "recent" }, sparkline(r.recent), el("div", { cls: "rate", text: rate === null ? "rate: soon" : fmtNum(rate) + "/min" })),
      );
      tbody.append(tr);
    });
    const s = $("rules-summary");
    s.replaceChildren(
      el("strong", { text: rules.length }), rules.length === 1 ? " rule" : " rules",
      shadow ? " · " + shadow + " in shadow mode" : "",
      " · ", el("strong", { text: never }), " never matched",
      " · ", el("strong", { text: failing }), failing === 1 ? " failing" : " failing",
      " (counts since the gateway started)",
    );
  }

  // ---- decisions

  let seenDecisions = null; // keys of rows shown, null before the first load

  function decisionKey(d) {
    return [d.time, d.sender, d.receiver, d.message, d.verdict].join("\u0000");
  }

  function renderDecisions(list, includeText) {
    const tbody = $("decisions").tBodies[0];
    const first = seenDecisions === null;
    const seen = new Set();
    tbody.replaceChildren();
    for (const d of list) {
      const key = decisionKey(d);
      seen.add(key);
      const tr = el("tr");
      if (!first && !seenDecisions.has(key)) tr.classList.add("fresh");
      const rulesCell = cell("rules", { cls: "rules-list" });
      for (const r of d.rules) {
        const b = badge(r.id, r.mode === "shadow" ? "shadow" : r.action,
          r.action + ", " + r.mode + (r.deciding ? ", decided the verdict" : ""));
        if (!r.deciding && r.mode !== "shadow") b.classList.add("overridden");
        rulesCell.append(b);
      }
      if (d.tags && d.tags.length) rulesCell.append(el("div", { cls: "hint", text: "tags: " + d.tags.join(", ") }));
      const sender = cell("sender", { cls: "uid", text: d.sender || "—" });
      if (typeof d.text === "string") sender.append(el("div", { cls: "hint", text: "“" + d.text + "”" }));
      tr.append(
        cell("time", { cls: "time", text: fmtTime(d.time), title: new Date(d.time).toString() }),
        cell("verdict", null, badge(d.verdict, d.verdict)),
        rulesCell,
        sender,
        cell("conversation", { cls: "uid", text: (d.receiver_type ? d.receiver_type + " " : "") + (d.receiver || "—") }),
        cell("trigger", { cls: "hint trigger", text: d.trigger }),
      );
      tbody.append(tr);
    }
    seenDecisions = seen;
    $("decisions-empty").hidden = list.length > 0;
    $("decisions-hint").textContent = "newest first, live" + (includeText ? "" : " · message text hidden");
  }

  // ---- try a message

  // envelopeFor wraps plain text as a before_message webhook, the trigger
  // that can still stop a message.
  function envelopeFor(text) {
    return JSON.stringify({
      trigger: "before_message",
      appId: "console",
      webhook: "console",
      data: {
        sender: "console-test",
        receiverType: "user",
        receiver: "console-peer",
        category: "message",
        type: "text",
        data: {
          text: text,
          entities: {
            sender: { entity: { uid: "console-test", name: "Console test", role: "default" }, entityType: "user" },
            receiver: { entity: { uid: "console-peer", name: "Console peer", role: "default" }, entityType: "user" },
          },
        },
      },
    });
  }

  async function tryMessage(ev) {
    ev.preventDefault();
    const input = $("try-input").value;
    const body = input.trim().startsWith("{") ? input : envelopeFor(input);
    const button = $("try-button");
    button.disabled = true;
    const q = $("try-match-tag").checked ? "?match=tag" : "";
    try {
      const r = await api("/api/v1/eval" + q, { method: "POST", headers: { "Content-Type": "application/json" }, body: body });
      renderTry(r, null);
    } catch (err) {
      renderTry(null, err);
    } finally {
      button.disabled = false;
    }
  }

  function renderTry(r, err) {
    $("try-result").hidden = false;
    const verdict = $("try-verdict");
    const matched = $("try-matched");
    const errors = $("try-errors");
    matched.replaceChildren();
    errors.replaceChildren();
    if (err) {
      const code = err.status || "no answer";
      verdict.replaceChildren(badge("refused " + code, "drop"));
      $("try-kind").textContent = "";
      matched.append(el("li", { cls: "hint", text: "not evaluated" }));
      $("try-errors-box").hidden = true;
      $("try-response-h").textContent = "CometChat would get HTTP " + code;
      $("try-response").textContent = JSON.stringify({ error: err.message });
      return;
    }
    verdict.replaceChildren(badge(r.verdict, r.verdict));
    $("try-kind").textContent = "(" + (r.kind === "moderation" ? "Custom API request" : "webhook") + ", trigger " + r.trigger + ")";
    if (r.matched.length === 0) matched.append(el("li", { cls: "hint", text: "no rule matched" }));
    for (const m of r.matched) {
      const li = el("li", null,
        badge(m.id, m.mode === "shadow" ? "shadow" : m.action), " ",
        m.action + ", " + m.mode + (m.deciding ? ", decided the verdict" : (m.mode === "shadow" ? ", does not change the answer" : "")) + " ",
        el("span", { cls: "hint mono", text: where(m.file, m.line), title: m.file + ":" + m.line }));
      li.dataset.rule = m.id;
      matched.append(li);
    }
    $("try-errors-box").hidden = r.errors.length === 0;
    for (const e of r.errors) errors.append(el("li", { text: e.rule + " (" + where(e.file, e.line) + "): " + e.error }));
    $("try-response-h").textContent = "CometChat would get HTTP 200";
    $("try-response").textContent = JSON.stringify(r.response);
  }

  // ---- polling

  let includeText = false;

  async function pollStatusAndRules() {
    try {
      const [st, rules] = await Promise.all([api("/api/v1/status"), api("/api/v1/rules")]);
      includeText = st.include_text;
      renderStatus(st);
      renderRules(rules);
      showProblem(null);
    } catch (err) {
      showProblem(err);
    }
  }

  async function pollDecisions() {
    try {
      renderDecisions(await api("/api/v1/decisions?limit=100"), includeText);
    } catch (err) {
      showProblem(err);
    }
  }

  // Poll only while the page is visible: a console left in a background
  // tab costs the gateway nothing.
  function every(ms, fn) {
    let timer = null;
    const tick = async () => {
      timer = 0; // running
      await fn();
      timer = document.hidden ? null : setTimeout(tick, ms);
    };
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        clearTimeout(timer);
        timer = null;
      } else if (timer === null) {
        tick();
      }
    });
    tick();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("try").addEventListener("submit", tryMessage);
    every(POLL_RULES_MS, pollStatusAndRules);
    every(POLL_DECISIONS_MS, pollDecisions);
  });
})();
