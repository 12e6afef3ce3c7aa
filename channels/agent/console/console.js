/*
 * kefu agent console. Plain JavaScript, no framework, no request anywhere
 * but this server. Every text from a conversation is rendered with
 * textContent, never as HTML.
 *
 * Live updates come from one event stream (GET /agent/api/events, read with
 * fetch so the token travels in the Authorization header, not in a URL);
 * the open conversation is followed with PUT /agent/api/events/<stream> and
 * then loaded, so no message falls in between (duplicates share an id).
 * Nothing polls: a reconnect reloads the list and the open conversation.
 */
(function () {
  'use strict';

  var KEY_SESSION = 'kefu.agent';     // sessionStorage: {name, token}
  var KEY_LANG = 'kefu.agent.lang';   // localStorage: the console's language

  var TEXT = {
    'zh-CN': {
      title: '客服工作台', loginSub: '登录后接待排队中的会员', name: '客服名称', token: '登录令牌', login: '登录',
      loginHint: '令牌由管理员通过 --agents 配置', loggingIn: '正在登录…',
      badLogin: '名称或令牌不正确。', tooMany: '错误次数过多，请稍后再试。', nameMismatch: '这个令牌不属于该客服名称。',
      needBoth: '请填写客服名称和登录令牌。', sessionEnded: '登录已失效，请重新登录。', network: '无法连接服务器，请检查网络。',
      waitingNow: '排队', mine: '我的', logout: '退出', conversations: '对话', waiting: '排队中', active: '处理中',
      noWaiting: '暂无排队的会员', noActive: '暂无处理中的对话', pick: '从左侧选择一个对话',
      claim: '接入', release: '交回机器人', close: '结束对话', reply: '回复', send: '发送',
      member: '会员信息', noSelection: '未选择对话', actions: '代会员办理', cancelNow: '立即取消', noRenew: '到期不续费',
      confirm: '确认办理', back: '返回', lookup: '工单查询', woNumber: '工单号', find: '查询',
      online: '实时连接', connecting: '正在连接…', offline: '连接断开，正在重连…',
      status: { bot: '智能助手', waiting: '排队中', active: '处理中', closed: '已结束' },
      channel: { web: '网页', telegram: 'Telegram' },
      from: { member: '会员', bot: '智能助手', agent: '客服', system: '系统' },
      heldBy: function (a) { return '由 ' + a + ' 接待'; }, heldByMe: '由我接待',
      position: function (n) { return '第 ' + n + ' 位'; },
      waited: function (d) { return '已等待' + d; },
      lang: { 'zh-CN': '中文', en: '英文' },
      placeholderMine: '输入回复，Enter 发送，Shift+Enter 换行',
      placeholderClaim: '接入后即可回复会员', placeholderOther: '该对话由其他客服接待',
      hintMine: '会员看到的是“人工客服”。接入期间机器人不会回复。',
      verified: '已验证身份', verifiedUntil: function (t) { return '已验证身份（至 ' + t + '）'; }, notVerified: '尚未验证身份',
      verifyTitle: '核实身份', verifyAccount: '会员的手机号或邮箱', verifyMethod: '方式', methodQuestions: '安全问题', methodSMS: '短信验证码', methodEmail: '邮件验证码',
      lastOrder: '最近一笔订单金额（元）', registeredMonth: '注册月份（1–12）', verifyGo: '核实', sendCode: '发送验证码',
      codeHint: '验证码发给会员本人，会员在对话中输入后即完成核实。',
      verifiedOK: '身份已核实，可以代办了。', codeSent: function (a) { return '验证码已发送至 ' + a + '，请会员在对话中输入。'; },
      wrongAnswers: function (n) { return '答案与记录不符，客服还可以试 ' + n + ' 次。'; },
      lockedFor: function (m) { return '错误次数过多，该账号暂停核实约 ' + m + ' 分钟。'; },
      tooSoon: function (s) { return '验证码刚发过，' + s + ' 秒后可再发；也可以用安全问题核实。'; },
      needAccount: '请填写会员的手机号或邮箱。', needAnswers: '请填写两个安全问题的答案。',
      notes: '内部备注', notesSub: '只有客服能看到，不会发给会员。', noteLabel: '新备注', addNote: '添加备注', noNotes: '暂无备注', noteEmpty: '请填写备注内容。',
      account: '账号', phone: '手机', email: '邮箱', plan: '套餐', mstatus: '状态', periodEnd: '到期时间', autoRenew: '自动续费',
      on: '开启', off: '关闭', memberStatus: { active: '有效', expired: '已过期', cancelled: '已取消' },
      actionsNeedClaim: '接入对话后才能代办。', actionsNeedVerify: '会员需先核实身份：在上方用安全问题或验证码核实。',
      actionsReady: '办理后会员会收到与机器人相同的回执。',
      confirmCancelNow: '立即取消：会员权益立即终止，按套餐规则退款，自动续费关闭。确认为该会员办理？',
      confirmNoRenew: '到期不续费：权益保留到当前周期结束，关闭自动续费，不再扣费。确认为该会员办理？',
      done: function (n) { return '已办理，工单号 ' + n + '。会员已收到回执。'; },
      claimed: '已接入，机器人将保持安静。', released: '已交回机器人。', closed: '对话已结束。',
      woKind: { cancel_now: '立即取消', no_renew: '到期不续费', callback: '人工回电', agent_action: '客服代办' },
      wo: { number: '工单号', kind: '类型', action: '办理', status: '状态', channel: '渠道', executor: '执行人', effective: '生效时间', refund: '退款', autoRenew: '自动续费', created: '创建时间', reason: '原因', conversation: '对话' },
      woStatus: { done: '已完成', open: '待处理' }, openConversation: '打开对话', noRefund: '无',
      minutes: function (m) { return m < 1 ? '不到 1 分钟' : m < 60 ? m + ' 分钟' : Math.floor(m / 60) + ' 小时 ' + (m % 60) + ' 分'; },
      justNow: '刚刚', failed: '操作失败：',
      searchLabel: '按手机号（或后 4 位）、邮箱或工单号搜索对话', searchPlaceholder: '手机号 / 后 4 位 / 邮箱 / 工单号',
      results: '搜索结果', noResults: '没有找到对话', clearSearch: '清除搜索',
      callbacks: '待回电', callbacksTitle: '待回电工单', callbacksSub: '会员请求人工时无人在线，请回电后结案。最新的在前。',
      backToChat: '返回对话', noCallbacks: '没有待回电的工单', closeNote: '结案备注（会员看不到）', closeCallback: '结案',
      noteNeeded: '请填写结案备注。', noReason: '（未填写原因）',
      callbackClosed: function (n) { return '工单 ' + n + ' 已结案。'; },
      replies: '常用语', repliesHint: '输入 / 插入常用语，↑↓ 选择，Enter 插入。',
      reports: '报表', reportsTitle: '服务报表', reportsSub: '只有数量，没有任何会员信息。按工作台时区计日，起止两天都计入。',
      rangeFrom: '开始日期', rangeTo: '结束日期', showReport: '查看', quickRange: '快速选择', last7: '近 7 天', last30: '近 30 天',
      downloadCSV: '下载 CSV', loadingReport: '正在加载报表…', rangeNeeded: '请选择开始和结束日期。', rangeBad: '开始日期不能晚于结束日期。',
      rangeText: function (from, to, n) { return from + ' 至 ' + to + '，共 ' + n + ' 天'; },
      chartOutcomes: '每日办理结果', chartContacts: '每日转人工与回电', chartReasons: '取消原因', kbTitle: '帮助文章评价',
      series: { cancel_now: '立即取消', no_renew: '到期不续费', kept: '保留会员', handoffs: '转人工', callbacks: '回电' },
      reason: { price: '价格太贵', unused: '用得不多', switching: '换了其他平台', other: '其他原因' },
      tile: { cancel_now: '立即取消', no_renew: '到期不续费', kept: '保留会员', handoffs: '转人工', callbacks: '回电',
        csat: '满意度', wait: '转人工等待（中位 / P90）', actions: '会员操作次数（中位）' },
      csatShare: function (p) { return p + '% 满意'; }, noAnswers: '暂无评价',
      seconds: function (s) {
        if (s < 60) return s + ' 秒';
        if (s < 3600) return Math.floor(s / 60) + ' 分' + (s % 60 ? ' ' + (s % 60) + ' 秒' : '');
        return Math.floor(s / 3600) + ' 小时' + (Math.floor(s / 60) % 60 ? ' ' + (Math.floor(s / 60) % 60) + ' 分' : '');
      },
      perDay: function (title, n, parts) { return title + '，' + n + ' 天合计：' + parts.join('，') + '。'; },
      overRange: function (title, parts) { return title + '：' + parts.join('，') + '。'; },
      showTable: '以表格查看数字', date: '日期', total: '合计', reasonCol: '原因', countCol: '次数',
      kbArticle: '文章', kbHelpful: '有帮助', kbNotHelpful: '没帮助', kbShare: '有帮助占比', noKB: '还没有文章评价'
    },
    en: {
      title: 'Agent console', loginSub: 'Sign in to help the members waiting', name: 'Agent name', token: 'Token', login: 'Sign in',
      loginHint: 'Tokens are set by an admin with --agents', loggingIn: 'Signing in…',
      badLogin: 'Wrong name or token.', tooMany: 'Too many wrong tries; wait a moment.', nameMismatch: 'This token belongs to another agent name.',
      needBoth: 'Enter your agent name and token.', sessionEnded: 'Your session has ended; please sign in again.', network: 'Cannot reach the server; check the network.',
      waitingNow: 'Waiting', mine: 'Mine', logout: 'Sign out', conversations: 'Conversations', waiting: 'Waiting', active: 'Active',
      noWaiting: 'Nobody is waiting', noActive: 'No active conversations', pick: 'Pick a conversation on the left',
      claim: 'Claim', release: 'Back to bot', close: 'Close', reply: 'Reply', send: 'Send',
      member: 'Member', noSelection: 'No conversation selected', actions: 'Act for the member', cancelNow: 'Cancel now', noRenew: "Don't renew",
      confirm: 'Confirm', back: 'Back', lookup: 'Work order', woNumber: 'Work-order number', find: 'Find',
      online: 'Live', connecting: 'Connecting…', offline: 'Disconnected, reconnecting…',
      status: { bot: 'With the bot', waiting: 'Waiting', active: 'Active', closed: 'Closed' },
      channel: { web: 'Web', telegram: 'Telegram' },
      from: { member: 'Member', bot: 'Bot', agent: 'Agent', system: 'System' },
      heldBy: function (a) { return 'held by ' + a; }, heldByMe: 'held by me',
      position: function (n) { return 'No. ' + n; },
      waited: function (d) { return 'waiting ' + d; },
      lang: { 'zh-CN': 'Chinese', en: 'English' },
      placeholderMine: 'Type a reply; Enter sends, Shift+Enter for a new line',
      placeholderClaim: 'Claim the conversation to reply', placeholderOther: 'Another agent holds this conversation',
      hintMine: 'The member sees "Support agent". The bot stays silent while you hold it.',
      verified: 'Identity verified', verifiedUntil: function (t) { return 'Identity verified (until ' + t + ')'; }, notVerified: 'Not verified yet',
      verifyTitle: 'Verify identity', verifyAccount: "The member's phone or email", verifyMethod: 'How', methodQuestions: 'Security questions', methodSMS: 'Code by text', methodEmail: 'Code by email',
      lastOrder: 'Last order amount (yuan)', registeredMonth: 'Registration month (1–12)', verifyGo: 'Verify', sendCode: 'Send code',
      codeHint: 'The code goes to the member; they type it in the chat and are verified.',
      verifiedOK: 'Identity verified: you can act now.', codeSent: function (a) { return 'Code sent to ' + a + '; the member types it in the chat.'; },
      wrongAnswers: function (n) { return "The answers don't match the records; " + n + ' tries left for agents.'; },
      lockedFor: function (m) { return 'Too many wrong answers: verification of this account is paused for about ' + m + ' min.'; },
      tooSoon: function (s) { return 'A code was sent just now; send another in ' + s + ' s, or use the security questions.'; },
      needAccount: "Enter the member's phone or email.", needAnswers: 'Enter both answers.',
      notes: 'Internal notes', notesSub: 'Only agents see these; never sent to the member.', noteLabel: 'New note', addNote: 'Add note', noNotes: 'No notes yet', noteEmpty: 'Write something first.',
      account: 'Account', phone: 'Phone', email: 'Email', plan: 'Plan', mstatus: 'Status', periodEnd: 'Period ends', autoRenew: 'Auto-renew',
      on: 'on', off: 'off', memberStatus: { active: 'active', expired: 'expired', cancelled: 'cancelled' },
      actionsNeedClaim: 'Claim the conversation to act.', actionsNeedVerify: 'Verify the member first, above: security questions or a code.',
      actionsReady: 'The member gets the same receipt as from the bot.',
      confirmCancelNow: 'Cancel now: benefits end now, refund per the plan, auto-renew off. Do it for this member?',
      confirmNoRenew: "Don't renew: benefits kept until the period ends, auto-renew off, no further charge. Do it for this member?",
      done: function (n) { return 'Done, work order ' + n + '. The member got the receipt.'; },
      claimed: 'Claimed; the bot stays silent.', released: 'Handed back to the bot.', closed: 'Conversation closed.',
      woKind: { cancel_now: 'Cancel now', no_renew: "Don't renew", callback: 'Call-back', agent_action: 'Agent action' },
      wo: { number: 'Number', kind: 'Kind', action: 'Action', status: 'Status', channel: 'Channel', executor: 'Executed by', effective: 'Effective', refund: 'Refund', autoRenew: 'Auto-renew', created: 'Created', reason: 'Reason', conversation: 'Conversation' },
      woStatus: { done: 'done', open: 'open' }, openConversation: 'Open conversation', noRefund: 'none',
      minutes: function (m) { return m < 1 ? 'under 1 min' : m < 60 ? m + ' min' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min'; },
      justNow: 'just now', failed: 'Failed: ',
      searchLabel: 'Search conversations by phone (or its last 4 digits), email or work-order number', searchPlaceholder: 'Phone, last 4 digits, email or WO…',
      results: 'Search results', noResults: 'No conversations found', clearSearch: 'Clear search',
      callbacks: 'Call-backs', callbacksTitle: 'Open call-backs', callbacksSub: 'Members who asked for a person while nobody was online: call them back, then close. Newest first.',
      backToChat: 'Back to conversations', noCallbacks: 'No open call-backs', closeNote: 'Closing note (the member never sees it)', closeCallback: 'Close',
      noteNeeded: 'Write a closing note.', noReason: '(no reason given)',
      callbackClosed: function (n) { return 'Call-back ' + n + ' closed.'; },
      replies: 'Canned replies', repliesHint: 'Type / for canned replies; ↑↓ to choose, Enter to insert.',
      reports: 'Reports', reportsTitle: 'Service reports', reportsSub: "Counts only, never a member's details. Days are in the console's time zone; both dates are included.",
      rangeFrom: 'From', rangeTo: 'To', showReport: 'Show', quickRange: 'Quick ranges', last7: 'Last 7 days', last30: 'Last 30 days',
      downloadCSV: 'Download CSV', loadingReport: 'Loading the report…', rangeNeeded: 'Choose a start and an end date.', rangeBad: 'The start date must not be after the end date.',
      rangeText: function (from, to, n) { return from + ' to ' + to + ', ' + n + (n === 1 ? ' day' : ' days'); },
      chartOutcomes: 'Outcomes per day', chartContacts: 'Handoffs and call-backs per day', chartReasons: 'Reasons for leaving', kbTitle: 'Help-center article verdicts',
      series: { cancel_now: 'Cancelled now', no_renew: "Don't renew", kept: 'Kept', handoffs: 'Handoffs', callbacks: 'Call-backs' },
      reason: { price: 'Too expensive', unused: "I don't use it enough", switching: 'Switching to another service', other: 'Something else' },
      tile: { cancel_now: 'Cancelled now', no_renew: "Don't renew", kept: 'Kept', handoffs: 'Handoffs', callbacks: 'Call-backs',
        csat: 'Satisfaction', wait: 'Wait for an agent (median / p90)', actions: 'Member actions (median)' },
      csatShare: function (p) { return p + '% satisfied'; }, noAnswers: 'No answers yet',
      seconds: function (s) {
        if (s < 60) return s + ' s';
        if (s < 3600) return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
        return Math.floor(s / 3600) + ' h' + (Math.floor(s / 60) % 60 ? ' ' + (Math.floor(s / 60) % 60) + ' min' : '');
      },
      perDay: function (title, n, parts) { return title + ', ' + n + (n === 1 ? ' day' : ' days') + ' in all: ' + parts.join(', ') + '.'; },
      overRange: function (title, parts) { return title + ': ' + parts.join(', ') + '.'; },
      showTable: 'Show the numbers as a table', date: 'Date', total: 'Total', reasonCol: 'Reason', countCol: 'Count',
      kbArticle: 'Article', kbHelpful: 'Helpful', kbNotHelpful: 'Not helpful', kbShare: 'Share helpful', noKB: 'No verdicts on articles yet'
    }
  };

  function store(kind) {
    try { var s = window[kind]; s.setItem('kefu.probe', '1'); s.removeItem('kefu.probe'); return s; } catch (e) { return null; }
  }
  var session = store('sessionStorage');
  var local = store('localStorage');
  var lang = (local && local.getItem(KEY_LANG)) || (/^en/i.test(navigator.language || '') ? 'en' : 'zh-CN');
  if (!TEXT[lang]) lang = 'zh-CN';
  var t = TEXT[lang];

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var state = {
    name: '', token: '', tz: undefined,
    convs: new Map(),     // id → summary, waiting and active ones
    unread: new Set(),
    sel: null,            // the open conversation's id
    cur: null,            // its latest summary
    member: null,         // its member summary
    ids: new Set(),       // ids of the messages shown
    stream: null,         // the event stream's id while connected
    abort: null,
    backoff: 1000,
    retry: null,
    pending: null,        // action waiting for confirmation
    refresh: null,
    replies: [],          // canned replies
    results: null,        // search results, null when not searching
    searchError: '',
    callbacks: [],        // open call-back orders, newest first
    view: 'chat',         // or 'callbacks' or 'reports'
    report: null,         // the report shown, counts only
    reportSeq: 0,         // the latest report request; older answers are dropped
    reportWidth: 0        // the charts' width when drawn
  };

  // ---- language --------------------------------------------------------

  function applyLang() {
    document.documentElement.lang = lang;
    $all('[data-i18n]').forEach(function (e) { e.textContent = t[e.getAttribute('data-i18n')]; });
    $all('[data-kefu=ui-lang]').forEach(function (b) {
      b.textContent = lang === 'en' ? '中文' : 'English';
      b.setAttribute('lang', lang === 'en' ? 'zh-CN' : 'en');
    });
    $('#search-q').placeholder = t.searchPlaceholder;
    $('#reply-suggest').setAttribute('aria-label', t.replies);
    updateTitle();
    setConn($('#conn').getAttribute('data-state'));
    renderVerifyMethod();
    if (state.token) { renderList(); renderHead(); renderMember(); rerenderLog(); renderResults(); renderCallbacks(); renderNotes(); renderReport(); }
  }

  $all('[data-kefu=ui-lang]').forEach(function (b) {
    b.addEventListener('click', function () {
      lang = lang === 'en' ? 'zh-CN' : 'en';
      t = TEXT[lang];
      if (local) local.setItem(KEY_LANG, lang);
      applyLang();
    });
  });

  // ---- time ------------------------------------------------------------

  function fmt(iso, opts) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d)) return '';
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: state.tz, hour12: false }, opts)).format(d);
    } catch (e) {
      return d.toLocaleString();
    }
  }
  function fmtTime(iso) {
    var sameDay = fmt(iso, { year: 'numeric', month: '2-digit', day: '2-digit' }) === fmt(new Date().toISOString(), { year: 'numeric', month: '2-digit', day: '2-digit' });
    return sameDay ? fmt(iso, { hour: '2-digit', minute: '2-digit' }) : fmt(iso, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  }
  function fmtDateTime(iso) { return fmt(iso, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }); }
  function since(iso) {
    var m = Math.floor((Date.now() - new Date(iso).getTime()) / 60000);
    return t.minutes(Math.max(0, m));
  }

  // ---- API -------------------------------------------------------------

  function api(method, url, body, token) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + (token || state.token) }, cache: 'no-store' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) return data;
        var err = new Error(data.error || res.status + ' ' + res.statusText);
        err.status = res.status;
        err.code = data.code;
        err.conversation = data.conversation;
        err.data = data;
        if (res.status === 401 && !token && state.token) logout(t.sessionEnded);
        throw err;
      });
    });
  }
  function convURL(id, tail) { return '/agent/api/conversations/' + encodeURIComponent(id) + (tail || ''); }

  var toastTimer = null;
  function toast(text, kind) {
    var box = $('#toast');
    box.textContent = text;
    box.setAttribute('data-kind', kind || 'info');
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, kind === 'error' ? 6000 : 3000);
  }
  function failed(err) {
    if (err && err.status === 401) return;
    toast(t.failed + (err && err.message ? err.message : t.network), 'error');
    if (err && err.conversation) upsert(err.conversation);
    if (state.sel) loadDetail();
  }

  // ---- login -----------------------------------------------------------

  var loginForm = $('#login-form');
  var loginError = $('#login-error');
  function showLoginError(text) { loginError.textContent = text; loginError.hidden = !text; }

  loginForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('[data-kefu=agent-name]').value.trim();
    var token = $('[data-kefu=agent-token]').value.trim();
    if (!name || !token) { showLoginError(t.needBoth); return; }
    var btn = $('[data-kefu=agent-login]');
    btn.disabled = true;
    btn.textContent = t.loggingIn;
    showLoginError('');
    api('GET', '/agent/api/me', undefined, token).then(function (me) {
      if (me.name.toLowerCase() !== name.toLowerCase()) { showLoginError(t.nameMismatch); return; }
      if (session) session.setItem(KEY_SESSION, JSON.stringify({ name: me.name, token: token }));
      $('[data-kefu=agent-token]').value = '';
      start(me, token);
    }, function (err) {
      showLoginError(err.status === 401 ? t.badLogin : err.status === 429 ? t.tooMany : t.network);
    }).then(function () {
      btn.disabled = false;
      btn.textContent = t.login;
    });
  });

  function start(me, token) {
    state.name = me.name;
    state.token = token;
    state.tz = me.tz || undefined;
    try { new Intl.DateTimeFormat('en', { timeZone: state.tz }); } catch (e) { state.tz = undefined; }
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#me-name').textContent = me.name;
    $('#me-avatar').textContent = me.name.slice(0, 1);
    applyLang();
    connect();
    loadList();
    loadReplies();
    loadCallbacks();
  }

  function logout(message) {
    if (session) session.removeItem(KEY_SESSION);
    if (state.abort) state.abort.abort();
    clearTimeout(state.retry);
    state.token = '';
    state.stream = null;
    state.convs.clear();
    state.unread.clear();
    state.sel = state.cur = state.member = state.pending = null;
    $('#log').textContent = '';
    $('#chat').hidden = true;
    $('#placeholder').hidden = false;
    $('[data-kefu=workorder]').hidden = true;
    $('#action-result').hidden = true;
    state.replies = [];
    state.callbacks = [];
    state.report = null;
    state.results = null;
    $('#search-q').value = '';
    renderResults();
    renderCallbacks();
    renderReport();
    showView('chat');
    renderMember();
    $('#app').hidden = true;
    $('#login').hidden = false;
    showLoginError(message || '');
    $('[data-kefu=agent-token]').focus();
  }
  $('#logout').addEventListener('click', function () { logout(''); });

  // ---- live events -----------------------------------------------------

  function setConn(s) {
    var box = $('#conn');
    box.setAttribute('data-state', s || 'connecting');
    $('#conn-text').textContent = t[s] || t.connecting;
  }

  function connect() {
    if (!state.token) return;
    var ctrl = new AbortController();
    state.abort = ctrl;
    setConn('connecting');
    fetch('/agent/api/events', {
      headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/event-stream' },
      cache: 'no-store',
      signal: ctrl.signal
    }).then(function (res) {
      if (res.status === 401) { logout(t.sessionEnded); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      var reader = res.body.getReader();
      var decoder = new TextDecoder();
      var buf = '';
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) throw new Error('the stream ended');
          buf += decoder.decode(r.value, { stream: true });
          var i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            dispatch(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (ctrl.signal.aborted || !state.token) return;
      state.stream = null;
      setConn('offline');
      state.retry = setTimeout(connect, state.backoff);
      state.backoff = Math.min(state.backoff * 2, 15000);
    });
  }

  function dispatch(block) {
    var name = 'message', data = [];
    block.split('\n').forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':');
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    });
    if (!data.length) return;
    var v;
    try { v = JSON.parse(data.join('\n')); } catch (e) { return; }
    if (name === 'ready') {
      state.stream = v.stream;
      state.backoff = 1000;
      setConn('online');
      loadList();
      loadCallbacks();
      if (state.sel) follow().then(loadDetail);
    } else if (name === 'conversation') {
      if (v.id !== state.sel && (v.status === 'waiting' || v.status === 'active')) {
        var old = state.convs.get(v.id);
        if (!old || old.updated_at !== v.updated_at) state.unread.add(v.id);
      }
      upsert(v);
      if (state.results && state.results.some(function (c) { return c.id === v.id; })) {
        state.results = state.results.map(function (c) { return c.id === v.id ? v : c; }); // a result shows its status now
        renderResults();
      }
      if (v.id === state.sel) scheduleRefresh();
      if (v.callback && !state.callbacks.some(function (o) { return o.number === v.callback; })) loadCallbacks();
    } else if (name === 'message') {
      if (v.conversation === state.sel) addMessage(v.message);
    } else if (name === 'note') {
      if (v.conversation === state.sel) addNote(v.note);
    }
  }

  // follow makes the stream carry the open conversation's messages.
  function follow() {
    if (!state.stream) return Promise.resolve();
    return api('PUT', '/agent/api/events/' + encodeURIComponent(state.stream), { open: state.sel ? [state.sel] : [] }).catch(function () {});
  }

  // ---- the list --------------------------------------------------------

  function loadList() {
    return api('GET', '/agent/api/conversations').then(function (data) {
      state.convs.clear();
      data.conversations.forEach(function (c) { state.convs.set(c.id, c); });
      renderList();
    }, function () {});
  }

  function upsert(s) {
    if (s.status === 'waiting' || s.status === 'active') state.convs.set(s.id, s);
    else { state.convs.delete(s.id); state.unread.delete(s.id); }
    if (s.id === state.sel) { state.cur = s; renderHead(); renderActions(); }
    renderList();
  }

  function waitingSorted() {
    return Array.from(state.convs.values()).filter(function (c) { return c.status === 'waiting'; })
      .sort(function (a, b) { return (a.waiting_since < b.waiting_since ? -1 : a.waiting_since > b.waiting_since ? 1 : 0) || (a.id < b.id ? -1 : 1); });
  }
  function activeSorted() {
    return Array.from(state.convs.values()).filter(function (c) { return c.status === 'active'; })
      .sort(function (a, b) {
        var am = a.agent === state.name ? 0 : 1, bm = b.agent === state.name ? 0 : 1;
        return am - bm || (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0);
      });
  }

  function channelChip(ch) {
    return el('span', 'chip chip-' + (ch === 'telegram' ? 'telegram' : 'web'), t.channel[ch] || ch);
  }
  function shortID(id) { return '#' + String(id).slice(0, 6); }

  function convItem(c, pos, hook) {
    var li = el('li');
    var b = el('button', 'conv');
    b.type = 'button';
    b.setAttribute('data-kefu', hook || 'conversation');
    b.setAttribute('data-id', c.id);
    b.setAttribute('data-status', c.status);
    b.setAttribute('data-mine', String(c.agent === state.name));
    if (c.id === state.sel) b.setAttribute('aria-current', 'true');
    var held = c.status === 'active';
    var p = el('span', 'pos', c.status === 'waiting' ? pos : held ? (c.agent || '?').slice(0, 1).toUpperCase() : '·');
    p.title = c.status === 'waiting' ? t.position(pos) : held ? t.heldBy(c.agent) : (t.status[c.status] || c.status);
    var title = el('span', 'title');
    title.appendChild(channelChip(c.channel));
    title.appendChild(el('span', '', shortID(c.id)));
    if (c.status === 'active') title.appendChild(el('span', 'chip', c.agent === state.name ? t.heldByMe : c.agent));
    if (state.unread.has(c.id)) title.appendChild(el('span', 'unread'));
    var time = el('span', 'time', c.status === 'waiting' ? since(c.waiting_since) : fmtTime(c.updated_at));
    time.setAttribute('data-since', c.status === 'waiting' ? c.waiting_since : '');
    var preview = el('span', 'preview', c.preview || '—');
    b.appendChild(p);
    b.appendChild(title);
    b.appendChild(time);
    b.appendChild(preview);
    b.addEventListener('click', function () { showView('chat'); select(c.id); });
    li.appendChild(b);
    return li;
  }

  // ---- search ----------------------------------------------------------

  function renderResults() {
    var box = $('#results');
    box.hidden = state.results === null;
    var ul = $('#list-results');
    ul.textContent = '';
    var list = state.results || [];
    list.forEach(function (c, i) { ul.appendChild(convItem(c, i + 1, 'search-result')); });
    $('#count-results').textContent = list.length;
    $('#empty-results').hidden = list.length > 0 || !!state.searchError;
    var err = $('#search-error');
    err.textContent = state.searchError;
    err.hidden = !state.searchError;
  }

  $('#search').addEventListener('submit', function (e) {
    e.preventDefault();
    var q = $('#search-q').value.trim();
    if (!q) { state.results = null; state.searchError = ''; renderResults(); return; }
    api('GET', '/agent/api/conversations?q=' + encodeURIComponent(q)).then(function (d) {
      state.results = d.conversations;
      state.searchError = '';
      renderResults();
    }, function (err) {
      if (err.status === 401) return;
      state.results = [];
      state.searchError = err.message;
      renderResults();
    });
  });
  $('#search-clear').addEventListener('click', function () {
    state.results = null;
    state.searchError = '';
    $('#search-q').value = '';
    renderResults();
    $('#search-q').focus();
  });

  function renderList() {
    var w = waitingSorted(), a = activeSorted();
    var focused = document.activeElement && document.activeElement.getAttribute('data-id');
    [['waiting', w], ['active', a]].forEach(function (g) {
      var ul = $('#list-' + g[0]);
      ul.textContent = '';
      g[1].forEach(function (c, i) { ul.appendChild(convItem(c, i + 1)); });
      $('#count-' + g[0]).textContent = g[1].length;
      $('#count-' + g[0]).setAttribute('data-n', g[1].length);
      $('#empty-' + g[0]).hidden = g[1].length > 0;
    });
    if (focused) {
      var again = $('[data-kefu=conversation][data-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
    $('#stat-waiting').textContent = w.length;
    $('#stat-mine').textContent = a.filter(function (c) { return c.agent === state.name; }).length;
    updateTitle();
  }

  function updateTitle() {
    var n = waitingSorted().length;
    document.title = (n ? '(' + n + ') ' : '') + t.title + ' · kefu';
  }

  // ---- one conversation ------------------------------------------------

  function select(id) {
    if (state.sel === id) return;
    state.sel = id;
    state.cur = state.convs.get(id) || null;
    state.member = null;
    state.notes = [];
    state.pending = null;
    state.unread.delete(id);
    $('#verify-result').hidden = true;
    state.ids = new Set();
    $('#log').textContent = '';
    $('#action-result').hidden = true;
    $('#placeholder').hidden = true;
    $('#chat').hidden = false;
    renderList();
    renderHead();
    renderMember();
    renderNotes();
    follow().then(loadDetail);
  }

  function loadDetail() {
    var id = state.sel;
    if (!id) return Promise.resolve();
    return api('GET', convURL(id)).then(function (d) {
      if (state.sel !== id) return;
      state.member = d.member;
      state.notes = d.notes || [];
      d.messages.forEach(addMessage);
      delete d.messages;
      delete d.member;
      delete d.notes;
      upsert(d);
      state.cur = d;
      renderHead();
      renderMember();
      renderNotes();
    }, function (err) {
      if (state.sel === id && err.status === 404) { toast(err.message, 'error'); }
    });
  }

  function scheduleRefresh() {
    clearTimeout(state.refresh);
    state.refresh = setTimeout(loadDetail, 300);
  }

  function mine() { return !!(state.cur && state.cur.status === 'active' && state.cur.agent === state.name); }

  function renderHead() {
    var c = state.cur;
    if (!state.sel || !c) { $('#chat-title').textContent = ''; $('#chat-meta').textContent = ''; return; }
    var h = $('#chat-title');
    h.textContent = '';
    h.appendChild(channelChip(c.channel));
    h.appendChild(el('span', '', shortID(c.id)));
    h.appendChild(el('span', 'pill pill-' + c.status, t.status[c.status] || c.status));
    var meta = [t.lang[c.lang] || c.lang];
    if (c.status === 'waiting') meta.push(t.position(c.position || '?'), t.waited(since(c.waiting_since)));
    if (c.status === 'active') meta.push(c.agent === state.name ? t.heldByMe : t.heldBy(c.agent));
    if (c.callback) meta.push(t.woKind.callback + ' ' + c.callback);
    $('#chat-meta').textContent = meta.join(' · ');

    var held = mine();
    var other = c.status === 'active' && !held;
    var claim = $('[data-kefu=claim]');
    claim.hidden = held;
    claim.disabled = other;
    claim.title = other ? t.heldBy(c.agent) : '';
    $('[data-kefu=release]').hidden = !held;
    $('[data-kefu=close]').hidden = !held;

    var input = $('[data-kefu=input]');
    input.disabled = !held;
    $('[data-kefu=send]').disabled = !held;
    input.placeholder = held ? t.placeholderMine : other ? t.placeholderOther : t.placeholderClaim;
    $('#composer-hint').textContent = held ? t.hintMine + (state.replies.length ? ' ' + t.repliesHint : '') : '';
    renderActions();
  }

  function verifiedNow() {
    var m = state.member;
    return !!(m && m.verified && (!m.verified_until || new Date(m.verified_until).getTime() > Date.now()));
  }

  function renderMember() {
    var m = state.member;
    $('#member-empty').hidden = !!m;
    $('#member').hidden = !m;
    if (!m) { renderActions(); return; }
    var v = $('#member-verified');
    var ok = verifiedNow();
    v.setAttribute('data-verified', String(ok));
    v.textContent = ok ? (m.verified_until ? t.verifiedUntil(fmt(m.verified_until, { hour: '2-digit', minute: '2-digit' })) : t.verified) : t.notVerified;
    var dl = $('#member-facts');
    dl.textContent = '';
    function row(k, val) {
      if (val === undefined || val === null || val === '') return;
      dl.appendChild(el('dt', '', k));
      dl.appendChild(el('dd', '', val));
    }
    row(t.account, m.account);
    if (m.verified) {
      row(t.phone, m.phone);
      row(t.email, m.email);
      row(t.plan, m.plan);
      row(t.mstatus, t.memberStatus[m.status] || m.status);
      row(t.periodEnd, fmt(m.period_end, { year: 'numeric', month: '2-digit', day: '2-digit' }));
      row(t.autoRenew, m.auto_renew ? t.on : t.off);
    }
    renderActions();
  }

  // ---- verifying the member ---------------------------------------------

  function verifyMethod() {
    var r = $('[data-kefu=verify-method]:checked');
    return r ? r.value : 'questions';
  }
  function renderVerifyMethod() {
    var q = verifyMethod() === 'questions';
    $('#verify-answers').hidden = !q;
    $('#verify-code-hint').hidden = q;
    $('#verify-submit').textContent = q ? t.verifyGo : t.sendCode;
  }
  $all('[data-kefu=verify-method]').forEach(function (r) { r.addEventListener('change', renderVerifyMethod); });
  function verifyResult(text, kind) {
    var p = $('#verify-result');
    p.textContent = text;
    p.setAttribute('data-kind', kind || 'ok');
    p.hidden = !text;
  }
  $('#verify').addEventListener('submit', function (e) {
    e.preventDefault();
    var method = verifyMethod();
    var account = $('#verify-account').value.trim();
    if (!account) { verifyResult(t.needAccount, 'error'); $('#verify-account').focus(); return; }
    var body = { account: account, method: method, version: version() };
    if (method === 'questions') {
      body.answers = { last_order: $('#verify-last-order').value.trim(), registered_month: $('#verify-month').value.trim() };
      if (!body.answers.last_order || !body.answers.registered_month) { verifyResult(t.needAnswers, 'error'); return; }
    }
    var id = state.sel, btn = $('#verify-submit');
    btn.disabled = true;
    api('POST', convURL(id, '/verify'), body).then(function (d) {
      if (state.sel !== id) return;
      if (d.verified) {
        state.member = d.member;
        $('#verify-last-order').value = ''; $('#verify-month').value = '';
        verifyResult(t.verifiedOK);
        renderMember();
      } else {
        verifyResult(t.codeSent(d.account));
      }
    }, function (err) {
      if (state.sel !== id) return;
      var d = err.data || {};
      if (err.status === 422) verifyResult(t.wrongAnswers(d.tries_left), 'error');
      else if (err.status === 423) verifyResult(t.lockedFor(Math.ceil((d.retry_after_s || 60) / 60)), 'error');
      else if (err.status === 429 && d.code === 'too_soon') verifyResult(t.tooSoon(d.retry_after_s), 'error');
      else verifyResult(t.failed + err.message, 'error');
    }).then(function () { btn.disabled = false; });
  });

  // ---- internal notes --------------------------------------------------

  function noteEl(n) {
    var li = el('li');
    li.setAttribute('data-kefu', 'note');
    li.setAttribute('data-id', n.id);
    li.appendChild(el('span', 'note-meta', n.agent + ' · ' + fmtDateTime(n.at)));
    li.appendChild(el('span', 'note-text', n.text));
    return li;
  }
  function renderNotes() {
    $('#notes-card').hidden = !state.sel;
    var ol = $('#notes');
    ol.textContent = '';
    (state.notes || []).forEach(function (n) { ol.appendChild(noteEl(n)); });
    if (!(state.notes || []).length) ol.appendChild(el('li', 'muted empty-note', t.noNotes));
  }
  function addNote(n) {
    if (!n || (state.notes || []).some(function (x) { return x.id === n.id; })) return;
    state.notes = (state.notes || []).concat([n]);
    renderNotes();
    var ol = $('#notes');
    ol.scrollTop = ol.scrollHeight;
  }
  $('#note-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var input = $('#note-input'), text = input.value.trim();
    if (!text) { toast(t.noteEmpty, 'error'); input.focus(); return; }
    var id = state.sel, btn = $('[data-kefu=note-add]');
    btn.disabled = true;
    api('POST', convURL(id, '/notes'), { text: text }).then(function (d) {
      input.value = '';
      if (state.sel === id) addNote(d.note);
    }, failed).then(function () { btn.disabled = false; });
  });

  function renderActions() {
    var held = mine(), ok = verifiedNow();
    $('#verify').hidden = !(held && state.member && !ok);
    $all('[data-action]').forEach(function (b) {
      b.disabled = !(held && ok) || !!state.pending;
      b.setAttribute('aria-pressed', String(state.pending === b.getAttribute('data-action')));
    });
    $('#actions-hint').textContent = !state.sel ? t.noSelection : !held ? t.actionsNeedClaim : !ok ? t.actionsNeedVerify : t.actionsReady;
    var box = $('#confirm');
    box.hidden = !state.pending || !held || !ok;
    if (state.pending) $('#confirm-text').textContent = state.pending === 'cancel_now' ? t.confirmCancelNow : t.confirmNoRenew;
  }

  // ---- the transcript --------------------------------------------------

  function messageEl(m) {
    var from = ({ member: 1, bot: 1, agent: 1, system: 1 })[m.from] ? m.from : 'system';
    var li = el('li', 'msg');
    li.setAttribute('data-kefu', 'message');
    li.setAttribute('data-from', from);
    li.setAttribute('data-id', m.id);
    var meta = el('span', 'meta');
    meta.appendChild(el('b', '', t.from[from]));
    meta.appendChild(document.createTextNode(fmtTime(m.at)));
    li.appendChild(meta);
    li.appendChild(el('div', 'bubble', m.text));
    if (m.buttons && m.buttons.length) {
      var offered = el('div', 'offered');
      m.buttons.forEach(function (b) { offered.appendChild(el('span', '', b.label)); });
      li.appendChild(offered);
    }
    li._message = m;
    return li;
  }

  function seq(id) { var n = Number(id); return isNaN(n) ? 0 : n; }

  function addMessage(m) {
    if (!m || state.ids.has(m.id)) return;
    state.ids.add(m.id);
    var log = $('#log');
    var near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    var node = messageEl(m);
    var after = null;
    $all('[data-kefu=message]', log).some(function (x) {
      if (seq(x.getAttribute('data-id')) > seq(m.id)) { after = x; return true; }
      return false;
    });
    log.insertBefore(node, after);
    if (near || m.from === 'agent') log.scrollTop = log.scrollHeight;
  }

  function rerenderLog() {
    var log = $('#log');
    $all('[data-kefu=message]', log).forEach(function (x) { log.replaceChild(messageEl(x._message), x); });
  }

  // ---- agent actions ---------------------------------------------------

  function version() { return state.cur ? state.cur.version : 0; }

  function act(path, body, done) {
    var id = state.sel;
    body = Object.assign({ version: version() }, body || {});
    return api('POST', convURL(id, path), body).then(function (s) {
      if (s && s.id) upsert(s);
      if (done) done(s);
      if (!state.stream) loadDetail();
      return s;
    }, function (err) { failed(err); throw err; });
  }

  $('[data-kefu=claim]').addEventListener('click', function () {
    act('/claim', {}, function () { toast(t.claimed); $('[data-kefu=input]').focus(); }).catch(function () {});
  });
  $('[data-kefu=release]').addEventListener('click', function () {
    act('/release', {}, function () { toast(t.released); }).catch(function () {});
  });
  $('[data-kefu=close]').addEventListener('click', function () {
    act('/close', {}, function () { toast(t.closed); }).catch(function () {});
  });

  var composer = $('#composer');
  var input = $('[data-kefu=input]');
  composer.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || !mine()) return;
    var send = $('[data-kefu=send]');
    send.disabled = true;
    act('/messages', { text: text }, function () { input.value = ''; })
      .catch(function () {})
      .then(function () { send.disabled = !mine(); input.focus(); });
  });
  input.addEventListener('keydown', function (e) {
    if (e.isComposing || e.keyCode === 229) return;
    if (suggesting()) {
      var n = sugg.items.length;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        sugg.active = (sugg.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
        renderSuggest();
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        insertReply(sugg.active);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        closeSuggest();
        return;
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });

  // ---- canned replies --------------------------------------------------
  // Typing "/" and a shortcut's start in the reply box lists the matching
  // replies; the one chosen replaces the shortcut, in the conversation's
  // language.

  var suggest = $('#reply-suggest');
  var sugg = { items: [], active: 0, token: null };

  function loadReplies() {
    return api('GET', '/agent/api/replies').then(function (d) { state.replies = d.replies || []; renderHead(); }, function () {});
  }
  function replyText(r) { return state.cur && /^en/i.test(state.cur.lang || '') ? r.en : r.zh; }
  function suggesting() { return !suggest.hidden && sugg.items.length > 0; }

  // slashToken is the "/word" just before the caret, at a word's start.
  function slashToken() {
    var v = input.value, end = input.selectionStart;
    if (end !== input.selectionEnd) return null;
    var start = v.lastIndexOf('/', end - 1);
    if (start < 0 || (start > 0 && !/\s/.test(v.charAt(start - 1)))) return null;
    var word = v.slice(start, end);
    if (/\s/.test(word)) return null;
    return { start: start, end: end, word: word.toLowerCase() };
  }
  function updateSuggest() {
    var tok = mine() ? slashToken() : null;
    sugg.token = tok;
    sugg.items = tok ? state.replies.filter(function (r) { return r.shortcut.toLowerCase().indexOf(tok.word) === 0; }) : [];
    sugg.active = 0;
    renderSuggest();
  }
  function closeSuggest() { sugg.items = []; sugg.token = null; renderSuggest(); }
  function renderSuggest() {
    suggest.textContent = '';
    if (!sugg.items.length) {
      suggest.hidden = true;
      input.removeAttribute('aria-activedescendant');
      return;
    }
    sugg.items.forEach(function (r, i) {
      var li = el('li');
      li.id = 'reply-option-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === sugg.active));
      li.setAttribute('data-kefu', 'reply');
      li.setAttribute('data-shortcut', r.shortcut);
      li.appendChild(el('b', '', r.shortcut));
      li.appendChild(el('span', '', replyText(r)));
      li.addEventListener('mousedown', function (e) { e.preventDefault(); insertReply(i); });
      suggest.appendChild(li);
    });
    suggest.hidden = false;
    input.setAttribute('aria-activedescendant', 'reply-option-' + sugg.active);
    var active = $('#reply-option-' + sugg.active);
    if (active && active.scrollIntoView) active.scrollIntoView({ block: 'nearest' });
  }
  function insertReply(i) {
    var r = sugg.items[i], tok = sugg.token;
    if (!r || !tok) return;
    var text = replyText(r);
    input.value = input.value.slice(0, tok.start) + text + input.value.slice(tok.end);
    var caret = tok.start + text.length;
    input.setSelectionRange(caret, caret);
    closeSuggest();
    input.focus();
  }
  input.addEventListener('input', updateSuggest);
  input.addEventListener('click', updateSuggest);
  input.addEventListener('blur', closeSuggest);

  $all('[data-action]').forEach(function (b) {
    b.addEventListener('click', function () {
      state.pending = b.getAttribute('data-action');
      $('#action-result').hidden = true;
      renderActions();
      $('[data-kefu=action-confirm]').focus();
    });
  });
  $('[data-kefu=action-back]').addEventListener('click', function () {
    state.pending = null;
    renderActions();
  });
  $('[data-kefu=action-confirm]').addEventListener('click', function () {
    var action = state.pending;
    if (!action) return;
    var btn = this;
    btn.disabled = true;
    api('POST', convURL(state.sel, '/actions'), { action: action, version: version() }).then(function (o) {
      state.pending = null;
      var res = $('#action-result');
      res.textContent = t.done(o.number);
      res.hidden = false;
      renderActions();
      loadDetail();
    }, failed).then(function () { btn.disabled = false; });
  });

  // ---- work-order lookup -----------------------------------------------

  $('#lookup').addEventListener('submit', function (e) {
    e.preventDefault();
    var n = $('[data-kefu=workorder-number]').value.trim();
    var box = $('[data-kefu=workorder]');
    var errBox = $('#wo-error');
    if (!n) return;
    api('GET', '/api/workorders/' + encodeURIComponent(n)).then(function (o) {
      errBox.hidden = true;
      box.textContent = '';
      function row(k, v, cls) {
        if (v === undefined || v === null || v === '') return;
        box.appendChild(el('dt', '', k));
        box.appendChild(el('dd', cls || '', v));
      }
      row(t.wo.number, o.number, 'wo');
      row(t.wo.kind, t.woKind[o.kind] || o.kind);
      if (o.action) row(t.wo.action, t.woKind[o.action] || o.action);
      row(t.wo.status, t.woStatus[o.status] || o.status);
      row(t.wo.channel, t.channel[o.channel] || o.channel);
      row(t.wo.executor, o.executor);
      row(t.wo.effective, fmtDateTime(o.effective_at));
      if (o.kind !== 'callback') row(t.wo.refund, o.refund_cents ? '¥' + (o.refund_cents / 100).toFixed(2) : t.noRefund);
      if (o.kind !== 'callback') row(t.wo.autoRenew, o.auto_renew ? t.on : t.off);
      row(t.wo.created, fmtDateTime(o.created_at));
      row(t.wo.reason, o.reason);
      if (o.conversation) {
        box.appendChild(el('dt', '', t.wo.conversation));
        var dd = el('dd');
        var open = el('button', 'link', t.openConversation + ' ' + shortID(o.conversation));
        open.type = 'button';
        open.addEventListener('click', function () { select(o.conversation); });
        dd.appendChild(open);
        box.appendChild(dd);
      }
      box.hidden = false;
    }, function (err) {
      if (err.status === 401) return;
      box.hidden = true;
      errBox.textContent = err.message;
      errBox.hidden = false;
    });
  });

  // ---- call-backs ------------------------------------------------------

  function showView(view) {
    state.view = view;
    $('#callbacks').hidden = view !== 'callbacks';
    $('#reports').hidden = view !== 'reports';
    $('#chat-view').hidden = view !== 'chat';
    $('.side').hidden = view === 'reports'; // the reports take its room
    $('[data-kefu=callbacks-view]').setAttribute('aria-pressed', String(view === 'callbacks'));
    $('[data-kefu=reports-view]').setAttribute('aria-pressed', String(view === 'reports'));
  }

  function loadCallbacks() {
    return api('GET', '/agent/api/callbacks').then(function (d) {
      state.callbacks = d.callbacks;
      $('#callbacks-error').hidden = true;
      renderCallbacks();
    }, function (err) {
      if (err.status === 401) return;
      $('#callbacks-error').textContent = err.message;
      $('#callbacks-error').hidden = false;
    });
  }

  function callbackItem(o) {
    var li = el('li', 'card cb');
    li.setAttribute('data-kefu', 'callback');
    li.setAttribute('data-number', o.number);
    var head = el('div', 'cb-head');
    head.appendChild(el('span', 'wo', o.number));
    head.appendChild(channelChip(o.channel));
    head.appendChild(el('span', 'time', fmtDateTime(o.created_at)));
    li.appendChild(head);
    li.appendChild(el('p', 'cb-reason', o.reason || t.noReason));
    if (o.conversation) {
      var open = el('button', 'link', t.openConversation + ' ' + shortID(o.conversation));
      open.type = 'button';
      open.setAttribute('data-kefu', 'callback-conversation');
      open.addEventListener('click', function () { showView('chat'); select(o.conversation); });
      li.appendChild(el('div')).appendChild(open);
    }
    var form = el('form', 'cb-close');
    form.noValidate = true;
    var id = 'note-' + o.number;
    var label = el('label', '', t.closeNote);
    label.htmlFor = id;
    var note = el('textarea');
    note.id = id;
    note.rows = 2;
    note.maxLength = 500;
    note.setAttribute('data-kefu', 'callback-note');
    var err = el('p', 'form-error');
    err.setAttribute('role', 'alert');
    err.hidden = true;
    var btn = el('button', 'btn btn-primary', t.closeCallback);
    btn.type = 'submit';
    btn.setAttribute('data-kefu', 'callback-close');
    [label, note, err, btn].forEach(function (x) { form.appendChild(x); });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = note.value.trim();
      if (!text) { err.textContent = t.noteNeeded; err.hidden = false; note.focus(); return; }
      btn.disabled = true;
      api('POST', '/agent/api/workorders/' + encodeURIComponent(o.number) + '/close', { note: text }).then(function () {
        toast(t.callbackClosed(o.number));
        state.callbacks = state.callbacks.filter(function (x) { return x.number !== o.number; });
        renderCallbacks();
        $('#callbacks-title').focus();
      }, function (e2) {
        btn.disabled = false;
        if (e2.status === 401) return;
        err.textContent = e2.message;
        err.hidden = false;
        if (e2.status === 409 || e2.status === 404) loadCallbacks();
      });
    });
    li.appendChild(form);
    return li;
  }

  function renderCallbacks() {
    var ul = $('#callbacks-list');
    var notes = {};
    $all('[data-kefu=callback-note]', ul).forEach(function (x) { notes[x.id] = x.value; });
    ul.textContent = '';
    state.callbacks.forEach(function (o) { ul.appendChild(callbackItem(o)); });
    $all('[data-kefu=callback-note]', ul).forEach(function (x) { if (notes[x.id]) x.value = notes[x.id]; });
    $('#callbacks-empty').hidden = state.callbacks.length > 0;
    var n = $('#count-callbacks');
    n.textContent = state.callbacks.length;
    n.setAttribute('data-n', state.callbacks.length);
  }

  $('#callbacks-title').tabIndex = -1;
  $('[data-kefu=callbacks-view]').addEventListener('click', function () {
    if (state.view === 'callbacks') { showView('chat'); return; }
    showView('callbacks');
    loadCallbacks();
    $('#callbacks-title').focus();
  });
  $('#callbacks-back').addEventListener('click', function () { showView('chat'); });

  // ---- reports ---------------------------------------------------------
  // GET /agent/api/reports: counts per day and over the range, never a
  // member's details. The charts are SVG drawn here; each one's accessible
  // name sums it up and a table under it holds the same numbers. A figure
  // the server does not send reads as 0 (a count) or "—" (a median).

  var SVG = $('.bar-brand svg').namespaceURI; // the page's own SVG's: no address in this file
  var OUTCOMES = ['cancel_now', 'no_renew', 'kept'];
  var CONTACTS = ['handoffs', 'callbacks'];
  var REASONS = ['price', 'unused', 'switching', 'other'];

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function px(n) { return Math.round(n * 10) / 10; }
  // chartWidth is the box's width in pixels, so that a chart's text is
  // drawn at its size in the style sheet, whatever the window.
  function chartWidth(box) { return Math.max(320, Math.round(box.clientWidth) || 640); }

  function count(v) { return typeof v === 'number' && v > 0 && isFinite(v) ? v : 0; }
  function figure(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function num(v) { return v === null ? '—' : new Intl.NumberFormat(lang).format(v); }
  function duration(s) { return s === null ? '—' : t.seconds(Math.round(s)); }
  function reasonLabel(k) { return t.reason[k] || k; }

  function normalReport(d) {
    d = d || {};
    var days = (Array.isArray(d.days) ? d.days : []).map(function (x) {
      x = x || {};
      var day = { date: String(x.date || '') };
      OUTCOMES.concat(CONTACTS, ['csat_up', 'csat_down']).forEach(function (k) { day[k] = count(x[k]); });
      return day;
    });
    var reasons = {};
    REASONS.concat(Object.keys(d.reasons || {})).forEach(function (k) { reasons[k] = count((d.reasons || {})[k]); });
    var byFlow = {};
    Object.keys(d.median_member_actions_by_flow || {}).forEach(function (k) {
      var v = figure(d.median_member_actions_by_flow[k]);
      if (v !== null) byFlow[k] = v;
    });
    var kb = Object.keys(d.kb || {}).map(function (id) {
      var f = d.kb[id] || {};
      return { id: id, helpful: count(f.helpful), notHelpful: count(f.not_helpful) };
    });
    return {
      from: String(d.from || ''), to: String(d.to || ''), days: days, reasons: reasons, kb: kb,
      waitP50: figure(d.handoff_wait_p50_s), waitP90: figure(d.handoff_wait_p90_s),
      actions: figure(d.median_member_actions), actionsByFlow: byFlow
    };
  }

  function totalsOf(days, keys) {
    var sum = {};
    keys.forEach(function (k) { sum[k] = days.reduce(function (a, d) { return a + d[k]; }, 0); });
    return sum;
  }

  function dayLabel(date) {
    var d = new Date(date + 'T00:00:00Z');
    return isNaN(d) ? date : new Intl.DateTimeFormat(lang, { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(d);
  }

  // axis is a round top for a y axis that must reach max, and its step;
  // counts are whole, so the step is at least 1.
  function axis(max) {
    var raw = Math.max(max, 1) / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = Math.max(1, [1, 2, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0]);
    return { top: Math.max(1, Math.ceil(max / step)) * step, step: step };
  }

  // dataTable holds a chart's numbers, folded under the chart.
  function dataTable(caption, head, rows, foot) {
    var box = el('details', 'chart-data');
    box.appendChild(el('summary', '', t.showTable));
    var table = el('table', 'data');
    table.appendChild(el('caption', 'sr', caption));
    function line(parent, cells, headCol) {
      var tr = el('tr');
      cells.forEach(function (c, i) {
        var cell = el(headCol && i === 0 ? 'th' : 'td', '', c);
        if (headCol && i === 0) cell.setAttribute('scope', 'row');
        tr.appendChild(cell);
      });
      parent.appendChild(tr);
    }
    var thead = el('thead'), tr = el('tr');
    head.forEach(function (h) { var th = el('th', '', h); th.setAttribute('scope', 'col'); tr.appendChild(th); });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el('tbody');
    rows.forEach(function (r) { line(tbody, r, true); });
    table.appendChild(tbody);
    if (foot) { var tfoot = el('tfoot'); line(tfoot, foot, true); table.appendChild(tfoot); }
    box.appendChild(table);
    return box;
  }

  function legend(keys, label) {
    var ul = el('ul', 'legend');
    keys.forEach(function (k) {
      var li = el('li');
      var sw = el('span', 'sw s-' + k);
      sw.setAttribute('aria-hidden', 'true');
      li.appendChild(sw);
      li.appendChild(document.createTextNode(label(k)));
      ul.appendChild(li);
    });
    return ul;
  }

  // dayChart draws keys' counts per day as bars, stacked or side by side.
  function dayChart(box, title, days, keys, stacked) {
    var W = chartWidth(box), H = 220, L = 34, R = 6, T = 10, B = 26, pw = W - L - R, ph = H - T - B;
    var max = 0;
    days.forEach(function (d) {
      var v = stacked ? keys.reduce(function (a, k) { return a + d[k]; }, 0) : Math.max.apply(null, keys.map(function (k) { return d[k]; }));
      max = Math.max(max, v);
    });
    var ax = axis(max);
    function y(v) { return px(T + ph - v / ax.top * ph); }
    var totals = totalsOf(days, keys);
    var summary = t.perDay(title, days.length, keys.map(function (k) { return t.series[k] + ' ' + num(totals[k]); }));
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': summary, 'class': 'chart-svg' });
    root.appendChild(svg('title', {}, summary));
    for (var v = 0; v <= ax.top; v += ax.step) {
      root.appendChild(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), 'class': v ? 'grid' : 'axis' }));
      root.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'class': 'tick' }, num(v)));
    }
    var slot = pw / Math.max(days.length, 1), bw = Math.max(1, slot * (stacked ? 0.6 : 0.72));
    var every = Math.ceil(days.length / 8); // at most 8 dates under the axis, the last always
    days.forEach(function (d, i) {
      var x0 = L + i * slot + (slot - bw) / 2, base = 0;
      keys.forEach(function (k, j) {
        var val = d[k], w = stacked ? bw : bw / keys.length, x = stacked ? x0 : x0 + j * w, top = stacked ? base + val : val;
        var bar = svg('rect', {
          x: px(x), y: y(top), width: px(w), height: px(y(stacked ? base : 0) - y(top)), 'class': 'bar s-' + k,
          'data-kefu': 'bar', 'data-date': d.date, 'data-series': k, 'data-value': val
        });
        bar.appendChild(svg('title', {}, dayLabel(d.date) + ' ' + t.series[k] + ' ' + num(val)));
        root.appendChild(bar);
        if (stacked) base += val;
      });
      if ((days.length - 1 - i) % every === 0) {
        root.appendChild(svg('text', { x: px(L + i * slot + slot / 2), y: H - 8, 'text-anchor': 'middle', 'class': 'tick' }, dayLabel(d.date)));
      }
    });
    box.appendChild(legend(keys, function (k) { return t.series[k]; }));
    box.appendChild(root);
    box.appendChild(dataTable(title, [t.date].concat(keys.map(function (k) { return t.series[k]; })),
      days.map(function (d) { return [d.date].concat(keys.map(function (k) { return num(d[k]); })); }),
      [t.total].concat(keys.map(function (k) { return num(totals[k]); }))));
  }

  // reasonChart draws the count of each reason as a horizontal bar under
  // its label (a label beside it would not fit a narrow window).
  function reasonChart(box, title, reasons) {
    var keys = Object.keys(reasons);
    var W = chartWidth(box), R = 44, row = 46, T = 2, H = T + keys.length * row, pw = W - R;
    var ax = axis(Math.max.apply(null, keys.map(function (k) { return reasons[k]; })));
    var summary = t.overRange(title, keys.map(function (k) { return reasonLabel(k) + ' ' + num(reasons[k]); }));
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': summary, 'class': 'chart-svg' });
    root.appendChild(svg('title', {}, summary));
    keys.forEach(function (k, i) {
      var top = T + i * row, w = px(reasons[k] / ax.top * pw);
      root.appendChild(svg('text', { x: 0, y: top + 15, 'class': 'label' }, reasonLabel(k)));
      root.appendChild(svg('rect', { x: 0, y: top + 22, width: pw, height: 14, rx: 2, 'class': 'track' }));
      var bar = svg('rect', { x: 0, y: top + 22, width: w, height: 14, rx: 2, 'class': 'bar s-reason', 'data-kefu': 'bar', 'data-series': k, 'data-value': reasons[k] });
      bar.appendChild(svg('title', {}, reasonLabel(k) + ' ' + num(reasons[k])));
      root.appendChild(bar);
      root.appendChild(svg('text', { x: pw + 8, y: top + 34, 'class': 'value' }, num(reasons[k])));
    });
    box.appendChild(root);
    box.appendChild(dataTable(title, [t.reasonCol, t.countCol], keys.map(function (k) { return [reasonLabel(k), num(reasons[k])]; })));
  }

  function kbTable(box, kb) {
    if (!kb.length) { box.appendChild(el('p', 'muted', t.noKB)); return; }
    var table = el('table', 'data');
    table.appendChild(el('caption', 'sr', t.kbTitle));
    var thead = el('thead'), tr = el('tr');
    [t.kbArticle, t.kbHelpful, t.kbNotHelpful, t.kbShare].forEach(function (h) { var th = el('th', '', h); th.setAttribute('scope', 'col'); tr.appendChild(th); });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el('tbody');
    kb.slice().sort(function (a, b) { return (b.helpful + b.notHelpful) - (a.helpful + a.notHelpful) || (a.id < b.id ? -1 : 1); }).forEach(function (a) {
      var row = el('tr');
      row.setAttribute('data-kefu', 'kb-article');
      row.setAttribute('data-id', a.id);
      var th = el('th');
      th.setAttribute('scope', 'row');
      var link = el('a', 'wo', a.id);
      link.href = '/help/' + encodeURIComponent(a.id);
      link.target = '_blank';
      link.rel = 'noopener';
      th.appendChild(link);
      row.appendChild(th);
      var all = a.helpful + a.notHelpful;
      [num(a.helpful), num(a.notHelpful), all ? Math.round(100 * a.helpful / all) + '%' : '—'].forEach(function (v) { row.appendChild(el('td', '', v)); });
      tbody.appendChild(row);
    });
    table.appendChild(tbody);
    box.appendChild(table);
  }

  function tile(key, value, sub) {
    var li = el('li', 'tile');
    li.setAttribute('data-kefu', 'tile');
    li.setAttribute('data-tile', key);
    li.appendChild(el('span', 'tile-label', t.tile[key]));
    li.appendChild(el('strong', 'tile-value', value));
    if (sub) li.appendChild(el('span', 'tile-sub', sub));
    return li;
  }

  function todayHere() {
    var p = {};
    new Intl.DateTimeFormat('en-US', { timeZone: state.tz, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date()).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day;
  }
  function addDays(date, n) {
    var d = new Date(date + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function renderReport() {
    var r = state.report;
    var section = $('#reports');
    var open = $all('.chart-data[open]', section).map(function (d) { return d.parentNode.id; });
    ['#reports-tiles', '#chart-outcomes', '#chart-contacts', '#chart-reasons', '#reports-kb'].forEach(function (s) { $(s).textContent = ''; });
    $('[data-kefu=reports-csv]').disabled = !r;
    if (!r) {
      section.removeAttribute('data-from');
      section.removeAttribute('data-to');
      $('#reports-range-text').textContent = '';
      return;
    }
    section.setAttribute('data-from', r.from);
    section.setAttribute('data-to', r.to);
    $('#reports-range-text').textContent = t.rangeText(r.from, r.to, r.days.length);
    var today = todayHere();
    $all('[data-kefu=reports-days]').forEach(function (b) {
      b.setAttribute('aria-pressed', String(r.to === today && r.from === addDays(today, 1 - Number(b.getAttribute('data-days')))));
    });

    var sum = totalsOf(r.days, OUTCOMES.concat(CONTACTS, ['csat_up', 'csat_down']));
    var tiles = $('#reports-tiles');
    OUTCOMES.concat(CONTACTS).forEach(function (k) { tiles.appendChild(tile(k, num(sum[k]))); });
    var answers = sum.csat_up + sum.csat_down;
    tiles.appendChild(tile('csat', '👍 ' + num(sum.csat_up) + ' / 👎 ' + num(sum.csat_down),
      answers ? t.csatShare(Math.round(100 * sum.csat_up / answers)) : t.noAnswers));
    tiles.appendChild(tile('wait', r.waitP50 === null && r.waitP90 === null ? '—' : duration(r.waitP50) + ' / ' + duration(r.waitP90)));
    tiles.appendChild(tile('actions', num(r.actions), Object.keys(r.actionsByFlow).map(function (k) {
      return (t.series[k] || k) + ' ' + num(r.actionsByFlow[k]);
    }).join(' · ')));

    dayChart($('#chart-outcomes'), t.chartOutcomes, r.days, OUTCOMES, true);
    dayChart($('#chart-contacts'), t.chartContacts, r.days, CONTACTS, false);
    reasonChart($('#chart-reasons'), t.chartReasons, r.reasons);
    kbTable($('#reports-kb'), r.kb);
    open.forEach(function (id) { $('#' + id + ' .chart-data').open = true; });
    state.reportWidth = $('#chart-outcomes').clientWidth;
  }

  function showReportError(text) {
    $('#reports-error').textContent = text;
    $('#reports-error').hidden = !text;
  }

  // loadReport shows the report from..to, or the server's default range.
  function loadReport(from, to) {
    var seq = ++state.reportSeq;
    var section = $('#reports');
    section.setAttribute('aria-busy', 'true');
    $('#reports-range-text').textContent = t.loadingReport;
    var q = from && to ? '?from=' + encodeURIComponent(from) + '&to=' + encodeURIComponent(to) : '';
    return api('GET', '/agent/api/reports' + q).then(function (d) {
      if (seq !== state.reportSeq) return;
      state.report = normalReport(d);
      $('#reports-from').value = state.report.from;
      $('#reports-to').value = state.report.to;
      showReportError('');
      renderReport();
    }, function (err) {
      if (seq !== state.reportSeq || err.status === 401) return;
      showReportError(err.message);
      renderReport();
    }).then(function () {
      if (seq === state.reportSeq) section.removeAttribute('aria-busy');
    });
  }

  // saveFile hands a blob to the browser's downloads: the CSV needs the
  // Authorization header, so a plain link to the API cannot fetch it.
  function saveFile(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = el('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  var redraw = null;
  window.addEventListener('resize', function () {
    if (redraw !== null) return;
    redraw = requestAnimationFrame(function () {
      redraw = null;
      if (state.view === 'reports' && state.report && $('#chart-outcomes').clientWidth !== state.reportWidth) renderReport();
    });
  });

  $('#reports-title').tabIndex = -1;
  $('[data-kefu=reports-view]').addEventListener('click', function () {
    if (state.view === 'reports') { showView('chat'); return; }
    showView('reports');
    if (state.report) loadReport(state.report.from, state.report.to);
    else loadReport();
    $('#reports-title').focus();
  });
  $('#reports-back').addEventListener('click', function () { showView('chat'); });
  $('#reports-range').addEventListener('submit', function (e) {
    e.preventDefault();
    var from = $('#reports-from').value, to = $('#reports-to').value;
    if (!from || !to) { showReportError(t.rangeNeeded); return; }
    if (from > to) { showReportError(t.rangeBad); return; }
    loadReport(from, to);
  });
  $all('[data-kefu=reports-days]').forEach(function (b) {
    b.addEventListener('click', function () {
      var to = todayHere();
      loadReport(addDays(to, 1 - Number(b.getAttribute('data-days'))), to);
    });
  });
  $('[data-kefu=reports-csv]').addEventListener('click', function () {
    var r = state.report, btn = this;
    if (!r) return;
    btn.disabled = true;
    fetch('/agent/api/reports?from=' + encodeURIComponent(r.from) + '&to=' + encodeURIComponent(r.to), {
      headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/csv' }, cache: 'no-store'
    }).then(function (res) {
      if (res.status === 401) { logout(t.sessionEnded); return; }
      if (!res.ok) {
        return res.json().catch(function () { return {}; }).then(function (d) { throw new Error(d.error || res.status + ' ' + res.statusText); });
      }
      return res.blob().then(function (b) { saveFile(b, 'kefu-report-' + r.from + '-' + r.to + '.csv'); });
    }).catch(function (err) {
      toast(t.failed + (err instanceof TypeError ? t.network : err.message), 'error');
    }).then(function () { btn.disabled = !state.report; });
  });

  // Wait times and verification expiry move with the clock; nothing is
  // fetched for it.
  setInterval(function () {
    if (!state.token) return;
    $all('.conv .time[data-since]').forEach(function (x) {
      var s = x.getAttribute('data-since');
      if (s) x.textContent = since(s);
    });
    if (state.sel) { renderHead(); renderMember(); }
  }, 15000);

  // ---- start -----------------------------------------------------------

  applyLang();
  var saved = null;
  try { saved = session && JSON.parse(session.getItem(KEY_SESSION) || 'null'); } catch (e) { saved = null; }
  if (saved && saved.token) {
    api('GET', '/agent/api/me', undefined, saved.token).then(function (me) { start(me, saved.token); }, function (err) {
      if (session) session.removeItem(KEY_SESSION);
      showLoginError(err.status === 401 ? t.sessionEnded : '');
    });
  } else {
    $('[data-kefu=agent-name]').focus();
  }
})();
