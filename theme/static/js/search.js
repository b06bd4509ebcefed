/* The search page (/search/): queries the site's own Pagefind index and draws the results.
   Written instead of Pagefind's default UI, which injects inline styles that the site's
   Content-Security-Policy refuses. Every text shown comes from the page (so each edition's
   template and its OpenCC conversion apply); this file holds no reader-facing words.
   Each edition's index is a set of shards, Pagefind bundles of at most a few hundred pages
   (plugins/search/shards.py), listed in the bundle's shards.json under the edition's
   <html lang>. The first is loaded as Pagefind's primary index (its pagefind.js, worker and
   WebAssembly, fetched once) and the others are merged into it: every search runs on all of
   them and the results come back ranked together.

   Chinese is indexed one character per word, set apart with U+3000 (see
   plugins/search/indexing.py for why): a Chinese keyword is searched as an exact phrase of its
   characters, and U+3000 is taken out of index text before it is shown.

   The index is in simplified characters and serves both scripts (plugins/search/scripts.py):
   a query's Traditional characters are made simplified, and the Traditional edition, listed
   under "converted", shows each result at its own address, in Traditional characters: OpenCC's
   default form of each character, corrected by the result's own fixes. */

const PAGE_SIZE = 10;
const EXCERPT_LENGTH = 36;
const HAN = "\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\u{20000}-\\u{2FA1F}";
const HAN_CHARACTER = new RegExp(`[${HAN}]`, "gu");
const HAS_HAN = new RegExp(`[${HAN}]`, "u");
const SEPARATOR = "\u3000";
const root = document.querySelector("[data-search]");

/* OpenCC's tables, one character at a time: {t2s: Map, s2t: Map}; fetched for the first Chinese query. */
let tables = null;

async function loadTables(url) {
  if (!tables) {
    const response = await fetch(url);
    if (!response.ok) { throw new Error(`${response.status} ${response.url}`); }
    const lists = await response.json();
    tables = Object.fromEntries(Object.entries(lists).map(([name, [from, into]]) => (
      [name, new Map(Array.from(from, (character, i) => [character, into[i]]))])));
  }
  return tables;
}

function converted(text, table) {
  return text.replace(HAN_CHARACTER, (character) => table.get(character) ?? character);
}

/* Simplified text in Traditional characters. Every table entry is one UTF-16 unit each way,
   so a fix's place in the simplified text is its place in the converted one. */
function traditional(text, fixes) {
  const units = converted(text, tables.s2t).split("");
  for (const [context, into] of fixes) {
    for (let at = text.indexOf(context); at >= 0; at = text.indexOf(context, at + 1)) {
      units.splice(at, into.length, ...into.split(""));
    }
  }
  return units.join("");
}

/* How results are shown on this edition: as indexed, or converted (the Traditional edition). */
function presentation(lang, conversion, selects) {
  if (!conversion) {
    return { lang, url: (url) => url, text: (text) => text, tag: (name) => name, filterValue: (name) => name };
  }
  // A tag as this page's own filter option names it (converted with the whole page by OpenCC).
  const options = new Map();
  for (const select of selects) {
    for (const option of select.options) {
      if (option.value) { options.set(converted(option.value, tables.t2s), option.value); }
    }
  }
  return {
    lang,
    url: (url) => `/${conversion.folder}${url.replace(/^\//, "")}`,
    text: (text, fixes) => traditional(text, fixes),
    tag: (name) => options.get(name) ?? traditional(name, []),
    filterValue: (name) => converted(name, tables.t2s),
  };
}

/* A keyword as a query of single characters. */
function spaced(text) {
  return text.replace(HAN_CHARACTER, " $& ").replace(/ {2,}/g, " ").trim();
}

/* A name as the index holds it (spaced_text() in indexing.py), for filters. */
function indexed(text) {
  return text.replace(HAN_CHARACTER, `${SEPARATOR}$&${SEPARATOR}`)
    .replace(/\u3000{2,}/g, SEPARATOR).replace(/^\u3000|\u3000$/g, "");
}

