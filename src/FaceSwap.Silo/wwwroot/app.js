// FaceSwap.Orleans web page: plain ES module, no build step, no dependencies.
// Every API call carries the header X-Api-Key; the live event stream and the thumbnails therefore go through fetch()
// (EventSource and <img src> cannot send headers). Text from the server is only ever set with textContent.

const KEY_STORAGE = 'faceswap.apiKey';
const ROLE_LEVEL = { read: 1, submit: 2, admin: 3 };
const THUMB_SIZE = 1024; // the gallery's thumbnails; the larger view reuses them
const VIEWER_SIZE = 1024;
const CLOSEUP_SIZE = 128; // pixels of a face close-up (shown at up to about that size)
const MAX_CLOSEUPS = 6;
const GALLERY_COUNT = 8;
const JOBS_PAGE = 20;
const FAILURES_PAGE = 50;

const $ = (id) => document.getElementById(id);

const state = {
  key: null,
  caller: null,
  jobsNext: null,
  job: null, // { id, status, generation, follow: AbortController|null, failuresNext }
  generation: 0,
  thumbs: new Map(), // thumbnail URL -> object URL (or a promise of one)
  timers: new Map(),
};

/** An API error: the HTTP status and the RFC 7807 problem (when the server sent one). */
class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers (text only: never innerHTML with server data)

/** Creates an element; string children become text nodes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showMessage(node, text, kind = 'error') {
  if (!text) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.textContent = text;
  node.className = `message ${kind}`;
  node.hidden = false;
}

const numberFormat = new Intl.NumberFormat();
const fmt = (n) => numberFormat.format(n ?? 0);

function formatDate(value, { timeOnly = false } = {}) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const time = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
  if (timeOnly) return date.toLocaleTimeString(undefined, time);
  const year = date.getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' };
  return date.toLocaleString(undefined, { month: 'short', day: 'numeric', ...year, ...time });
}

function formatShortDate(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { timeStyle: 'short' })
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/** Runs fn at most once per delay: later calls while one is pending are folded into it. */
function throttle(name, delay, fn) {
  if (state.timers.has(name)) return;
  state.timers.set(name, setTimeout(() => {
    state.timers.delete(name);
    fn();
  }, delay));
}

function clearTimers() {
  for (const timer of state.timers.values()) clearTimeout(timer);
  state.timers.clear();
}

// ---------------------------------------------------------------------------------------------------------------
// API access

