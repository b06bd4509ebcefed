/* The search page (/search/): queries the site's own Pagefind index and draws the results.
   Written instead of Pagefind's default UI, which injects inline styles that the site's
   Content-Security-Policy refuses. Every text shown comes from the page (so each edition's
   template and its OpenCC conversion apply); this file holds no reader-facing words.
   Pagefind picks the index of the page's <html lang>: one index per edition. */

const PAGE_SIZE = 10;
const root = document.querySelector("[data-search]");

function text(name, values) {
  const template = root.querySelector(`[data-message="${name}"]`).textContent.trim();
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

/* Pagefind's excerpt is HTML with <mark> around the matches; keep only text and <mark>,
   parsed in an inert document so nothing in it can run. */
function excerptNodes(html) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html").body.firstChild;
  return Array.from(parsed.childNodes, (node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent);
  });
}

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (content !== undefined) { node.textContent = content; }
  return node;
}

function resultItem(data) {
  const item = element("li", "search-result");
  const heading = element("h2", "search-result-title");
  const link = element("a", "", data.meta.title || data.url);
  link.href = data.url;
  heading.append(link);
  item.append(heading);
  const terms = [...(data.filters.field || []), ...(data.filters.province || [])];
  if (data.meta.date || terms.length) {
    const meta = element("p", "meta");
    if (data.meta.date) { meta.append(element("span", "search-date", data.meta.date)); }
    for (const name of terms) { meta.append(" ", element("span", "tag", name)); }
    item.append(meta);
  }
  const excerpt = element("p", "search-excerpt");
  excerpt.append(...excerptNodes(data.excerpt));
  item.append(excerpt);
  return item;
}

async function start() {
  const form = root.querySelector("form");
  const input = form.querySelector("input[name=q]");
  const selects = Array.from(form.querySelectorAll("select[data-filter]"));
  const status = root.querySelector("[data-search-status]");
  const list = root.querySelector("[data-search-results]");
  const more = root.querySelector("[data-search-more]");
  let shown = [];
  let pending = [];
  let latest = 0;

  root.querySelector("[data-search-nojs]").hidden = true;
  root.querySelector("[data-search-filters]").hidden = false;

  let pagefind;
  try {
    pagefind = await import(`${root.dataset.bundle}pagefind.js`);
    await pagefind.options({ excerptLength: 36 });
    await pagefind.init();
  } catch (error) {
    status.textContent = text("failed", {});
    return;
  }

  function chosenFilters() {
    const filters = {};
    for (const select of selects) {
      if (select.value) { filters[select.dataset.filter] = select.value; }
    }
    return filters;
  }

  function rememberInAddress(query, filters) {
    const params = new URLSearchParams();
    if (query) { params.set("q", query); }
    for (const [name, value] of Object.entries(filters)) { params.set(name, value); }
    const search = params.toString();
    history.replaceState(null, "", search ? `?${search}` : location.pathname);
  }

  async function showMore(focusFirst) {
    const batch = pending.splice(0, PAGE_SIZE);
    const request = latest;
    const data = await Promise.all(batch.map((result) => result.data()));
    if (request !== latest) { return; }
    const items = data.map(resultItem);
    list.append(...items);
    shown = shown.concat(items);
    more.hidden = pending.length === 0;
    if (focusFirst && items.length) { items[0].querySelector("a").focus(); }
  }

  async function run() {
    const query = input.value.trim();
    const filters = chosenFilters();
    const request = ++latest;
    rememberInAddress(query, filters);
    list.replaceChildren();
    shown = [];
    pending = [];
    more.hidden = true;
    if (!query) {
      status.textContent = text("empty", {});
      return;
    }
    status.textContent = text("searching", {});
    const search = await pagefind.search(query, { filters });
    if (request !== latest) { return; }
    pending = search.results;
    status.textContent = pending.length
      ? text("found", { count: pending.length, query })
      : text("none", { query });
    await showMore(false);
  }

  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const select of selects) {
    const wanted = params.get(select.dataset.filter);
    if (wanted && Array.from(select.options).some((option) => option.value === wanted)) {
      select.value = wanted;
    }
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