/* Index text as written. Pagefind's stored text has a space and U+200B for each separator. */
function readable(text) {
  return text.replace(/[\u3000\u200B]/g, "");
}

function message(name, values) {
  const template = root.querySelector(`[data-message="${name}"]`).textContent.trim();
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (content !== undefined) { node.textContent = content; }
  return node;
}

/* Pagefind's excerpt is HTML with <mark> around the matched words, its spaces all plain ones:
   a space beside a Han character is taken for a separator and dropped. It is parsed in an
   inert document and rebuilt from its text alone, so nothing in it can run; the marks of
   neighbouring characters become one. `shown` converts the whole text at once, so that a
   fix whose context crosses a mark applies. */
function excerptNodes(html, shown) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html").body.firstChild;
  const characters = [];
  for (const node of parsed.childNodes) {
    const marked = node.nodeName === "MARK";
    for (const character of readable(node.textContent)) { characters.push({ character, marked }); }
  }
  const isHan = (i) => i >= 0 && i < characters.length && HAS_HAN.test(characters[i].character);
  const kept = characters.filter(({ character }, i) => !(character === " " && (isHan(i - 1) || isHan(i + 1))));
  const shownCharacters = Array.from(shown(kept.map(({ character }) => character).join("")));
  const runs = [];
  kept.forEach(({ marked }, i) => {
    const last = runs[runs.length - 1];
    const character = shownCharacters[i];
    if (last && last.marked === marked) { last.text += character; } else { runs.push({ text: character, marked }); }
  });
  return runs.map(({ text, marked }) => (marked ? element("mark", "", text) : document.createTextNode(text)));
}

function resultItem(data, shown) {
  const fixes = (data.meta.fixes && JSON.parse(data.meta.fixes)[shown.lang]) || [];
  const text = (value) => shown.text(readable(value), fixes);
  const item = element("li", "search-result");
  const heading = element("h2", "search-result-title");
  const link = element("a", "", data.meta.title ? text(data.meta.title) : shown.url(data.url));
  link.href = shown.url(data.url);
  heading.append(link);
  item.append(heading);
  const terms = [...(data.filters.field || []), ...(data.filters.province || [])];
  if (data.meta.date || terms.length) {
    const meta = element("p", "meta");
    if (data.meta.date) { meta.append(element("span", "search-date", text(data.meta.date))); }
    for (const name of terms) { meta.append(" ", element("span", "tag", shown.tag(readable(name)))); }
    item.append(meta);
  }
  const excerpt = element("p", "search-excerpt");
  excerpt.append(...excerptNodes(data.excerpt, (excerptText) => shown.text(excerptText, fixes)));
  item.append(excerpt);
  return item;
}

/* Pages with every keyword; a Chinese keyword must appear as written, not as scattered
   characters. Pagefind scores only its ordinary search, so that search gives the order. */
async function find(pagefind, query, filters) {
  const keywords = (tables ? converted(query, tables.t2s) : query).split(/\s+/).filter(Boolean);
  const ranked = await pagefind.search(keywords.map(spaced).join(" "), { filters });
  let results = ranked.results;
  for (const keyword of keywords.filter((word) => HAS_HAN.test(word))) {
    const exact = await pagefind.search(`"${spaced(keyword)}"`, { filters });
    const byId = new Map(exact.results.map((result) => [result.id, result]));
    // The phrase search's own result, whose excerpt marks the phrase rather than its characters.
    results = results.filter((result) => byId.has(result.id)).map((result) => byId.get(result.id));
  }
  return results;
}

/* The edition's shards as one index. A shard's tag changes whenever it is indexed again, so
   its pagefind-entry.json may be cached; the list itself is always checked with the server.
   Returns the index, how this edition is searched through another's (or undefined), and the
   address of the character tables. */
