// The marking pages' shared script (阅卷): the marker API client, signing in, and one script on screen
// with its score boxes. Plain JavaScript served by us (no CDN, no build step); the marker page
// (marking_marker.js) and the leader's page (marking_leader.js) use it through `window.XM`.
//
// Where the API is: the page says so in <body data-api="…/api/v1"> (the console: /api/marking/api/v1;
// `xuequ marking serve`: /api/v1). The API's root (openapi.json, to learn which endpoints this server
// has) is that address without /api/v1. A section whose endpoint the server lacks stays hidden.
"use strict";

window.XM = (function () {
  const body = document.body;
  const WORDS = JSON.parse(document.getElementById("mk-words").textContent);
  const API = (body.dataset.api || "/api/v1").replace(/\/+$/, "");
  const ROOT = API.replace(/\/api\/v1$/, "");
  const TOKEN_KEY = "xuequ.marking.token";
  const EXAM_KEY = "xuequ.marking.exam";
  const MESSAGE_KEY = "xuequ.marking.message";  // why the tab was signed out, shown after the reload
  const LANG = (document.documentElement.lang || "zh").startsWith("en") ? "en" : "zh";  // the API's words too

  // --- words ---------------------------------------------------------------------------------------

  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(WORDS, key) ? WORDS[key] : key;
    if (values) {
      Object.keys(values).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    }
    return text;
  }

  function label(kind, code) {  // domain/labels.py's words, sent with the page
    const table = WORDS["labels"] && WORDS["labels"][kind];
    return table && Object.prototype.hasOwnProperty.call(table, code) ? table[code] : String(code);
  }

  function num(value, digits) {
    if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) { return "–"; }
    const fixed = Number(value).toFixed(digits === undefined ? 2 : digits);
    return fixed.indexOf(".") < 0 ? fixed : fixed.replace(/0+$/, "").replace(/\.$/, "");
  }

  function pct(share) {  // 0.923 -> 92.3%
    return share === null || share === undefined || Number.isNaN(Number(share)) ? "–" : num(100 * share, 1) + "%";
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      const value = attributes[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; } else if (name === "class") { node.className = value; }
      else if (name.startsWith("on")) { node.addEventListener(name.slice(2), value); }
      else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) { node.append(child); }
    });
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }

  function show(node, visible) { if (node) { node.hidden = !visible; } }

  let toastTimer = null;
  function toast(text, kind) {
    const box = document.getElementById("mk-toast");
    box.textContent = text;
    box.className = "mk-toast " + (kind || "done");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, kind === "problem" ? 8000 : 3500);
  }

  // --- the marker API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || String(status));
      this.status = status;
      this.code = code || "";
    }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function call(method, path, payload) {
    const headers = {"Accept": "application/json"};
    if (token()) { headers["Authorization"] = "Bearer " + token(); }
    if (payload !== undefined) { headers["Content-Type"] = "application/json"; }
    let response;
    try {
      response = await fetch(API + path + (path.indexOf("?") < 0 ? "?" : "&") + "lang=" + LANG, {method: method, headers: headers, cache: "no-store",
                                          body: payload === undefined ? undefined : JSON.stringify(payload)});
    } catch (error) {
      throw new ApiError(0, "offline", t("err_offline"));
    }
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const detail = data ? data.detail : null;
      const code = detail && typeof detail === "object" && !Array.isArray(detail) ? detail.code : "";
      const message = typeof detail === "string" ? detail
        : detail && detail.message ? detail.message : Array.isArray(detail) ? detail.map(function (d) { return d.msg; }).join("; ") : "";
      if (response.status === 401 && live) { signedOut(t("err_token_expired")); }
      throw new ApiError(response.status, code, message);
    }
    return data;
  }

  // Which endpoints this server has (from its OpenAPI schema): the pages hide what it lacks.
  let schema = null;
  async function endpoints() {
    if (schema === null) {
      schema = fetch(ROOT + "/openapi.json", {cache: "no-store"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (spec) {
          if (!spec || !spec.paths) { return null; }
          const known = new Set();
          Object.keys(spec.paths).forEach(function (path) {
            Object.keys(spec.paths[path]).forEach(function (method) { known.add(method.toUpperCase() + " " + shape(path)); });
          });
          return known;
        })
        .catch(function () { return null; });
    }
    return schema;
  }

  function shape(path) { return path.replace(/\{[^}]*\}/g, "{}"); }

  async function has(method, path) {  // has("POST", "/tasks/{task_id}/problem"); unknown schema: assume yes
    const known = await endpoints();
    return known === null || known.has(method.toUpperCase() + " " + shape("/api/v1" + path));
  }

  // --- signing in ----------------------------------------------------------------------------------

  let live = false;  // signed in: from now on a 401 means the token stopped working

  function signedOut(message) {
    live = false;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.setItem(MESSAGE_KEY, message);
    location.reload();
  }

  async function consoleSession(examId) {
    const url = body.dataset.consoleSession;
    const response = await fetch(url, {method: "POST", credentials: "same-origin", cache: "no-store",
                                       headers: {"Content-Type": "application/json", "Accept": "application/json",
                                                 "X-CSRF-Token": body.dataset.csrf || ""},
                                       body: JSON.stringify({exam_id: examId || null})});
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      throw new ApiError(response.status, "console", data && typeof data.detail === "string" ? data.detail : "");
    }
    return data;
  }

  // Resolves with the marker (GET /me) once signed in: a token kept for this tab, a token in the
  // address (#token=…, then removed from it), the console account's session, else the token form.
  function signIn() {
    const form = document.getElementById("mk-signin");
    const field = document.getElementById("mk-token");
    const message = document.getElementById("mk-signin-message");
    const choices = document.getElementById("mk-choices");

    return new Promise(function (resolve) {
      async function ready() {
        const me = await call("GET", "/me");
        live = true;
        show(form, false);
        show(document.getElementById("mk-signout"), true);
        resolve(me);
      }

      function ask(text) {
        text = text || sessionStorage.getItem(MESSAGE_KEY) || "";
        sessionStorage.removeItem(MESSAGE_KEY);
        show(form, true);
        message.textContent = text || "";
        show(message, Boolean(text));
        field.focus();
      }

      form.querySelector("form").addEventListener("submit", async function (event) {
        event.preventDefault();
        const typed = field.value.trim();
        if (!typed) { ask(t("token_missing")); return; }
        try {
          await call("POST", "/login", {token: typed});
          sessionStorage.setItem(TOKEN_KEY, typed);
          field.value = "";
          await ready();
        } catch (error) {
          ask(error.status === 401 ? t("token_wrong") : describe(error));
        }
      });

      async function fromConsole(examId) {
        try {
          const answer = await consoleSession(examId);
          if (answer.choices) {
            clear(choices);
            answer.choices.forEach(function (choice) {
              choices.append(el("li", {}, [el("button", {type: "button", text: choice.exam_name + " · " +
                label("subject", choice.subject) + " " + t("group_n", {group: choice.item_group}) + " · " +
                label("duty_role", choice.role), onclick: function () {
                  sessionStorage.setItem(EXAM_KEY, choice.exam_id);
                  fromConsole(choice.exam_id);
                }})]));
            });
            show(document.getElementById("mk-choose"), true);
            show(form, true);
            choices.querySelector("button").focus();
            return;
          }
          show(document.getElementById("mk-choose"), false);
          sessionStorage.setItem(TOKEN_KEY, answer.token);
          await ready();
        } catch (error) {
          sessionStorage.removeItem(TOKEN_KEY);
          ask(error.code === "console" && error.message ? error.message
              : error.status === 401 ? t("err_token_expired") : describe(error));
        }
      }

      (async function () {
        const hash = new URLSearchParams(location.hash.slice(1));
        if (hash.get("token")) {
          sessionStorage.setItem(TOKEN_KEY, hash.get("token"));
          history.replaceState(null, "", location.pathname + location.search);
        }
        if (token()) {
          try { await ready(); return; } catch (error) {
            sessionStorage.removeItem(TOKEN_KEY);
            if (error.status === 401) { sessionStorage.setItem(MESSAGE_KEY, t("err_token_expired")); }
          }
        }
        if (body.dataset.consoleSession) { await fromConsole(sessionStorage.getItem(EXAM_KEY)); return; }
        ask("");
      })();
    });
  }

  // Sign out: the script held goes back to the queue at once, the tab forgets the token; in the
  // console the account signs out too.
  async function signOut(heldTaskId) {
    if (heldTaskId) {
      try { await call("POST", "/tasks/" + heldTaskId + "/release"); } catch (error) { /* expires by itself */ }
    }
    Object.keys(sessionStorage).filter(function (key) { return key.startsWith("xuequ.marking."); })
      .forEach(function (key) { sessionStorage.removeItem(key); });  // the token, the exam, the clocks
    if (body.dataset.logout) {  // signed in to the console: sign out of it too
      const form = el("form", {method: "post", action: body.dataset.logout},
                      [el("input", {type: "hidden", name: "csrf_token", value: body.dataset.csrf || ""})]);
      document.body.append(form);
      form.submit();
    } else {
      location.reload();
    }
  }

  function describe(error) {
    if (error.status === 0) { return t("err_offline"); }
    if (error.status === 409 && error.code === "lease_lost") { return t("err_lease_lost"); }
    if (error.status === 409 && error.code === "already_marked") { return t("err_already_marked"); }
    if (error.status === 403) { return t("err_forbidden"); }
    if (error.status === 422) { return t("err_refused", {message: error.message}); }
    return t("err_server", {status: error.status, message: error.message || ""});
  }

  // --- a script on screen: answers, marking standard, score boxes -----------------------------------

  const SCAN_PATH = /\.(png|jpe?g|gif|webp|tiff?|bmp|pdf)$/i;

  function scanAddress(url) {
    if (/^https?:/.test(url)) { return url; }
    if (url.startsWith("/api/v1/")) { return ROOT + url; }
    if (url.startsWith("/")) { return url; }
    return API + "/" + url;
  }

  // A scan is fetched with the marker's token (an <img src> cannot send it) and shown from memory.
  async function loadScan(img, url, objectUrls) {
    try {
      const response = await fetch(scanAddress(url), {headers: {"Authorization": "Bearer " + token()}, cache: "no-store"});
      if (!response.ok) { throw new Error(String(response.status)); }
      const address = URL.createObjectURL(await response.blob());
      objectUrls.push(address);
      img.src = address;
    } catch (error) {
      img.replaceWith(el("p", {class: "problem", text: t("scan_failed")}));
    }
  }

  function itemName(item) { return t("item_n", {n: item.position}); }

  // Full-width digits and the Chinese full stop from an input method count as their ASCII forms.
  function normalise(raw) {
    return raw.trim().replace(/[０-９]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/[．。]/g, ".").replace(/^\./, "0.");
  }

  // The score typed for `item`: {value} or {error} (a sentence naming the item).
  function checkScore(raw, item) {
    const text = normalise(raw);
    const n = item.position;
    if (text === "") { return {error: t("score_missing", {n: n})}; }
    if (!/^\d+(\.\d+)?$/.test(text)) { return {error: t("score_not_number", {n: n, max: num(item.max_score)})}; }
    const value = Number(text);
    if (value > item.max_score + 1e-9) { return {error: t("score_over_max", {n: n, max: num(item.max_score)})}; }
    const step = item.score_step || 1;
    const steps = value / step;
    if (Math.abs(steps - Math.round(steps)) > 1e-6) {
      const lower = Math.floor(steps) * step;
      const upper = Math.min(item.max_score, Math.ceil(steps) * step);
      return {error: t("score_off_step", {n: n, step: num(step), lower: num(lower), upper: num(upper)})};
    }
    return {value: Math.round(steps) * step};
  }

  // Renders `task` (a TaskView, or a problem script of the same shape) into `root` and wires the
  // keyboard: digits type a score, Tab / ↑ ↓ move between items, Enter checks every box and, when
  // all hold, calls options.submit(scores, seconds). Nothing is sent while a box is wrong.
  function mountScript(root, task, options) {
    options = options || {};
    const objectUrls = [];
    const items = task.items || [];
    const standard = task.standard || {};
    const answers = el("div", {class: "mk-answers"});
    const started = options.startedAt || Date.now();

    if (options.noAnswers) { answers.append(el("p", {class: "notice", text: t("remark_no_answer")})); }
    (options.noAnswers ? [] : items).forEach(function (item) {
      const box = el("article", {class: "mk-answer", "data-item": item.item_id}, [el("h3", {text: itemName(item)})]);
      const scan = task.scans && task.scans[item.item_id];
      const text = task.answers ? task.answers[item.item_id] : null;
      if (scan) {
        const img = el("img", {alt: t("scan_alt", {n: item.position}), class: "mk-scan", title: t("scan_zoom"),
                               onclick: function () { img.classList.toggle("zoomed"); }});
        box.append(img);
        loadScan(img, scan, objectUrls);
      } else if (text === null || text === undefined || text === "") {
        box.append(el("p", {class: "facts", text: t("answer_empty")}));
      } else if (SCAN_PATH.test(text) && !/\s/.test(text)) {
        // today's API sends where the scan is stored, which may name the student: never shown (密封)
        box.append(el("p", {class: "notice", text: t("scan_unavailable")}));
      } else {
        box.append(el("pre", {class: "mk-text", text: text}));
      }
      answers.append(box);
    });

    const earlier = task.earlier_marks && task.earlier_marks.length ? earlierTable(items, task.earlier_marks) : null;

    const boxes = items.map(function (item) {
      const input = el("input", {id: "score-" + item.item_id, name: item.item_id, inputmode: "decimal",
                                 autocomplete: "off", spellcheck: "false", class: "mk-score",
                                 "aria-describedby": "err-" + item.item_id});
      const error = el("p", {class: "mk-error", id: "err-" + item.item_id, role: "alert", hidden: true});
      const row = el("div", {class: "mk-item", "data-item": item.item_id}, [
        el("label", {for: input.id}, [el("strong", {text: itemName(item)}),
          el("small", {text: t("max_step", {max: num(item.max_score), step: num(item.score_step)})})]),
        input, error]);
      return {item: item, input: input, error: error, row: row};
    });

    const total = el("strong", {id: "mk-total", text: "–"});
    const formError = el("p", {id: "mk-form-error", class: "problem", role: "alert", hidden: true});
    const submit = el("button", {type: "submit", id: "mk-submit"},
                      [options.submitLabel || t("submit_next"), " ", el("kbd", {text: "Enter"})]);
    const actions = el("div", {class: "mk-actions"}, [submit].concat(options.extraActions || []));
    const standardBox = el("div", {class: "mk-standard", id: "mk-standard"});
    const form = el("form", {class: "mk-panel", id: "mk-scores", novalidate: true}, [
      el("div", {class: "mk-items"}, boxes.map(function (b) { return b.row; })),
      el("p", {class: "mk-total"}, [t("total"), " ", total]),
      formError, actions,
      el("p", {class: "mk-keys", text: options.keysHint || t("keys_hint")})]);

    items.forEach(function (item) {
      const entry = standard[item.item_id] || {};
      const rubric = entry.rubric || item.rubric;
      const samples = entry.samples || [];
      const part = el("section", {class: "mk-standard-item", "data-item": item.item_id},
                      [el("h3", {text: t("standard_of", {n: item.position})})]);
      if (rubric) { part.append(el("p", {class: "mk-rubric", text: rubric})); }
      samples.forEach(function (sample) {
        part.append(el("div", {class: "mk-sample"}, [el("span", {class: "tag", text: t("sample_score", {score: num(sample.score)})}),
                                                       el("pre", {class: "mk-text", text: sample.answer})]));
      });
      if (!rubric && !samples.length) { part.append(el("p", {class: "facts", text: t("standard_none")})); }
      standardBox.append(part);
    });

    clear(root);
    root.append(el("div", {class: "mk-sheet"}, [earlier, answers].filter(Boolean)),
                el("aside", {class: "mk-side"}, [form, standardBox]));

    function focusItem(index) {
      const target = boxes[Math.max(0, Math.min(boxes.length - 1, index))];
      if (target) { target.input.focus(); target.input.select(); }
    }

    function current(itemId) {
      standardBox.querySelectorAll(".mk-standard-item").forEach(function (part) {
        part.classList.toggle("current", part.dataset.item === itemId);
      });
      answers.querySelectorAll(".mk-answer").forEach(function (part) {
        part.classList.toggle("current", part.dataset.item === itemId);
      });
    }

    function update() {
      let sum = 0;
      let complete = true;
      boxes.forEach(function (b) {
        if (b.input.value.trim() === "") { complete = false; b.error.hidden = true; b.input.removeAttribute("aria-invalid"); return; }
        const checked = checkScore(b.input.value, b.item);
        b.error.hidden = !checked.error;
        b.error.textContent = checked.error || "";
        if (checked.error) { b.input.setAttribute("aria-invalid", "true"); complete = false; }
        else { b.input.removeAttribute("aria-invalid"); sum += checked.value; }
      });
      total.textContent = complete ? num(sum) : "–";
    }

    boxes.forEach(function (b, index) {
      b.input.addEventListener("focus", function () { current(b.item.item_id); });
      b.input.addEventListener("input", function () { formError.hidden = true; update(); });
      b.input.addEventListener("keydown", function (event) {
        if (event.isComposing) { return; }
        if (event.key === "ArrowDown" || (event.key === "ArrowRight" && b.input.selectionStart === b.input.value.length)) {
          event.preventDefault(); focusItem(index + 1);
        } else if (event.key === "ArrowUp" || (event.key === "ArrowLeft" && b.input.selectionStart === 0 && b.input.selectionEnd === 0)) {
          event.preventDefault(); focusItem(index - 1);
        } else if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey && !/[0-9.０-９．。]/.test(event.key)) {
          event.preventDefault();  // a score is digits; letters are the page's keys (P: 问题卷)
          if (options.onKey) { options.onKey(event.key); }
        }
      });
    });

    let sending = false;
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (sending) { return; }
      const scores = {};
      for (let index = 0; index < boxes.length; index += 1) {
        const checked = checkScore(boxes[index].input.value, boxes[index].item);
        if (checked.error) {
          update();
          boxes[index].error.hidden = false;
          boxes[index].error.textContent = checked.error;
          boxes[index].input.setAttribute("aria-invalid", "true");
          formError.textContent = t("not_sent", {n: boxes[index].item.position});
          formError.hidden = false;
          focusItem(index);
          return;
        }
        scores[boxes[index].item.item_id] = checked.value;
      }
      sending = true;
      submit.disabled = true;
      try {
        await options.submit(scores, Math.round((Date.now() - started) / 1000));
      } catch (error) {
        formError.textContent = describe(error);
        formError.hidden = false;
      } finally {
        sending = false;
        submit.disabled = false;
      }
    });

    focusItem(0);
    return {
      focus: function () { focusItem(0); },
      dispose: function () { objectUrls.forEach(function (u) { URL.revokeObjectURL(u); }); },
      showError: function (text) { formError.textContent = text; formError.hidden = false; },
    };
  }

  function earlierTable(items, marks) {
    const head = el("tr", {}, [el("th", {text: t("mark_of")})].concat(items.map(function (item) {
      return el("th", {class: "num", text: itemName(item)});
    })).concat([el("th", {class: "num", text: t("total")})]));
    const rows = marks.map(function (mark) {
      const who = label("mark_kind", mark.kind) + (mark.name ? t("by_whom", {name: mark.name}) : "");
      return el("tr", {}, [el("td", {text: who})].concat(items.map(function (item) {
        const score = mark.scores ? mark.scores[item.item_id] : null;
        return el("td", {class: "num", text: num(score)});
      })).concat([el("td", {class: "num", text: num(mark.total)})]));
    });
    return el("section", {class: "mk-earlier"}, [el("h3", {text: t("earlier_marks")}),
      el("table", {class: "grid", id: "mk-earlier"}, [el("thead", {}, [head]), el("tbody", {}, rows)])]);
  }

  // The marker's own heading: exam and item group by name (the API's words when it has them).
  function whoText(me) {
    const group = me.group_label || (label("subject", me.subject) + " " + t("group_n", {group: me.item_group}));
    return [me.exam_name, group, me.teacher_name].filter(Boolean).join(" · ");
  }

  document.addEventListener("keydown", function () {  // typing the next score: the confirmation has been seen
    const box = document.getElementById("mk-toast");
    if (box && box.classList.contains("done")) { box.hidden = true; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    const out = document.getElementById("mk-signout");
    if (out) { out.addEventListener("click", function () { signOut(window.XM.heldTaskId || null); }); }
  });

  return {t: t, label: label, num: num, pct: pct, el: el, clear: clear, show: show, toast: toast, call: call, has: has,
          signIn: signIn, signOut: signOut, describe: describe, checkScore: checkScore, mountScript: mountScript,
          whoText: whoText, itemName: itemName, ApiError: ApiError, api: API, heldTaskId: null};
})();
