// The group leader's page (题组长): arbitration (仲裁), problem scripts (问题卷), the markers watched
// live with their alerts, pause a marker, return or re-mark a script, and what nobody can mark.
// Sections whose endpoint this marker API lacks stay hidden; the lists refresh every 15 seconds.
"use strict";

(function () {
  const XM = window.XM;
  const t = XM.t;
  const ITEMS_KEY = "xuequ.marking.items.";
  const CLOSED = /resolved|returned|scored|closed|done/;
  // which column an alert (mkqc's keys) is about, to mark that figure in red
  const ALERT_COLUMN = {agreement: "agreement_rate", spread: "score_sd", mean_deviation: "mean_score",
                        speed: "marks_per_hour", trial: "trial_state"};
  let me = null;
  let features = {};
  let working = null;  // {kind: arbitration|problem|remark, task, problem}
  let view = null;
  let progressMarkers = [];

  function $(id) { return document.getElementById(id); }

  document.addEventListener("DOMContentLoaded", async function () {
    me = await XM.signIn();
    $("mk-who").textContent = XM.whoText(me) + " · " + XM.label("duty_role", me.role);
    if (me.role !== "leader") { XM.show($("ld-not-leader"), true); return; }
    features = {
      problems: await XM.has("GET", "/problems"),
      resolve: await XM.has("POST", "/problems/{problem_id}/resolve"),
      markers: await XM.has("GET", "/group/markers"),
      pause: await XM.has("POST", "/group/markers/{teacher_id}/pause"),
      giveBack: await XM.has("POST", "/group/scripts/{code}/return"),
      script: await XM.has("GET", "/group/scripts/{code}"),
      recent: await XM.has("GET", "/group/markers/{teacher_id}/marks"),
      trialDecision: await XM.has("POST", "/group/markers/{teacher_id}/trial"),
      remark: await XM.has("POST", "/group/scripts/{code}/remark"),
      unmarkable: await XM.has("GET", "/group/unmarkable"),
    };
    XM.show($("ld-page"), true);
    XM.show($("ld-problems"), features.problems);
    XM.show($("ld-scripts"), features.giveBack || features.remark);
    XM.show($("ld-return"), features.giveBack);
    XM.show($("ld-remark"), features.remark);
    XM.show($("ld-unmarkable"), features.unmarkable);
    $("ld-arbitrate").addEventListener("click", arbitrateNext);
    $("ld-close").addEventListener("click", function () { closeWork(true); });
    $("ld-script-form").addEventListener("submit", function (event) { event.preventDefault(); giveBack(); });
    $("ld-remark").addEventListener("click", remark);
    $("ld-pause-cancel").addEventListener("click", function () { $("ld-pause-dialog").close(); });
    $("ld-marks-close").addEventListener("click", function () { XM.show($("ld-marks"), false); });
    await refresh();
    setInterval(function () { if (!working) { refresh(); } }, 15000);
  });

  async function refresh() {
    await Promise.all([summary(), arbitration(), problems(), unmarkable()]);
    await markers();
    $("ld-updated").textContent = t("updated_at", {time: new Date().toLocaleTimeString(document.documentElement.lang)});
  }

  function remember(items) {  // the group's items, for re-marking a script by its code
    if (items && items.length) { localStorage.setItem(ITEMS_KEY + me.exam_id + "/" + me.subject + "/" + me.item_group, JSON.stringify(items)); }
  }

  function knownItems() {
    try { return JSON.parse(localStorage.getItem(ITEMS_KEY + me.exam_id + "/" + me.subject + "/" + me.item_group) || "null"); }
    catch (error) { return null; }
  }

  function row(cells, attributes) {
    return XM.el("tr", attributes || {}, cells.map(function (cell) {
      if (cell instanceof Node) { return cell; }
      return XM.el("td", typeof cell === "object" && cell !== null ? cell : {text: cell === null || cell === undefined ? "–" : String(cell)});
    }));
  }

  function head(table, names) {
    const thead = XM.clear(table.querySelector("thead"));
    thead.append(XM.el("tr", {}, names.map(function (name) { return XM.el("th", {text: name}); })));
    return XM.clear(table.querySelector("tbody"));
  }

  function when(value) {
    if (value === null || value === undefined || value === "") { return "–"; }
    const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString(document.documentElement.lang);
  }

  // --- the group at a glance ---------------------------------------------------------------------------

  async function summary() {
    let progress;
    try { progress = await XM.call("GET", "/group/progress"); } catch (error) { return; }
    const group = progress.group || {};
    progressMarkers = progress.markers || [];
    const figures = [
      ["fig_scripts", group.scripts], ["fig_final", group.final], ["fig_done", XM.num(group.done_pct, 1) + "%"],
      ["fig_third", group.waiting_third], ["fig_arbitration", group.waiting_arbitration], ["fig_leased", group.leased],
      ["fig_agreement", XM.pct(group.agreement_rate)], ["fig_third_rate", XM.pct(group.third_rate)],
      ["fig_median", group.median_seconds ? t("seconds_n", {n: XM.num(group.median_seconds, 0)}) : "–"],
      ["fig_speed", XM.num(group.marks_per_marker_hour, 0)],
    ];
    const list = XM.clear($("ld-figures"));
    figures.forEach(function (pair) {
      list.append(XM.el("div", {"data-figure": pair[0]}, [XM.el("dt", {text: t(pair[0])}),
                                                         XM.el("dd", {text: pair[1] === undefined || pair[1] === null ? "–" : String(pair[1])})]));
    });
  }

  // --- arbitration (仲裁) ---------------------------------------------------------------------------

  function marksByKind(marks) {
    const byKind = {};
    (marks || []).forEach(function (mark) { byKind[mark.kind] = mark; });
    return byKind;
  }

  async function arbitration() {
    let queue;
    try { queue = await XM.call("GET", "/arbitration"); } catch (error) { return; }
    const scripts = queue.scripts || [];
    $("ld-arb-count").textContent = t("waiting_n", {n: queue.waiting || 0});
    const body = head($("ld-arb-table"), [t("code"), t("state"), XM.label("mark_kind", "first"), XM.label("mark_kind", "second"),
                                          XM.label("mark_kind", "third"), t("note")]);
    if (!scripts.length) { body.append(row([{text: t("none_waiting"), colspan: "6", class: "facts"}])); }
    scripts.forEach(function (script) {
      const byKind = marksByKind(script.marks);
      const cell = function (kind) {
        const mark = byKind[kind];
        if (!mark) { return {text: "–", class: "num"}; }
        const detail = Object.keys(mark.scores || {}).map(function (item) { return XM.num(mark.scores[item]); }).join(" + ");
        return {text: XM.num(mark.total), class: "num", title: detail};
      };
      body.append(row([script.code, t("arb_state_" + script.state), cell("first"), cell("second"), cell("third"),
                       script.recused ? t("recused") : ""], {"data-code": script.code}));
    });
    $("ld-arbitrate").disabled = !scripts.some(function (s) { return s.state === "waiting" && !s.recused; });
  }

  async function arbitrateNext() {
    let answer;
    try { answer = await XM.call("POST", "/arbitration/next"); } catch (error) { XM.toast(XM.describe(error), "problem"); return; }
    if (!answer.task) {
      closeWork(false);
      XM.toast(t("no_arbitration_for_you"), "notice");
      return;
    }
    openWork({kind: "arbitration", task: answer.task}, {
      submitLabel: t("submit_arbitration"),
      submit: async function (scores, seconds) {
        const task = working.task;
        let result;
        try {
          result = await XM.call("POST", "/tasks/" + task.task_id + "/marks", {scores: scores, seconds: seconds});
        } catch (error) {
          if (error.status !== 409) { throw error; }
          XM.toast(XM.describe(error), "problem");
          result = null;
        }
        if (result) { XM.toast(t("arbitrated", {code: task.code})); }
        working = null;
        arbitrateNext();  // the next one, as a marker's next script; none left: back to the lists
      },
    });
  }

  // --- one script on screen --------------------------------------------------------------------------

  function openWork(job, options) {
    if (view) { view.dispose(); }
    working = job;
    remember(job.task.items);
    XM.heldTaskId = job.kind === "arbitration" ? job.task.task_id : null;
    $("mk-code").textContent = job.task.code;
    $("mk-kind").textContent = job.kind === "arbitration" ? XM.label("mark_kind", "arbitration") : t("kind_" + job.kind);
    XM.show($("ld-lists"), false);
    XM.show($("ld-work"), true);
    view = XM.mountScript($("mk-script"), job.task, Object.assign({keysHint: t("keys_hint_leader")}, options));
    window.scrollTo(0, 0);
    view.focus();
  }

  async function closeWork(release) {
    if (release && working && working.kind === "arbitration") {  // back to the queue now, not in 10 minutes
      try { await XM.call("POST", "/tasks/" + working.task.task_id + "/release"); } catch (error) { /* it expires */ }
    }
    if (view) { view.dispose(); view = null; }
    working = null;
    XM.heldTaskId = null;
    XM.show($("ld-work"), false);
    XM.show($("ld-lists"), true);
    refresh();
  }

  // --- problem scripts (问题卷) ---------------------------------------------------------------------

  async function problems() {
    if (!features.problems) { return; }
    let answer;
    try { answer = await XM.call("GET", "/problems"); } catch (error) {
      if (error.status === 404) { XM.show($("ld-problems"), false); }
      return;
    }
    const list = answer.problems || [];
    const open = list.filter(function (p) { return !CLOSED.test(p.state || ""); });
    $("ld-problem-count").textContent = t("waiting_n", {n: open.length});
    const body = head($("ld-problem-table"), [t("code"), t("problem_reason"), t("note"), t("reported_by"), t("reported_at"),
                                              t("state"), t("actions")]);
    if (!list.length) { body.append(row([{text: t("none_waiting"), colspan: "7", class: "facts"}])); }
    list.forEach(function (problem) {
      const actions = XM.el("td", {class: "ld-actions"});
      if (features.resolve && !CLOSED.test(problem.state || "")) {
        actions.append(XM.el("button", {type: "button", text: t("score_problem"), onclick: function () { scoreProblem(problem); }}),
                       XM.el("button", {type: "button", class: "secondary", text: t("return_problem"),
                                        onclick: function () { resolve(problem, {action: "return", scores: null, note: null}); }}));
      }
      body.append(row([problem.code, XM.label("problem_reason", problem.reason), problem.note || "", problem.reported_by || "–",
                       when(problem.reported_at),
                       XM.label("problem_state", problem.state || "open"), actions], {"data-problem": String(problem.problem_id)}));
    });
  }

  function scoreProblem(problem) {
    const task = Object.assign({kind: "problem"}, problem);
    openWork({kind: "problem", task: task, problem: problem}, {
      submitLabel: t("submit_problem"),
      submit: async function (scores) {
        await resolve(problem, {action: "score", scores: scores, note: null});
        closeWork(false);
      },
    });
  }

  async function resolve(problem, body) {
    await XM.call("POST", "/problems/" + problem.problem_id + "/resolve", body).then(function () {
      XM.toast(t(body.action === "score" ? "problem_scored" : "problem_returned", {code: problem.code}));
    }, function (error) {
      if (body.action === "score") { throw error; }  // shown under the score boxes
      XM.toast(XM.describe(error), "problem");
    });
    if (!working) { problems(); }
  }

  // --- the markers, live --------------------------------------------------------------------------

  async function markers() {
    const note = $("ld-markers-note");
    if (features.markers) {
      try {
        const answer = await XM.call("GET", "/group/markers");
        note.textContent = t("markers_note");
        return monitor(answer.markers || [], answer.thresholds || {});
      } catch (error) {
        if (error.status !== 404) { return; }
        features.markers = false;
      }
    }
    note.textContent = t("markers_note_basic");
    basic(progressMarkers);
  }

  // The contract's monitoring: speed, agreement, 三评率, mean and spread against the group, 回评,
  // standard scripts, the trial, paused; a marker with alerts is highlighted, each alert said.
  function monitor(rows, thresholds) {
    void thresholds;
    const columns = ["name", "marks", "marks_per_hour", "agreement_rate", "third_rate", "mean_score", "score_sd",
                     "self_consistency", "standard_accuracy", "trial_state", "paused", "alerts", "actions"];
    const body = head($("ld-marker-table"), columns.map(function (c) { return t("col_" + c); }));
    rows.forEach(function (marker) {
      const alerts = marker.alerts || [];
      const flagged = new Set(alerts.map(function (a) { return ALERT_COLUMN[a.key] || a.key; }));
      const cell = function (key, text, extra) {
        return Object.assign({text: text, class: (extra || "") + (flagged.has(key) ? " alert-cell" : "")}, {"data-key": key});
      };
      const actions = XM.el("td", {class: "ld-actions"});
      if (features.pause) {
        actions.append(marker.paused
          ? XM.el("button", {type: "button", class: "secondary", text: t("resume"), onclick: function () { pause(marker, false, t("resume")); }})
          : XM.el("button", {type: "button", class: "secondary", text: t("pause"), onclick: function () { askPause(marker); }}));
      }
      const trialCell = XM.el("td", {"data-key": "trial_state", class: flagged.has("trial_state") ? "alert-cell" : ""},
                              [marker.trial_state ? XM.label("trial_state", marker.trial_state) : "–"]);
      if (features.trialDecision && marker.trial_state === "failed") {
        trialCell.append(XM.el("div", {class: "ld-actions"}, [
          XM.el("button", {type: "button", class: "secondary", text: t("trial_pass"),
                           onclick: function () { decideTrial(marker, "pass"); }}),
          XM.el("button", {type: "button", class: "secondary", text: t("trial_allow_retake"),
                           onclick: function () { decideTrial(marker, "retake"); }})]));
      }
      const name = marker.name || marker.teacher_id;
      body.append(row([
        features.recent ? XM.el("td", {"data-key": "name"}, [XM.el("button", {type: "button", class: "link", text: name,
                                  title: t("recent_marks_of", {name: name}), onclick: function () { recentMarks(marker); }})])
          : cell("name", name),
        cell("marks", XM.num(marker.marks, 0), "num"),
        cell("marks_per_hour", XM.num(marker.marks_per_hour, 0), "num"),
        cell("agreement_rate", XM.pct(marker.agreement_rate), "num"),
        cell("third_rate", XM.pct(marker.third_rate), "num"),
        cell("mean_score", t("against_group", {value: XM.num(marker.mean_score), group: XM.num(marker.group_mean)}), "num"),
        cell("score_sd", t("against_group", {value: XM.num(marker.score_sd), group: XM.num(marker.group_sd)}), "num"),
        cell("self_consistency", XM.pct(marker.self_consistency), "num"),
        cell("standard_accuracy", XM.pct(marker.standard_accuracy), "num"),
        trialCell,
        Object.assign(cell("paused", marker.paused ? t("paused_yes") : ""), {title: marker.pause_reason || null}),
        XM.el("td", {class: "ld-alert-text"}, alerts.map(function (a) { return XM.el("div", {text: a.message || a.key}); })),
        actions,
      ], {class: alerts.length ? "alert" : (marker.paused ? "paused" : ""), "data-teacher": marker.teacher_id}));
    });
    if (!rows.length) { body.append(row([{text: t("none_waiting"), colspan: String(columns.length), class: "facts"}])); }
  }

  // Today's API: /group/progress has each marker's marks, speed and agreement, and a flag.
  function basic(rows) {
    const body = head($("ld-marker-table"), ["col_name", "col_role", "col_marks", "col_third_marks", "col_arbitrations",
                                             "col_median", "col_marks_per_hour", "col_agreement_rate", "col_mean_deviation",
                                             "col_alerts"].map(function (k) { return t(k); }));
    rows.forEach(function (marker) {
      body.append(row([marker.teacher_id, XM.label("duty_role", marker.role), {text: XM.num(marker.marks, 0), class: "num"},
                       {text: XM.num(marker.third_marks, 0), class: "num"}, {text: XM.num(marker.arbitrations, 0), class: "num"},
                       {text: XM.num(marker.median_seconds, 0), class: "num"}, {text: XM.num(marker.marks_per_hour, 0), class: "num"},
                       {text: XM.pct(marker.agreement_rate), class: "num" + (marker.flagged ? " alert-cell" : "")},
                       {text: XM.num(marker.mean_deviation), class: "num"}, flagReason(marker.flag_reason)],
                      {class: marker.flagged ? "alert" : "", "data-teacher": marker.teacher_id}));
    });
  }

  // /group/progress words its flags in English ("agreement 55% < 70%", "lenient by +1.20 on average").
  function flagReason(text) {
    return (text || "").split("; ").filter(Boolean).map(function (reason) {
      let found = /^agreement (\S+) < (\S+)$/.exec(reason);
      if (found) { return t("flag_agreement", {value: found[1], min: found[2]}); }
      found = /^(lenient|strict) by (\S+) on average$/.exec(reason);
      if (found) { return t("flag_" + found[1], {value: XM.num(Math.abs(Number(found[2])))}); }
      return reason;
    }).join("；");
  }

  function askPause(marker) {
    const dialog = $("ld-pause-dialog");
    $("ld-pause-title").textContent = t("pause_title", {name: marker.name || marker.teacher_id});
    $("ld-pause-reason").value = "";
    XM.show($("ld-pause-error"), false);
    $("ld-pause-form").onsubmit = async function (event) {
      event.preventDefault();
      const reason = $("ld-pause-reason").value.trim();
      if (!reason) { $("ld-pause-error").textContent = t("reason_needed"); XM.show($("ld-pause-error"), true); return; }
      if (await pause(marker, true, reason)) { dialog.close(); }
    };
    dialog.showModal();
    $("ld-pause-reason").focus();
  }

  async function pause(marker, paused, reason) {
    try {
      await XM.call("POST", "/group/markers/" + encodeURIComponent(marker.teacher_id) + "/pause", {paused: paused, reason: reason});
    } catch (error) {
      $("ld-pause-error").textContent = XM.describe(error);
      XM.show($("ld-pause-error"), true);
      XM.toast(XM.describe(error), "problem");
      return false;
    }
    XM.toast(t(paused ? "paused_done" : "resumed_done", {name: marker.name || marker.teacher_id}));
    markers();
    return true;
  }

  async function decideTrial(marker, decision) {
    try {
      await XM.call("POST", "/group/markers/" + encodeURIComponent(marker.teacher_id) + "/trial", {decision: decision});
    } catch (error) { XM.toast(XM.describe(error), "problem"); return; }
    XM.toast(t(decision === "pass" ? "trial_passed_by_leader" : "trial_retake_granted", {name: marker.name || marker.teacher_id}));
    markers();
  }

  // A marker's latest marks beside their partner's, each script returnable for another mark (退回重评).
  async function recentMarks(marker) {
    const name = marker.name || marker.teacher_id;
    let answer;
    try {
      answer = await XM.call("GET", "/group/markers/" + encodeURIComponent(marker.teacher_id) + "/marks?limit=30");
    } catch (error) { XM.toast(XM.describe(error), "problem"); return; }
    $("ld-marks-title").textContent = t("recent_marks_of", {name: name});
    XM.show($("ld-marks-message"), false);
    const body = head($("ld-marks-table"), [t("code"), t("mark_of"), t("total"), t("partner_total"), t("col_median_one"),
                                            t("marked_at"), t("actions")]);
    const marks = answer.marks || [];
    if (!marks.length) { body.append(row([{text: t("none_waiting"), colspan: "7", class: "facts"}])); }
    marks.forEach(function (mark) {
      const apart = mark.partner_total !== null && mark.partner_total !== undefined && mark.agreed === false;
      const actions = XM.el("td", {class: "ld-actions"});
      if (features.giveBack) {
        actions.append(XM.el("button", {type: "button", class: "secondary", text: t("return_script"), onclick: function () {
          returnMark(mark.code, marker.teacher_id);
        }}));
      }
      body.append(row([mark.code, XM.label("mark_kind", mark.kind), {text: XM.num(mark.total), class: "num"},
                       {text: XM.num(mark.partner_total), class: "num" + (apart ? " alert-cell" : "")},
                       {text: mark.seconds ? t("seconds_n", {n: XM.num(mark.seconds, 0)}) : "–", class: "num"},
                       when(mark.marked_at), actions], {"data-code": mark.code}));
    });
    XM.show($("ld-marks"), true);
    $("ld-marks").scrollIntoView();
  }

  async function returnMark(code, teacherId) {
    const reason = $("ld-marks-reason").value.trim();
    const box = $("ld-marks-message");
    if (!reason) {
      box.textContent = t("reason_needed"); box.className = "problem"; XM.show(box, true); $("ld-marks-reason").focus();
      return;
    }
    try {
      await XM.call("POST", "/group/scripts/" + encodeURIComponent(code) + "/return", {reason: reason, teacher_id: teacherId});
    } catch (error) {
      box.textContent = XM.describe(error); box.className = "problem"; XM.show(box, true);
      return;
    }
    box.textContent = t("returned", {code: code}); box.className = "done"; XM.show(box, true);
    refresh();
  }

  // --- a script by its code: return it for another mark, or re-mark it --------------------------------

  function scriptMessage(text, kind) {
    const box = $("ld-script-message");
    box.textContent = text;
    box.className = kind || "done";
    XM.show(box, true);
  }

  async function giveBack() {
    const code = $("ld-script-code").value.trim();
    const reason = $("ld-script-reason").value.trim();
    if (!code) { scriptMessage(t("code_needed"), "problem"); return; }
    if (!reason) { scriptMessage(t("reason_needed"), "problem"); $("ld-script-reason").focus(); return; }
    try {
      await XM.call("POST", "/group/scripts/" + encodeURIComponent(code) + "/return", {reason: reason});
    } catch (error) {
      scriptMessage(error.status === 404 ? t("no_such_code", {code: code}) : XM.describe(error), "problem");
      return;
    }
    scriptMessage(t("returned", {code: code}));
    refresh();
  }

  // The leader's own mark replaces the final: with the script on screen (GET /group/scripts/{code}, its
  // answers and every mark by name) where the API has it, else score boxes for the group's questions.
  async function remark() {
    const code = $("ld-script-code").value.trim();
    if (!code) { scriptMessage(t("code_needed"), "problem"); return; }
    let task = null;
    if (features.script) {
      try {
        const view = await XM.call("GET", "/group/scripts/" + encodeURIComponent(code));
        task = {code: view.code, kind: "remark", items: view.items, answers: view.answers, scans: view.scans,
                earlier_marks: view.marks};
      } catch (error) {
        scriptMessage(error.status === 404 ? t("no_such_code", {code: code}) : XM.describe(error), "problem");
        return;
      }
    } else {
      const items = knownItems();
      if (!items) { scriptMessage(t("items_unknown"), "notice"); return; }
      task = {code: code, kind: "remark", items: items, answers: null};
    }
    openWork({kind: "remark", task: task}, {
      noAnswers: !features.script, submitLabel: t("submit_remark"),
      submit: async function (scores) {
        try {
          await XM.call("POST", "/group/scripts/" + encodeURIComponent(code) + "/remark", {scores: scores});
        } catch (error) {
          if (error.status === 404) { throw new XM.ApiError(404, "", t("no_such_code", {code: code})); }
          throw error;
        }
        closeWork(false);
        scriptMessage(t("remarked", {code: code}));
      },
    });
  }

  // --- what nobody eligible can mark -----------------------------------------------------------------

  async function unmarkable() {
    if (!features.unmarkable) { return; }
    let answer;
    try { answer = await XM.call("GET", "/group/unmarkable"); } catch (error) {
      if (error.status === 404) { XM.show($("ld-unmarkable"), false); }
      return;
    }
    const entries = Array.isArray(answer) ? answer
      : (Object.values(answer || {}).find(function (v) { return Array.isArray(v); }) || []);
    const list = XM.clear($("ld-unmarkable-list"));
    if (!entries.length) { list.append(XM.el("li", {class: "facts", text: t("none_unmarkable")})); }
    entries.forEach(function (entry) {
      const text = typeof entry === "string" ? entry : entry.message || entry.zh ||
        Object.keys(entry).map(function (k) { return k + ": " + (typeof entry[k] === "object" ? JSON.stringify(entry[k]) : entry[k]); }).join(" · ");
      list.append(XM.el("li", {class: "alert", text: text}));
    });
  }
})();
