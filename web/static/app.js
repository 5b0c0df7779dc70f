// Borrower chat page: lists demo borrowers (demo mode only), mints a
// session, and chats over the WebSocket at /v1/chat. No build step.
"use strict";

(function () {
  const T = {
    en: {
      title: "Account assistant", skip: "Skip to message box",
      pickTitle: "Demo borrowers",
      pickHint: "Pick a borrower to start a chat. Their date of birth and ID digits are shown so you can pass verification.",
      chatTitle: "Chat", inputLabel: "Your message", placeholder: "Type a message", send: "Send",
      restart: "Start over", dob: "Date of birth", id4: "ID last 4", owes: "Owes", dpd: "days past due",
      you: "You", bot: "Assistant", agent: "Agent", system: "Notice",
      connecting: "Connecting…", reconnecting: "Connection lost. Reconnecting…",
      noSession: "Open this page with a session link from your lender's app.",
      sessionFailed: "Could not start a chat: ", closed: "The chat is closed.",
      modes: { bot: "Assistant", waiting_agent: "Waiting for a person", agent: "With a person", ended: "Ended" },
      stages: { greeting: "Greeting", verify: "Verifying identity", disclosure: "Disclosure", balance: "Balance",
                intent: "Options", negotiate: "Arrangement", confirm: "Confirming", closed: "Done" },
      outcomes: { ptp: "Promise to pay recorded", plan: "Payment plan recorded", pay_now: "Payment link sent",
                  escalated: "A person will follow up", dispute: "Dispute recorded", cease: "Contact stopped",
                  wrong_party: "Wrong person", none: "" },
      errors: { bad_frame: "That message could not be read.", unknown_type: "Unsupported message.",
                rate_limited: "You are sending messages too fast. Please wait a moment.",
                ended: "This conversation has ended.", empty_message: "Please type a message.",
                message_too_long: "That message is too long.", internal: "Something went wrong. Please try again." }
    },
    zh: {
      title: "账户助手", skip: "跳到输入框",
      pickTitle: "演示借款人",
      pickHint: "选择一位借款人开始对话。页面显示其出生日期和证件后四位，方便通过身份核验。",
      chatTitle: "对话", inputLabel: "您的消息", placeholder: "请输入消息", send: "发送",
      restart: "重新开始", dob: "出生日期", id4: "证件后四位", owes: "欠款", dpd: "天逾期",
      you: "我", bot: "助手", agent: "人工客服", system: "通知",
      connecting: "正在连接…", reconnecting: "连接中断，正在重连…",
      noSession: "请通过贷款机构应用中的会话链接打开本页面。",
      sessionFailed: "无法开始对话：", closed: "对话已关闭。",
      modes: { bot: "智能助手", waiting_agent: "等待人工", agent: "人工服务中", ended: "已结束" },
      stages: { greeting: "问候", verify: "身份核验", disclosure: "告知", balance: "欠款信息",
                intent: "还款意向", negotiate: "协商", confirm: "确认", closed: "完成" },
      outcomes: { ptp: "已记录还款承诺", plan: "已记录分期计划", pay_now: "已发送还款链接",
                  escalated: "将有专人跟进", dispute: "已记录异议", cease: "已停止联系",
                  wrong_party: "非本人", none: "" },
      errors: { bad_frame: "消息无法识别。", unknown_type: "不支持的消息类型。",
                rate_limited: "发送过快，请稍候再试。", ended: "本次对话已结束。",
                empty_message: "请输入内容。", message_too_long: "消息过长。", internal: "出现错误，请重试。" }
    }
  };

  const $ = (id) => document.getElementById(id);
  const state = { lang: pickLang(), ws: null, token: null, status: null, retries: 0, closedByUs: false, lastError: "" };

  function pickLang() {
    const q = new URLSearchParams(location.search).get("lang");
    if (q === "zh" || q === "en") return q;
    return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  }
  const t = () => T[state.lang];

  function applyLang() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en-US";
    document.title = t().title;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t()[el.dataset.i18n]; });
    document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t()[el.dataset.i18nPlaceholder]; });
    document.querySelectorAll("[data-lang]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang)));
    document.querySelectorAll(".msg .who").forEach((w) => { w.textContent = who(w.dataset.from); });
    if (state.status) showStatus(state.status);
    if (state.accounts) renderBorrowers(state.accounts);
  }

  function who(from) { return from === "borrower" ? t().you : (t()[from] || from); }

  function notice(text) {
    $("notice-text").textContent = text;
    $("notice").hidden = !text;
  }

  function showError(code, message) {
    const el = $("error");
    if (!code) { el.hidden = true; el.textContent = ""; return; }
    el.textContent = t().errors[code] || message || code;
    el.dataset.code = code;
    el.hidden = false;
  }

  function money(amount, currency) {
    try {
      return new Intl.NumberFormat(state.lang === "zh" ? "zh-CN" : "en-US", { style: "currency", currency }).format(amount);
    } catch (e) { return amount + " " + currency; }
  }

  function renderBorrowers(accounts) {
    const ul = $("borrowers");
    ul.replaceChildren();
    for (const a of accounts) {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.account = a.id;
      b.dataset.locale = a.locale;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = a.name + " · " + (a.locale === "zh-CN" ? "中文" : "English");
      const owes = document.createElement("span");
      owes.className = "meta";
      owes.textContent = t().owes + " " + money(a.amount_due, a.currency) + " · " + a.days_past_due + " " + t().dpd;
      const id = document.createElement("span");
      id.className = "meta";
      const parts = [];
      if (a.date_of_birth) parts.push(t().dob + " " + a.date_of_birth);
      if (a.id_last4) parts.push(t().id4 + " " + a.id_last4);
      id.textContent = parts.join(" · ");
      b.append(name, owes, id);
      b.addEventListener("click", () => startDemo(a));
      li.append(b);
      ul.append(li);
    }
  }

  async function loadDemo() {
    let res;
    try { res = await fetch("/demo/accounts", { headers: { Accept: "application/json" } }); } catch (e) { res = null; }
    if (!res || !res.ok) { notice(t().noSession); return; }
    const body = await res.json();
    state.accounts = body.accounts || [];
    renderBorrowers(state.accounts);
    $("pick").hidden = false;
  }

  async function startDemo(a) {
    state.lang = a.locale === "zh-CN" ? "zh" : "en";
    applyLang();
    notice("");
    const res = await fetch("/demo/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ account_id: a.id, channel: "chat" })
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { notice(t().sessionFailed + ((body.error && body.error.message) || res.status)); return; }
    history.replaceState(null, "", "?token=" + encodeURIComponent(body.token) + "&lang=" + state.lang);
    $("pick").hidden = true;
    connect(body.token);
  }

  function wsURL(token) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + "/v1/chat?token=" + encodeURIComponent(token);
  }

  function connect(token) {
    state.token = token;
    state.closedByUs = false;
    $("chat").hidden = false;
    setComposer(false);
    notice(t().connecting);
    const ws = new WebSocket(wsURL(token));
    state.ws = ws;
    let fresh = true;
    ws.onopen = () => { notice(""); state.retries = 0; };
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (fresh && f.type === "message") {
        // A (re)connect replays the whole conversation.
        $("log").replaceChildren();
        fresh = false;
      }
      if (f.type === "message") { addMessage(f.from, f.text, f.seq); showError(""); }
      else if (f.type === "status") {
        fresh = false;
        // The turn is durable once its status arrives.
        document.querySelectorAll(".msg.pending").forEach((p) => p.classList.remove("pending"));
        showStatus(f);
      }
      else if (f.type === "error") { showError(f.code, f.message); }
    };
    ws.onclose = (ev) => {
      setComposer(false);
      if (state.ws !== ws || state.closedByUs) return;
      const ended = state.status && state.status.mode === "ended";
      // 1009 (frame too big) and policy closes are not retried blindly.
      if (ended || ev.code === 1008 || ev.code === 1009 || state.retries >= 8) { notice(t().closed); return; }
      state.retries++;
      notice(t().reconnecting);
      setTimeout(() => { if (state.ws === ws) connect(token); }, Math.min(8000, 500 * 2 ** state.retries));
    };
  }

  function addMessage(from, text, seq) {
    const li = document.createElement("li");
    li.className = "msg " + from;
    if (seq) li.dataset.seq = seq;
    const w = document.createElement("span");
    w.className = "who";
    w.dataset.from = from;
    w.textContent = who(from);
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.append(w, body);
    const log = $("log");
    log.append(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  function showStatus(s) {
    state.status = s;
    const m = $("status-mode");
    m.dataset.mode = s.mode;
    m.textContent = t().modes[s.mode] || s.mode;
    const st = $("status-stage");
    st.dataset.stage = s.stage;
    st.textContent = t().stages[s.stage] || s.stage;
    const o = $("status-outcome");
    o.dataset.outcome = s.outcome || "";
    o.textContent = (s.outcome && t().outcomes[s.outcome]) || s.outcome || "";
    o.hidden = !s.outcome || s.outcome === "none";
    setComposer(s.mode !== "ended");
  }

  function setComposer(on) {
    const open = on && state.ws && state.ws.readyState === WebSocket.OPEN;
    $("input").disabled = !open;
    $("send").disabled = !open;
    if (open && document.activeElement === document.body) $("input").focus();
  }

  function newID() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }

  function send(ev) {
    ev.preventDefault();
    const input = $("input");
    const text = input.value.trim();
    if (!text || !state.ws || state.ws.readyState !== WebSocket.OPEN) return;
    const li = addMessage("borrower", text, 0);
    li.classList.add("pending");
    state.ws.send(JSON.stringify({ type: "message", text, id: newID() }));
    input.value = "";
    input.focus();
  }

  function restart() {
    state.closedByUs = true;
    if (state.ws) state.ws.close(1000);
    state.ws = null;
    state.status = null;
    history.replaceState(null, "", location.pathname);
    $("log").replaceChildren();
    showError("");
    $("chat").hidden = true;
    loadDemo();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-lang]").forEach((b) => b.addEventListener("click", () => { state.lang = b.dataset.lang; applyLang(); }));
    $("composer").addEventListener("submit", send);
    $("restart").addEventListener("click", restart);
    applyLang();
    const token = new URLSearchParams(location.search).get("token");
    if (token) connect(token); else loadDemo();
  });
})();
