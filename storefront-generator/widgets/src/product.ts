// Product pages: live price and stock (the static page shows both as of the last build; this asks the API,
// GET /api/v1/products/{slug} from its cache with an ETag, on load, every few seconds while the page is
// visible and when the tab comes back) and add to cart for the chosen variant.
import { live, problemOf, problemText } from '../lib/api';
import { addToCart } from '../lib/cart';
import { el, say } from '../lib/dom';
import '../lib/header';
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
  // A choice that just sold out moves to the first variant still in stock.
  const checked = root.querySelector<HTMLInputElement>('input[name="sku"]:checked');
  if (checked?.disabled) {
    const next = root.querySelector<HTMLInputElement>('input[name="sku"]:not(:disabled)');
    if (next) next.checked = true;
  }
  const button = root.querySelector<HTMLButtonElement>('[data-add-button]');
  if (button) {
    button.disabled = !p.inStock;
    setText(button, p.inStock ? 'Add to cart' : 'Sold out');
  }
  root.dataset.inStock = String(p.inStock);
  root.dataset.live = 'true';
}

function setText(el: Element | null, text: string): void {
  if (el && el.textContent !== text) el.textContent = text;
}

async function refresh(root: HTMLElement): Promise<void> {
  const slug = root.dataset.productSlug;
  if (!slug) return;
  try {
    apply(root, await live.getProduct(slug));
  } catch {
    // Offline or the product just went away: the static page stays as it is until the next try.
  }
}

function addToCartForm(form: HTMLFormElement): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sku = form.querySelector<HTMLInputElement>('input[name="sku"]:checked')?.value;
    const quantity = Number((form.elements.namedItem('quantity') as HTMLInputElement | null)?.value ?? '1') || 1;
    const button = form.querySelector<HTMLButtonElement>('[data-add-button]');
    if (!sku) {
      say(form, 'Choose an option first.');
      return;
    }
    if (button) button.disabled = true;
    try {
      const cart = await addToCart(sku, quantity);
      const box = form.querySelector<HTMLElement>('[data-message]');
      if (box) {
        box.replaceChildren(`Added to your cart (${cart.totals.itemCount} ${cart.totals.itemCount === 1 ? 'item' : 'items'}). `, el('a', { href: '/cart/' }, 'View cart'));
        box.hidden = false;
        box.classList.add('ok');
      }
    } catch (e) {
      say(form, problemText(problemOf(e)));
    } finally {
      // The live refresh decides whether the product can still be bought.
      if (button) button.disabled = form.closest<HTMLElement>('[data-widget="product"]')?.dataset.inStock === 'false';
    }
  });
}

for (const form of document.querySelectorAll<HTMLFormElement>('form[data-widget="add-to-cart"]')) addToCartForm(form);

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="product"]')) {
  void refresh(root);
  setInterval(() => {
    if (document.visibilityState === 'visible') void refresh(root);
  }, REFRESH_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refresh(root);
  });
}
