// "Verify in this browser" on /log: downloads the public log, recomputes its hash chain with
// WebCrypto SHA-256 and checks the latest checkpoint's Ed25519 signature, byte for byte by the
// rules of packages/shared/src/public-log/CANONICAL-FORM.md. Runs only when the reader asks.
'use strict';
(function () {
  var root = document.getElementById('verifier');
  if (!root || !window.crypto || !window.crypto.subtle) return;
  var button = document.getElementById('verify-button');
  var progress = document.getElementById('verify-progress');
  var status = document.getElementById('verify-status');
  var PAGE = 1000;
  var GENESIS = '0000000000000000000000000000000000000000000000000000000000000000';
  var HEX64 = /^[0-9a-f]{64}$/;
  var ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  var number = new Intl.NumberFormat(root.getAttribute('data-locale') || undefined);
  button.hidden = false;

  function msg(name, values) {
    var text = root.getAttribute('data-msg-' + name) || name;
    return text.replace(/\{(\w+)\}/g, function (whole, key) { return values && key in values ? String(values[key]) : whole; });
  }

  // RFC 8785 for the values the log holds: sorted keys (UTF-16 order, JS's default sort), no
  // whitespace, JSON.stringify's string escaping, integers only, no lone surrogates.
  function canonical(value) {
    if (value === null) return 'null';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
      if (!isFinite(value)) throw new Error('non-finite number');
      return JSON.stringify(value);
    }
    if (typeof value === 'string') {
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/.test(value)) throw new Error('lone surrogate');
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
    if (typeof value === 'object') {
      var keys = Object.keys(value).sort();
      var parts = [];
      for (var i = 0; i < keys.length; i++) {
        if (value[keys[i]] === undefined) continue;
        parts.push(JSON.stringify(keys[i]) + ':' + canonical(value[keys[i]]));
      }
      return '{' + parts.join(',') + '}';
    }
    throw new Error('cannot canonicalise ' + typeof value);
  }

  var SHAPE = {
    seq: 'int', time: 'iso', op: ['add', 'remove'], reason: ['approved', 'scheduled_start', 'restored', 'expired', 'superseded'],
    mode: ['restrict', 'suspend'], until: 'str?', category: 'str', prevHash: 'hex', hash: 'hex',
    resource: { kind: ['domain', 'domain_suffix', 'url', 'ip', 'cidr'], value: 'str?', host: 'str?', display: 'str?', valueSha256: 'hex' },
    decision: { id: 'str', action: ['restrict', 'suspend', 'restore'], effectiveFrom: 'str' },
    legalBasis: { id: 'str', kind: ['court_ruling', 'prosecutor_recommendation', 'ministry_order'], authority: 'str', documentNumber: 'str', issuedAt: 'str' },
  };
  // Exactly the fields of the shape, each of its type: extra fields would be unhashed content.
  function shapeOk(value, shape) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    var keys = Object.keys(value);
    if (keys.length !== Object.keys(shape).length) return false;
    for (var i = 0; i < keys.length; i++) {
      var rule = shape[keys[i]];
      var v = value[keys[i]];
      if (rule === undefined) return false;
      if (Array.isArray(rule)) { if (rule.indexOf(v) < 0) return false; }
      else if (typeof rule === 'object') { if (!shapeOk(v, rule)) return false; }
      else if (rule === 'int') { if (!Number.isSafeInteger(v) || v < 1) return false; }
      else if (rule === 'iso') { if (typeof v !== 'string' || !ISO_MS.test(v) || isNaN(Date.parse(v)) || new Date(v).toISOString() !== v) return false; }
      else if (rule === 'hex') { if (typeof v !== 'string' || !HEX64.test(v)) return false; }
      else if (rule === 'str') { if (typeof v !== 'string') return false; }
      else if (rule === 'str?') { if (v !== null && typeof v !== 'string') return false; }
    }
    return true;
  }

  function body(e) {
    var copy = {};
    for (var k in e) if (k !== 'prevHash' && k !== 'hash') copy[k] = e[k];
    return copy;
  }
  function hexToBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function bytesToHex(buf) {
    var b = new Uint8Array(buf), s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  function base64ToBytes(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  var encoder = new TextEncoder();
  // hex SHA-256(32 raw bytes of prevHash ‖ UTF-8 of the canonical body)
  function entryHash(e) {
    var text = encoder.encode(canonical(body(e)));
    var input = new Uint8Array(32 + text.length);
    input.set(hexToBytes(e.prevHash), 0);
    input.set(text, 32);
    return crypto.subtle.digest('SHA-256', input).then(bytesToHex);
  }

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  // The public API is rate-limited per address: on 429 wait as told and ask again.
  function getJson(url, allow404) {
    return fetch(url, { headers: { accept: 'application/json' }, credentials: 'omit' }).then(function (res) {
      if (res.status === 429) return sleep(1000 * (Number(res.headers.get('retry-after')) || 2)).then(function () { return getJson(url, allow404); });
      if (allow404 && res.status === 404) return null;
      if (!res.ok) throw new Error('HTTP ' + res.status + ' ' + url);
      return res.json();
    });
  }

  function Failure(seq, reason) { this.seq = seq; this.reason = reason; }

  function setProgress(done, total) {
    progress.max = Math.max(total, done, 1);
    progress.value = done;
    status.textContent = msg('verify-progress', { done: number.format(done), total: number.format(Math.max(total, done)) });
  }

  function finish(kind, text, firstBad) {
    status.textContent = text;
    status.className = kind;
    status.setAttribute('data-result', kind);
    if (firstBad !== undefined) status.setAttribute('data-first-bad-seq', String(firstBad));
    button.disabled = false;
    progress.hidden = true;
  }

  async function verify() {
    button.disabled = true;
    progress.hidden = false;
    status.className = '';
    status.removeAttribute('data-result');
    status.removeAttribute('data-first-bad-seq');
    var cp = await getJson('/public/v1/log/checkpoint', true);
    var total = Math.max(Number(root.getAttribute('data-head')) || 0, cp ? cp.seq : 0);
    var prevHash = GENESIS, prevTime = null, count = 0, cpHashSeen = false;
    setProgress(0, total);
    var next = 1;
    var pending = getJson('/public/v1/log?from=1&limit=' + PAGE);
    while (pending) {
      var page = await pending;
      next = page.next;
      // Download the next page while this one is hashed.
      pending = next === null ? null : getJson('/public/v1/log?from=' + next + '&limit=' + PAGE);
      var entries = page.entries;
      for (var i = 0; i < entries.length; i++) if (!shapeOk(entries[i], SHAPE)) throw new Failure(count + i + 1, 'verify-reason-shape');
      // Each hash depends only on its own entry's prevHash, so a page hashes in parallel; the
      // links between entries are checked in order below.
      var hashes = await Promise.all(entries.map(function (e) {
        return entryHash(e).catch(function () { return null; });
      }));
      for (var j = 0; j < entries.length; j++) {
        var e = entries[j], expected = count + 1;
        if (e.seq !== expected) throw new Failure(expected, 'verify-reason-seq');
        if (e.prevHash !== prevHash) throw new Failure(e.seq, 'verify-reason-prev');
        if (hashes[j] !== e.hash) throw new Failure(e.seq, 'verify-reason-hash');
        if (prevTime !== null && e.time < prevTime) throw new Failure(e.seq, 'verify-reason-time');
        if (cp && cp.seq === e.seq) {
          if (cp.hash !== e.hash) throw new Failure(e.seq, 'verify-reason-checkpoint');
          cpHashSeen = true;
        }
        count = e.seq; prevHash = e.hash; prevTime = e.time;
      }
      setProgress(count, total);
    }
    if (cp && cp.seq > 0 && !cpHashSeen) throw new Failure(count + 1, 'verify-reason-short');
    if (!cp) return finish('ok', msg('verify-ok-no-checkpoint', { count: number.format(count), seq: number.format(count), hash: prevHash }));
    var signed = await checkSignature(cp);
    if (signed === false) return finish('bad', msg('verify-bad-signature'), cp.seq);
    var text = msg('verify-ok', { count: number.format(count), seq: number.format(count), hash: prevHash, cpSeq: number.format(cp.seq), key: cp.publicKey });
    finish('ok', signed === null ? text + ' ' + msg('verify-no-ed25519') : text);
  }

  /** true, false, or null when this browser has no Ed25519 in WebCrypto. */
  async function checkSignature(cp) {
    var key;
    try {
      key = await crypto.subtle.importKey('raw', base64ToBytes(cp.publicKey), { name: 'Ed25519' }, false, ['verify']);
    } catch (err) {
      return err && err.name === 'NotSupportedError' ? null : false;
    }
    try {
      var message = encoder.encode(canonical({ hash: cp.hash, seq: cp.seq, time: cp.time }));
      return await crypto.subtle.verify({ name: 'Ed25519' }, key, base64ToBytes(cp.signature), message);
    } catch (err) {
      return false;
    }
  }

  button.addEventListener('click', function () {
    verify().catch(function (err) {
      if (err instanceof Failure) finish('bad', msg('verify-bad', { seq: number.format(err.seq), reason: msg(err.reason) }), err.seq);
      else finish('bad', msg('verify-failed', { reason: err && err.message ? err.message : String(err) }));
    });
  });
})();
