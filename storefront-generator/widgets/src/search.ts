// The search results page (/search/?q=…): results from GET /api/v1/search with facets that refine the URL
// (category, price band, option values, availability), a sort, and "Load more" through the cursor.
import type { SearchFacets, SearchResults } from '../../../sdk/typescript/headless-client';
import { api, problemOf, problemText } from '../lib/api';
import { el } from '../lib/dom';
import '../lib/header';
import { formatMoney } from '../lib/money';

const PAGE = 24;
const SORTS: [string, string][] = [['relevance', 'Best match'], ['newest', 'Newest'], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low']];
const BANDS: Record<string, string> = { 'under-10': 'Under 10', '10-25': '10 to 25', '25-50': '25 to 50', '50-100': '50 to 100', '100-and-up': '100 and up' };

const params = new URLSearchParams(location.search);
const q = params.get('q')?.trim() ?? '';
const category = params.get('category') ?? undefined;
const minPrice = params.has('minPrice') ? Number(params.get('minPrice')) : undefined;
const maxPrice = params.has('maxPrice') ? Number(params.get('maxPrice')) : undefined;
const options = params.getAll('option');
const inStock = params.get('inStock') === 'true' ? true : undefined;
const sort = params.get('sort') ?? (q ? 'relevance' : 'newest');

/** This page's URL with some parameters set (null removes them) and the cursor dropped. */
function href(changes: Record<string, string | string[] | null>): string {
  const next = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    next.delete(k);
    if (Array.isArray(v)) v.forEach((x) => next.append(k, x));
    else if (v !== null) next.set(k, v);
  }
  const s = next.toString();
  return '/search/' + (s ? `?${s}` : '');
}

function search(cursor?: string): Promise<SearchResults> {
  return api.searchProducts(q || undefined, category, minPrice, maxPrice, options.length ? options : undefined, undefined, inStock, sort, PAGE, cursor, cursor ? undefined : true);
}

function cards(results: SearchResults): HTMLElement[] {
  return results.items.map((p) => el('li', { class: 'card' },
    el('a', { href: `/products/${encodeURIComponent(p.slug)}/` },
      // Site-relative image paths (the demo catalog's) have no file behind them: a tinted block stands in.
      p.image && /^https?:\/\//.test(p.image.url)
        ? el('img', { src: p.image.url, alt: '', width: '320', height: '320', loading: 'lazy', decoding: 'async' })
        : el('span', { class: 'ph', 'aria-hidden': 'true' }),
      el('span', { class: 'title' }, p.title)),
    el('span', { class: 'meta' },
      el('span', { class: 'price' }, p.priceFrom ? formatMoney(p.priceFrom.amount, p.priceFrom.currency) : ''),
      p.inStock ? null : el('span', { class: 'badge out' }, 'Sold out'))));
}

function facetGroup(title: string, links: { label: string; count: number; on: boolean; href: string }[]): HTMLElement | null {
  if (links.length === 0) return null;
  return el('section', { class: 'facet' },
    el('h2', {}, title),
    el('ul', {}, ...links.map((l) => el('li', {},
      el('a', { href: l.href, 'aria-current': l.on ? 'true' : false, class: l.on ? 'on' : '' },
        el('span', { class: 'box', 'aria-hidden': 'true' }, l.on ? '✓' : ''),
        `${l.label} `, el('span', { class: 'muted' }, `(${l.count})`))))));
}

