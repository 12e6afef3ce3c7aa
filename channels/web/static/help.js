// Help-center page: filters the FAQ as the visitor types. The chat itself is
// /widget.js.
(function () {
  'use strict';
  var box = document.getElementById('faq-search');
  var empty = document.getElementById('faq-empty');
  var items = Array.prototype.slice.call(document.querySelectorAll('.faq details'));
  if (!box) return;

  function filter() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (d) {
      var hit = !q || d.textContent.toLowerCase().indexOf(q) >= 0;
      d.hidden = !hit;
      if (hit) shown++;
      if (q && hit) d.open = true;
    });
    empty.hidden = shown > 0;
  }

  box.addEventListener('input', filter);
  document.querySelector('.search').addEventListener('submit', function (e) {
    e.preventDefault();
    filter();
    document.getElementById('faq').scrollIntoView({ behavior: 'smooth' });
  });
  document.querySelectorAll('[data-search]').forEach(function (b) {
    b.addEventListener('click', function () {
      box.value = b.getAttribute('data-search');
      filter();
      document.getElementById('faq').scrollIntoView({ behavior: 'smooth' });
    });
  });
})();
