// The cart page: lines with quantity and remove, discount code, destination country for the shipping and
// tax estimate, and totals, over /api/v1/carts. /cart/?sku=…&quantity=… (the product form without its
// widget) adds that line first.
import { Cart, SetCartLineRequest } from '../../../sdk/typescript/headless-client';
import { api, problemOf, problemText } from '../lib/api';
import { addToCart, cartRef, loadCart, remember } from '../lib/cart';
import { countryOptions } from '../lib/countries';
import { el, say } from '../lib/dom';
import '../lib/header';
import { money, totalsTable, update } from '../lib/totals';

function render(root: HTMLElement, cart: Cart | null): void {
  if (!cart || cart.lines.length === 0) {
    root.replaceChildren(el('p', {}, 'Your cart is empty.'), el('p', {}, el('a', { class: 'button', href: '/' }, 'Continue shopping')));
    return;
  }
  const ref = cartRef()!;
  const message = el('p', { class: 'alert', 'data-message': true, role: 'alert', hidden: true });
  const act = async (run: () => Promise<Cart>) => {
    root.setAttribute('aria-busy', 'true');
    try {
      const next = remember(await run());
      render(root, next);
      root.querySelector<HTMLElement>('[data-cart-status]')!.textContent = 'Cart updated.';
    } catch (e) {
      say(root, problemText(problemOf(e)));
    } finally {
      root.removeAttribute('aria-busy');
    }
  };

  const lines = el('ul', { class: 'lines' }, ...cart.lines.map((line) => {
    const qtyId = `qty-${line.sku}`;
    const qty = el('input', { id: qtyId, type: 'number', min: '0', max: '999', value: String(line.quantity), inputmode: 'numeric' });
    qty.addEventListener('change', () => {
      const quantity = Math.max(0, Math.trunc(Number(qty.value) || 0));
      void act(() => api.setCartLine(ref, line.sku, new SetCartLineRequest({ quantity })));
    });
    const remove = el('button', { type: 'button', class: 'link', 'aria-label': `Remove ${line.title}` }, 'Remove');
    remove.addEventListener('click', () => void act(() => api.removeCartLine(ref, line.sku)));
    return el('li', { class: 'line', 'data-line': line.sku },
      el('div', {},
        el('a', { href: `/products/${encodeURIComponent(line.productSlug)}/` }, line.title),
        el('div', { class: 'muted' }, `${line.variantTitle} · ${money(line.unitPrice)} each`),
        line.purchasable ? null : el('div', { class: 'badge out' }, line.available > 0 ? `Only ${line.available} left` : 'Sold out')),
      el('div', { class: 'qty' }, el('label', { for: qtyId }, 'Quantity'), qty),
      el('span', { class: 'price' }, money(line.lineTotal)),
      remove);
  }));

  const issues = cart.issues.length ? el('ul', { class: 'alert issues' }, ...cart.issues.map((i) => el('li', {}, i.message))) : null;

  const country = el('select', { id: 'cart-country', name: 'country', autocomplete: 'country' });
  countryOptions(country, cart.country);
  country.addEventListener('change', () => void act(() => api.updateCart(ref, update({ country: country.value }))));
  const methods = cart.country && cart.shippingOptions.length
    ? el('fieldset', { class: 'methods' }, el('legend', {}, 'Shipping'), ...cart.shippingOptions.map((o) => {
      const radio = el('input', { type: 'radio', name: 'shipping', value: o.code, checked: o.code === cart.shippingMethod });
      radio.addEventListener('change', () => void act(() => api.updateCart(ref, update({ shippingMethod: o.code }))));
      return el('label', { class: 'variant' }, radio, el('span', {}, o.name), el('span', {}, money(o.price)));
    }))
    : null;

  if (cart.country && !cart.shippingMethod && cart.shippingOptions.length > 0) {
    void act(() => api.updateCart(ref, update({ shippingMethod: cart.shippingOptions[0].code })));
  }

  const code = el('input', { id: 'discount-code', name: 'discountCode', autocomplete: 'off', value: cart.discount?.code ?? '' });
  const discount = el('form', { class: 'row discount' },
    el('div', {}, el('label', { for: 'discount-code' }, 'Discount code'), code),
    el('button', { type: 'submit' }, cart.discount ? 'Update' : 'Apply'));
  discount.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(() => api.updateCart(ref, update({ discountCode: code.value.trim() })));
  });

  root.replaceChildren(...[
    message,
    el('p', { class: 'sr', role: 'status', 'data-cart-status': true }),
    lines,
    issues,
    el('div', { class: 'stack' }, el('label', { for: 'cart-country' }, 'Ship to'), country),
    methods,
    discount,
    cart.discount ? el('p', { class: 'muted' }, `Code ${cart.discount.code}: −${money(cart.discount.amount)}`) : null,
    totalsTable(cart.totals, cart.country),
    el('p', {}, el('a', { class: 'button', href: '/checkout/' }, 'Check out')),
  ].filter((n): n is HTMLElement => n !== null));
}

async function start(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search);
  try {
    const sku = params.get('sku');
    if (sku) {
      history.replaceState(null, '', '/cart/');
      await addToCart(sku, Math.max(1, Number(params.get('quantity')) || 1));
    }
    render(root, await loadCart());
  } catch (e) {
    root.replaceChildren(el('p', { class: 'alert', role: 'alert' }, problemText(problemOf(e))));
  }
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="cart"]')) void start(root);
