#!/usr/bin/env node
// Tizilim verify-log, bundled by scripts/build-verify-log.mjs. Usage: node verify-log.mjs --help

// services/register-api/src/cli/verify-log.ts
import { parseArgs } from "node:util";

// packages/shared/src/public-log/canonical-json.ts
function canonicalJson(value) {
  return serialise(value, /* @__PURE__ */ new Set());
}
function serialise(value, ancestors) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return serialiseNumber(value);
    case "string":
      return serialiseString(value);
    case "object":
      return serialiseContainer(value, ancestors);
    default:
      throw new TypeError(`canonicalJson: cannot represent a value of type ${typeof value}`);
  }
}
function serialiseNumber(value) {
  if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
  return JSON.stringify(value);
}
function serialiseString(value) {
  let needsEscaping = false;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 32 || unit === 34 || unit === 92) {
      needsEscaping = true;
    } else if (unit >= 55296 && unit <= 57343) {
      const next = value.charCodeAt(i + 1);
      if (unit > 56319 || !(next >= 56320 && next <= 57343)) {
        throw new TypeError("canonicalJson: string contains a lone surrogate");
      }
      i++;
    }
  }
  return needsEscaping ? JSON.stringify(value) : `"${value}"`;
}
function serialiseContainer(value, ancestors) {
  if (ancestors.has(value)) throw new TypeError("canonicalJson: cyclic structure");
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return serialiseArray(value, ancestors);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: not a plain object (${value.constructor?.name ?? "unknown"})`);
    }
    return serialiseObject(value, ancestors);
  } finally {
    ancestors.delete(value);
  }
}
function serialiseArray(items, ancestors) {
  const parts = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === void 0) throw new TypeError(`canonicalJson: undefined array element at ${i}`);
    parts.push(serialise(item, ancestors));
  }
  return `[${parts.join(",")}]`;
}
function serialiseObject(record, ancestors) {
  if (Object.getOwnPropertySymbols(record).length > 0) throw new TypeError("canonicalJson: symbol keys");
  const keys = Object.keys(record).sort();
  const parts = [];
  for (const key of keys) {
    const member = record[key];
    if (member === void 0) continue;
    parts.push(`${serialiseString(key)}:${serialise(member, ancestors)}`);
  }
  return `{${parts.join(",")}}`;
}

// packages/shared/src/public-log/log-entry-body.ts
function logEntryBodyOf(entry) {
  const { resource, decision, legalBasis } = entry;
  return {
    seq: entry.seq,
    time: entry.time,
    op: entry.op,
    reason: entry.reason,
    mode: entry.mode,
    until: entry.until,
    resource: {
      kind: resource.kind,
      value: resource.value,
      host: resource.host,
      display: resource.display,
      valueSha256: resource.valueSha256
    },
    category: entry.category,
    decision: { id: decision.id, action: decision.action, effectiveFrom: decision.effectiveFrom },
    legalBasis: {
      id: legalBasis.id,
      kind: legalBasis.kind,
      authority: legalBasis.authority,
      documentNumber: legalBasis.documentNumber,
      issuedAt: legalBasis.issuedAt
    }
  };
}

// packages/shared/src/public-log/entry-hash.ts
import { createHash } from "node:crypto";
var SHA256_HEX = /^[0-9a-f]{64}$/;
function entryHash(prevHash, body) {
  if (!SHA256_HEX.test(prevHash)) throw new TypeError("entryHash: prevHash must be 64 lower-case hex digits");
  return createHash("sha256").update(Buffer.from(prevHash, "hex")).update(canonicalJson(logEntryBodyOf(body)), "utf8").digest("hex");
}

// packages/shared/src/feed-types.ts
var RESOURCE_KINDS = ["domain", "domain_suffix", "url", "ip", "cidr"];

// packages/shared/src/public-log-types.ts
var LEGAL_BASIS_KINDS = ["court_ruling", "prosecutor_recommendation", "ministry_order"];
var GENESIS_HASH = "0".repeat(64);

// packages/shared/src/public-log/entry-shape.ts
var LOG_REASONS = {
  approved: true,
  scheduled_start: true,
  restored: true,
  expired: true,
  superseded: true
};
var DECISION_ACTIONS = { restrict: true, suspend: true, restore: true };
var RULE_MODES = { restrict: true, suspend: true, allow: true };
var OPS = { add: true, remove: true };
var ISO_UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
var string = (v) => typeof v === "string" ? null : "a string";
var stringOrNull = (v) => v === null || typeof v === "string" ? null : "a string or null";
var sha256Hex = (v) => typeof v === "string" && SHA256_HEX.test(v) ? null : "64 lower-case hex digits";
var positiveInteger = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1 ? null : "an integer \u2265 1";
var isoInstant = (v) => typeof v === "string" && ISO_UTC_MILLIS.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v ? null : "an ISO-8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)";
var oneOf = (allowed) => {
  const set = new Set(allowed);
  return (v) => typeof v === "string" && set.has(v) ? null : `one of ${allowed.join(", ")}`;
};
var RESOURCE_SHAPE = {
  kind: oneOf(RESOURCE_KINDS),
  value: stringOrNull,
  host: stringOrNull,
  display: stringOrNull,
  valueSha256: sha256Hex
};
var DECISION_SHAPE = {
  id: string,
  action: oneOf(Object.keys(DECISION_ACTIONS)),
  effectiveFrom: string
};
var LEGAL_BASIS_SHAPE = {
  id: string,
  kind: oneOf(LEGAL_BASIS_KINDS),
  authority: string,
  documentNumber: string,
  issuedAt: string
};
var ENTRY_SHAPE = {
  seq: positiveInteger,
  time: isoInstant,
  op: oneOf(Object.keys(OPS)),
  reason: oneOf(Object.keys(LOG_REASONS)),
  mode: oneOf(Object.keys(RULE_MODES)),
  until: stringOrNull,
  resource: RESOURCE_SHAPE,
  category: string,
  decision: DECISION_SHAPE,
  legalBasis: LEGAL_BASIS_SHAPE,
  prevHash: sha256Hex,
  hash: sha256Hex
};
function entryShapeProblem(value) {
  return problemIn(value, ENTRY_SHAPE, "");
}
function problemIn(value, shape, path) {
  if (!isPlainObject(value)) return `${path ? `field ${path.slice(0, -1)}` : "entry"} is not a JSON object`;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape, key)) return `unexpected field ${path}${key} (not covered by the hash)`;
  }
  for (const [key, check] of Object.entries(shape)) {
    if (!Object.hasOwn(value, key)) return `missing field ${path}${key}`;
    const member = value[key];
    if (typeof check !== "function") {
      const inner = problemIn(member, check, `${path}${key}.`);
      if (inner) return inner;
      continue;
    }
    const expected = check(member);
    if (expected) return `field ${path}${key} must be ${expected}`;
  }
  return null;
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// packages/shared/src/public-log/signing-key.ts
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
var PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
function publicKeyFromBase64(text) {
  const raw = decodeStrictBase64(text);
  if (raw?.length !== 32) return null;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  } catch {
    return null;
  }
}
function decodeStrictBase64(text) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : null;
}

// packages/shared/src/public-log/checkpoint.ts
import { sign, verify } from "node:crypto";
function checkpointMessage({ seq, hash, time }) {
  return Buffer.from(canonicalJson({ seq, hash, time }), "utf8");
}
function verifyCheckpoint(cp) {
  if (typeof cp !== "object" || cp === null) return false;
  const { seq, hash, time, signature, publicKey } = cp;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return false;
  if (typeof hash !== "string" || typeof time !== "string") return false;
  if (typeof signature !== "string" || typeof publicKey !== "string") return false;
  const key = publicKeyFromBase64(publicKey);
  const rawSignature = decodeStrictBase64(signature);
  if (!key || rawSignature?.length !== 64) return false;
  try {
    return verify(null, checkpointMessage({ seq, hash, time }), key, rawSignature);
  } catch {
    return false;
  }
}

// packages/shared/src/public-log/chain-verifier.ts
var ChainVerifier = class {
  #checkpoint;
  #count = 0;
  #prevHash = GENESIS_HASH;
  #prevTime = null;
  #failure;
  #finished = false;
  constructor(opts = {}) {
    this.#checkpoint = opts.checkpoint;
    this.#failure = checkpointFailure(opts);
  }
  /** Checks the next entry; returns false once the log has failed (it stays failed). */
  push(entry) {
    if (this.#finished) throw new Error("ChainVerifier: push after finish");
    if (this.#failure) return false;
    const expectedSeq = this.#count + 1;
    const shapeProblem = entryShapeProblem(entry);
    if (shapeProblem) return this.#fail(expectedSeq, `malformed entry: ${shapeProblem}`);
    const e = entry;
    if (e.seq !== expectedSeq) {
      return this.#fail(
        expectedSeq,
        e.seq < expectedSeq ? `seq ${e.seq} appears again where ${expectedSeq} should be (entry repeated or out of order)` : `entry missing or out of order: found seq ${e.seq} where ${expectedSeq} should be`
      );
    }
    if (e.prevHash !== this.#prevHash) {
      return this.#fail(
        e.seq,
        e.seq === 1 ? "prevHash is not the genesis hash" : `prevHash does not match the hash of entry ${e.seq - 1}`
      );
    }
    let recomputed;
    try {
      recomputed = entryHash(e.prevHash, e);
    } catch (error) {
      return this.#fail(e.seq, `content cannot be canonicalised: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (recomputed !== e.hash) return this.#fail(e.seq, "hash does not match its content");
    if (this.#prevTime !== null && e.time < this.#prevTime) {
      return this.#fail(e.seq, `time ${e.time} is earlier than the previous entry's ${this.#prevTime}`);
    }
    const cp = this.#checkpoint;
    if (cp && cp.seq === e.seq && cp.hash !== e.hash) {
      return this.#fail(
        e.seq,
        `hash differs from the signed checkpoint ${cp.hash}: the log was rewritten at or before this seq`
      );
    }
    this.#count = e.seq;
    this.#prevHash = e.hash;
    this.#prevTime = e.time;
    return true;
  }
  /** Records that the next entry could not even be parsed (e.g. a line that is not JSON). */
  pushUnreadable(detail) {
    if (this.#finished) throw new Error("ChainVerifier: push after finish");
    if (this.#failure) return false;
    return this.#fail(this.#count + 1, `unreadable entry: ${detail}`);
  }
  finish() {
    this.#finished = true;
    if (this.#failure) return this.#failure;
    const cp = this.#checkpoint;
    if (cp && cp.seq > this.#count) {
      this.#failure = entryFailure(
        this.#count + 1,
        `log ends at seq ${this.#count} but the signed checkpoint covers seq ${cp.seq}: entries are missing`
      );
      return this.#failure;
    }
    const head = { seq: this.#count, hash: this.#prevHash };
    return cp ? { ok: true, count: this.#count, head, checkpoint: cp } : { ok: true, count: this.#count, head };
  }
  #fail(firstBadSeq, reason) {
    this.#failure = entryFailure(firstBadSeq, reason);
    return false;
  }
};
function checkpointFailure({ checkpoint: cp, expectedPublicKey }) {
  const fail2 = (reason) => ({
    ok: false,
    firstBadSeq: typeof cp?.seq === "number" ? cp.seq : 0,
    reason,
    where: "checkpoint"
  });
  let expectedKey = null;
  if (expectedPublicKey !== void 0) {
    expectedKey = decodeStrictBase64(expectedPublicKey);
    if (expectedKey?.length !== 32) throw new TypeError("expectedPublicKey must be base64 of a raw 32-byte Ed25519 key");
  }
  if (!cp) {
    return expectedKey ? fail2("no signed checkpoint, but a public key was pinned") : null;
  }
  if (!verifyCheckpoint(cp)) return fail2("checkpoint signature is not valid");
  if (!SHA256_HEX.test(cp.hash)) return fail2("checkpoint hash is not 64 lower-case hex digits");
  if (expectedKey && !expectedKey.equals(decodeStrictBase64(cp.publicKey) ?? Buffer.alloc(0))) {
    return fail2(`checkpoint is signed by ${cp.publicKey}, not by the pinned key ${expectedPublicKey}`);
  }
  if (cp.seq === 0 && cp.hash !== GENESIS_HASH) return fail2("checkpoint at seq 0 must carry the genesis hash");
  return null;
}
function entryFailure(firstBadSeq, reason) {
  return { ok: false, firstBadSeq, reason, where: "entry" };
}

// packages/shared/src/public-log/log-source-error.ts
var LogSourceError = class extends Error {
  name = "LogSourceError";
};

// packages/shared/src/public-log/log-download.ts
var LOG_PAGE_SIZE = 1e3;
async function verifyLogAt(baseUrl, opts = {}) {
  const checkpoint = await fetchCheckpoint(baseUrl);
  const verifier = new ChainVerifier({ ...opts, ...checkpoint ? { checkpoint } : {} });
  for await (const page of fetchLogPages(baseUrl)) {
    for (const entry of page) {
      if (!verifier.push(entry)) return verifier.finish();
    }
  }
  return verifier.finish();
}
async function fetchCheckpoint(baseUrl) {
  const url = endpoint(baseUrl, "public/v1/log/checkpoint");
  const response = await get(url);
  if (response.status === 404) return null;
  const body = await jsonBody(response, url);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new LogSourceError(`GET ${url.href}: expected a checkpoint object`);
  }
  return body;
}
async function* fetchLogPages(baseUrl, pageSize = LOG_PAGE_SIZE) {
  let from = 1;
  while (from !== null) {
    const url = endpoint(baseUrl, "public/v1/log");
    url.searchParams.set("from", String(from));
    url.searchParams.set("limit", String(pageSize));
    const page = await jsonBody(await get(url), url);
    if (!isLogPage(page)) throw new LogSourceError(`GET ${url.href}: expected {"entries": [...], "next": number|null}`);
    yield page.entries;
    if (page.next !== null && page.next <= from) {
      throw new LogSourceError(`GET ${url.href}: next=${page.next} does not advance past from=${from}`);
    }
    from = page.next;
  }
}
function isLogPage(value) {
  if (typeof value !== "object" || value === null) return false;
  const { entries, next } = value;
  return Array.isArray(entries) && (next === null || typeof next === "number" && Number.isSafeInteger(next));
}
function endpoint(baseUrl, path) {
  try {
    return new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new LogSourceError(`not a valid URL: ${baseUrl}`);
  }
}
async function get(url) {
  let response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" } });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new LogSourceError(`GET ${url.href} failed${cause}`);
  }
  if (!response.ok && response.status !== 404) {
    await response.body?.cancel();
    throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
  }
  return response;
}
async function jsonBody(response, url) {
  if (!response.ok) {
    await response.body?.cancel();
    throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
  }
  try {
    return await response.json();
  } catch {
    throw new LogSourceError(`GET ${url.href}: the answer is not JSON`);
  }
}

