// Help-center page: the search box asks the knowledge base
// (GET /api/kb/search) as the visitor types and lists the articles found.
// The chat itself is /widget.js. Text from the server is set as text.
(function () {
  'use strict';
  var form = document.querySelector('.search');
  var box = document.getElementById('faq-search');
  var panel = document.getElementById('search-results');
  var list = document.getElementById('search-list');
  var empty = document.getElementById('search-empty');
  if (!form || !box || !panel) return;
  var lang = form.getAttribute('data-lang') || document.documentElement.lang;
  var timer = null;
  var asked = 0; // answers to older questions are dropped

  function show(results) {
    list.textContent = '';
    results.forEach(function (r) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = r.url;
      a.textContent = r.title;
      var p = document.createElement('p');
      p.textContent = r.summary;
      li.appendChild(a);
      li.appendChild(p);
      list.appendChild(li);
    });
    empty.hidden = results.length > 0;
    panel.hidden = false;
  }

  function search() {
    var q = box.value.trim();
    if (!q) { panel.hidden = true; return; }
    var n = ++asked;
    fetch('/api/kb/search?q=' + encodeURIComponent(q) + '&lang=' + encodeURIComponent(lang))
      .then(function (res) { return res.ok ? res.json() : { results: [] }; })
      .then(function (body) { if (n === asked) show(body.results || []); })
      .catch(function () { if (n === asked) show([]); });
  }

  box.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    clearTimeout(timer);
    search();
  });
  document.querySelectorAll('[data-search]').forEach(function (b) {
    b.addEventListener('click', function () {
      box.value = b.getAttribute('data-search');
      search();
      box.focus();
    });
  });
})();