async function loadIndex(bundle, lang) {
  const response = await fetch(`${bundle}shards.json`, { cache: "no-cache" });
  if (!response.ok) { throw new Error(`${response.status} ${response.url}`); }
  const manifest = await response.json();
  const conversion = manifest.converted[lang];
  const [primary, ...merged] = manifest.indexes[conversion ? conversion.index : lang];
  const pagefind = await import(`${bundle}${primary.path}pagefind.js`);
  await pagefind.options({ excerptLength: EXCERPT_LENGTH, metaCacheTag: primary.tag });
  await pagefind.init();
  await Promise.all(merged.map((shard) => pagefind.mergeIndex(
    `${bundle}${shard.path}`, { excerptLength: EXCERPT_LENGTH, metaCacheTag: shard.tag })));
  return { pagefind, conversion, characters: `${bundle}${manifest.characters}` };
}

async function start() {
  const form = root.querySelector("form");
  const input = form.querySelector("input[name=q]");
  const selects = Array.from(form.querySelectorAll("select[data-filter]"));
  const status = root.querySelector("[data-search-status]");
  const list = root.querySelector("[data-search-results]");
  const more = root.querySelector("[data-search-more]");
  let pending = [];
  let latest = 0;

  root.querySelector("[data-search-nojs]").hidden = true;
  root.querySelector("[data-search-filters]").hidden = false;

  let index;
  let shown;
  try {
    const lang = document.documentElement.lang.toLowerCase();
    index = await loadIndex(root.dataset.bundle, lang);
    if (index.conversion) { await loadTables(index.characters); }
    shown = presentation(lang, index.conversion, selects);
  } catch (error) {
    status.textContent = message("failed", {});
    return;
  }

  function chosenFilters() {
    const filters = {};
    for (const select of selects) {
      if (select.value) { filters[select.dataset.filter] = indexed(shown.filterValue(select.value)); }
    }
    return filters;
  }

  function rememberInAddress(query) {
    const params = new URLSearchParams();
    if (query) { params.set("q", query); }
    for (const select of selects) {
      if (select.value) { params.set(select.dataset.filter, select.value); }
    }
    const search = params.toString();
    history.replaceState(null, "", search ? `?${search}` : location.pathname);
  }

  async function showMore(focusFirst) {
    const request = latest;
    const batch = pending.splice(0, PAGE_SIZE);
    const data = await Promise.all(batch.map((result) => result.data()));
    if (request !== latest) { return; }
    const items = data.map((result) => resultItem(result, shown));
    list.append(...items);
    more.hidden = pending.length === 0;
    // Keyboard readers continue from the first new result rather than from the button.
    if (focusFirst && items.length) { items[0].querySelector("a").focus(); }
  }

  async function run() {
    const query = input.value.trim();
    const request = ++latest;
    rememberInAddress(query);
    list.replaceChildren();
    pending = [];
    more.hidden = true;
    if (!query) {
      status.textContent = message("empty", {});
      return;
    }
    list.setAttribute("aria-busy", "true");
    status.textContent = message("searching", {});
    try {
      if (HAS_HAN.test(query)) { await loadTables(index.characters); }
      const results = await find(index.pagefind, query, chosenFilters());
      if (request !== latest) { return; }
      pending = results;
      // One result is said apart: English has "1 result", not "1 results".
      const found = results.length === 1 ? "found-one" : "found";
      status.textContent = results.length ? message(found, { count: results.length, query }) : message("none", { query });
      await showMore(false);
    } catch (error) {
      // A part of the index could not be fetched (the connection dropped, say).
      status.textContent = message("failed", {});
    }
    if (request === latest) { list.setAttribute("aria-busy", "false"); }
  }

  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const select of selects) {
    const wanted = params.get(select.dataset.filter);
    if (Array.from(select.options).some((option) => option.value === wanted)) { select.value = wanted; }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  for (const select of selects) { select.addEventListener("change", run); }
  more.addEventListener("click", () => showMore(true));

  if (input.value) { run(); }
}

if (root) { start(); }