function apiUrl(path) {
  // Server-made URLs (gallery thumbnails) are absolute paths; ours are relative to the page.
  return new URL(path.replace(/^\//, ''), document.baseURI).toString();
}

function headers(extra = {}) {
  return { 'X-Api-Key': state.key ?? '', ...extra };
}

async function readProblem(response) {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return null;
}

function problemText(status, problem) {
  if (problem) {
    const parts = [problem.title, problem.detail].filter(Boolean);
    if (parts.length) return parts.join(': ');
  }
  return `The server answered ${status}.`;
}

/** Calls the API; returns the parsed JSON body; throws ApiError for a non-2xx answer (after handling 401). */
async function api(path, { method = 'GET', body, signal } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      signal,
      cache: 'no-store',
      headers: headers({ Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, null, 'The server cannot be reached.');
  }
  if (response.ok) {
    return response.status === 204 ? null : response.json();
  }
  const problem = await readProblem(response);
  if (response.status === 401) {
    signOut('The API key was refused (401 Unauthorized): it is unknown or missing. Enter a valid key.');
  }
  throw new ApiError(response.status, problem, problemText(response.status, problem));
}

function forbiddenText(action) {
  const role = state.caller?.role ?? 'unknown';
  return `Not allowed (403 Forbidden): your key's role "${role}" cannot ${action}.`;
}

// ---------------------------------------------------------------------------------------------------------------
// The API key

/** The page's fragment as name/value pairs (#key=...&job=...); '+' stays '+', unlike URLSearchParams. */
function readFragment() {
  const params = new Map();
  for (const part of location.hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const decode = (text) => { try { return decodeURIComponent(text); } catch { return text; } };
    params.set(decode(eq < 0 ? part : part.slice(0, eq)), decode(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return params;
}

function writeFragment(params) {
  const text = [...params].map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  history.replaceState(history.state, '', location.pathname + location.search + (text ? `#${text}` : ''));
}

async function signIn(key, { fromUser = false } = {}) {
  state.key = key;
  const message = $('auth-message');
  showMessage(message, 'Checking the key…', 'info');
  let caller;
  try {
    const response = await fetch(apiUrl('api/whoami'), { headers: headers({ Accept: 'application/json' }), cache: 'no-store' });
    if (response.status === 401) {
      signOut('The API key was refused (401 Unauthorized): it is unknown or missing. Enter a valid key.');
      return;
    }
    if (response.status === 403) {
      signOut('The API key is known but may not use this page (403 Forbidden): it needs at least the role "read".');
      return;
    }
    if (!response.ok) {
      showMessage(message, problemText(response.status, await readProblem(response)));
      return;
    }
    caller = await response.json();
  } catch {
    showMessage(message, 'The server cannot be reached. Is `faceswap serve` running?');
    return;
  }

  sessionStorage.setItem(KEY_STORAGE, key);
  state.caller = caller;
  showMessage(message, '');
  $('caller-name').textContent = caller.name || '(unnamed key)';
  $('caller-role').textContent = caller.role || 'none';
  $('caller-role').dataset.role = caller.role || '';
  $('caller').hidden = false;
  $('auth-panel').hidden = true;
  $('key').value = '';
  $('app').hidden = false;

  const canSubmit = roleAtLeast('submit');
  $('submit-readonly').hidden = canSubmit;
  for (const control of $('submit-form').elements) control.disabled = !canSubmit;
  // The preview's size is typed only once the preview is ticked.
  $('preview').disabled = !canSubmit || !$('preview-on').checked;

  await loadJobs({ reset: true });
  const wanted = readFragment().get('job');
  if (wanted && (!state.job || state.job.id !== wanted)) {
    selectJob(wanted);
  } else if (fromUser && state.job) {
    selectJob(state.job.id);
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  state.caller = null;
  stopFollowing();
  $('caller').hidden = true;
  $('app').hidden = true;
  $('auth-panel').hidden = false;
  showMessage($('auth-message'), message);
  $('key').focus();
}

function roleAtLeast(role) {
  return (ROLE_LEVEL[state.caller?.role] ?? 0) >= ROLE_LEVEL[role];
}

// ---------------------------------------------------------------------------------------------------------------
// Job list

function progressOf(status) {
  const c = status.counters ?? {};
  const discovered = c.discovered ?? 0;
  const finished = c.finished ?? ((c.ok ?? 0) + (c.noFace ?? 0) + (c.failed ?? 0) + (c.skipped ?? 0));
  let percent;
  if (status.state === 'completed') percent = 100;
  else if (discovered > 0) percent = Math.min(100, Math.floor((finished * 100) / discovered));
  else percent = 0;
  return { discovered, finished, percent };
}

function stateBadge(value) {
  return el('span', { class: 'state', dataset: { state: value ?? '' } }, value ?? '');
}

function jobRow(status) {
  const { discovered, finished, percent } = progressOf(status);
  const select = () => selectJob(status.jobId, { reveal: true });
  const row = el('tr', {
    tabindex: 0,
    dataset: { jobId: status.jobId, state: status.state },
    class: state.job?.id === status.jobId ? 'selected' : '',
    onclick: select,
    onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(); } },
  },
  el('td', { class: 'job-cell' },
    el('div', { class: 'mono id' }, status.jobId),
    el('div', { class: 'meta muted' },
      el('time', { class: 'created', datetime: status.created, title: status.created }, formatShortDate(status.created)),
      status.spec?.submittedBy ? ' · ' : '',
      status.spec?.submittedBy ? el('span', { class: 'by' }, status.spec.submittedBy) : '')),
  el('td', {}, stateBadge(status.state)),
  el('td', { class: 'progress-cell' },
    el('span', { class: 'mini', title: `${percent}%` }, el('span', { style: `width:${percent}%` })),
    el('span', { class: 'muted' }, `${fmt(finished)}/${fmt(discovered)}`)));
  return row;
}

async function loadJobs({ reset }) {
  const error = $('jobs-error');
  const cursor = reset ? null : state.jobsNext;
  const query = new URLSearchParams({ limit: String(JOBS_PAGE) });
  if (cursor) query.set('cursor', cursor);
  $('jobs-more').disabled = true;
  try {
    const page = await api(`api/jobs?${query}`);
    const body = $('jobs-body');
    if (reset) body.replaceChildren();
    for (const status of page.items ?? []) {
      const existing = body.querySelector(`tr[data-job-id="${CSS.escape(status.jobId)}"]`);
      if (existing) existing.replaceWith(jobRow(status));
      else body.append(jobRow(status));
    }
    state.jobsNext = page.next ?? null;
    $('jobs-more').hidden = !state.jobsNext;
    $('jobs-empty').hidden = body.children.length > 0;
    $('jobs').hidden = body.children.length === 0;
    showMessage(error, '');
  } catch (e) {
    if (e.status !== 401) showMessage(error, `The job list cannot be loaded. ${e.message}`);
  } finally {
    $('jobs-more').disabled = false;
  }
}

/** Puts a job's latest status into its row (adding the row on top for a new job). */
function updateJobRow(status) {
  const body = $('jobs-body');
  const row = jobRow(status);
  const existing = body.querySelector(`tr[data-job-id="${CSS.escape(status.jobId)}"]`);
  if (existing) existing.replaceWith(row);
  else body.prepend(row);
  $('jobs-empty').hidden = true;
  $('jobs').hidden = false;
}

function markSelectedRow() {
  for (const row of $('jobs-body').children) {
    row.classList.toggle('selected', row.dataset.jobId === state.job?.id);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Submitting

const FIELD_IDS = {
  source: 'source',
  input: 'input',
  output: 'output',
  'options.faces': 'faces',
  'options.batchsize': 'batch-size',
  'options.references': 'references',
  'options.referencedistance': 'reference-distance',
  sources: 'sources',
  'options.sourcesmode': 'sources-mode',
  'options.preview': 'preview',
  consentreference: 'consent',
};

function clearFieldErrors() {
  for (const node of document.querySelectorAll('#submit-form .field-error')) {
    node.hidden = true;
    node.textContent = '';
  }
  for (const node of document.querySelectorAll('#submit-form [aria-invalid]')) node.removeAttribute('aria-invalid');
  for (const node of document.querySelectorAll('#submit-form .field.invalid')) node.classList.remove('invalid');
  showMessage($('submit-error'), '');
}

function showFieldErrors(errors) {
  const unplaced = [];
  let first = null;
  for (const [name, messages] of Object.entries(errors ?? {})) {
    const text = (Array.isArray(messages) ? messages : [messages]).join(' ');
    const id = FIELD_IDS[name.replace(/^\$\.?/, '').toLowerCase()];
    if (!id) {
      unplaced.push(`${name}: ${text}`);
      continue;
    }
    const input = $(id);
    const error = $(`${id}-error`);
    // The server phrases most messages as predicates ("is required", "must be between 1 and 64"): name the field.
    const label = document.querySelector(`label[for="${id}"]`)?.textContent ?? name;
    error.textContent = /^(is|must|has|cannot)\b/.test(text) ? `${label} ${text}` : text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.closest('.field')?.classList.add('invalid');
    first ??= input;
  }
  return { unplaced, first };
}

function formBody() {
  const text = (id) => $(id).value.trim() || undefined;
  const lines = (id) => $(id).value.split('\n').map((line) => line.trim()).filter(Boolean);
  const options = { faces: $('faces').value };
  const batch = $('batch-size').value.trim();
  if (batch !== '') options.batchSize = Number(batch);
  if (options.faces === 'reference') {
    options.references = lines('references');
    const distance = $('reference-distance').value.trim();
    if (distance !== '') options.referenceDistance = Number(distance);
  }
  const sources = lines('sources');
  if ($('sources-mode').value === 'each') options.sourcesMode = 'each';
  // A preview sends what was typed, even a bad value: the server's answer names the field and says why.
  if ($('preview-on').checked) options.preview = Number($('preview').value.trim() || NaN);
  return {
    source: text('source'),
    sources: sources.length ? sources : undefined,
    input: text('input'),
    output: text('output'),
    options,
    consentReference: text('consent'),
  };
}

async function submitJob(event) {
  event.preventDefault();
  clearFieldErrors();
  const button = $('submit-button');
  button.disabled = true;
  button.textContent = 'Starting…';
  try {
    const body = formBody();
    const status = await api('api/jobs', { method: 'POST', body });
    uploadUsedBy(body);
    updateJobRow(status);
    await selectJob(status.jobId, { reveal: true });
  } catch (e) {
    if (e.status === 401) return;
    if (e.status === 403) {
      showMessage($('submit-error'), forbiddenText('submit jobs'));
      return;
    }
    const { unplaced, first } = showFieldErrors(e.problem?.errors);
    const general = [];
    if (!e.problem?.errors || unplaced.length) general.push(e.problem?.errors ? 'The job was not started.' : e.message);
    general.push(...unplaced);
    if (general.length) showMessage($('submit-error'), general.join(' '));
    first?.focus();
  } finally {
    button.disabled = !roleAtLeast('submit');
    button.textContent = 'Start job';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Uploads from this computer: the source face and a folder of photos go into the inbox under uploads/<id>/, one PUT a
// file. An upload id lives for this tab until a job is started from it, so choosing the same folder again after a
// dropped connection resumes it: files the server already holds (same size and SHA-256) are not sent again.

const UPLOAD_STORAGE = 'faceswap.uploadId';
const UPLOAD_CONCURRENCY = 3;
const UPLOAD_TRIES = 5;
const PHOTO_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.heic', '.heif', '.avif'];

const upload = {
  entries: [], // { path, file, loaded, state, note, row }
  skipped: 0, // files left out as not photos
  frame: 0,
};

function currentUploadId() {
  let id = sessionStorage.getItem(UPLOAD_STORAGE);
  if (!id) {
    const now = new Date();
    const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    const random = [...crypto.getRandomValues(new Uint8Array(3))].map((b) => b.toString(16).padStart(2, '0')).join('');
    id = `up-${stamp}-${random}`;
    sessionStorage.setItem(UPLOAD_STORAGE, id);
  }
  return id;
}

const isPhoto = (name) => PHOTO_EXTENSIONS.includes(name.slice(name.lastIndexOf('.')).toLowerCase());

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** Every file the server holds under the upload, by path, with the upload's prefixes (all pages). */
async function uploadListing(id) {
  const files = new Map();
  let cursor = null;
  let page;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor) query.set('cursor', cursor);
    page = await api(`api/uploads/${encodeURIComponent(id)}?${query}`);
    for (const file of page.files ?? []) files.set(file.path, file);
    cursor = page.next ?? null;
  } while (cursor);
  return { ...page, files };
}

async function sha256Hex(file) {
  if (!crypto.subtle) return null; // not a secure context: the size alone decides
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function renderUpload() {
  if (upload.frame) return;
  upload.frame = requestAnimationFrame(() => {
    upload.frame = 0;
    const counted = upload.entries.filter((e) => e.state !== 'refused');
    const total = counted.reduce((sum, e) => sum + e.file.size, 0);
    const loaded = counted.reduce((sum, e) => sum + Math.min(e.loaded, e.file.size), 0);
    const done = upload.entries.filter((e) => e.state === 'done' || e.state === 'already').length;
    const already = upload.entries.filter((e) => e.state === 'already').length;
    const refused = upload.entries.filter((e) => e.state === 'refused' || e.state === 'failed').length;
    const percent = total > 0 ? Math.floor((loaded * 100) / total) : (upload.entries.length && done + refused === upload.entries.length ? 100 : 0);
    const bar = $('upload-bar');
    bar.setAttribute('aria-valuenow', String(percent));
    bar.setAttribute('aria-valuetext', `${percent}% (${done} of ${upload.entries.length} files)`);
    bar.dataset.state = done + refused === upload.entries.length ? (refused ? 'failed' : 'completed') : '';
    $('upload-bar-fill').style.width = `${percent}%`;
    $('upload-percent').textContent = `${percent}%`;
    const parts = [`${fmt(done)} of ${fmt(upload.entries.length)} files uploaded`, `${formatBytes(loaded)} of ${formatBytes(total)}`];
    if (already) parts.push(`${fmt(already)} already on the server`);
    if (refused) parts.push(`${fmt(refused)} refused`);
    if (upload.skipped) parts.push(`${fmt(upload.skipped)} left out (not photos)`);
    $('upload-text').textContent = parts.join(' · ');
    for (const entry of upload.entries) {
      entry.row.dataset.state = entry.state;
      entry.row.querySelector('progress').value = Math.min(entry.loaded, entry.file.size);
      entry.row.querySelector('.note').textContent = entry.note;
    }
  });
}

/** Sends one file; resolves to { status, body } (the parsed JSON answer). Rejects on a network failure. */
function putFile(id, entry) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', apiUrl(`api/uploads/${encodeURIComponent(id)}?path=${encodeURIComponent(entry.path)}`));
    xhr.setRequestHeader('X-Api-Key', state.key ?? '');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => { entry.loaded = event.loaded; renderUpload(); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      resolve({ status: xhr.status, body, retryAfter: Number(xhr.getResponseHeader('Retry-After')) || 0 });
    };
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(entry.file);
  });
}

/** Uploads one entry: retried after a network failure, 429 (after Retry-After) or 5xx; a refusal is final. */
async function uploadEntry(id, entry, known, maxBytes) {
  if (entry.file.size > maxBytes) {
    Object.assign(entry, { state: 'refused', note: `file_too_large: over ${formatBytes(maxBytes)}` });
    return;
  }
  const there = known.get(entry.path);
  if (there && there.size === entry.file.size) {
    const hash = await sha256Hex(entry.file);
    if (hash === null || hash === there.sha256) {
      Object.assign(entry, { state: 'already', loaded: entry.file.size, note: 'already on the server', blobPath: there.blobPath });
      return;
    }
  }
  entry.state = 'uploading';
  for (let attempt = 1; ; attempt++) {
    entry.note = attempt > 1 ? `retry ${attempt - 1}…` : '';
    entry.loaded = 0;
    renderUpload();
    let answer = null;
    try {
      answer = await putFile(id, entry);
    } catch {
      answer = null;
    }
    if (answer && answer.status >= 200 && answer.status < 300) {
      Object.assign(entry, { state: 'done', loaded: entry.file.size, note: 'uploaded', blobPath: answer.body?.blobPath });
      return;
    }
    if (answer?.status === 401) {
      signOut('The API key was refused (401 Unauthorized) while uploading. Enter a valid key.');
      throw new Error('signed out');
    }
    const transient = !answer || answer.status === 429 || answer.status >= 500;
    if (!transient || attempt >= UPLOAD_TRIES) {
      const code = answer?.body?.code ?? (answer ? `http_${answer.status}` : 'network_error');
      const detail = answer?.body?.detail ?? (answer?.status === 403 ? forbiddenText('upload') : 'the server cannot be reached');
      Object.assign(entry, { state: transient ? 'failed' : 'refused', loaded: 0, note: `${code}: ${detail}` });
      return;
    }
    await sleep(answer?.retryAfter ? answer.retryAfter * 1000 : 1000 * 2 ** (attempt - 1));
  }
}

/** Uploads the chosen files ({ file, relative }) of one kind and fills the form's fields from where they went. */
async function uploadChosen(kind, chosen) {
  const error = $('upload-error');
  showMessage(error, '');
  const photos = kind === 'source' ? chosen.slice(0, 1) : chosen.filter((c) => isPhoto(c.file.name));
  if (kind === 'photos') upload.skipped = chosen.length - photos.length;
  if (photos.length === 0) {
    showMessage(error, kind === 'source' ? 'Choose a photo of the source face.' : 'The folder holds no photos (jpg, png, webp, bmp, heic, avif).');
    return;
  }
  const id = currentUploadId();
  let listing;
  try {
    listing = await uploadListing(id);
  } catch (e) {
    if (e.status === 403) showMessage(error, forbiddenText('upload photos'));
    else if (e.status !== 401) showMessage(error, `The upload cannot start. ${e.message}`);
    return;
  }
  // Loose files (no folder) go into a folder of their own, so a later folder does not mix with them.
  const entries = photos.map(({ file, relative }) => ({
    path: kind === 'source' ? `source/${file.name}` : `photos/${relative.includes('/') ? relative : `files/${relative}`}`,
    file, loaded: 0, state: 'queued', note: 'waiting', row: null,
  }));
  upload.entries = upload.entries.filter((e) => e.path.startsWith(kind === 'source' ? 'photos/' : 'source/')).concat(entries);
  const list = $('upload-files');
  list.replaceChildren(...upload.entries.map((entry) => {
    entry.row ??= el('li', { dataset: { path: entry.path } },
      el('span', { class: 'name', title: entry.path }, entry.path),
      el('progress', { max: String(entry.file.size || 1), value: '0' }),
      el('span', { class: 'note' }));
    return entry.row;
  }));
  $('upload-progress').hidden = false;
  renderUpload();

  const queue = [...entries];
  const worker = async () => {
    while (queue.length) await uploadEntry(id, queue.shift(), listing.files, listing.maxFileBytes);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, queue.length) }, worker));
  } catch {
    return; // signed out
  }
  renderUpload();

  const stored = entries.filter((e) => e.state === 'done' || e.state === 'already');
  if (kind === 'source') {
    if (stored.length) $('source').value = `${listing.prefix}${stored[0].path}`;
  } else if (stored.length) {
    const roots = new Set(stored.map((e) => e.path.split('/')[1]));
    $('input').value = `${listing.prefix}photos/${roots.size === 1 ? `${[...roots][0]}/` : ''}`;
    $('output').value = listing.output + (roots.size === 1 ? `${[...roots][0]}/` : '');
  }
  if (stored.length < entries.length) {
    showMessage(error, `${entries.length - stored.length} file(s) were not uploaded: see the list. Choose the same files again to retry them.`);
  }
}

