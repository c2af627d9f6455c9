// Type-ahead on the search boxes of / and /search: a WAI-ARIA 1.2 combobox (a text box with a
// list box popup) filled from GET /public/v1/suggest. Only an enhancement: without it the
// forms are plain GET forms. Labels come from data-ta-* attributes the server wrote in the
// page's language, so this file holds no text of its own and no inline script is needed.
'use strict';
(function () {
  var MIN_CHARS = 2;
  var DELAY_MS = 120;
  var inputs = document.querySelectorAll('input[data-typeahead]');
  for (var i = 0; i < inputs.length; i++) combobox(inputs[i]);

  function combobox(input) {
    var id = input.id;
    var wrap = document.createElement('div');
    wrap.className = 'ta';
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement('ul');
    list.id = id + '-suggestions';
    list.className = 'ta-list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', msg('list'));
    list.hidden = true;
    wrap.appendChild(list);
    // The count is announced from a live region that exists before it is first filled.
    var live = document.createElement('div');
    live.className = 'visually-hidden';
    live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
    wrap.appendChild(live);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    var items = [];
    var active = -1;
    var timer = 0;
    var pending = null;
    var asked = '';
    var cache = Object.create(null);

    function msg(name, values) {
      var text = input.getAttribute('data-ta-' + name) || '';
      return text.replace(/\{(\w+)\}/g, function (whole, key) { return values && key in values ? String(values[key]) : whole; });
    }

    function open() {
      if (!items.length) return close();
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      setActive(-1);
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', options[active].id);
        options[active].scrollIntoView({ block: 'nearest' });
      } else {
        input.removeAttribute('aria-activedescendant');
      }
    }

    function go(index) {
      var item = items[index];
      if (item) window.location.assign(item.page + (input.getAttribute('data-ta-lang') || ''));
    }

    function render(q, suggestions) {
      items = suggestions;
      active = -1;
      input.removeAttribute('aria-activedescendant');
      while (list.firstChild) list.removeChild(list.firstChild);
      suggestions.forEach(function (s, n) {
        var li = document.createElement('li');
        li.id = id + '-suggestion-' + n;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var name = document.createElement('span');
        name.className = 'ta-name';
        name.textContent = s.display;
        li.appendChild(name);
        if (s.display.replace(/^\*\./, '') !== s.value) {
          var alabel = document.createElement('span');
          alabel.className = 'alabel';
          alabel.textContent = ' ' + s.value;
          li.appendChild(alabel);
        }
        var kind = document.createElement('span');
        kind.className = 'ta-kind';
        kind.textContent = msg('kind-' + s.kind.replace('_', '-')) || s.kind;
        li.appendChild(kind);
        // mousedown would move focus off the text box before the click lands.
        li.addEventListener('mousedown', function (e) { e.preventDefault(); });
        li.addEventListener('click', function () { go(n); });
        list.appendChild(li);
      });
      live.textContent = suggestions.length ? msg('count', { count: suggestions.length }) : msg('none', { q: q });
      if (document.activeElement === input) open();
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < MIN_CHARS || q.length > 256) {
        items = [];
        live.textContent = '';
        return close();
      }
      if (q === asked && items.length) return open();
      asked = q;
      if (cache[q]) return render(q, cache[q]);
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      fetch('/public/v1/suggest?q=' + encodeURIComponent(q), { headers: { accept: 'application/json' }, signal: pending ? pending.signal : undefined })
        .then(function (res) { return res.ok ? res.json() : { suggestions: [] }; })
        .then(function (body) {
          cache[q] = body.suggestions || [];
          // Only the answer for what the box still holds is shown.
          if (input.value.trim() === q) render(q, cache[q]);
        })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });
    input.addEventListener('keydown', function (e) {
      var expanded = !list.hidden;
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        if (!items.length) return ask();
        if (!expanded) {
          open();
          if (e.altKey) return;
        }
        setActive(active + 1 >= items.length ? 0 : active + 1);
      } else if (e.key === 'ArrowUp') {
        e.preventDefault();
        if (!items.length) return;
        if (!expanded) open();
        setActive(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === 'Enter') {
        // With an option chosen, Enter opens its entry; otherwise the form is submitted as usual.
        if (expanded && active >= 0) {
          e.preventDefault();
          go(active);
        }
      } else if (e.key === 'Escape') {
        if (expanded) {
          e.preventDefault();
          close();
        } else if (input.value) {
          e.preventDefault();
          input.value = '';
          items = [];
          asked = '';
        }
      } else if (e.key === 'Tab') {
        close();
      }
    });
    input.addEventListener('blur', function () { close(); });
    input.addEventListener('focus', function () { if (items.length && input.value.trim() === asked) open(); });
  }
})();
