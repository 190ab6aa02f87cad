// Live price and stock on product pages. The static page already shows both as of the last build; this
// asks the API (GET /api/v1/products/{slug}, served from the API's cache with an ETag) on load, every few
// seconds while the page is visible, and when the tab comes back, and updates the page in place.
import { api } from '../lib/api';
import { formatMoney } from '../lib/money';
import type { ProductDetail } from '../../../sdk/typescript/headless-client';

const REFRESH_MS = 5000;

function stockText(p: ProductDetail): string {
  const available = p.variants.filter((v) => v.inStock).reduce((n, v) => n + v.available, 0);
  if (available === 0) return 'Sold out';
  if (available <= 5) return `Only ${available} left`;
  return 'In stock';
}

function apply(root: HTMLElement, p: ProductDetail): void {
  const variants = p.variants.filter((v) => v.status === 'active');
  if (variants.length > 0) {
    const min = variants.reduce((a, b) => (b.price.amount < a.price.amount ? b : a));
    const from = variants.some((v) => v.price.amount !== min.price.amount) ? 'From ' : '';
    setText(root.querySelector('[data-price]'), from + formatMoney(min.price.amount, min.price.currency));
  }
  const stock = root.querySelector<HTMLElement>('[data-stock]');
  if (stock) {
    setText(stock, stockText(p));
    stock.classList.toggle('in', p.inStock);
    stock.classList.toggle('out', !p.inStock);
  }
  for (const v of variants) {
    setText(root.querySelector(`[data-variant-price="${CSS.escape(v.sku)}"]`), formatMoney(v.price.amount, v.price.currency));
    setText(root.querySelector(`[data-variant-stock="${CSS.escape(v.sku)}"]`), v.inStock ? (v.available <= 5 ? `Only ${v.available} left` : 'In stock') : 'Sold out');
    const radio = root.querySelector<HTMLInputElement>(`input[name="sku"][value="${CSS.escape(v.sku)}"]`);
    if (radio) radio.disabled = !v.inStock;
  }
  const button = root.querySelector<HTMLButtonElement>('[data-add-button]');
  if (button) {
    button.disabled = !p.inStock;
    setText(button, p.inStock ? 'Add to cart' : 'Sold out');
  }
  root.dataset.live = 'true';
}

function setText(el: Element | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}

async function refresh(root: HTMLElement): Promise<void> {
  const slug = root.dataset.productSlug;
  if (!slug) return;
  try {
    apply(root, await api.getProduct(slug));
  } catch {
    // Offline or the product just went away: the static page stays as it is until the next try.
  }
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="product"]')) {
  void refresh(root);
  setInterval(() => {
    if (document.visibilityState === 'visible') void refresh(root);
  }, REFRESH_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh(root);
  });
}