/** Every file under a dropped folder entry, with its path from the dropped item. */
async function filesOfEntry(entry) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, relative: entry.fullPath.replace(/^\//, '') }];
  }
  const reader = entry.createReader();
  const children = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(filesOfEntry))).flat();
}

function setUpDropzone(zone, kind) {
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (!roleAtLeast('submit')) return;
    const entries = [...event.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    const chosen = entries.length
      ? (await Promise.all(entries.map(filesOfEntry))).flat()
      : [...event.dataTransfer.files].map((file) => ({ file, relative: file.name }));
    uploadChosen(kind, chosen);
  });
}

function setUpUploads() {
  setUpDropzone($('drop-source'), 'source');
  setUpDropzone($('drop-photos'), 'photos');
  $('upload-source').addEventListener('change', (event) => {
    uploadChosen('source', [...event.target.files].map((file) => ({ file, relative: file.name })));
    event.target.value = '';
  });
  $('upload-photos').addEventListener('change', (event) => {
    uploadChosen('photos', [...event.target.files].map((file) => ({ file, relative: file.webkitRelativePath || file.name })));
    event.target.value = '';
  });
}

/** After a job started from this upload, the next files go under a new prefix. */
function uploadUsedBy(body) {
  const id = sessionStorage.getItem(UPLOAD_STORAGE);
  if (id && [body.source, body.input].some((path) => path?.includes(`/uploads/${id}/`))) {
    sessionStorage.removeItem(UPLOAD_STORAGE);
    upload.entries = [];
    upload.skipped = 0;
    $('upload-files').replaceChildren();
    $('upload-progress').hidden = true;
    showMessage($('upload-error'), '');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Downloads: fetched with the key (a plain link cannot send it), then saved under the server's file name.

function renderDownloads(status) {
  const c = status.counters ?? {};
  const zip = $('download-zip');
  const csv = $('download-csv');
  const base = `api/jobs/${encodeURIComponent(status.jobId)}`;
  zip.href = apiUrl(`${base}/outputs.zip`);
  zip.download = `${status.jobId}-outputs.zip`;
  csv.href = apiUrl(`${base}/failures.csv`);
  csv.download = `${status.jobId}-failures.csv`;
  zip.hidden = !(status.isTerminal && (c.ok ?? 0) + (c.skipped ?? 0) > 0);
  csv.hidden = (c.failed ?? 0) + (c.noFace ?? 0) === 0;
  $('downloads').hidden = zip.hidden && csv.hidden;
}

/** A preview job's contact sheet: a note while it runs, the picture (fetched once with the key) when it is done. */
function renderContactSheet(status) {
  const block = $('contact-sheet-block');
  const preview = status.spec?.options?.preview;
  block.hidden = !preview;
  if (!preview) return;
  const link = $('contact-sheet-link');
  const note = $('contact-sheet-note');
  if (!status.isTerminal) {
    link.hidden = true;
    note.textContent = status.notice ?? `A preview of ${preview} images: the contact sheet is drawn when they are done.`;
    return;
  }
  if (status.state !== 'completed') {
    link.hidden = true;
    note.textContent = 'No contact sheet: the preview did not complete.';
    return;
  }
  const url = apiUrl(`api/jobs/${encodeURIComponent(status.jobId)}/contact-sheet.png`);
  note.textContent = `Each swapped face of the ${fmt(status.counters?.discovered ?? 0)} previewed images, input beside output, with its figures. `
    + 'Start the same job without preview to do the rest: these images are skipped.';
  if (link.dataset.url === url) return;
  link.dataset.url = url;
  thumbnail(url).then((objectUrl) => {
    if (link.dataset.url !== url) return;
    $('contact-sheet').src = objectUrl;
    link.href = objectUrl;
    link.hidden = false;
  }, () => {
    if (link.dataset.url !== url) return;
    link.hidden = true;
    note.textContent = 'The contact sheet cannot be loaded (see the job\'s summary.json for why).';
  });
}

async function download(event) {
  event.preventDefault();
  const link = event.currentTarget;
  showMessage($('download-error'), '');
  link.setAttribute('aria-busy', 'true');
  try {
    const response = await fetch(link.href, { headers: headers(), cache: 'no-store' });
    if (!response.ok) {
      if (response.status === 401) signOut('The API key was refused (401 Unauthorized). Enter a valid key.');
      else showMessage($('download-error'), `The download failed. ${problemText(response.status, await readProblem(response))}`);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const save = el('a', { href: url, download: link.download, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch {
    showMessage($('download-error'), 'The download failed: the server cannot be reached.');
  } finally {
    link.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Job detail

function stopFollowing() {
  if (state.job?.follow) {
    state.job.follow.abort();
    state.job.follow = null;
  }
  clearTimers();
}

function releaseThumbnails() {
  for (const entry of state.thumbs.values()) {
    Promise.resolve(entry).then((url) => url && URL.revokeObjectURL(url));
  }
  state.thumbs.clear();
}

async function selectJob(id, { reveal = false } = {}) {
  stopFollowing();
  if (state.job?.id !== id) releaseThumbnails();
  const generation = ++state.generation;
  state.job = { id, status: null, generation, follow: null, failuresNext: null };
  const params = readFragment();
  params.set('job', id);
  writeFragment(params);
  markSelectedRow();

  $('job-placeholder').hidden = true;
  $('job').hidden = false;
  // In the one-column layout the detail is below the form and the list: bring it into view.
  if (reveal && matchMedia('(max-width: 920px)').matches) $('job').scrollIntoView({ behavior: 'smooth', block: 'start' });
  $('job-id').textContent = id;
  $('gallery').replaceChildren();
  $('gallery-empty').hidden = false;
  $('gallery-empty').textContent = 'Loading…';
  $('failures-body').replaceChildren();
  $('failures-table').hidden = true;
  $('failures-empty').hidden = false;
  $('failures-count').textContent = '';
  $('failures-more').hidden = true;
  showMessage($('job-error'), '');
  showMessage($('download-error'), '');
  $('downloads').hidden = true;
  $('contact-sheet-block').hidden = true;
  $('contact-sheet-link').hidden = true;
  $('contact-sheet-link').dataset.url = '';
  $('live').textContent = '';

  let status;
  try {
    status = await api(`api/jobs/${encodeURIComponent(id)}`);
  } catch (e) {
    if (generation !== state.generation) return;
    if (e.status === 404) showMessage($('job-error'), `There is no job "${id}".`);
    else if (e.status !== 401) showMessage($('job-error'), `The job cannot be loaded. ${e.message}`);
    renderStatus({ jobId: id, state: '', counters: {} });
    return;
  }
  if (generation !== state.generation) return;
  renderStatus(status);
  loadGallery(generation);
  loadFailures(generation, { reset: true });
  if (!status.isTerminal) follow(generation);
}

function isCurrent(generation) {
  return state.job && state.job.generation === generation && generation === state.generation;
}

function renderFacts(status) {
  const spec = status.spec;
  const facts = $('job-facts');
  facts.replaceChildren();
  if (!spec) return;
  const add = (term, value, cls) => {
    if (value === undefined || value === null || value === '') return;
    facts.append(el('div', { class: 'fact' }, el('dt', {}, term), el('dd', { class: cls }, value)));
  };
  const options = spec.options ?? {};
  add('Source face', spec.source, 'mono');
  add('Input', spec.input, 'mono');
  add('Output', spec.output, 'mono');
  add('Faces', options.faces === 'largest' ? 'largest only'
    : options.faces === 'reference' ? `people in ${options.references?.length ?? 0} reference photo(s), distance ${options.referenceDistance ?? 0.3}` : 'all');
  add('Sources', spec.sources?.length ? `${spec.sources.join(', ')} (${options.sourcesMode === 'each' ? 'each against every photo' : 'one person'})` : undefined, 'mono');
  add('Batch size', options.batchSize);
  add('Preview', options.preview ? `${options.preview} images chosen across the input's folders` : undefined);
  add('Submitted by', spec.submittedBy);
  add('Consent', spec.consentReference);
  add('Created', formatDate(status.created));
  if (status.finished) {
    const sameDay = new Date(status.finished).toDateString() === new Date(status.created).toDateString();
    add('Finished', `${formatDate(status.finished, { timeOnly: sameDay })} (${formatDuration(new Date(status.finished) - new Date(status.created))})`);
  }
}

function renderStatus(status) {
  if (state.job) state.job.status = status;
  const c = status.counters ?? {};
  const { discovered, finished, percent } = progressOf(status);

  const badge = $('state');
  badge.textContent = status.state ?? '';
  badge.dataset.state = status.state ?? '';

  const progress = $('progress');
  progress.setAttribute('aria-valuenow', String(percent));
  progress.setAttribute('aria-valuetext', `${percent}% (${finished} of ${discovered} images)`);
  progress.dataset.state = status.state ?? '';
  progress.classList.toggle('indeterminate', !status.isTerminal && discovered === 0);
  $('progress-bar').style.width = `${percent}%`;
  $('progress-percent').textContent = `${percent}%`;
  let text = `${fmt(finished)} / ${fmt(discovered)} images finished`;
  if (!status.isTerminal && !status.listingComplete) text += ' · still listing inputs…';
  $('progress-text').textContent = text;

  $('count-ok').textContent = fmt(c.ok);
  $('count-noface').textContent = fmt(c.noFace);
  $('count-failed').textContent = fmt(c.failed);
  $('count-skipped').textContent = fmt(c.skipped);
  $('count-faces').textContent = fmt(c.faces);
  $('count-review').textContent = fmt(c.facesToReview ?? 0);
  $('count-review').parentElement.title = `${fmt(c.facesToReview ?? 0)} faces need a look (${fmt(c.facesLost ?? 0)} lost after the swap); `
    + 'the list is in the job\'s summary.json and in GET /api/jobs/{id}/results?review=true';
  $('count-inflight').textContent = fmt(status.inFlight);
  $('count-inflight').parentElement.hidden = status.isTerminal === true;

  renderFacts(status);
  if (status.error) showMessage($('job-error'), status.error);
  // Why a running job is not moving right now (e.g. it waits for an inference silo).
  showMessage($('job-notice'), !status.isTerminal && status.notice ? status.notice : '', 'info');

  renderDownloads(status);
  renderContactSheet(status);
  const canAct = roleAtLeast('submit') && !!status.spec;
  $('job-actions').hidden = !canAct;
  $('cancel').disabled = status.isTerminal !== false;
  $('retry-failed').disabled = !(status.isTerminal && (c.failed ?? 0) > 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Live events: text/event-stream read with fetch() so the key can travel in a header

/**
 * Parses a text/event-stream incrementally. feed() takes decoded text and calls onEvent({ type, data, id }) for
 * every complete event; comments (lines starting with ':') are ignored; 'retry' sets the reconnection delay.
 */
class EventStreamParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = '';
    this.type = '';
    this.data = [];
    this.lastEventId = null;
    this.retry = null;
  }

  feed(text) {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A '\r' at the very end may be the first half of '\r\n': wait for more text.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment, e.g. ': keep-alive'
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event': this.type = value; break;
      case 'data': this.data.push(value); break;
      case 'id': if (!value.includes('\0')) this.lastEventId = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.retry = Number(value); break;
      default: break; // unknown fields are ignored
    }
  }

  dispatch() {
    const type = this.type || 'message';
    const data = this.data.join('\n');
    const hadData = this.data.length > 0;
    this.type = '';
    this.data = [];
    if (hadData) this.onEvent({ type, data, id: this.lastEventId });
  }
}

async function follow(generation) {
  const job = state.job;
  if (!isCurrent(generation) || job.follow) return;
  const controller = new AbortController();
  job.follow = controller;
  const { signal } = controller;
  let lastEventId = null;
  let delay = 2000;
  let failures = 0;
  const live = $('live');

  try {
    while (!signal.aborted && isCurrent(generation)) {
      let finished = false;
      try {
        const extra = { Accept: 'text/event-stream' };
        if (lastEventId !== null) extra['Last-Event-ID'] = lastEventId;
        const response = await fetch(apiUrl(`api/jobs/${encodeURIComponent(job.id)}/events?images=true`), {
          headers: headers(extra), signal, cache: 'no-store',
        });
        if (response.status === 401) {
          signOut('The API key was refused (401 Unauthorized) while following the job. Enter a valid key.');
          return;
        }
        if (response.status === 403) {
          showMessage($('job-error'), forbiddenText('follow jobs'));
          return;
        }
        if (response.status === 404) {
          showMessage($('job-error'), `There is no job "${job.id}".`);
          return;
        }
        if (!response.ok || !response.body) throw new Error(`the event stream answered ${response.status}`);

        failures = 0;
        live.textContent = 'Live: following the job.';
        live.dataset.connected = 'true';
        const parser = new EventStreamParser((event) => {
          if (event.id !== null) lastEventId = event.id;
          if (handleEvent(generation, event)) finished = true;
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.feed(value);
            if (finished) break;
          }
        } finally {
          reader.cancel().catch(() => {});
        }
        if (parser.retry !== null) delay = parser.retry;
        if (finished) return;
      } catch (e) {
        if (signal.aborted) return;
        failures += 1;
        console.warn('event stream dropped', e);
      }
      if (signal.aborted || !isCurrent(generation)) return;
      live.dataset.connected = 'false';
      live.textContent = 'Connection lost: reconnecting…';
      await sleep(Math.min(30000, delay * Math.max(1, failures)), signal);
    }
  } finally {
    if (job.follow === controller) job.follow = null;
  }
}

/** Applies one event to the page; returns true for 'done' (the server ends the stream after it). */
function handleEvent(generation, event) {
  if (!isCurrent(generation)) return true;
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return false;
  }
  switch (event.type) {
    case 'status':
      renderStatus(data);
      updateJobRow(data);
      markSelectedRow();
      return false;
    case 'image':
      $('live').textContent = `Finished ${data.path} (${String(data.status).replace('_', ' ')})`;
      if (data.status === 'ok') throttle('gallery', 1500, () => loadGallery(generation));
      if (data.status === 'failed') throttle('failures', 1500, () => loadFailures(generation, { reset: true }));
      return false;
    case 'done':
      renderStatus(data);
      updateJobRow(data);
      markSelectedRow();
      $('live').textContent = `The job is ${data.state}.`;
      $('live').dataset.connected = 'false';
      clearTimers();
      loadGallery(generation);
      loadFailures(generation, { reset: true });
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Thumbnails, gallery and failures

function withSize(url, size) {
  const u = new URL(apiUrl(url));
  u.searchParams.set('size', String(size));
  return u.toString();
}

/** An object URL for a thumbnail, fetched once with the key. */
function thumbnail(url) {
  if (!state.thumbs.has(url)) {
    const promise = fetch(url, { headers: headers({ Accept: 'image/jpeg' }) })
      .then(async (response) => {
        if (!response.ok) {
          if (response.status === 401) signOut('The API key was refused (401 Unauthorized). Enter a valid key.');
          throw new Error(`thumbnail: ${response.status}`);
        }
        const objectUrl = URL.createObjectURL(await response.blob());
        state.thumbs.set(url, objectUrl);
        return objectUrl;
      })
      .catch((e) => {
        state.thumbs.delete(url);
        throw e;
      });
    state.thumbs.set(url, promise);
  }
  return Promise.resolve(state.thumbs.get(url));
}

/** Loads a thumbnail into an <img>; resolves to true once it is decoded, false when it cannot be had. */
function loadInto(img, url) {
  img.classList.add('loading');
  return thumbnail(url).then(async (objectUrl) => {
    img.src = objectUrl;
    await img.decode().catch(() => {});
    img.classList.remove('loading');
    return img.naturalWidth > 0;
  }, () => {
    img.classList.remove('loading');
    img.classList.add('broken');
    img.alt = `${img.alt} (cannot be loaded)`;
    return false;
  });
}

function similarityText(value) {
  return typeof value === 'number' ? `similarity ${value.toFixed(2)}` : '';
}

const REVIEW_TEXT = {
  lost: 'lost: not found again after the swap',
  unmeasured: 'too little skin to measure',
  tint: 'colour moved (tint)',
  shade: 'light moved (shade)',
  detail: 'texture softer or sharper (detail)',
  soft: 'eyes blurred (sharpness)',
  source_small: 'source photo too small: soft',
};

function figure(value, digits) {
  return typeof value === 'number' ? value.toFixed(digits) : '–';
}

/** Every figure of one face, for its badge's tooltip. */
function faceTitle(face, index) {
  const parts = [`face ${index + 1} at [${(face.box ?? []).join(', ')}]`,
    `similarity ${figure(face.similarityBefore, 2)} → ${face.similarity == null ? 'lost' : figure(face.similarity, 2)}`,
    `tint ${figure(face.tint, 1)}`, `shade ${figure(face.shade, 1)}`, `detail ${figure(face.detail, 2)}`,
    `sharpness ${figure(face.sharpness, 2)}`];
  if (typeof face.sourceScale === 'number') parts.push(`source enlarged ${face.sourceScale.toFixed(1)}×`);
  if (face.source) parts.push(`from ${face.source}`);
  if (face.needsReview) parts.push(`needs review: ${(face.review ?? []).map((r) => REVIEW_TEXT[r] ?? r).join('; ')}`);
  return parts.join(' · ');
}

/** One badge per swapped face: its similarity after the swap, and a review badge with the reason when it needs a look. */
function faceBadges(faces) {
  if (!faces?.length) return null;
  return el('ul', { class: 'face-badges', 'aria-label': 'Swapped faces' },
    ...faces.map((face, index) => el('li', {
      class: `face-badge${face.needsReview ? ' review' : ''}${face.similarity == null ? ' lost' : ''}`,
      title: faceTitle(face, index),
      dataset: { face: String(index), review: (face.review ?? []).join(' ') },
    },
    el('span', { class: 'face-n' }, `#${index + 1}`),
    el('span', { class: 'face-sim' }, face.similarity == null ? 'lost' : face.similarity.toFixed(2)),
    face.needsReview ? el('span', { class: 'review-tag' }, `review: ${(face.review ?? []).join(', ')}`) : null)));
}

/**
 * Where two same-sized images differ: the swapped faces, since the rest of an output is the input re-encoded. Works on
 * cells of a coarse grid with a threshold above the JPEG noise, joins neighbouring cells, and returns the largest
 * regions as { x, y, width, height } in image pixels.
 */
function changedRegions(a, b, maxRegions) {
  const w = a.naturalWidth;
  const h = a.naturalHeight;
  if (!w || !h || b.naturalWidth !== w || b.naturalHeight !== h) return [];
  const pixels = (img) => {
    const canvas = el('canvas', { width: w, height: h });
    const context = canvas.getContext('2d', { willReadFrequently: true });
    context.drawImage(img, 0, 0);
    return context.getImageData(0, 0, w, h).data;
  };
  const pa = pixels(a);
  const pb = pixels(b);
  const cell = Math.max(4, Math.round(Math.max(w, h) / 128));
  const cols = Math.ceil(w / cell);
  const rows = Math.ceil(h / cell);
  const sum = new Float64Array(cols * rows);
  const count = new Uint32Array(cols * rows);
  for (let y = 0; y < h; y++) {
    const rowBase = ((y / cell) | 0) * cols;
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const k = rowBase + ((x / cell) | 0);
      sum[k] += Math.abs(pa[i] - pb[i]) + Math.abs(pa[i + 1] - pb[i + 1]) + Math.abs(pa[i + 2] - pb[i + 2]);
      count[k] += 1;
    }
  }
  const score = Array.from(sum, (v, k) => v / (3 * count[k]));
  const sorted = [...score].sort((p, q) => p - q);
  const noise = sorted[Math.floor(sorted.length / 2)];
  const threshold = Math.max(10, noise * 4);
  const changed = score.map((v) => v > threshold);

  // Connected groups of changed cells (8-neighbours, bridging one-cell gaps).
  const seen = new Uint8Array(cols * rows);
  const regions = [];
  for (let start = 0; start < changed.length; start++) {
    if (!changed[start] || seen[start]) continue;
    const stack = [start];
    seen[start] = 1;
    let cells = 0;
    let x0 = cols; let y0 = rows; let x1 = 0; let y1 = 0;
    while (stack.length) {
      const k = stack.pop();
      const cx = k % cols;
      const cy = (k / cols) | 0;
      cells += 1;
      x0 = Math.min(x0, cx); y0 = Math.min(y0, cy); x1 = Math.max(x1, cx); y1 = Math.max(y1, cy);
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const nx = cx + dx;
          const ny = cy + dy;
          if (nx < 0 || ny < 0 || nx >= cols || ny >= rows) continue;
          const n = ny * cols + nx;
          if (changed[n] && !seen[n]) { seen[n] = 1; stack.push(n); }
        }
      }
    }
    if (cells >= 4) regions.push({ x: x0 * cell, y: y0 * cell, width: (x1 - x0 + 1) * cell, height: (y1 - y0 + 1) * cell, cells });
  }
  return regions
    .sort((p, q) => q.cells - p.cells)
    .slice(0, maxRegions)
    .sort((p, q) => p.x - q.x);
}

/** A square crop around a region, drawn from an image into a canvas. */
function closeUpCanvas(img, region, cls) {
  const side = Math.min(img.naturalWidth, img.naturalHeight, Math.max(32, Math.max(region.width, region.height) * 1.35));
  const cx = region.x + region.width / 2;
  const cy = region.y + region.height / 2;
  const sx = Math.min(Math.max(0, cx - side / 2), img.naturalWidth - side);
  const sy = Math.min(Math.max(0, cy - side / 2), img.naturalHeight - side);
  const size = Math.round(CLOSEUP_SIZE * (window.devicePixelRatio || 1));
  const canvas = el('canvas', { class: cls, width: size, height: size });
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(img, sx, sy, side, side, 0, 0, size, size);
  return canvas;
}

function renderCloseUps(container, before, after) {
  let regions = [];
  try {
    regions = changedRegions(before, after, MAX_CLOSEUPS);
  } catch (e) {
    console.warn('close-ups', e);
  }
  container.replaceChildren(
    el('p', { class: 'closeups-title' }, 'Where the photo changed, before | after'),
    ...regions.map((region) => el('div', { class: 'closeup', title: 'before | after' },
      closeUpCanvas(before, region, 'closeup-before'),
      closeUpCanvas(after, region, 'closeup-after'))));
  container.hidden = regions.length === 0;
}

function galleryItem(item) {
  const before = el('img', { class: 'before', alt: `before: ${item.path}`, loading: 'eager', decoding: 'async' });
  const after = el('img', { class: 'after', alt: `after: ${item.path}`, loading: 'eager', decoding: 'async' });
  const closeUps = el('div', { class: 'closeups', 'aria-label': 'Close-ups of the swapped faces, before and after', hidden: true });
  Promise.all([loadInto(before, withSize(item.before, THUMB_SIZE)), loadInto(after, withSize(item.after, THUMB_SIZE))])
    .then(([a, b]) => { if (a && b) renderCloseUps(closeUps, before, after); });
  const open = () => openViewer(item);
  return el('figure', { class: 'pair', dataset: { path: item.path }, tabindex: 0, title: 'Open larger',
    onclick: open, onkeydown: (e) => { if (e.key === 'Enter') open(); } },
  el('div', { class: 'images' },
    el('div', { class: 'shot' }, before, el('span', { class: 'tag' }, 'before')),
    el('div', { class: 'shot' }, after, el('span', { class: 'tag after' }, 'after'))),
  closeUps,
  el('figcaption', {},
    el('span', { class: 'mono path' }, item.path),
    el('span', { class: 'muted' }, [`${item.faces} face${item.faces === 1 ? '' : 's'}`, similarityText(item.similarity),
      item.facesToReview ? `${item.facesToReview} to review` : ''].filter(Boolean).join(' · '))),
  faceBadges(item.faceOutcomes));
}

async function loadGallery(generation) {
  if (!isCurrent(generation)) return;
  let items;
  try {
    items = await api(`api/jobs/${encodeURIComponent(state.job.id)}/gallery?count=${GALLERY_COUNT}`);
  } catch (e) {
    if (isCurrent(generation) && e.status !== 401) $('gallery-empty').textContent = `The gallery cannot be loaded. ${e.message}`;
    return;
  }
  if (!isCurrent(generation)) return;
  const gallery = $('gallery');
  const existing = new Map([...gallery.children].map((node) => [node.dataset.path, node]));
  // Pairs already shown stay as they are (no flicker); a path swapped again (retry) is made anew.
  const nodes = items.map((item) => {
    const known = existing.get(item.path);
    const node = known && known.dataset.after === item.after && known.dataset.faces === String(item.faces) ? known : galleryItem(item);
    node.dataset.after = item.after;
    node.dataset.faces = String(item.faces);
    return node;
  });
  gallery.replaceChildren(...nodes);
  const empty = $('gallery-empty');
  empty.hidden = items.length > 0;
  empty.textContent = state.job.status?.isTerminal ? 'No image was swapped.' : 'No swapped images yet.';
}

function failureRow(outcome) {
  return el('tr', { dataset: { path: outcome.path } },
    el('td', { class: 'mono path' }, outcome.path),
    el('td', {}, el('span', { class: 'error-class' }, outcome.errorClass ?? 'error')),
    el('td', { class: 'message-cell' }, outcome.message ?? ''));
}

async function loadFailures(generation, { reset }) {
  if (!isCurrent(generation)) return;
  const query = new URLSearchParams({ status: 'failed', limit: String(FAILURES_PAGE) });
  if (!reset && state.job.failuresNext) query.set('cursor', state.job.failuresNext);
  let page;
  try {
    page = await api(`api/jobs/${encodeURIComponent(state.job.id)}/results?${query}`);
  } catch (e) {
    if (isCurrent(generation) && e.status !== 401) {
      $('failures-empty').hidden = false;
      $('failures-empty').textContent = `The failures cannot be loaded. ${e.message}`;
    }
    return;
  }
  if (!isCurrent(generation)) return;
  const body = $('failures-body');
  if (reset) body.replaceChildren();
  body.append(...(page.items ?? []).map(failureRow));
  state.job.failuresNext = page.next ?? null;
  const total = page.total ?? body.children.length;
  $('failures-count').textContent = total ? `(${fmt(total)})` : '';
  $('failures-table').hidden = body.children.length === 0;
  $('failures-empty').hidden = body.children.length > 0;
  $('failures-empty').textContent = 'No failures.';
  $('failures-more').hidden = !state.job.failuresNext;
}

function openViewer(item) {
  const dialog = $('viewer');
  $('viewer-title').textContent = item.path;
  for (const [id, url] of [['viewer-before', item.before], ['viewer-after', item.after]]) {
    const img = $(id);
    img.removeAttribute('src');
    img.classList.remove('broken');
    loadInto(img, withSize(url, VIEWER_SIZE));
  }
  dialog.showModal();
}

// ---------------------------------------------------------------------------------------------------------------
// Actions

async function cancelJob() {
  const job = state.job;
  if (!job) return;
  $('cancel').disabled = true;
  try {
    const status = await api(`api/jobs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' });
    if (job === state.job) renderStatus(status);
    updateJobRow(status);
  } catch (e) {
    if (e.status === 403) showMessage($('job-error'), forbiddenText('cancel jobs'));
    else if (e.status !== 401) showMessage($('job-error'), `The job cannot be cancelled. ${e.message}`);
    if (job === state.job && job.status) renderStatus(job.status);
  }
}

async function retryFailed() {
  const job = state.job;
  if (!job) return;
  $('retry-failed').disabled = true;
  showMessage($('job-error'), '');
  try {
    const status = await api(`api/jobs/${encodeURIComponent(job.id)}/retry-failed`, { method: 'POST' });
    updateJobRow(status);
    if (job === state.job) {
      renderStatus(status);
      if (!status.isTerminal) follow(job.generation);
    }
  } catch (e) {
    if (e.status === 403) showMessage($('job-error'), forbiddenText('retry jobs'));
    else if (e.status !== 401) showMessage($('job-error'), `The failed images cannot be retried. ${e.message}`);
    if (job === state.job && job.status) renderStatus(job.status);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Start

function start() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    if (key) signIn(key, { fromUser: true });
  });
  $('key-change').addEventListener('click', () => {
    $('auth-panel').hidden = false;
    showMessage($('auth-message'), '');
    $('key').focus();
  });
  $('submit-form').addEventListener('submit', submitJob);
  const showReferenceFields = () => { $('reference-fields').hidden = $('faces').value !== 'reference'; };
  $('faces').addEventListener('change', showReferenceFields);
  $('preview-on').addEventListener('change', () => {
    $('preview').disabled = !$('preview-on').checked;
    if ($('preview-on').checked) $('preview').focus();
  });
  showReferenceFields();
  $('jobs-more').addEventListener('click', () => loadJobs({ reset: false }));
  $('jobs-refresh').addEventListener('click', () => loadJobs({ reset: true }));
  $('failures-more').addEventListener('click', () => state.job && loadFailures(state.job.generation, { reset: false }));
  $('cancel').addEventListener('click', cancelJob);
  $('retry-failed').addEventListener('click', retryFailed);
  $('download-zip').addEventListener('click', download);
  $('download-csv').addEventListener('click', download);
  setUpUploads();
  $('viewer').addEventListener('click', (event) => { if (event.target === $('viewer')) $('viewer').close(); });

  // A link with #key=... pasted into this tab later (no reload) is taken too.
  window.addEventListener('hashchange', () => {
    const key = takeKeyFromFragment();
    if (key) signIn(key, { fromUser: true });
  });

  // The key from `faceswap serve`'s link (#key=...) wins over the one kept for this tab.
  const key = takeKeyFromFragment() || sessionStorage.getItem(KEY_STORAGE);
  if (key) {
    signIn(key);
  } else {
    $('auth-panel').hidden = false;
    $('key').focus();
  }
}

/** The key in the fragment (#key=...), which leaves the address bar (and the history) at once. */
function takeKeyFromFragment() {
  const params = readFragment();
  if (!params.has('key')) return null;
  const key = params.get('key').trim();
  params.delete('key');
  writeFragment(params);
  return key || null;
}

start();

export { EventStreamParser };
