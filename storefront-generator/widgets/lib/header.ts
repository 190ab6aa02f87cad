// The header on every page: the search box with type-ahead suggestions (an ARIA 1.2 combobox with a
// listbox popup) and the mini cart's item count.
import { api } from './api';
import { cachedCount, cartRef, loadCart, showCount } from './cart';
import { el } from './dom';

const DEBOUNCE_MS = 120;

interface Suggestion {
  label: string;
  hint: string;
  href: string;
}

async function suggestions(q: string): Promise<Suggestion[]> {
  const s = await api.suggestSearch(q, 6);
  return [
    ...s.queries.map((text) => ({ label: text, hint: 'Search', href: `/search/?q=${encodeURIComponent(text)}` })),
    ...s.products.map((p) => ({ label: p.title, hint: p.inStock ? 'Product' : 'Product · sold out', href: `/products/${encodeURIComponent(p.slug)}/` })),
    ...s.categories.map((c) => ({ label: c.name, hint: 'Category', href: `/categories/${encodeURIComponent(c.slug)}/` })),
  ];
}

export function searchBox(form: HTMLFormElement): void {
  const input = form.querySelector<HTMLInputElement>('input[name="q"]');
  if (!input) return;
  const listId = `${input.id || 'q'}-suggestions`;
  const list = el('ul', { id: listId, role: 'listbox', class: 'suggest', 'aria-label': 'Suggestions', hidden: true });
  form.append(list);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listId);
  const current = new URLSearchParams(location.search).get('q');
  if (current && location.pathname === '/search/' && !input.value) input.value = current;

  let items: Suggestion[] = [];
  let active = -1;
  let timer = 0;
  let asked = 0;

  const options = () => Array.from(list.children) as HTMLElement[];

  function close(): void {
    list.hidden = true;
    input!.setAttribute('aria-expanded', 'false');
    input!.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index: number): void {
    active = index;
    options().forEach((o, i) => o.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) input!.setAttribute('aria-activedescendant', `${listId}-${index}`);
    else input!.removeAttribute('aria-activedescendant');
  }

  function show(found: Suggestion[]): void {
    items = found;
    list.replaceChildren(...found.map((s, i) => {
      const option = el('li', { id: `${listId}-${i}`, role: 'option', 'aria-selected': 'false' }, el('span', {}, s.label), ' ', el('span', { class: 'muted' }, s.hint));
      // mousedown, not click: it comes before the input's blur closes the list.
      option.addEventListener('mousedown', (e) => {
        e.preventDefault();
        location.assign(s.href);
      });
      return option;
    }));
    active = -1;
    input!.removeAttribute('aria-activedescendant');
    if (found.length === 0) {
      close();
      return;
    }
    list.hidden = false;
    input!.setAttribute('aria-expanded', 'true');
  }

  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) {
      close();
      return;
    }
    timer = window.setTimeout(async () => {
      const ticket = ++asked;
      try {
        const found = await suggestions(q);
        if (ticket === asked && input.value.trim() === q) show(found);
      } catch {
        if (ticket === asked) close(); // suggestions are a nicety: the form still searches
      }
    }, DEBOUNCE_MS);
  });

  input.addEventListener('keydown', (e) => {
    const open = !list.hidden && items.length > 0;
    switch (e.key) {
      case 'ArrowDown':
        if (!open) return;
        e.preventDefault();
        highlight((active + 1) % items.length);
        break;
      case 'ArrowUp':
        if (!open) return;
        e.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
        break;
      case 'Enter':
        if (open && active >= 0) {
          e.preventDefault();
          location.assign(items[active].href);
        }
        break;
      case 'Escape':
        if (open) {
          e.preventDefault();
          close();
        } else {
          input.value = '';
        }
        break;
    }
  });
  input.addEventListener('blur', close);
}

export function miniCart(): void {
  showCount(cachedCount());
  if (cartRef()) void loadCart().catch(() => { /* the count stays as last seen */ });
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="search-box"]')) searchBox(form);
miniCart();
