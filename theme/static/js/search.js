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
   characters, and U+3000 is taken out of index text before it is shown. */

const PAGE_SIZE = 10;
const EXCERPT_LENGTH = 36;
const HAN = "\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF\\u{20000}-\\u{2FA1F}";
const HAN_CHARACTER = new RegExp(`[${HAN}]`, "gu");
const HAS_HAN = new RegExp(`[${HAN}]`, "u");
const SEPARATOR = "\u3000";
const root = document.querySelector("[data-search]");

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
   neighbouring characters become one. */
function excerptNodes(html) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html").body.firstChild;
  const characters = [];
  for (const node of parsed.childNodes) {
    const marked = node.nodeName === "MARK";
    for (const character of readable(node.textContent)) { characters.push({ character, marked }); }
  }
  const isHan = (i) => i >= 0 && i < characters.length && HAS_HAN.test(characters[i].character);
  const runs = [];
  characters.forEach(({ character, marked }, i) => {
    if (character === " " && (isHan(i - 1) || isHan(i + 1))) { return; }
    const last = runs[runs.length - 1];
    if (last && last.marked === marked) { last.text += character; } else { runs.push({ text: character, marked }); }
  });
  return runs.map(({ text, marked }) => (marked ? element("mark", "", text) : document.createTextNode(text)));
}

function resultItem(data) {
  const item = element("li", "search-result");
  const heading = element("h2", "search-result-title");
  const link = element("a", "", readable(data.meta.title || data.url));
  link.href = data.url;
  heading.append(link);
  item.append(heading);
  const terms = [...(data.filters.field || []), ...(data.filters.province || [])];
  if (data.meta.date || terms.length) {
    const meta = element("p", "meta");
    if (data.meta.date) { meta.append(element("span", "search-date", readable(data.meta.date))); }
    for (const name of terms) { meta.append(" ", element("span", "tag", readable(name))); }
    item.append(meta);
  }
  const excerpt = element("p", "search-excerpt");
  excerpt.append(...excerptNodes(data.excerpt));
  item.append(excerpt);
  return item;
}

/* Pages with every keyword; a Chinese keyword must appear as written, not as scattered
   characters. Pagefind scores only its ordinary search, so that search gives the order. */
async function find(pagefind, query, filters) {
  const keywords = query.split(/\s+/).filter(Boolean);
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
   its pagefind-entry.json may be cached; the list itself is always checked with the server. */
async function loadIndex(bundle, lang) {
  const response = await fetch(`${bundle}shards.json`, { cache: "no-cache" });
  if (!response.ok) { throw new Error(`${response.status} ${response.url}`); }
  const [primary, ...merged] = (await response.json())[lang];
  const pagefind = await import(`${bundle}${primary.path}pagefind.js`);
  await pagefind.options({ excerptLength: EXCERPT_LENGTH, metaCacheTag: primary.tag });
  await pagefind.init();
  await Promise.all(merged.map((shard) => pagefind.mergeIndex(
    `${bundle}${shard.path}`, { excerptLength: EXCERPT_LENGTH, metaCacheTag: shard.tag })));
  return pagefind;
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

  let pagefind;
  try {
    pagefind = await loadIndex(root.dataset.bundle, document.documentElement.lang.toLowerCase());
  } catch (error) {
    status.textContent = message("failed", {});
    return;
  }

  function chosenFilters() {
    const filters = {};
    for (const select of selects) {
      if (select.value) { filters[select.dataset.filter] = indexed(select.value); }
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
    const items = data.map(resultItem);
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
      const results = await find(pagefind, query, chosenFilters());
      if (request !== latest) { return; }
      pending = results;
      status.textContent = results.length
        ? message("found", { count: results.length, query })
        : message("none", { query });
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
