"use strict";
// The agent console: sign in, watch the queue, claim a case, chat with the
// borrower through the guard, record a promise or plan, hand back or close.
// It talks to /v1/agent/... with a console token and listens on one
// WebSocket (queue changes, and the open conversation's bridge).
(() => {
  const T = {
    en: {
      title: "Agent console", offline: "offline", online: "live", signOut: "Sign out", signInTitle: "Sign in",
      user: "User", password: "Password", signIn: "Sign in", queue: "Queue", queueEmpty: "No one is waiting.",
      mine: "My conversations", liveConvs: "Live conversations", board: "Cases", pickCase: "Pick a case from the queue.",
      readOnly: "read-only", claim: "Claim", typeHere: "Write to the borrower…", send: "Send",
      recordTitle: "Record a promise or plan", kind: "Kind", kindPTP: "Promise to pay", kindPlan: "Installment plan",
      kindPayNow: "Pay now", kindExt: "Extension", amount: "Amount", date: "Date", count: "Payments",
      firstDate: "First payment", every: "Every (days)", record: "Record", handBack: "Hand back to the bot",
      outcomeKeep: "Outcome: as recorded", outcomeNone: "No agreement", outcomeDispute: "Dispute",
      outcomeEscalated: "Escalated further", outcomeCease: "Stop contact", outcomeWrong: "Wrong person",
      close: "Close conversation", waiting: "waiting", priority: "Priority", reason: "Reason", verified: "Verified",
      yes: "yes", no: "no", disclosures: "Disclosures", offers: "Offers", none: "none", stage: "Stage",
      channel: "Channel", locale: "Language", name: "Name", phone: "Phone", idLast: "ID", creditor: "Creditor",
      due: "Amount due", dueDate: "Due date", dpd: "Days past due", ref: "Account", claimed: "Claimed by another agent.",
      blocked: "Not sent. The guard found:", warn: "The guard would stop this:", signInFailed: "Wrong user or password.",
      tooMany: "Too many attempts; wait a minute.", expired: "Your session ended; sign in again.",
      handedBack: "Handed back to the bot.", closed: "Conversation closed.", recorded: "Recorded.",
      leaseLost: "Your claim lapsed; the case went back to the queue.", agentBy: "agent", sec: "s", min: "min",
      modes: { bot: "bot", waiting_agent: "waiting for agent", agent: "with agent", ended: "ended" },
      statuses: { queued: "waiting", accepted: "claimed", completed: "done", expired: "expired", failed: "failed" },
      waited: "Waited",
      callbacks: "Callbacks", callbacksEmpty: "No callbacks to make.", callAt: "Call", callChat: "Reply in the chat",
      done: "Done", doneFailed: "Could not mark the callback done:",
      results: { reached: "Reached", no_answer: "No answer", cancelled: "Cancelled" },
      rules: { ok: "in hours", outside_hours: "outside hours", attempt_cap: "call limit reached", no_consent: "no consent to calls",
        do_not_contact: "do not call", attempts_unavailable: "attempts unknown" },
      from: { borrower: "Borrower", bot: "Bot", agent: "Agent", system: "" },
      reasons: { human_requested: "Asked for a person", dispute: "Dispute", hardship: "Hardship", distress: "Distress",
        complaint: "Complaint", misunderstood: "Repeatedly misunderstood", off_policy: "Offer outside policy", abuse: "Abuse" },
      lateReason: "Why late",
      lateReasons: { job_loss: "Lost their job", reduced_income: "Less income", illness: "Illness", payday_timing: "Not paid yet (payday)",
        unexpected_expense: "Unexpected expense", family: "Family matters", forgot: "Forgot", dispute: "Disputes the debt", other: "Other reason" },
    },
    zh: {
      title: "坐席工作台", offline: "离线", online: "在线", signOut: "退出", signInTitle: "登录",
      user: "用户名", password: "密码", signIn: "登录", queue: "排队", queueEmpty: "暂无排队客户。",
      mine: "我的会话", liveConvs: "进行中的会话", board: "案件", pickCase: "请从队列中选择一个案件。",
      readOnly: "只读", claim: "接入", typeHere: "输入给客户的消息…", send: "发送",
      recordTitle: "记录还款承诺或分期", kind: "类型", kindPTP: "承诺还款", kindPlan: "分期还款",
      kindPayNow: "立即还款", kindExt: "延期", amount: "金额", date: "日期", count: "期数",
      firstDate: "首期日期", every: "间隔（天）", record: "记录", handBack: "交还给智能助手",
      outcomeKeep: "结果：按已记录", outcomeNone: "未达成", outcomeDispute: "争议",
      outcomeEscalated: "进一步升级", outcomeCease: "停止联系", outcomeWrong: "非本人",
      close: "结束会话", waiting: "等待", priority: "优先级", reason: "原因", verified: "已核身",
      yes: "是", no: "否", disclosures: "已告知", offers: "已提出方案", none: "无", stage: "阶段",
      channel: "渠道", locale: "语言", name: "姓名", phone: "电话", idLast: "证件", creditor: "债权方",
      due: "应还金额", dueDate: "到期日", dpd: "逾期天数", ref: "账户", claimed: "已被其他坐席接入。",
      blocked: "未发送。合规检查发现：", warn: "合规检查将拦截：", signInFailed: "用户名或密码错误。",
      tooMany: "尝试次数过多，请稍后再试。", expired: "登录已过期，请重新登录。",
      handedBack: "已交还给智能助手。", closed: "会话已结束。", recorded: "已记录。",
      leaseLost: "接入已失效，案件已回到队列。", agentBy: "坐席", sec: "秒", min: "分钟",
      modes: { bot: "智能助手", waiting_agent: "等待人工", agent: "人工服务中", ended: "已结束" },
      statuses: { queued: "等待中", accepted: "已接入", completed: "已完成", expired: "已超时", failed: "失败" },
      waited: "等待时长",
      callbacks: "回电任务", callbacksEmpty: "暂无回电任务。", callAt: "回电", callChat: "在对话中回复",
      done: "完成", doneFailed: "无法完成回电任务：",
      results: { reached: "已联系上", no_answer: "无人接听", cancelled: "已取消" },
      rules: { ok: "允许时段内", outside_hours: "允许时段外", attempt_cap: "已达呼叫上限", no_consent: "未同意电话联系",
        do_not_contact: "勿联系", attempts_unavailable: "联系记录不可用" },
      from: { borrower: "客户", bot: "助手", agent: "坐席", system: "" },
      reasons: { human_requested: "要求人工", dispute: "争议", hardship: "经济困难", distress: "情绪困扰",
        complaint: "投诉", misunderstood: "多次未理解", off_policy: "超出政策的方案", abuse: "辱骂" },
      lateReason: "逾期原因",
      lateReasons: { job_loss: "失业", reduced_income: "收入减少", illness: "生病", payday_timing: "工资未发",
        unexpected_expense: "意外开支", family: "家庭原因", forgot: "忘记了", dispute: "对欠款有异议", other: "其他原因" },
    },
  };
  const $ = (id) => document.getElementById(id);
  const st = {
    lang: pickLang(), token: sessionStorage.getItem("console.token") || "", user: null, queue: null,
    caseId: "", convId: "", detail: null, ws: null, wsKey: "", lastSeq: 0, seen: new Set(), retries: 0, checkTimer: 0,
  };
  function pickLang() {
    const q = new URLSearchParams(location.search).get("lang");
    if (q === "zh" || q === "en") return q;
    return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  }
  const t = () => T[st.lang];

  function applyLang() {
    document.documentElement.lang = st.lang === "zh" ? "zh-CN" : "en-US";
    document.querySelectorAll("[data-i18n]").forEach((el) => { const v = t()[el.dataset.i18n]; if (v) el.textContent = v; });
    document.querySelectorAll("[data-i18n-ph]").forEach((el) => { el.placeholder = t()[el.dataset.i18nPh]; });
    document.querySelectorAll("[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === st.lang)));
    setLive(st.ws && st.ws.readyState === 1);
    if (st.queue) renderQueue(st.queue);
    if (st.callbacks) renderCallbacks(st.callbacks);
    if (st.detail) renderDetail(st.detail);
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method, headers: Object.assign({ "Content-Type": "application/json" }, st.token ? { Authorization: "Bearer " + st.token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.status === 401 && st.user) { signOut(t().expired); }
    return { status: res.status, data: data || {} };
  }

  // Sign-in.
  async function signIn(ev) {
    ev.preventDefault();
    const err = $("signin-error");
    err.hidden = true;
    $("signin-btn").disabled = true;
    const r = await api("POST", "/v1/agent/signin", { user: $("user").value.trim(), password: $("password").value });
    $("signin-btn").disabled = false;
    if (r.status !== 200) {
      err.textContent = r.status === 429 ? t().tooMany : t().signInFailed;
      err.hidden = false;
      return;
    }
    st.token = r.data.token;
    sessionStorage.setItem("console.token", st.token);
    $("password").value = "";
    start(r.data.user);
  }

  function signOut(msg) {
    st.token = ""; st.user = null;
    sessionStorage.removeItem("console.token");
    closeWS();
    $("app").hidden = true; $("signin").hidden = false; $("signout").hidden = true; $("who").hidden = true;
    if (msg) { $("signin-error").textContent = msg; $("signin-error").hidden = false; }
  }

  function start(user) {
    st.user = user;
    $("signin").hidden = true; $("app").hidden = false; $("signout").hidden = false;
    $("who").hidden = false;
    $("who").textContent = user.name + " · " + user.role;
    $("sup").hidden = user.role !== "supervisor";
    document.body.dataset.role = user.role;
    connect();
    if (user.role === "supervisor") loadConvs();
    loadCallbacks();
    if (!st.ticking) {
      st.ticking = true;
      setInterval(() => { loadConvs(); if (st.queue) renderQueue(st.queue); }, 5000);
      setInterval(loadCallbacks, 30000);
    }
  }

  // The WebSocket: queue changes always; the open case's bridge.
  function wsURL() {
    const q = new URLSearchParams({ token: st.token });
    const p = streamParams();
    if (p) q.set(p[0], p[1]);
    if (p && st.lastSeq > 0) q.set("after", String(st.lastSeq));
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/agent/ws?" + q;
  }
  function closeWS() {
    if (st.ws) { st.ws.onclose = null; st.ws.close(); st.ws = null; }
    setLive(false);
  }
  function connect() {
    closeWS();
    if (!st.token) return;
    const ws = new WebSocket(wsURL());
    st.ws = ws;
    ws.onopen = () => { st.retries = 0; setLive(true); };
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.queue) { st.queue = f.queue; st.queueAt = Date.now(); renderQueue(f.queue); soonCallbacks(); }
      if (f.type === "message" && f.message) onBridge(f.message);
      if (f.type === "lease") showError(t().leaseLost);
    };
    ws.onclose = () => {
      setLive(false);
      if (st.ws !== ws || !st.token) return;
      st.retries++;
      setTimeout(() => { if (st.ws === ws) connect(); }, Math.min(5000, 250 * 2 ** st.retries));
    };
  }
  function setLive(on) {
    const el = $("live");
    el.dataset.state = on ? "on" : "off";
    el.textContent = on ? t().online : t().offline;
  }

  function onBridge(m) {
    if (m.seq) st.lastSeq = Math.max(st.lastSeq, m.seq);
    if (m.id && st.seen.has(m.id)) return;
    if (m.id) st.seen.add(m.id);
    if (m.type === "status") {
      if (st.detail) { st.detail.conversation.mode = m.mode; renderMode(); }
      return;
    }
    addLine({ from: m.from, name: m.name, text: m.text });
  }

  // Queue list.
  function waited(s) {
    return s < 120 ? s + " " + t().sec : Math.floor(s / 60) + " " + t().min;
  }
  function reasonText(r) { return t().reasons[r] || r; }
  function caseItem(c) {
    const li = document.createElement("li");
    li.dataset.case = c.id;
    li.dataset.status = c.status;
    if (c.id === st.caseId) li.setAttribute("aria-current", "true");
    const row = document.createElement("div");
    row.className = "row";
    const left = document.createElement("span");
    const p = document.createElement("span");
    p.className = "prio"; p.dataset.p = c.priority; p.textContent = c.priority;
    const reason = document.createElement("span");
    reason.className = "reason"; reason.textContent = " " + reasonText(c.reason);
    left.append(p, reason);
    const right = document.createElement("span");
    right.className = "meta";
    // Waiting times count on between queue frames.
    const since = c.status === "queued" ? c.waiting_seconds + Math.floor((Date.now() - (st.queueAt || Date.now())) / 1000) : 0;
    right.textContent = c.status === "queued" ? (c.position ? "#" + c.position + " · " : "") + t().waiting + " " + waited(since) : (t().statuses[c.status] || c.status) + (c.agent_id ? " · " + c.agent_id : "");
    row.append(left, right);
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = c.account_ref + " · " + c.channel + " · " + c.locale + " · " + (c.verified ? "✓ " + t().verified : "✗ " + t().verified);
    li.append(row, meta);
    li.addEventListener("click", () => openCase(c.id));
    return li;
  }
  function renderQueue(q) {
    const list = $("queue");
    list.replaceChildren(...q.waiting.map(caseItem));
    $("queue-count").textContent = q.waiting.length;
    $("queue-empty").hidden = q.waiting.length > 0;
    $("mine").replaceChildren(...q.mine.map(caseItem));
    if (q.board) $("board").replaceChildren(...q.board.map(caseItem));
  }

  // Callback tasks: cases nobody claimed in time, the borrower offered a
  // call back. Re-read when the queue changes (an expiry moves a case off
  // it) and every 30 s.
  function soonCallbacks() {
    if (st.cbTimer) return;
    st.cbTimer = setTimeout(() => { st.cbTimer = 0; loadCallbacks(); }, 500);
  }
  async function loadCallbacks() {
    if (!st.user) return;
    const r = await api("GET", "/v1/agent/callbacks");
    if (r.status !== 200) return;
    st.callbacks = r.data.callbacks || [];
    renderCallbacks(st.callbacks);
  }
  function when(iso) {
    return new Date(iso).toLocaleString(st.lang === "zh" ? "zh-CN" : "en-US", { dateStyle: "medium", timeStyle: "short" });
  }
  function callbackItem(c) {
    const li = document.createElement("li");
    li.dataset.callback = c.id;
    const row = document.createElement("div");
    row.className = "row";
    const left = document.createElement("span");
    left.className = "reason";
    left.textContent = c.callback_at ? t().callAt + " " + when(c.callback_at) : t().callChat;
    const right = document.createElement("span");
    right.className = "meta";
    right.textContent = reasonText(c.reason);
    row.append(left, right);
    const meta = document.createElement("div");
    meta.className = "meta";
    const a = c.account || {};
    meta.textContent = [a.name, a.ref, a.phone, c.channel, c.locale, t().rules[c.rule] || c.rule,
      t().waited + " " + waited(c.waiting_seconds)].filter(Boolean).join(" · ");
    const act = document.createElement("div");
    act.className = "cb-actions";
    const sel = document.createElement("select");
    sel.className = "cb-result";
    sel.setAttribute("aria-label", t().done);
    for (const k of ["reached", "no_answer", "cancelled"]) {
      const o = document.createElement("option"); o.value = k; o.textContent = t().results[k]; sel.append(o);
    }
    const btn = document.createElement("button");
    btn.type = "button"; btn.className = "cb-done"; btn.textContent = t().done;
    btn.addEventListener("click", () => callbackDone(c.id, sel.value, btn));
    act.append(sel, btn);
    li.append(row, meta, act);
    return li;
  }
  function renderCallbacks(list) {
    $("callbacks").replaceChildren(...list.map(callbackItem));
    $("cb-count").textContent = list.length;
    $("cb-empty").hidden = list.length > 0;
  }
  async function callbackDone(id, result, btn) {
    btn.disabled = true;
    $("cb-error").hidden = true;
    const r = await api("POST", "/v1/agent/callbacks/" + encodeURIComponent(id) + "/done", { result });
    btn.disabled = false;
    // Done by someone else (409) is gone from the list all the same.
    if (r.status !== 200 && r.status !== 409) {
      $("cb-error").textContent = t().doneFailed + " " + (r.data.error ? r.data.error.message : String(r.status));
      $("cb-error").hidden = false;
      return;
    }
    st.callbacks = (st.callbacks || []).filter((c) => c.id !== id);
    renderCallbacks(st.callbacks);
    loadCallbacks();
  }

  async function loadConvs() {
    if (!st.user || st.user.role !== "supervisor") return;
    // A read-only view of a conversation with the bot has no bridge
    // traffic: re-read it from the store.
    if (st.detail && st.detail.read_only && !st.caseId && st.convId) refreshConv(st.convId);
    const r = await api("GET", "/v1/agent/conversations");
    if (r.status !== 200) return;
    $("convs").replaceChildren(...r.data.conversations.map((c) => {
      const li = document.createElement("li");
      li.dataset.conversation = c.id;
      if (c.id === st.convId && !st.caseId) li.setAttribute("aria-current", "true");
      const row = document.createElement("div");
      row.className = "row";
      const a = document.createElement("span"); a.className = "reason"; a.textContent = c.account_id;
      const b = document.createElement("span"); b.className = "meta"; b.textContent = (t().modes[c.mode] || c.mode) + " · " + c.stage;
      row.append(a, b);
      li.append(row);
      li.addEventListener("click", () => openConv(c.id));
      return li;
    }));
  }

  // Case detail.
  async function openCase(id) {
    hideError();
    const r = await api("GET", "/v1/agent/cases/" + encodeURIComponent(id));
    if (r.status !== 200) { showError(r.data.error ? r.data.error.message : String(r.status)); return; }
    show(r.data, id, r.data.conversation.id);
  }
  async function openConv(id) {
    hideError();
    const r = await api("GET", "/v1/agent/conversations/" + encodeURIComponent(id));
    if (r.status !== 200) { showError(r.data.error ? r.data.error.message : String(r.status)); return; }
    show(r.data, "", id);
  }
  async function refreshConv(id) {
    const r = await api("GET", "/v1/agent/conversations/" + encodeURIComponent(id));
    if (r.status === 200 && st.convId === id && !st.caseId) { st.detail = r.data; renderDetail(r.data); }
  }
  function show(d, caseId, convId) {
    const switching = caseId !== st.caseId || convId !== st.convId;
    st.detail = d;
    if (switching) { st.lastSeq = 0; st.seen = new Set(); }
    st.caseId = caseId;
    st.convId = convId;
    renderDetail(d);
    connect();
    if (st.queue) renderQueue(st.queue);
  }
  // The WebSocket streams the open conversation to the agent holding its
  // case, and to a supervisor (read-only); an agent previewing a waiting
  // case gets the queue only.
  function streamParams() {
    const sup = st.user && st.user.role === "supervisor";
    if (st.caseId && st.detail && (mineCase(st.detail) || sup)) return ["case", st.caseId];
    if (!st.caseId && st.convId && sup) return ["conversation", st.convId];
    return null;
  }
  function mineCase(d) { return d.case && d.case.status === "accepted" && d.case.agent_id === st.user.id; }

  function fact(dl, k, v) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
  function renderMode() {
    const m = st.detail.conversation.mode;
    $("case-mode").textContent = t().modes[m] || m;
    $("case-mode").dataset.mode = m;
    const mine = mineCase(st.detail) && m === "agent";
    $("work").hidden = !mine;
  }
  function renderDetail(d) {
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    const c = d.case;
    $("case-title").textContent = (c ? reasonText(c.reason) + " · " : "") + d.account.ref;
    $("case-ro").hidden = !d.read_only;
    const cf = $("case-facts");
    cf.replaceChildren();
    if (c) {
      fact(cf, t().priority, c.priority);
      fact(cf, t().reason, reasonText(c.reason));
      fact(cf, t().waited, waited(c.waiting_seconds));
      fact(cf, t().verified, c.verified ? t().yes : t().no);
      fact(cf, t().disclosures, c.disclosures.length ? c.disclosures.join(", ") : t().none);
      fact(cf, t().offers, c.offers.length ? c.offers.join("; ") : t().none);
    }
    if (d.conversation.late_reason) fact(cf, t().lateReason, t().lateReasons[d.conversation.late_reason] || d.conversation.late_reason);
    fact(cf, t().stage, d.conversation.stage);
    fact(cf, t().channel, d.conversation.channel);
    const af = $("acct-facts");
    af.replaceChildren();
    const a = d.account;
    fact(af, t().ref, a.ref);
    fact(af, t().name, a.name);
    if (a.phone) fact(af, t().phone, a.phone);
    if (a.id_last) fact(af, t().idLast, a.id_last);
    fact(af, t().locale, a.locale);
    fact(af, t().creditor, a.creditor);
    fact(af, t().due, a.amount_due);
    fact(af, t().dueDate, a.due_date);
    fact(af, t().dpd, a.days_past_due);
    $("summary").textContent = c && c.summary ? c.summary : "";
    $("summary").hidden = !(c && c.summary);
    $("pre-claim").hidden = !(c && c.status === "queued");
    $("every").placeholder = String(d.plan_defaults.every_days);
    const tr = $("transcript");
    tr.replaceChildren();
    d.transcript.forEach((l) => addLine(l));
    renderMode();
  }
  function addLine(l) {
    const li = document.createElement("li");
    li.className = l.from;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = l.from === "agent" && l.name ? l.name : t().from[l.from] || "";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = l.text;
    if (who.textContent) li.append(who);
    li.append(text);
    $("transcript").append(li);
    li.scrollIntoView({ block: "nearest" });
  }
  function addReplies(out) {
    (out.replies || []).forEach((r) => addLine(r));
    if (out.status && st.detail) { st.detail.conversation.mode = out.status.mode; st.detail.conversation.stage = out.status.stage; renderMode(); }
  }
  function showError(msg) { $("action-error").textContent = msg; $("action-error").hidden = false; }
  function hideError() { $("action-error").hidden = true; }
  function errText(r) {
    const e = r.data.error || {};
    if (e.code === "claimed") return t().claimed;
    if (e.code === "blocked") return t().blocked + " " + (e.violations || []).map((v) => v.rule + " (" + v.detail + ")").join("; ");
    return e.message || String(r.status);
  }

  async function claim() {
    hideError();
    $("claim").disabled = true;
    const r = await api("POST", "/v1/agent/cases/" + encodeURIComponent(st.caseId || st.detail.case.id) + "/claim");
    $("claim").disabled = false;
    if (r.status !== 200) { showError(errText(r)); return; }
    st.caseId = r.data.case.id;
    show(r.data, r.data.case.id, r.data.conversation.id);
  }
  const caseURL = (what) => "/v1/agent/cases/" + encodeURIComponent(st.caseId) + "/" + what;

  function renderWarnings(vs) {
    const w = $("warnings");
    if (!vs || !vs.length) { w.hidden = true; w.replaceChildren(); return; }
    w.replaceChildren(...vs.map((v) => { const li = document.createElement("li"); li.textContent = v.rule + ": " + v.detail; return li; }));
    w.hidden = false;
    w.dataset.rules = vs.map((v) => v.rule).join(" ");
  }
  function onType() {
    clearTimeout(st.checkTimer);
    const text = $("text").value;
    if (!text.trim()) { renderWarnings([]); return; }
    st.checkTimer = setTimeout(async () => {
      const r = await api("POST", caseURL("check"), { text });
      if (r.status === 200 && $("text").value === text) renderWarnings(r.data.allowed ? [] : r.data.violations);
    }, 250);
  }
  async function send(ev) {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    hideError();
    $("send").disabled = true;
    const id = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    const r = await api("POST", caseURL("messages"), { text, id });
    $("send").disabled = false;
    if (r.status !== 200) {
      if (r.data.error && r.data.error.violations) renderWarnings(r.data.error.violations);
      showError(errText(r));
      return;
    }
    $("text").value = "";
    renderWarnings([]);
    addReplies(r.data);
  }
  function kindChanged() {
    const plan = $("kind").value === "plan";
    document.querySelectorAll("#record .plan").forEach((el) => { el.hidden = !plan; });
    document.querySelectorAll("#record .ptp").forEach((el) => { el.hidden = plan; });
    document.querySelector("#record .date").hidden = plan || $("kind").value === "pay_now";
  }
  async function record(ev) {
    ev.preventDefault();
    hideError();
    const kind = $("kind").value;
    const body = { kind };
    if (kind === "plan") {
      body.count = parseInt($("count").value, 10) || 0;
      body.first_date = $("first").value;
      if ($("every").value) body.every_days = parseInt($("every").value, 10);
    } else {
      body.amount = $("amount").value.trim();
      if (kind !== "pay_now") body.date = $("date").value;
    }
    const r = await api("POST", caseURL("record"), body);
    if (r.status !== 200) { showError(errText(r)); return; }
    addReplies(r.data);
    $("record").dataset.recorded = "true";
  }
  async function finish(what, body) {
    hideError();
    const r = await api("POST", caseURL(what), body);
    if (r.status !== 200) { showError(errText(r)); return; }
    addReplies(r.data);
    $("work").hidden = true;
    if (st.detail.case) st.detail.case.status = "completed";
    connect();
  }

  document.addEventListener("DOMContentLoaded", () => {
    applyLang();
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => { st.lang = b.dataset.lang; applyLang(); }));
    $("signin-form").addEventListener("submit", signIn);
    $("signout").addEventListener("click", () => {
      // The server ends the session on every node; the page forgets it
      // whatever the answer.
      if (st.token) fetch("/v1/agent/signout", { method: "POST", headers: { Authorization: "Bearer " + st.token } }).catch(() => {});
      signOut("");
    });
    $("claim").addEventListener("click", claim);
    $("composer").addEventListener("submit", send);
    $("text").addEventListener("input", onType);
    $("record").addEventListener("submit", record);
    $("kind").addEventListener("change", kindChanged);
    $("handback").addEventListener("click", () => finish("handback", {}));
    $("close").addEventListener("click", () => finish("close", { outcome: $("outcome").value }));
    kindChanged();
    if (st.token) {
      api("GET", "/v1/agent/me").then((r) => { if (r.status === 200) start(r.data.user); else signOut(""); });
    }
  });
})();
