/*
 * kefu chat widget. Embed it with one tag:
 *
 *   <script src="https://kefu.example.com/widget.js" defer></script>
 *
 * Optional attributes on that tag: data-lang="zh-CN|en" (default: the
 * page's <html lang>), data-color="#2f54eb" (accent colour). Any element of
 * the page with data-kefu-open opens the chat; data-kefu-intent="cancel_membership"
 * opens it straight into that flow. window.Kefu.open({intent}) does the same
 * from script.
 *
 * No framework, no build step, no request anywhere but this server. Every
 * text from the conversation is rendered with textContent, never as HTML.
 * The protocol is DESIGN §5: hello → welcome, history, live messages.
 */
(function () {
  'use strict';
  if (window.Kefu && window.Kefu.version) return; // included twice

  var script = document.currentScript;
  var base = new URL(script && script.src ? script.src : '/widget.js', location.href);
  var WS_URL = (base.protocol === 'https:' ? 'wss://' : 'ws://') + base.host + '/ws';
  var KEY_SESSION = 'kefu.session';
  var KEY_LANG = 'kefu.lang';
  var KEY_OPEN = 'kefu.open';
  var MAX_LEN = 2000;
  var WO = /WO\d{15}/g;             // work-order numbers, in any message
  // and, in the bot's messages, the pages it links: receipts and help articles
  var WO_OR_LINK = /https?:\/\/[^\s]+\/(?:receipts\/WO\d{15}\?sig=[A-Za-z0-9_%-]+|help\/[a-z0-9-]+\?lang=[A-Za-z-]+)|WO\d{15}/g;
  var WO_OR_CODE = /WO\d{15}|\b\d{6}\b/g; // and demo codes, in system messages

  var TEXT = {
    'zh-CN': {
      launcher: '在线客服',
      title: '会员服务助手',
      online: '在线 · 通常几秒内回复',
      connecting: '正在连接…',
      reconnecting: '连接已断开，正在重新连接…',
      restarting: '服务正在重启，马上回来…',
      queued: '消息将在连接后发送',
      placeholder: '输入消息，按 Enter 发送',
      placeholderAccount: '输入手机号或邮箱',
      placeholderCode: '输入 6 位验证码',
      input: '消息',
      send: '发送',
      close: '收起对话',
      copy: '复制',
      receipt: '打开回执页面',
      article: '查看完整说明',
      copied: '已复制',
      typing: '正在输入',
      member: '我',
      bot: '会员服务助手',
      agent: '人工客服',
      system: '系统通知',
      log: '对话记录',
      unread: '条新消息',
      errors: {
        too_long: '消息太长了，请分几次发送。',
        rate_limited: '发送太快了，请稍等片刻再发。',
        unavailable: '抱歉，刚才那条没有处理成功，请再试一次。',
        restarting: '服务正在重启，马上回来…',
        bad_frame: '消息无法识别，请重新输入。',
        other: '出了点问题，请再试一次。'
      }
    },
    en: {
      launcher: 'Chat with us',
      title: 'Membership assistant',
      online: 'Online · usually replies in seconds',
      connecting: 'Connecting…',
      reconnecting: 'Connection lost, reconnecting…',
      restarting: 'The service is restarting, back in a moment…',
      queued: 'Your message will be sent once connected',
      placeholder: 'Type a message, Enter to send',
      placeholderAccount: 'Your phone number or email',
      placeholderCode: 'The 6-digit code',
      input: 'Message',
      send: 'Send',
      close: 'Minimise chat',
      copy: 'Copy',
      receipt: 'Open the receipt page',
      article: 'Read the whole article',
      copied: 'Copied',
      typing: 'Typing',
      member: 'You',
      bot: 'Membership assistant',
      agent: 'Support agent',
      system: 'Notice',
      log: 'Conversation',
      unread: 'new messages',
      errors: {
        too_long: 'That message is too long; please send it in parts.',
        rate_limited: 'You are sending too fast; please wait a moment.',
        unavailable: 'Sorry, that did not go through. Please try again.',
        restarting: 'The service is restarting, back in a moment…',
        bad_frame: 'That message could not be read; please type it again.',
        other: 'Something went wrong; please try again.'
      }
    }
  };

  // Storage that survives a browser refusing it (private mode, blocked cookies).
  function storage(kind) {
    var memory = {};
    var s = null;
    try { s = window[kind]; s.setItem('kefu.probe', '1'); s.removeItem('kefu.probe'); } catch (e) { s = null; }
    return {
      get: function (k) { try { return s ? s.getItem(k) : memory[k] || null; } catch (e) { return memory[k] || null; } },
      set: function (k, v) { try { if (s) { s.setItem(k, v); return; } } catch (e) { /* fall through */ } memory[k] = v; }
    };
  }
  var local = storage('localStorage');
  var tab = storage('sessionStorage');

  function pageLang() {
    var l = (script && script.getAttribute('data-lang')) || document.documentElement.lang || navigator.language || '';
    return /^en/i.test(l) ? 'en' : 'zh-CN';
  }

  var lang = pageLang();
  var t = TEXT[lang];

  // ---- DOM -------------------------------------------------------------

  var host = document.createElement('div');
  host.id = 'kefu-widget';
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  var accent = (script && script.getAttribute('data-color')) || '#2f54eb';
  if (!/^#[0-9a-fA-F]{3,8}$/.test(accent)) accent = '#2f54eb';

  var style = document.createElement('style');
  style.textContent = [
    ':host{all:initial}',
    '*{box-sizing:border-box}',
    '.w{--accent:' + accent + ';--ink:#1f2329;--muted:#646a73;--line:#e4e6eb;--bg:#f5f6f8;',
    'font:14px/1.55 -apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;',
    'color:var(--ink);position:fixed;right:24px;bottom:24px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:14px}',
    '.launcher{display:flex;align-items:center;gap:8px;height:52px;padding:0 20px 0 16px;border:0;border-radius:26px;background:var(--accent);color:#fff;font:inherit;font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 6px 20px rgba(31,35,41,.22);position:relative}',
    '.launcher:hover{filter:brightness(1.06)}',
    '.launcher svg{width:24px;height:24px;flex:none}',
    '.launcher[aria-expanded=true]{display:none}',
    '.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#f54a45;color:#fff;font-size:12px;line-height:20px;text-align:center;box-shadow:0 0 0 2px #fff}',
    '.panel{width:380px;height:min(640px,calc(100vh - 48px));display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(31,35,41,.24),0 0 0 1px rgba(31,35,41,.06)}',
    '.panel[hidden]{display:none}',
    '.head{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 16px;background:var(--accent);color:#fff}',
    '.avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.2);display:grid;place-items:center;flex:none}',
    '.avatar svg{width:22px;height:22px}',
    '.who{flex:1;min-width:0}',
    'h2{margin:0;font-size:16px;font-weight:600;line-height:1.3}',
    '.status{margin:2px 0 0;font-size:12px;opacity:.9;display:flex;align-items:center;gap:6px}',
    '.dot{width:8px;height:8px;border-radius:50%;background:#ffc53d;flex:none}',
    '.w[data-state=online] .dot{background:#52e08a}',
    '.close{width:36px;height:36px;border:0;border-radius:8px;background:transparent;color:#fff;cursor:pointer;display:grid;place-items:center}',
    '.close:hover{background:rgba(255,255,255,.16)}',
    '.close svg{width:20px;height:20px}',
    '.log{flex:1;overflow-y:auto;padding:16px 14px 8px;background:var(--bg);display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}',
    '.msg{display:flex;flex-direction:column;align-items:flex-start;max-width:88%}',
    '.msg[data-from=member]{align-self:flex-end;align-items:flex-end}',
    '.msg[data-from=system]{align-self:center;align-items:center;max-width:94%}',
    '.name{font-size:12px;color:var(--muted);margin:0 0 3px 4px}',
    '.bubble{padding:9px 13px;border-radius:4px 14px 14px 14px;background:#fff;white-space:pre-wrap;overflow-wrap:anywhere;box-shadow:0 1px 2px rgba(31,35,41,.06)}',
    '.msg[data-from=member] .bubble{background:var(--accent);color:#fff;border-radius:14px 4px 14px 14px}',
    '.msg[data-from=agent] .bubble{background:#fff7e6;border:1px solid #ffe1a8}',
    '.msg[data-from=system] .bubble{background:#fffbe6;border:1px dashed #f0c46a;color:#6b4e0a;font-size:13px;border-radius:10px;text-align:left}',
    '.wo{font-weight:700;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;letter-spacing:.02em;background:#eef2ff;color:#1d39c4;padding:0 4px;border-radius:4px}',
    '.msg[data-from=member] .wo{background:rgba(255,255,255,.2);color:#fff}',
    '.copy{margin-left:6px;padding:0 7px;height:22px;border:1px solid #c7d2fe;border-radius:11px;background:#fff;color:#1d39c4;font:inherit;font-size:12px;cursor:pointer;vertical-align:1px}',
    '.buttons{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}',
    '.buttons button{font:inherit;font-size:13px;padding:6px 12px;min-height:32px;border:1px solid var(--accent);border-radius:16px;background:#fff;color:var(--accent);cursor:pointer;text-align:left}',
    '.buttons button:hover:not(:disabled){background:var(--accent);color:#fff}',
    '.buttons button:disabled{border-color:var(--line);color:#a3a8b0;cursor:default}',
    '.time{font-size:11px;color:var(--muted);margin:3px 4px 0}',
    '.notice{align-self:center;font-size:12px;color:#b3261e;background:#fdecea;border-radius:10px;padding:4px 10px}',
    '.typing{display:flex;gap:4px;align-self:flex-start;padding:12px 14px;background:#fff;border-radius:4px 14px 14px 14px}',
    '.typing[hidden]{display:none}',
    '.typing i{width:6px;height:6px;border-radius:50%;background:#b0b5bd;animation:k 1.2s infinite}',
    '.typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}',
    '@keyframes k{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}',
    'form{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid var(--line);background:#fff}',
    'textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:18px;padding:8px 14px;font:inherit;color:var(--ink);max-height:120px;min-height:38px;outline:none;background:#fff}',
    'textarea:focus{border-color:var(--accent);box-shadow:0 0 0 3px rgba(47,84,235,.15)}',
    '.send{width:38px;height:38px;flex:none;border:0;border-radius:50%;background:var(--accent);color:#fff;cursor:pointer;display:grid;place-items:center}',
    '.send[aria-disabled=true]{opacity:.45;cursor:default}',
    '.send svg{width:18px;height:18px}',
    '.hint{margin:0;padding:0 14px 8px;background:#fff;font-size:12px;color:var(--muted)}',
    '.hint[hidden]{display:none}',
    'button:focus-visible,.log:focus-visible{outline:2px solid var(--accent);outline-offset:2px}',
    '.head button:focus-visible{outline-color:#fff}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '@media (max-width:520px){.w{right:12px;bottom:12px}.w.open{inset:0;right:0;bottom:0}.w.open .panel{width:100vw;height:100vh;height:100dvh;border-radius:0}}',
    '@media (prefers-reduced-motion:reduce){.typing i{animation:none}}'
  ].join('\n');

  var ICON_CHAT = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12Z"/><path d="M8.5 12h.01M12 12h.01M15.5 12h.01"/></svg>';
  var ICON_AGENT = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 14v-2a8 8 0 0 1 16 0v2"/><rect x="3" y="13" width="4" height="6" rx="1.5"/><rect x="17" y="13" width="4" height="6" rx="1.5"/><path d="M19 19a3 3 0 0 1-3 3h-3"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 9l6 6 6-6"/></svg>';
  var ICON_SEND = '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12 3.39 13.87z"/></svg>';

  // Only fixed markup (icons, structure) goes through innerHTML; every text
  // is set with textContent below.
  var w = document.createElement('div');
  w.className = 'w';
  w.setAttribute('data-state', 'idle');
  w.innerHTML =
    '<section class="panel" id="kefu-panel" role="dialog" aria-labelledby="kefu-title" hidden>' +
      '<div class="head"><div class="avatar">' + ICON_AGENT + '</div>' +
        '<div class="who"><h2 id="kefu-title"></h2><p class="status"><span class="dot"></span><span class="status-text" role="status"></span></p></div>' +
        '<button type="button" class="close">' + ICON_CLOSE + '</button></div>' +
      '<div class="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0"></div>' +
      '<p class="hint" hidden></p>' +
      '<form novalidate><textarea data-kefu="input" rows="1"></textarea>' +
        '<button type="submit" class="send" data-kefu="send">' + ICON_SEND + '</button></form>' +
    '</section>' +
    '<button type="button" class="launcher" data-kefu="launcher" aria-expanded="false" aria-controls="kefu-panel">' +
      ICON_CHAT + '<span class="launcher-label"></span><span class="unread sr"></span><span class="badge" aria-hidden="true" hidden></span></button>';
  root.appendChild(style);
  root.appendChild(w);

  function $(sel) { return w.querySelector(sel); }
  var panel = $('.panel');
  var launcher = $('.launcher');
  var badge = $('.badge');
  var log = $('.log');
  var hint = $('.hint');
  var input = $('textarea');
  var sendBtn = $('.send');
  var statusText = $('.status-text');
  var typing = document.createElement('div');
  typing.className = 'typing';
  typing.hidden = true;
  typing.innerHTML = '<i></i><i></i><i></i><span class="sr"></span>';

  // ---- state -----------------------------------------------------------

  var ws = null;
  var connected = false;
  var retries = 0;
  var retryTimer = 0;
  var typingTimer = 0;
  var rendered = {};       // message IDs on screen
  var renderedSession = ''; // the session whose messages are on screen
  var convLang = '';        // the conversation's language, from welcome
  var queue = [];           // frames typed before the socket was open
  var pendingIntent = '';   // a flow to open with the next hello
  var unread = 0;
  var state = 'idle';
  var expect = '';          // what the bot asks for next, from the last message

  function applyText() {
    t = TEXT[lang];
    $('h2').textContent = t.title;
    $('.launcher-label').textContent = t.launcher;
    $('.close').setAttribute('aria-label', t.close);
    $('.close').title = t.close;
    log.setAttribute('aria-label', t.log);
    applyExpect(expect);
    input.setAttribute('aria-label', t.input);
    input.maxLength = MAX_LEN;
    sendBtn.setAttribute('aria-label', t.send);
    sendBtn.title = t.send;
    typing.querySelector('.sr').textContent = t.typing;
    setState(state);
  }

  // applyExpect fits the text box to what the bot asks for next (a phone
  // keyboard, the code from an SMS offered by the phone).
  function applyExpect(e) {
    expect = e || '';
    input.placeholder = expect === 'code' ? t.placeholderCode : expect === 'account' ? t.placeholderAccount : t.placeholder;
    input.setAttribute('inputmode', expect === 'code' ? 'numeric' : 'text');
    input.setAttribute('autocomplete', expect === 'code' ? 'one-time-code' : expect === 'account' ? 'email' : 'off');
  }

  function setState(s) {
    state = s;
    w.setAttribute('data-state', s);
    statusText.textContent = s === 'online' ? t.online : s === 'restarting' ? t.restarting : s === 'reconnecting' ? t.reconnecting : t.connecting;
    updateSend();
  }

  function updateSend() {
    sendBtn.setAttribute('aria-disabled', input.value.trim() ? 'false' : 'true');
    hint.hidden = !(queue.length && !connected);
    hint.textContent = t.queued;
  }

  // ---- rendering -------------------------------------------------------

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  // appendText writes text into el, marking what matches re (work-order
  // numbers, codes) so it stands out and can be copied. Text nodes only.
  function appendText(el, text, re) {
    var last = 0;
    text.replace(re, function (number, at) {
      el.appendChild(document.createTextNode(text.slice(last, at)));
      if (/^https?:/.test(number)) { // a page the bot linked: a link, named
        var a = document.createElement('a');
        a.href = number;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        a.textContent = /\/receipts\//.test(number) ? t.receipt : t.article;
        el.appendChild(a);
        last = at + number.length;
        return number;
      }
      var wo = document.createElement('span');
      wo.className = 'wo';
      wo.textContent = number;
      el.appendChild(wo);
      var copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'copy';
      copy.textContent = t.copy;
      copy.addEventListener('click', function () { copyText(number, copy); });
      el.appendChild(copy);
      last = at + number.length;
      return number;
    });
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function copyText(text, btn) {
    var done = function () { btn.textContent = t.copied; setTimeout(function () { btn.textContent = t.copy; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
      return;
    }
    var ta = document.createElement('textarea');
    ta.value = text;
    root.appendChild(ta);
    ta.select();
    try { document.execCommand('copy'); done(); } catch (e) { /* nothing to do */ }
    ta.remove();
  }

  function timeOf(at) {
    var d = new Date(at);
    if (isNaN(d)) return '';
    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
  }

  function render(m) {
    if (rendered[m.id]) return;
    rendered[m.id] = true;
    var stick = atBottom();
    var from = ({ member: 1, bot: 1, agent: 1, system: 1 })[m.from] ? m.from : 'system';
    if (from === 'member') disableButtons();
    var el = document.createElement('div');
    el.className = 'msg';
    el.setAttribute('data-kefu', 'message');
    el.setAttribute('data-from', from);
    el.setAttribute('data-id', m.id);
    if (from === 'agent') {
      var name = document.createElement('div');
      name.className = 'name';
      name.textContent = t.agent;
      el.appendChild(name);
    }
    var bubble = document.createElement('div');
    bubble.className = 'bubble';
    var who = document.createElement('span');
    who.className = 'sr';
    who.textContent = t[from] + ': ';
    bubble.appendChild(who);
    appendText(bubble, String(m.text || ''), from === 'system' ? WO_OR_CODE : from === 'bot' ? WO_OR_LINK : WO);
    el.appendChild(bubble);
    if (m.buttons && m.buttons.length) {
      var group = document.createElement('div');
      group.className = 'buttons';
      group.setAttribute('role', 'group');
      m.buttons.forEach(function (b) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.setAttribute('data-kefu', 'button');
        btn.setAttribute('data-value', b.value);
        btn.textContent = b.label;
        btn.addEventListener('click', function () {
          if (btn.disabled) return;
          group.querySelectorAll('button').forEach(function (x) { x.disabled = true; });
          send({ type: 'button', value: b.value });
        });
        group.appendChild(btn);
      });
      el.appendChild(group);
    }
    var time = document.createElement('div');
    time.className = 'time';
    time.textContent = timeOf(m.at);
    el.appendChild(time);
    log.insertBefore(el, typing.parentNode === log ? typing : null);
    if (from === 'bot' || from === 'agent') applyExpect(m.expect);
    if (from !== 'member') {
      showTyping(false);
      if (panel.hidden) { unread++; showBadge(); }
    }
    if (stick || from === 'member') scrollDown();
  }

  // Buttons of earlier messages no longer apply once the member has answered.
  function disableButtons() {
    log.querySelectorAll('[data-kefu=button]').forEach(function (b) { b.disabled = true; });
  }

  function notice(text) {
    var n = document.createElement('div');
    n.className = 'notice';
    n.setAttribute('role', 'status');
    n.textContent = text;
    log.insertBefore(n, typing.parentNode === log ? typing : null);
    scrollDown();
    setTimeout(function () { n.remove(); }, 6000);
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    if (typing.parentNode !== log) log.appendChild(typing);
    typing.hidden = !on;
    if (on) {
      scrollDown();
      typingTimer = setTimeout(function () { typing.hidden = true; }, 10000);
    }
  }

  function showBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? '9+' : String(unread);
    $('.unread').textContent = unread ? ' (' + unread + ' ' + t.unread + ')' : '';
  }

  function clearLog() {
    rendered = {};
    while (log.firstChild) log.removeChild(log.firstChild);
  }

  // ---- connection ------------------------------------------------------

  function connect() {
    if (ws) return;
    clearTimeout(retryTimer);
    setState(retries ? 'reconnecting' : 'connecting');
    try {
      ws = new WebSocket(WS_URL);
    } catch (e) {
      ws = null;
      reconnectLater();
      return;
    }
    var sock = ws;
    sock.onopen = function () {
      var hello = { type: 'hello', session: local.get(KEY_SESSION) || '', lang: lang };
      if (pendingIntent) hello.start = pendingIntent;
      sock.send(JSON.stringify(hello));
    };
    sock.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (f && typeof f === 'object') receive(f, sock);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      connected = false;
      if (ev.code === 1012) {
        setState('restarting');
        retries = 0;
      }
      reconnectLater();
    };
  }

  function reconnectLater() {
    clearTimeout(retryTimer);
    var delay = Math.min(15000, 500 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
    retries++;
    if (state !== 'restarting') setState('reconnecting');
    retryTimer = setTimeout(connect, delay);
  }

  function receive(f, sock) {
    switch (f.type) {
      case 'welcome':
        if (renderedSession && renderedSession !== f.session) clearLog();
        renderedSession = f.session;
        local.set(KEY_SESSION, f.session);
        convLang = f.lang;
        connected = true;
        retries = 0;
        pendingIntent = '';
        setState('online');
        // The member switched the page's language since the last visit:
        // switch the conversation too (the history stays as it was).
        var last = local.get(KEY_LANG);
        local.set(KEY_LANG, lang);
        if (last && last !== lang && convLang && convLang !== lang) switchLang();
        while (queue.length && sock.readyState === 1) sock.send(queue.shift());
        updateSend();
        break;
      case 'message':
        render(f);
        break;
      case 'error':
        if (f.code === 'restarting') { setState('restarting'); break; }
        showTyping(false);
        notice(t.errors[f.code] || f.message || t.errors.other);
        enableLastButtons();
        break;
    }
  }

  // After a refused press, the latest buttons work again.
  function enableLastButtons() {
    var msgs = log.querySelectorAll('[data-kefu=message]');
    var last = msgs[msgs.length - 1];
    if (last && last.getAttribute('data-from') !== 'member') {
      last.querySelectorAll('[data-kefu=button]').forEach(function (b) { b.disabled = false; });
    }
  }

  function switchLang() {
    convLang = lang;
    send({ type: 'button', value: 'lang:' + lang });
  }

  function send(frame) {
    var data = JSON.stringify(frame);
    if (connected && ws && ws.readyState === 1) {
      ws.send(data);
      showTyping(true);
    } else {
      if (queue.length < 20) queue.push(data);
      connect();
    }
    updateSend();
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    send({ type: 'text', text: text.slice(0, MAX_LEN) });
    input.value = '';
    grow();
    updateSend();
  }

  function grow() {
    input.style.height = '';
    if (input.value) input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }

  // ---- open / close ----------------------------------------------------

  function open(opts) {
    opts = opts || {};
    if (opts.intent && /^[a-z_]{1,32}$/.test(opts.intent)) {
      if (connected) send({ type: 'button', value: 'intent:' + opts.intent });
      else pendingIntent = opts.intent;
    }
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    w.classList.add('open');
    tab.set(KEY_OPEN, '1');
    unread = 0;
    showBadge();
    connect();
    scrollDown();
    if (opts.focus !== false) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    w.classList.remove('open');
    tab.set(KEY_OPEN, '');
    launcher.focus();
  }

  launcher.addEventListener('click', function () { open(); });
  $('.close').addEventListener('click', close);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.preventDefault(); close(); }
  });
  $('form').addEventListener('submit', function (e) { e.preventDefault(); submit(); input.focus(); });
  input.addEventListener('keydown', function (e) {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME
    // composition (Chinese input) is not a send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', function () { grow(); updateSend(); });

  // Page elements that open the chat.
  document.addEventListener('click', function (e) {
    var el = e.target && e.target.closest && e.target.closest('[data-kefu-open],[data-kefu-intent]');
    if (!el) return;
    e.preventDefault();
    open({ intent: el.getAttribute('data-kefu-intent') || '' });
  });

  // The page may change its language without a reload.
  function langChanged() {
    var l = pageLang();
    if (l === lang) return;
    lang = l;
    applyText();
    local.set(KEY_LANG, lang);
    if (connected && convLang && convLang !== lang) switchLang();
  }
  if (window.MutationObserver) {
    var mo = new MutationObserver(langChanged);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    if (script) mo.observe(script, { attributes: true, attributeFilter: ['data-lang'] });
  }

  window.addEventListener('online', function () { if (!ws && retries) connect(); });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !ws && retries) connect();
  });

  function mount() {
    document.body.appendChild(host);
    applyText();
    if (tab.get(KEY_OPEN) === '1') open({ focus: false });
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  window.Kefu = { version: 1, open: open, close: close };
})();
