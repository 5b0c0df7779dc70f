// In-app voice calls from the borrower page: a Call button beside each
// demo borrower, WebRTC signalling over the WebSocket at /v1/voice, the
// bot's voice, live captions of both sides from the data channel, and a
// keypad (RFC 4733 tones through insertDTMF; the data channel when the
// browser cannot send tones). No build step.
"use strict";

(function () {
  const L = {
    en: { call: "Call", callTitle: "Call", hangup: "Hang up", keypad: "Keypad", you: "You", bot: "Assistant", agent: "Our team", pay: "Pay securely",
          states: { connecting: "Connecting…", ringing: "Connecting the call…", connected: "In call", ended: "Call ended",
                    failed: "The call could not be connected.", mic: "Microphone not available: " } },
    zh: { call: "通话", callTitle: "语音通话", hangup: "挂断", keypad: "拨号键盘", you: "我", bot: "助手", agent: "工作人员", pay: "安全支付",
          states: { connecting: "正在连接…", ringing: "正在接通…", connected: "通话中", ended: "通话已结束",
                    failed: "通话未能接通。", mic: "无法使用麦克风：" } }
  };
  const $ = (id) => document.getElementById(id);
  const lang = () => (document.documentElement.lang || "en").startsWith("zh") ? "zh" : "en";
  const t = () => L[lang()];

  // What the page measured, read by tests and shown nowhere else.
  const stats = { state: "idle", peakRMS: 0, loudFrames: 0, captions: [], status: [], links: [], keys: "", error: "", iceServers: null };
  window.collectCall = { stats, keys: (s) => sendKeys(s), hangup: () => hangup() };

  let call = null;

  function setState(s, extra) {
    stats.state = s;
    const el = $("call-state");
    el.dataset.state = s;
    el.textContent = (t().states[s] || s) + (extra || "");
  }

  function labels() {
    $("call-title").textContent = t().callTitle;
    $("hangup").textContent = t().hangup;
    $("keypad").setAttribute("aria-label", t().keypad);
    document.querySelectorAll("#borrowers button[data-call]").forEach((b) => { b.textContent = t().call; });
  }

  function caption(who, text) {
    stats.captions.push({ who, text });
    const li = document.createElement("li");
    li.className = "msg " + (who === "caller" ? "borrower" : who === "agent" ? "agent" : who === "system" ? "system" : "bot");
    const w = document.createElement("span");
    w.className = "who";
    w.textContent = who === "caller" ? t().you : who === "agent" ? t().agent : who === "system" ? "" : t().bot;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.append(w, body);
    const log = $("captions");
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  // link shows a payment link the bot promised to send (never read out).
  function link(url) {
    stats.links.push(url);
    let u;
    try { u = new URL(url); } catch (e) { return; }
    if (u.protocol !== "https:" && u.protocol !== "http:") return;
    const li = document.createElement("li");
    li.className = "msg bot";
    const a = document.createElement("a");
    a.href = u.href;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = t().pay;
    li.append(a);
    $("captions").append(li);
  }

  // A Call button beside each borrower the chat page lists.
  function addButtons() {
    document.querySelectorAll("#borrowers li").forEach((li) => {
      const pick = li.querySelector("button[data-account]");
      if (!pick || li.querySelector("button[data-call]")) return;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "call-button";
      b.dataset.call = pick.dataset.account;
      b.textContent = t().call;
      b.addEventListener("click", () => place(pick.dataset.account, pick.dataset.locale));
      li.append(b);
    });
  }

  async function place(account, locale) {
    if (call) return;
    document.documentElement.lang = locale === "zh-CN" ? "zh-CN" : "en-US";
    labels();
    $("pick").hidden = true;
    $("call").hidden = false;
    $("captions").replaceChildren();
    setState("connecting");
    const res = await fetch("/demo/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ account_id: account, channel: "voice" })
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { fail((body.error && body.error.message) || String(res.status)); return; }
    await dial(body.token);
  }

  async function dial(token) {
    let mic;
    try {
      mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false, channelCount: 1 }
      });
    } catch (e) { setState("failed"); stats.error = String(e); $("call-state").textContent = t().states.mic + e.message; return; }
    const c = { pc: null, mic, ws: null, dc: null, sender: null, offered: false, early: [], audioCtx: null };
    call = c;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(proto + "//" + location.host + "/v1/voice?token=" + encodeURIComponent(token));
    c.ws = ws;
    ws.onopen = () => setState("ringing");
    ws.onmessage = async (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "config") await offer(c, f.ice_servers || []);
      else if (f.type === "answer") await c.pc.setRemoteDescription({ type: "answer", sdp: f.sdp });
      else if (f.type === "candidate" && f.candidate && c.pc) { try { await c.pc.addIceCandidate(f.candidate); } catch (e) { /* stale */ } }
      else if (f.type === "error") { stats.error = f.code; setState("failed", " (" + f.code + ")"); end(); }
      else if (f.type === "bye") end();
    };
    ws.onclose = () => { if (call === c && stats.state !== "failed") end(); };
  }

  // offer builds the peer connection with the STUN/TURN servers the
  // server's config frame named, and sends the offer.
  async function offer(c, iceServers) {
    if (c.pc || call !== c) return;
    stats.iceServers = iceServers;
    const pc = new RTCPeerConnection({ iceServers });
    c.pc = pc;
    const tr = pc.addTransceiver(c.mic.getAudioTracks()[0], { direction: "sendrecv", streams: [c.mic] });
    c.sender = tr.sender;
    // The bot speaks PCMU; it hears PCMU or, better for the recogniser,
    // wideband Opus. Tones ride along as telephone-events.
    if (tr.setCodecPreferences && window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities) {
      const caps = RTCRtpReceiver.getCapabilities("audio").codecs;
      const want = (m) => caps.filter((x) => x.mimeType.toLowerCase() === m);
      const prefs = [...want("audio/opus"), ...want("audio/pcmu"), ...want("audio/telephone-event")];
      if (prefs.length) { try { tr.setCodecPreferences(prefs); } catch (e) { /* keep the defaults */ } }
    }
    c.dc = pc.createDataChannel("control");
    c.dc.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f.type === "caption") caption(f.who, f.text);
      else if (f.type === "status") stats.status.push(f.text);
      else if (f.type === "link") link(f.text);
      else if (f.type === "hangup") end();
    };
    pc.ontrack = (ev) => {
      const stream = ev.streams[0] || new MediaStream([ev.track]);
      const el = $("call-audio");
      el.srcObject = stream;
      el.play().catch(() => {});
      listen(c, stream);
    };
    pc.onicecandidate = (ev) => {
      if (!ev.candidate) return;
      const f = { type: "candidate", candidate: ev.candidate.toJSON() };
      if (c.offered) c.ws.send(JSON.stringify(f)); else c.early.push(f);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") setState("connected");
      if (pc.connectionState === "failed") { setState("failed"); end(); }
    };
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    c.ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
    c.offered = true;
    for (const f of c.early) c.ws.send(JSON.stringify(f));
    c.early = [];
  }

  // listen measures the bot's voice as it plays (a level, not the audio).
  function listen(c, stream) {
    try {
      const ctx = new AudioContext();
      c.audioCtx = ctx;
      const an = ctx.createAnalyser();
      an.fftSize = 1024;
      ctx.createMediaStreamSource(stream).connect(an);
      const buf = new Float32Array(an.fftSize);
      const tick = () => {
        if (call !== c) return;
        an.getFloatTimeDomainData(buf);
        let s = 0;
        for (const x of buf) s += x * x;
        const rms = Math.sqrt(s / buf.length);
        stats.peakRMS = Math.max(stats.peakRMS, rms);
        if (rms > 0.01) stats.loudFrames++;
        setTimeout(tick, 20);
      };
      tick();
    } catch (e) { /* no Web Audio: nothing measured */ }
  }

  function sendKeys(keys) {
    if (!call) return false;
    stats.keys += keys;
    const dtmf = call.sender && call.sender.dtmf;
    if (dtmf && dtmf.canInsertDTMF) { dtmf.insertDTMF(keys, 120, 80); return true; }
    if (call.dc && call.dc.readyState === "open") {
      for (const k of keys) call.dc.send(JSON.stringify({ type: "key", key: k }));
      return true;
    }
    return false;
  }

  function end() {
    const c = call;
    if (!c) return;
    call = null;
    if (stats.state !== "failed") setState("ended");
    try { if (c.ws && c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify({ type: "bye" })); } catch (e) { /* closing */ }
    if (c.ws) c.ws.close(1000);
    if (c.pc) c.pc.close();
    c.mic.getTracks().forEach((tr) => tr.stop());
    if (c.audioCtx) c.audioCtx.close();
  }

  function hangup() { end(); }

  function fail(msg) { setState("failed", ": " + msg); }

  document.addEventListener("DOMContentLoaded", () => {
    const keypad = $("keypad");
    for (const k of "123456789*0#") {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = k;
      b.dataset.key = k;
      b.addEventListener("click", () => sendKeys(k));
      keypad.append(b);
    }
    $("hangup").addEventListener("click", hangup);
    new MutationObserver(addButtons).observe($("borrowers"), { childList: true, subtree: true });
    new MutationObserver(labels).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    labels();
    addButtons();
  });
})();