// packages/shared/src/public-log/ndjson-log-file.ts
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
async function verifyLogFile(path, opts = {}) {
  const checkpoint = await findCheckpoint(path);
  const verifier = new ChainVerifier({ ...opts, ...checkpoint ? { checkpoint } : {} });
  for await (const { text, lineNumber } of lines(path)) {
    const parsed = parseLine(text);
    if (parsed === void 0) {
      if (!verifier.pushUnreadable(`line ${lineNumber} is not JSON`)) break;
      continue;
    }
    if (isCheckpointLine(parsed)) continue;
    if (!verifier.push(parsed)) break;
  }
  return verifier.finish();
}
async function findCheckpoint(path) {
  let found = null;
  for await (const { text, lineNumber } of lines(path)) {
    if (!text.includes('"checkpoint"')) continue;
    const parsed = parseLine(text);
    if (parsed === void 0 || !isCheckpointLine(parsed)) continue;
    if (found) {
      throw new LogSourceError(`${path}: checkpoints on lines ${found.lineNumber} and ${lineNumber}; expected at most one`);
    }
    found = { checkpoint: parsed.checkpoint, lineNumber };
  }
  return found?.checkpoint ?? null;
}
async function* lines(path) {
  try {
    await access(path);
  } catch {
    throw new LogSourceError(`cannot read ${path}`);
  }
  const reader = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const text of reader) {
      lineNumber++;
      if (text.trim() !== "") yield { text, lineNumber };
    }
  } catch (error) {
    throw new LogSourceError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    reader.close();
  }
}
function parseLine(text) {
  try {
    return JSON.parse(text);
  } catch {
    return void 0;
  }
}
function isCheckpointLine(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, "checkpoint");
}