function facets(f: SearchFacets | null | undefined, currency: string): HTMLElement {
  const nav = el('nav', { class: 'facets', 'aria-label': 'Refine results' });
  if (!f) return nav;
  const band = (min?: number | null, max?: number | null) => (min ?? undefined) === minPrice && (max ?? undefined) === maxPrice;
  const optionGroups = new Map<string, typeof f.options>();
  for (const o of f.options) optionGroups.set(o.name, [...(optionGroups.get(o.name) ?? []), o]);
  nav.append(...[
    facetGroup('Category', f.categories.filter((c) => c.count > 0).map((c) => ({
      label: c.name, count: c.count, on: c.slug === category, href: href({ category: c.slug === category ? null : c.slug }),
    }))),
    facetGroup(`Price (${currency})`, f.priceBands.filter((b) => b.count > 0 || band(b.minPrice, b.maxPrice)).map((b) => ({
      label: BANDS[b.key] ?? b.key, count: b.count, on: band(b.minPrice, b.maxPrice),
      href: band(b.minPrice, b.maxPrice) ? href({ minPrice: null, maxPrice: null }) : href({ minPrice: b.minPrice?.toString() ?? null, maxPrice: b.maxPrice?.toString() ?? null }),
    }))),
    ...Array.from(optionGroups, ([name, values]) => facetGroup(name[0].toUpperCase() + name.slice(1), values.map((o) => {
      const key = `${o.name}:${o.value}`;
      const on = options.includes(key);
      return { label: o.value, count: o.count, on, href: href({ option: on ? options.filter((x) => x !== key) : [...options, key] }) };
    }))),
    facetGroup('Availability', [{ label: 'In stock', count: f.availability.inStock, on: inStock === true, href: href({ inStock: inStock ? null : 'true' }) }]),
  ].filter((x): x is HTMLElement => x !== null));
  return nav;
}

function sortControl(): HTMLElement {
  const select = el('select', { id: 'sort', name: 'sort' }, ...SORTS.filter(([key]) => q || key !== 'relevance')
    .map(([key, label]) => el('option', { value: key, selected: key === sort }, label)));
  select.addEventListener('change', () => location.assign(href({ sort: select.value })));
  return el('p', { class: 'sort' }, el('label', { for: 'sort' }, 'Sort by '), select);
}

/** "1 result", "37 results", or "1,000+ results" when the API stopped counting at its cap. */
function resultCount(results: SearchResults): string {
  const n = results.total.toLocaleString('en');
  return results.totalIsLowerBound ? `${n}+ results` : `${n} ${results.total === 1 ? 'result' : 'results'}`;
}

async function render(root: HTMLElement): Promise<void> {
  if (!q && !category && options.length === 0 && minPrice === undefined && maxPrice === undefined && !inStock) return; // the static hint stays
  root.setAttribute('aria-busy', 'true');
  try {
    const first = await search();
    const currency = first.items[0]?.priceFrom?.currency ?? 'EUR';
    const heading = el('p', { class: 'summary', 'data-search-summary': true },
      resultCount(first), q ? ` for “${first.query ?? q}”` : '');
    const corrected = first.corrected && first.query ? el('p', { class: 'note' }, `Showing results for “${first.query}” (you typed “${q}”).`) : null;
    const grid = el('ul', { class: 'grid', 'data-results': true }, ...cards(first));
    const more = el('button', { type: 'button', class: 'more' }, 'Load more');
    const message = el('p', { class: 'alert', role: 'alert', hidden: true });
    let cursor = first.nextCursor ?? undefined;
    more.hidden = !cursor;
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const next = await search(cursor);
        grid.append(...cards(next));
        cursor = next.nextCursor ?? undefined;
        more.hidden = !cursor;
        message.hidden = true;
      } catch (e) {
        message.textContent = problemText(problemOf(e));
        message.hidden = false;
      } finally {
        more.disabled = false;
      }
    });
    const empty = first.items.length === 0 ? el('p', {}, 'Nothing matches. Try fewer words or remove a filter.') : null;
    root.replaceChildren(heading, ...(corrected ? [corrected] : []),
      el('div', { class: 'results' }, facets(first.facets, currency), el('div', {}, sortControl(), empty ?? grid, message, more)));
    document.title = q ? `Search: ${q} · ${document.title.split(' · ').pop()}` : document.title;
  } catch (e) {
    root.replaceChildren(el('p', { class: 'alert', role: 'alert' }, problemText(problemOf(e))));
  } finally {
    root.removeAttribute('aria-busy');
  }
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="search-results"]')) void render(root);
const pageBox = document.querySelector<HTMLInputElement>('#search-q');
if (pageBox && !pageBox.value) pageBox.value = q;
