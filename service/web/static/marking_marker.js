// The marker's page (阅卷): one anonymous script at a time, keyboard first.
// Enter submits and the next script loads; P (or the button) reports a problem script (问题卷);
// a reload shows the script still held (POST /next hands back the lease), with its time so far.
"use strict";

(function () {
  const XM = window.XM;
  const t = XM.t;
  const STARTED = "xuequ.marking.started.";
  const REASONS = ["blank", "illegible", "off_topic", "cheating", "other"];
  let me = null;
  let task = null;
  let view = null;
  let features = {};
  let retry = null;
  let lastKind = null;
  let lastProgress = null;  // the last /me/progress
  let sentSinceProgress = 0;  // scripts sent since then (counted here until the next refresh)

  function $(id) { return document.getElementById(id); }

  document.addEventListener("DOMContentLoaded", async function () {
    me = await XM.signIn();
    $("mk-who").textContent = XM.whoText(me) + " · " + XM.label("duty_role", me.role);
    XM.show($("mk-leader-link"), me.role === "leader");
    features = {
      problem: await XM.has("POST", "/tasks/{task_id}/problem"),
      trial: await XM.has("GET", "/trial"),
      retake: await XM.has("POST", "/trial/retake"),
    };
    buildProblemDialog();
    $("mk-again").addEventListener("click", next);
    document.addEventListener("keydown", function (event) {  // P anywhere but a text box: 问题卷
      const typing = event.target instanceof HTMLInputElement || $("mk-problem-dialog").open;
      if (!typing && !event.isComposing && (event.key === "p" || event.key === "P") && task) { openProblem(); }
    });
    $("mk-retake").addEventListener("click", retake);
    refreshProgress();
    setInterval(refreshProgress, 30000);
    setInterval(tick, 1000);
    next();
  });

  // --- the queue -----------------------------------------------------------------------------------

  async function next() {
    clearTimeout(retry);
    let answer;
    try {
      answer = await XM.call("POST", "/next");
    } catch (error) {
      wait(XM.describe(error), 15);
      return;
    }
    await follow(answer);
  }

  // What /next answered, or a submit's "next" (the same shape): a script, or why there is none now.
  async function follow(answer) {
    if (answer.task) { showTask(answer.task); return; }
    if (answer.paused) {  // {"task": null, "paused": true, "code": "paused|trial_failed|…", "reason": "…"}
      if (String(answer.code || "").startsWith("trial") && await trialOver()) { return; }
      wait(answer.reason ? answer.reason + t("paused_note") : t("paused_no_reason"), 20);
      return;
    }
    if (await trialOver()) { return; }
    wait(me.role === "leader" ? t("nothing_leader") : t("nothing_now"), 20);
  }

  function wait(text, seconds) {
    if (view) { view.dispose(); view = null; }
    task = null;
    XM.heldTaskId = null;
    XM.show($("mk-work"), false);
    $("mk-wait-text").textContent = text;
    XM.show($("mk-wait"), true);
    $("mk-again").focus();
    if (seconds) { retry = setTimeout(next, seconds * 1000); }
  }

  function showTask(next) {
    if (view) { view.dispose(); }
    if (lastKind === "trial" && next.kind !== "trial") { XM.toast(t("trial_passed")); }
    lastKind = next.kind;
    task = next;
    XM.heldTaskId = task.task_id;
    const key = STARTED + task.task_id;  // the time on this script survives a reload
    const started = Number(sessionStorage.getItem(key)) || Date.now();
    sessionStorage.setItem(key, String(started));
    task.startedAt = started;
    $("mk-code").textContent = task.code;
    $("mk-kind").textContent = XM.label("mark_kind", task.kind);
    XM.show($("mk-trial"), task.kind === "trial");
    if (task.kind === "trial") { trialBanner(); }
    const extra = [];
    if (features.problem) {
      extra.push(XM.el("button", {type: "button", id: "mk-problem", class: "secondary", onclick: openProblem},
                       [t("problem_button"), " ", XM.el("kbd", {text: "P"})]));
    }
    extra.push(XM.el("button", {type: "button", id: "mk-release", class: "link", onclick: release, text: t("release")}));
    view = XM.mountScript($("mk-script"), task, {
      startedAt: started, submit: submit, extraActions: extra,
      keysHint: features.problem ? t("keys_hint") : t("keys_hint_no_problem"),
      onKey: function (key) { if (key.toLowerCase() === "p" && features.problem) { openProblem(); } },
    });
    XM.show($("mk-wait"), false);
    XM.show($("mk-work"), true);
    tick();
    view.focus();
  }

  function forget() {
    if (task) { sessionStorage.removeItem(STARTED + task.task_id); }
    XM.heldTaskId = null;
  }

  async function submit(scores, seconds) {
    const done = task;
    let result;
    try {
      // one request per script: the mark, and the next script leased in the same call
      result = await XM.call("POST", "/tasks/" + done.task_id + "/marks", {scores: scores, seconds: seconds, next: true});
    } catch (error) {
      if (error.status === 409) {  // the lease ran out or the script was settled meanwhile: the next one
        XM.toast(XM.describe(error), "problem");
        forget();
        next();
        return;
      }
      throw error;  // the scores stay on screen; Enter sends them again (a repeat counts once)
    }
    forget();
    XM.toast(t(result.duplicate ? "sent_again" : "sent", {code: done.code}));
    if (!result.duplicate) { sentSinceProgress += 1; }
    // the figures from the server every 10th script (and every 30 s); my count in between from here
    if (sentSinceProgress >= 10) { refreshProgress(); } else { showProgress(); }
    if (result.next) { await follow(result.next); } else { next(); }
  }

  async function release() {
    if (!task) { return; }
    const held = task;
    try { await XM.call("POST", "/tasks/" + held.task_id + "/release"); } catch (error) { XM.toast(XM.describe(error), "problem"); return; }
    forget();
    wait(t("released", {code: held.code}), 0);
  }

  function tick() {
    if (!task) { return; }
    const seconds = Math.max(0, Math.round((Date.now() - task.startedAt) / 1000));
    $("mk-timer").textContent = t("time_on_script", {time: Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0")});
  }

  // --- my progress and my group's ------------------------------------------------------------------

  async function refreshProgress() {
    let progress;
    try { progress = await XM.call("GET", "/me/progress"); } catch (error) { return; }
    lastProgress = progress;
    sentSinceProgress = 0;
    showProgress();
  }

  function showProgress() {
    if (!lastProgress) { return; }
    const mine = lastProgress.marker || {};
    const group = lastProgress.group || {};
    const marks = (mine.marks || 0) + (mine.third_marks || 0) + (mine.arbitrations || 0) + sentSinceProgress;
    const parts = [t("my_marks", {n: marks})];
    if (mine.marks_per_hour) { parts.push(t("my_speed", {n: XM.num(mine.marks_per_hour, 0)})); }
    if (mine.median_seconds) { parts.push(t("my_median", {n: XM.num(mine.median_seconds, 0)})); }
    if (mine.agreement_rate !== null && mine.agreement_rate !== undefined) { parts.push(t("my_agreement", {pct: XM.pct(mine.agreement_rate)})); }
    const stats = $("mk-stats");
    XM.clear(stats);
    stats.append(XM.el("span", {id: "mk-mine", text: parts.join(" · ")}));
    if (group.scripts) {
      const fill = XM.el("span");
      fill.style.width = Math.min(100, group.done_pct || 0) + "%";  // CSSOM, not a style attribute (CSP)
      const bar = XM.el("span", {class: "mk-bar", title: t("group_progress")}, [fill]);
      stats.append(XM.el("span", {id: "mk-group"}, [t("group_short"), " ", bar, " ",
        t("group_done", {pct: XM.num(group.done_pct, 1), final: group.final, scripts: group.scripts})]));
    }
    XM.show(stats, true);
  }

  // --- problem scripts (问题卷) ---------------------------------------------------------------------

  function buildProblemDialog() {
    const box = $("mk-reasons");
    REASONS.forEach(function (reason, index) {
      box.append(XM.el("label", {class: "mk-reason"}, [
        XM.el("input", {type: "radio", name: "reason", value: reason, id: "reason-" + reason}),
        XM.el("kbd", {text: String(index + 1)}), " ", XM.label("problem_reason", reason)]));
    });
    const dialog = $("mk-problem-dialog");
    $("mk-problem-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { if (view) { view.focus(); } });
    dialog.addEventListener("keydown", function (event) {
      if (event.isComposing || event.target.id === "mk-problem-note") { return; }
      const index = Number(event.key) - 1;
      if (Number.isInteger(index) && index >= 0 && index < REASONS.length) {
        event.preventDefault();
        const radio = $("reason-" + REASONS[index]);
        radio.checked = true;
        radio.focus();
      } else if (event.key === "Enter") {
        event.preventDefault();
        sendProblem();
      }
    });
    $("mk-problem-form").addEventListener("submit", function (event) { event.preventDefault(); sendProblem(); });
  }

  function openProblem() {
    if (!task || !features.problem) { return; }
    const dialog = $("mk-problem-dialog");
    dialog.querySelectorAll("input[name=reason]").forEach(function (radio) { radio.checked = false; });
    $("mk-problem-note").value = "";
    XM.show($("mk-problem-error"), false);
    dialog.showModal();
    $("reason-" + REASONS[0]).focus();
  }

  async function sendProblem() {
    const chosen = document.querySelector("#mk-reasons input:checked");
    const note = $("mk-problem-note").value.trim();
    const error = $("mk-problem-error");
    if (!chosen) { error.textContent = t("problem_pick"); XM.show(error, true); return; }
    if (chosen.value === "other" && !note) { error.textContent = t("problem_note_needed"); XM.show(error, true); $("mk-problem-note").focus(); return; }
    const held = task;
    try {
      await XM.call("POST", "/tasks/" + held.task_id + "/problem", {reason: chosen.value, note: note || null});
    } catch (failure) {
      error.textContent = XM.describe(failure);
      XM.show(error, true);
      return;
    }
    $("mk-problem-dialog").close();
    forget();
    XM.toast(t("problem_sent", {code: held.code}));
    next();
  }

  // --- trial marking (试评) -------------------------------------------------------------------------

  async function trial() {
    if (!features.trial) { return null; }
    try { return await XM.call("GET", "/trial"); } catch (error) { return null; }
  }

  async function trialBanner() {
    const state = await trial();
    const banner = $("mk-trial");
    banner.textContent = state && state.total ? t("trial_banner_n", {n: (state.done || 0) + 1, total: state.total})
      : t("trial_banner");
  }

  // When /next has nothing: a failed trial says so, with the results and (if allowed) a retake.
  async function trialOver() {
    const state = await trial();
    if (!state || !state.required || state.state !== "failed") { return false; }
    wait(t("trial_failed", {tolerance: XM.num(state.tolerance)}), 0);
    const results = $("mk-trial-results");
    XM.clear(results);
    if (state.results && state.results.length) {
      results.append(XM.el("table", {class: "grid", id: "mk-trial-table"}, [
        XM.el("thead", {}, [XM.el("tr", {}, [t("trial_item"), t("trial_expert"), t("trial_given"), t("trial_within")].map(
          function (head) { return XM.el("th", {text: head}); }))]),
        XM.el("tbody", {}, state.results.map(function (row) {
          return XM.el("tr", {class: row.within ? "" : "alert"}, [
            XM.el("td", {text: t("item_n", {n: row.position})}), XM.el("td", {class: "num", text: XM.num(row.expert)}),
            XM.el("td", {class: "num", text: XM.num(row.given)}), XM.el("td", {text: row.within ? t("yes") : t("no")})]);
        }))]));
    }
    XM.show($("mk-retake"), features.retake);
    return true;
  }

  async function retake() {
    try { await XM.call("POST", "/trial/retake"); } catch (error) { XM.toast(XM.describe(error), "problem"); return; }
    XM.show($("mk-retake"), false);
    XM.clear($("mk-trial-results"));
    next();
  }
})();