// packages/shared/src/tlog-client/tlog-fetch.ts
var TlogHttp = class {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
  }
  baseUrl;
  url(path) {
    try {
      return new URL(path, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
    } catch {
      throw new LogSourceError(`not a valid URL: ${this.baseUrl}`);
    }
  }
  /** The body, or null on 404. */
  async bytes(path) {
    const url = this.url(path);
    let response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(3e4) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : error instanceof Error ? `: ${error.message}` : "";
      throw new LogSourceError(`GET ${url.href} failed${cause}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LogSourceError(`GET ${url.href} answered ${response.status}`);
    }
    return Buffer.from(await response.arrayBuffer());
  }
  async text(path) {
    const body = await this.bytes(path);
    return body === null ? null : body.toString("utf8");
  }
  async json(path) {
    const body = await this.text(path);
    if (body === null) throw new LogSourceError(`GET ${this.url(path).href} answered 404`);
    try {
      return JSON.parse(body);
    } catch {
      throw new LogSourceError(`GET ${this.url(path).href}: the answer is not JSON`);
    }
  }
};

// packages/shared/src/tlog-client/verifier-state.ts
import { readFile, rename, writeFile } from "node:fs/promises";
async function readState(path) {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
  const s = JSON.parse(text);
  if (typeof s.origin !== "string" || typeof s.key !== "string" || !Number.isSafeInteger(s.size) || s.size < 0 || typeof s.root !== "string" || decodeStrictBase64(s.root)?.length !== 32 || typeof s.checkpoint !== "string") {
    throw new Error(`state file ${path} is damaged (expected origin, key, size, root, checkpoint)`);
  }
  return s;
}
async function writeState(path, state) {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}
`, { mode: 420 });
  await rename(tmp, path);
}

// packages/shared/src/tlog-client/verify-tlog.ts
import { createHash as createHash4 } from "node:crypto";

// packages/shared/src/tlog/merkle-hash.ts
import { createHash as createHash2 } from "node:crypto";
var HASH_SIZE = 32;
var LEAF_PREFIX = Buffer.from([0]);
var NODE_PREFIX = Buffer.from([1]);
function leafHash(data) {
  return createHash2("sha256").update(LEAF_PREFIX).update(data).digest();
}
function nodeHash(left, right) {
  return createHash2("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}
function emptyTreeHash() {
  return createHash2("sha256").digest();
}
function splitPoint(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function isPowerOfTwo(n) {
  return n >= 1 && Number.isSafeInteger(n) && 2 ** Math.round(Math.log2(n)) === n;
}

// packages/shared/src/tlog/checkpoint.ts
function parseCheckpoint(text) {
  if (!text.endsWith("\n")) return null;
  const lines2 = text.slice(0, -1).split("\n");
  if (lines2.length < 3) return null;
  const [origin, sizeText, rootText, ...extensions] = lines2;
  if (origin === "" || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) return null;
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return null;
  const root = decodeStrictBase64(rootText);
  if (root?.length !== HASH_SIZE) return null;
  if (extensions.some((l) => l === "")) return null;
  return { origin, size, root, extensions };
}

// packages/shared/src/tlog/stored-nodes.ts
function rangeHash(read, start, end) {
  const size = end - start;
  const level = Math.log2(size);
  if (Number.isInteger(level) && start % size === 0) return read(level, start / size);
  const k = splitPoint(size);
  return nodeHash(rangeHash(read, start, start + k), rangeHash(read, start + k, end));
}
function treeRoot(read, size) {
  return rangeHash(read, 0, size);
}
function nodesNeeded(compute) {
  const seen = /* @__PURE__ */ new Map();
  const zero = new Uint8Array(32);
  compute((level, index) => {
    seen.set(`${level}/${index}`, { level, index });
    return zero;
  });
  return [...seen.values()];
}
function readerOf(nodes) {
  return (level, index) => {
    const hash = nodes.get(`${level}/${index}`);
    if (!hash) throw new Error(`tlog: node ${level}/${index} is not stored`);
    return hash;
  };
}
var nodeKey = (level, index) => `${level}/${index}`;

// packages/shared/src/tlog/consistency-proof.ts
function verifyConsistency(oldSize, newSize, oldRoot, newRoot, path) {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (path.some((p) => p.length !== HASH_SIZE)) return false;
  if (oldSize === 0) return path.length === 0;
  if (oldSize === newSize) return path.length === 0 && Buffer.compare(oldRoot, newRoot) === 0;
  const proof = isPowerOfTwo(oldSize) ? [oldRoot, ...path] : [...path];
  if (proof.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return Buffer.compare(fr, oldRoot) === 0 && Buffer.compare(sr, newRoot) === 0 && sn === 0;
}

// packages/shared/src/tlog/entry-bundle.ts
function decodeEntryBundle(data) {
  const entries = [];
  let at = 0;
  while (at < data.length) {
    if (at + 2 > data.length) throw new Error(`entry bundle truncated: length prefix cut at byte ${at}`);
    const length = data[at] << 8 | data[at + 1];
    if (at + 2 + length > data.length) throw new Error(`entry bundle truncated: entry ${entries.length} needs ${length} bytes, ${data.length - at - 2} left`);
    entries.push(data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}

// packages/shared/src/tlog/note.ts
import { createHash as createHash3, createPublicKey as createPublicKey2, sign as sign2, verify as verify2 } from "node:crypto";
var SIGNATURE_TYPE_ED25519 = 1;
var EM_DASH = "\u2014";
var MAX_SIGNATURES = 100;
function isValidKeyName(name) {
  return name.length > 0 && !/[\s+]/u.test(name) && isValidUtf8Text(name);
}
function isValidUtf8Text(text) {
  return !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text) && !/[\ud800-\udfff]/.test(text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""));
}
function keyIdOf(name, type, publicKey) {
  return createHash3("sha256").update(name, "utf8").update("\n").update(Buffer.from([type])).update(publicKey).digest().readUInt32BE(0);
}
function ed25519PublicKey(raw) {
  return createPublicKey2({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}
function parseVerifierKey(text) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!m || !isValidKeyName(m[1])) return null;
  const raw = decodeStrictBase64(m[3]);
  if (!raw || raw.length < 2) return null;
  const type = raw[0];
  const publicKey = raw.subarray(1);
  if ((type === SIGNATURE_TYPE_ED25519 || type === 4) && publicKey.length !== 32) return null;
  const keyId = Number.parseInt(m[2], 16);
  if (keyIdOf(m[1], type, publicKey) !== keyId) return null;
  return { name: m[1], keyId, type, publicKey };
}
function ed25519NoteVerifier(keyText) {
  const parsed = parseVerifierKey(keyText);
  if (!parsed || parsed.type !== SIGNATURE_TYPE_ED25519) return null;
  const key = ed25519PublicKey(parsed.publicKey);
  return {
    name: parsed.name,
    keyId: parsed.keyId,
    verify: (text, signature) => {
      try {
        return signature.length === 64 && verify2(null, text, key, signature);
      } catch {
        return false;
      }
    }
  };
}
var NoteError = class extends Error {
  name = "NoteError";
};
function parseNote(note) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new NoteError("malformed note: no blank line before the signatures");
  const text = note.slice(0, split + 1);
  if (!isValidUtf8Text(text)) throw new NoteError("malformed note: control characters in the text");
  const lines2 = note.slice(split + 2, -1).split("\n");
  if (lines2.length > MAX_SIGNATURES) throw new NoteError("malformed note: too many signatures");
  const signatures = [];
  for (const line of lines2) {
    const m = new RegExp(`^${EM_DASH} (\\S+) ([A-Za-z0-9+/=]+)$`).exec(line);
    const bytes = m ? decodeStrictBase64(m[2]) : null;
    if (!m || !bytes || bytes.length < 5 || !isValidKeyName(m[1])) throw new NoteError(`malformed signature line: ${JSON.stringify(line.slice(0, 120))}`);
    signatures.push({ name: m[1], keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) });
  }
  return { text, signatures };
}
function openNote(note, verifiers) {
  const { text, signatures } = parseNote(note);
  const bytes = Buffer.from(text, "utf8");
  const verified = [];
  const unverified = [];
  for (const sig of signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!v) {
      unverified.push(sig);
      continue;
    }
    if (!v.verify(bytes, sig.signature)) throw new NoteError(`invalid signature by ${sig.name} (key ${sig.keyId.toString(16).padStart(8, "0")})`);
    verified.push(sig);
  }
  if (verified.length === 0) throw new NoteError("no signature by a known key (wrong key, or not signed by this log)");
  return { text, verified, unverified };
}

// packages/shared/src/tlog/tile-path.ts
var TILE_HEIGHT = 8;
var TILE_WIDTH = 1 << TILE_HEIGHT;
function encodeTileIndex(index) {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`tile index ${index}`);
  let text = String(index % 1e3).padStart(3, "0");
  let rest = Math.floor(index / 1e3);
  while (rest > 0) {
    text = `x${String(rest % 1e3).padStart(3, "0")}/${text}`;
    rest = Math.floor(rest / 1e3);
  }
  return text;
}
function tilePath({ level, index, width }) {
  const partial = width < TILE_WIDTH ? `.p/${width}` : "";
  return `tile/${level}/${encodeTileIndex(index)}${partial}`;
}

// packages/shared/src/tlog/tile-hashes.ts
function completeNodesAt(height, treeSize) {
  return Math.floor(treeSize / 2 ** height);
}
function tileWidthAt(level, index, treeSize) {
  const height = level === "entries" ? 0 : level * TILE_HEIGHT;
  const nodes = completeNodesAt(height, treeSize);
  return Math.max(0, Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH));
}
function splitTileHashes(data, width) {
  if (data.length !== width * HASH_SIZE) return null;
  const out = [];
  for (let i = 0; i < width; i++) out.push(data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return out;
}
function tileForNode(height, index, treeSize) {
  const level = Math.floor(height / TILE_HEIGHT);
  const count = 2 ** (height - level * TILE_HEIGHT);
  const first = index * count;
  const tileIndex = Math.floor(first / TILE_WIDTH);
  return { tile: { level, index: tileIndex, width: tileWidthAt(level, tileIndex, treeSize) }, offset: first - tileIndex * TILE_WIDTH, count };
}

// packages/shared/src/tlog-client/verify-tlog.ts
var b64 = (h) => Buffer.from(h).toString("base64");
var fail = (failure, message) => ({ ok: false, failure, message });
async function verifyTlog(opts) {
  const http = new TlogHttp(opts.baseUrl);
  const { state } = opts;
  let key = opts.key ?? state?.key;
  const keyFromServer = key === void 0;
  if (key === void 0) {
    const served = await http.text("tlog/key");
    if (served !== null) key = served.trim();
  }
  const note = await http.text("tlog/checkpoint");
  if (note === null || key === void 0) {
    if (state) return fail("rollback", `the register no longer serves a checkpoint; the last verified one was size ${state.size} root ${state.root}`);
    return { ok: "absent" };
  }
  const verifier = ed25519NoteVerifier(key);
  if (!verifier) throw new LogSourceError(`not an Ed25519 note verifier key: ${key}`);
  let text;
  try {
    text = openNote(note, [verifier]).text;
  } catch (error) {
    const why = error instanceof NoteError ? error.message : String(error);
    return fail("wrong-key", `the checkpoint does not verify with key ${key}: ${why}`);
  }
  const cp = parseCheckpoint(text);
  if (!cp) return fail("tampered", "the signed note is not a checkpoint (origin, size, base64 root)");
  if (cp.origin !== verifier.name) return fail("wrong-key", `checkpoint origin ${cp.origin} is not the key's name ${verifier.name}`);
  if (state && state.origin !== cp.origin) return fail("wrong-key", `checkpoint origin ${cp.origin} is not the remembered origin ${state.origin}`);
  const root = b64(cp.root);
  if (state) {
    const was = `size ${state.size} root ${state.root}`;
    const now = `size ${cp.size} root ${root}`;
    if (cp.size < state.size) return fail("rollback", `the log was verified at ${was} and now serves ${now}`);
    if (cp.size === state.size && root !== state.root) return fail("fork", `two checkpoints of size ${cp.size} with different roots: ${state.root} (verified before) and ${root} (now)`);
    if (cp.size > state.size) {
      const proof = await http.json(`public/v1/log/consistency?from=${state.size}&to=${cp.size}`).catch((e) => {
        if (e instanceof LogSourceError && /404/.test(e.message)) return null;
        throw e;
      });
      const hashes = proofHashes(proof);
      if (!hashes || !verifyConsistency(state.size, cp.size, decodeStrictBase64(state.root), cp.root, hashes)) {
        return fail("fork", `the checkpoint at ${now} is not consistent with the one verified before at ${was} (the log was rewritten)`);
      }
    }
  }
  const edge = await checkRightEdge(http, cp);
  if (edge) return fail("tampered", edge);
  let chainHead;
  if (opts.full) {
    const full = await checkWholeTree(http, cp, opts.progress);
    if (typeof full === "object") return fail("tampered", full.error);
    chainHead = full;
  } else {
    const tiles = await checkEveryHashTile(http, cp, opts.progress);
    if (tiles) return fail("tampered", tiles);
  }
  return {
    ok: true,
    checkpoint: cp,
    previous: state ? { size: state.size, root: state.root } : null,
    keyFromServer,
    chainHead,
    state: { origin: cp.origin, key, size: cp.size, root, checkpoint: note }
  };
}
function proofHashes(proof) {
  if (typeof proof !== "object" || proof === null || !Array.isArray(proof.hashes)) return null;
  const out = [];
  for (const h of proof.hashes) {
    const bytes = typeof h === "string" ? decodeStrictBase64(h) : null;
    if (bytes?.length !== HASH_SIZE) return null;
    out.push(bytes);
  }
  return out;
}
async function checkRightEdge(http, cp) {
  if (cp.size === 0) return cp.root.equals(emptyTreeHash()) ? null : "a checkpoint of size 0 must carry the empty-tree root";
  const tiles = /* @__PURE__ */ new Map();
  const nodes = /* @__PURE__ */ new Map();
  for (const { level, index } of nodesNeeded((read) => treeRoot(read, cp.size))) {
    const where = tileForNode(level, index, cp.size);
    const path = tilePath(where.tile);
    let hashes = tiles.get(path);
    if (!hashes) {
      const data = await http.bytes(`tlog/${path}`);
      const split = data && splitTileHashes(data, where.tile.width);
      if (!split) return `tile ${path} is ${data ? `${data.length} bytes, not ${where.tile.width * HASH_SIZE}` : "missing (404)"}`;
      hashes = split;
      tiles.set(path, hashes);
    }
    nodes.set(nodeKey(level, index), foldComplete(hashes.slice(where.offset, where.offset + where.count)));
  }
  const computed = treeRoot(readerOf(nodes), cp.size);
  return Buffer.compare(computed, cp.root) === 0 ? null : `the hash tiles do not hash to the signed root ${b64(cp.root)} (got ${b64(computed)}): a tile was tampered with`;
}
function foldComplete(hashes) {
  let level = hashes;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}
async function checkEveryHashTile(http, cp, progress) {
  const leaves = [];
  for (let n = 0; n * TILE_WIDTH < cp.size; n++) {
    const tile = { level: 0, index: n, width: tileWidthAt(0, n, cp.size) };
    const path = tilePath(tile);
    const data = await http.bytes(`tlog/${path}`);
    const split = data && splitTileHashes(data, tile.width);
    if (!split) return `hash tile ${path} is ${data ? `${data.length} bytes, not ${tile.width * HASH_SIZE}: tampered` : "missing (404)"}`;
    leaves.push(...split);
    if (n % 256 === 255) progress?.(`read the hashes of ${leaves.length} of ${cp.size} entries`);
  }
  return compareHashTiles(http, leaves, 1);
}
async function compareHashTiles(http, leaves, fromLevel) {
  let level = leaves;
  for (let height = 0; ; height++) {
    if (height % TILE_HEIGHT === 0 && height / TILE_HEIGHT >= fromLevel && level.length > 0) {
      const l = height / TILE_HEIGHT;
      for (let t = 0; t * TILE_WIDTH < level.length; t++) {
        const tile = { level: l, index: t, width: Math.min(TILE_WIDTH, level.length - t * TILE_WIDTH) };
        const path = tilePath(tile);
        const data = await http.bytes(`tlog/${path}`);
        const expected = Buffer.concat(level.slice(t * TILE_WIDTH, t * TILE_WIDTH + tile.width));
        if (!data || !data.equals(expected)) return `hash tile ${path} ${data ? `does not match the hashes ${l === 0 ? "of the entries" : "of the tiles below it"}` : "is missing (404)"}: tampered`;
      }
    }
    if (level.length <= 1) return null;
    const next = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    level = next;
  }
}
async function checkWholeTree(http, cp, progress) {
  let level = [];
  let chain = Buffer.from(GENESIS_HASH, "hex");
  for (let n = 0; n * TILE_WIDTH < cp.size; n++) {
    const tile = { level: "entries", index: n, width: tileWidthAt("entries", n, cp.size) };
    const path = tilePath(tile);
    const data = await http.bytes(`tlog/${path}`);
    if (!data) return { error: `entry bundle ${path} is missing (404)` };
    let entries;
    try {
      entries = decodeEntryBundle(data);
    } catch (error2) {
      return { error: `${path}: ${error2.message}` };
    }
    if (entries.length !== tile.width) return { error: `${path} holds ${entries.length} entries, expected ${tile.width}` };
    for (const e of entries) {
      level.push(leafHash(e));
      chain = createHash4("sha256").update(chain).update(e).digest();
    }
    if (n % 64 === 63) progress?.(`read ${level.length} of ${cp.size} entries`);
  }
  const error = await compareHashTiles(http, level, 0);
  if (error) return { error };
  return chain.toString("hex");
}

// services/register-api/src/cli/verify-log.ts
var USAGE = `usage: verify-log [--key <note verifier key>] [--state <file> | --no-state] [--full] [--public-key <base64 Ed25519 key>] <register base URL | NDJSON file>
  --key         the log's note verifier key (GET /tlog/key); pin it, or it is taken from the state file, or trusted on first use
  --state       where the last verified checkpoint is kept (default ./verify-log.state.json)
  --no-state    do not read or write a state file
  --full        also read every entry bundle and hash tile, replay the hash chain and the JSON log
  --public-key  pins the key of the hash chain's checkpoints (legacy /public/v1/log/checkpoint)`;
async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "public-key": { type: "string" },
        key: { type: "string" },
        state: { type: "string" },
        "no-state": { type: "boolean" },
        full: { type: "boolean" },
        help: { type: "boolean", short: "h" }
      }
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}
${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const [source, ...extra] = parsed.positionals;
  if (source === void 0 || extra.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const expectedPublicKey = parsed.values["public-key"];
  if (expectedPublicKey !== void 0 && decodeStrictBase64(expectedPublicKey)?.length !== 32) {
    console.error("--public-key must be base64 of a raw 32-byte Ed25519 public key");
    return 2;
  }
  const chainOpts = expectedPublicKey === void 0 ? {} : { expectedPublicKey };
  try {
    if (!/^https?:\/\//i.test(source)) {
      const result = await verifyLogFile(source, chainOpts);
      console.log(describeChain(result));
      return result.ok ? 0 : 1;
    }
    const statePath = parsed.values["no-state"] ? void 0 : parsed.values.state ?? "verify-log.state.json";
    const state = statePath ? await readState(statePath) : null;
    const verdict = await verifyTlog({ baseUrl: source, key: parsed.values.key, state, full: parsed.values.full ?? false, progress: (l) => console.error(l) });
    if (verdict.ok === false) {
      console.log(`${verdict.failure.toUpperCase()}: ${verdict.message}`);
      return 1;
    }
    if (verdict.ok === "absent" || parsed.values.full) {
      const chain = await verifyLogAt(source, chainOpts);
      console.log(describeChain(chain));
      if (!chain.ok) return 1;
      if (verdict.ok === "absent") return 0;
      if (verdict.chainHead !== void 0 && verdict.checkpoint.size > 0) {
        const entry = await new TlogHttp(source).json(`public/v1/log/${verdict.checkpoint.size}`);
        if (entry.hash !== verdict.chainHead) {
          console.log(`TAMPERED: the entry bundles chain to ${verdict.chainHead} at seq ${verdict.checkpoint.size}, the JSON log says ${String(entry.hash)}`);
          return 1;
        }
      }
    }
    const { checkpoint, previous } = verdict;
    const root = Buffer.from(checkpoint.root).toString("base64");
    const since = previous ? `consistent with the size ${previous.size} verified before` : "first verification of this log";
    console.log(`OK: ${checkpoint.origin} tree size ${checkpoint.size} root ${root}, ${since}${parsed.values.full ? ", every entry and tile checked" : ""}`);
    if (verdict.keyFromServer) console.log(`NOTE: the key was taken from the register (${verdict.state.key}); pin it with --key to detect a key swap`);
    if (statePath) await writeState(statePath, verdict.state);
    return 0;
  } catch (error) {
    console.error(error instanceof LogSourceError ? `ERROR: ${error.message}` : error);
    return 2;
  }
}
function describeChain(result) {
  if (!result.ok) {
    return result.where === "checkpoint" ? `INVALID CHECKPOINT (seq ${result.firstBadSeq}): ${result.reason}` : `TAMPERED at seq ${result.firstBadSeq}: ${result.reason}`;
  }
  const { count, head, checkpoint } = result;
  const signed = checkpoint ? `checkpoint seq ${checkpoint.seq} signed by ${checkpoint.publicKey}` : "no signed checkpoint (the chain is consistent, but nothing proves who wrote it)";
  return `OK: ${count} entries, head seq ${head.seq} hash ${head.hash}, ${signed}`;
}
process.exitCode = await main(process.argv.slice(2));
