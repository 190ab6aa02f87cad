// Checkout (/checkout/): address and email, a shipping method priced by the cart, then payment — a TEST-MODE
// card form with the built-in test provider, Stripe's Payment Element with Stripe — and the confirmation page
// (/checkout/confirmation/#order=<id>), which reads the order with its X-Order-Token. The order token stays
// in sessionStorage and the URL fragment: never in a query string, so it reaches no server log or Referer.
import {
  Cart, CheckoutAddress, CheckoutRequest, CheckoutResult, Order, PaymentSession, TestCardRequest,
} from '../../../sdk/typescript/headless-client';
import { apiWith, api, problemOf, problemText } from '../lib/api';
import { cartRef, forgetGuestCart, loadCart, remember, showCount, signedIn } from '../lib/cart';
import { countryOptions } from '../lib/countries';
import { el, field, newKey, say } from '../lib/dom';
import '../lib/header';
import { money, totalsTable, update } from '../lib/totals';

const ATTEMPT = 'hl.checkoutAttempt';
const ORDERS = 'hl.orderTokens';
const PENDING = 'hl.pendingCheckout';

const session = {
  get<T>(key: string): T | null {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? 'null') as T | null;
    } catch {
      return null;
    }
  },
  set(key: string, value: unknown): void {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
    } catch { /* storage off: this tab just forgets */ }
  },
};

function rememberOrder(id: string, token: string): void {
  session.set(ORDERS, { ...session.get<Record<string, string>>(ORDERS), [id]: token });
}

function orderToken(id: string): string | null {
  return session.get<Record<string, string>>(ORDERS)?.[id] ?? null;
}

const labelled = (id: string, label: string, attrs: Record<string, string | boolean>) =>
  [el('label', { for: id }, label), el('input', { id, name: id, ...attrs })];

// ---- step 1: address and shipping ---------------------------------------------------------------------

function addressForm(root: HTMLElement, cart: Cart): void {
  const ref = cartRef()!;
  const country = el('select', { id: 'country', name: 'country', autocomplete: 'country', required: true });
  countryOptions(country, cart.country);
  const methods = el('fieldset', { class: 'methods', 'data-methods': true });
  const totals = el('div', { 'data-totals-box': true });
  const form = el('form', { class: 'stack', novalidate: true },
    el('p', { class: 'alert', 'data-message': true, role: 'alert', hidden: true }),
    el('h2', {}, 'Contact'),
    ...labelled('email', signedIn() ? 'Email (leave empty to use your account’s)' : 'Email', { type: 'email', autocomplete: 'email', required: !signedIn() }),
    el('h2', {}, 'Shipping address'),
    ...labelled('fullName', 'Full name', { autocomplete: 'name', required: true }),
    ...labelled('line1', 'Address', { autocomplete: 'address-line1', required: true }),
    ...labelled('line2', 'Address line 2 (optional)', { autocomplete: 'address-line2' }),
    ...labelled('postalCode', 'Postal code', { autocomplete: 'postal-code', required: true }),
    ...labelled('city', 'City', { autocomplete: 'address-level2', required: true }),
    ...labelled('region', 'State or region (optional)', { autocomplete: 'address-level1' }),
    el('label', { for: 'country' }, 'Country'), country,
    ...labelled('phone', 'Phone (optional)', { type: 'tel', autocomplete: 'tel' }),
    methods,
    totals,
    el('button', { type: 'submit' }, 'Continue to payment'));

  let current = cart;
  const show = (c: Cart) => {
    current = c;
    methods.replaceChildren(el('legend', {}, 'Shipping method'));
    if (!c.country) methods.append(el('p', { class: 'muted' }, 'Choose a country to see the shipping options.'));
    else if (c.shippingOptions.length === 0) methods.append(el('p', {}, 'We cannot ship to this country yet.'));
    for (const o of c.shippingOptions) {
      const radio = el('input', { type: 'radio', name: 'shippingMethod', value: o.code, checked: o.code === c.shippingMethod });
      radio.addEventListener('change', () => void change({ shippingMethod: o.code }));
      methods.append(el('label', { class: 'variant' }, radio, el('span', {}, o.name), el('span', {}, money(o.price))));
    }
    totals.replaceChildren(totalsTable(c.totals, c.country));
    // The first option the API lists until the shopper picks another, so the totals include shipping.
    if (c.country && !c.shippingMethod && c.shippingOptions.length > 0) void change({ shippingMethod: c.shippingOptions[0].code });
  };
  const change = async (changes: Parameters<typeof update>[0]) => {
    try {
      show(remember(await api.updateCart(ref, update(changes))));
    } catch (e) {
      say(form, problemText(problemOf(e)));
    }
  };
  country.addEventListener('change', () => void change({ country: country.value, region: field(form, 'region') }));
  // US and Canadian tax depends on the state or province.
  form.querySelector('#region')!.addEventListener('change', () => void change({ region: field(form, 'region') }));
  show(cart);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    const address = new CheckoutAddress({
      fullName: field(form, 'fullName'), line1: field(form, 'line1'), line2: field(form, 'line2') || null, city: field(form, 'city'),
      region: field(form, 'region') || null, postalCode: field(form, 'postalCode'), country: country.value, phone: field(form, 'phone') || null,
    });
    const body = new CheckoutRequest({
      cartToken: ref, email: field(form, 'email') || null, shippingAddress: address, billingAddress: null,
      shippingMethod: current.shippingMethod ?? null, discountCode: null,
    });
    // One key per attempt: a retry of the same order (lost answer, provider briefly down) sends the same
    // key and body and gets the stored answer instead of a second order; a changed form is a new attempt.
    const json = JSON.stringify(body);
    const previous = session.get<{ key: string; body: string }>(ATTEMPT);
    const key = previous?.body === json ? previous.key : newKey();
    session.set(ATTEMPT, { key, body: json });
    button.disabled = true;
    try {
      const result = await apiWith({ 'Idempotency-Key': key }).createCheckout(body);
      session.set(ATTEMPT, null);
      if (ref !== 'mine') forgetGuestCart();
      showCount(0);
      rememberOrder(result.order.id, result.orderToken);
      session.set(PENDING, result.toJSON());
      payment(root, result);
    } catch (e) {
      say(form, problemText(problemOf(e)));
      form.querySelector<HTMLElement>('[data-message]')?.scrollIntoView({ block: 'center' });
    } finally {
      button.disabled = false;
    }
  });
  root.replaceChildren(form);
}

// ---- step 2: payment ----------------------------------------------------------------------------------

function confirmationUrl(orderId: string): string {
  return `/checkout/confirmation/#order=${encodeURIComponent(orderId)}`;
}

async function paid(result: CheckoutResult): Promise<void> {
  // The provider, not the browser, decides: the API asks it and moves the order to paid.
  await apiWith({ 'X-Order-Token': result.orderToken }).confirmOrderPayment(result.order.id);
  session.set(PENDING, null);
  location.assign(confirmationUrl(result.order.id));
}

function payment(root: HTMLElement, result: CheckoutResult): void {
  const p = result.payment;
  const summary = el('p', {}, `Order ${result.order.number}: ${money(p.amount)} to pay. We hold your items while you pay.`);
  if (p.provider === 'stripe') {
    stripePayment(root, result, summary);
    return;
  }
  const form = el('form', { class: 'stack test-card', novalidate: true, 'data-test-payment': true },
    el('h2', {}, 'Payment'),
    summary,
    el('p', { class: 'note test-mode', role: 'note' },
      el('strong', {}, 'TEST MODE — no real card is charged. '),
      'Pay with 4242 4242 4242 4242; 4000 0000 0000 0002 shows a declined card. Any future expiry and any CVC.'),
    el('p', { class: 'alert', 'data-message': true, role: 'alert', hidden: true }),
    ...labelled('cardNumber', 'Card number (test)', { inputmode: 'numeric', autocomplete: 'cc-number', required: true }),
    el('div', { class: 'row' },
      el('div', {}, ...labelled('expiry', 'Expiry (MM/YY)', { autocomplete: 'cc-exp', placeholder: 'MM/YY', required: true })),
      el('div', {}, ...labelled('cvc', 'CVC', { inputmode: 'numeric', autocomplete: 'cc-csc', required: true }))),
    el('button', { type: 'submit' }, `Pay ${money(p.amount)} (test)`));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    button.disabled = true;
    say(form, '');
    try {
      await apiWith({ 'X-Client-Secret': p.clientSecret }).confirmTestPayment(p.paymentIntentId,
        new TestCardRequest({ cardNumber: field(form, 'cardNumber'), expiry: field(form, 'expiry'), cvc: field(form, 'cvc') }));
      await paid(result);
    } catch (e) {
      say(form, problemText(problemOf(e)));
      button.disabled = false;
      (form.elements.namedItem('cardNumber') as HTMLInputElement).focus();
    }
  });
  root.replaceChildren(form);
  (form.elements.namedItem('cardNumber') as HTMLInputElement).focus();
}

interface StripeJs {
  elements(options: { clientSecret: string }): { create(kind: 'payment'): { mount(el: HTMLElement): void } };
  confirmPayment(options: { elements: unknown; redirect: 'if_required'; confirmParams: { return_url: string } }): Promise<{ error?: { message?: string } }>;
}

function loadStripe(): Promise<(key: string) => StripeJs> {
  const existing = (window as unknown as { Stripe?: (key: string) => StripeJs }).Stripe;
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    // Loaded only when the order pays with Stripe: test-mode shops never contact js.stripe.com.
    const script = el('script', { src: 'https://js.stripe.com/v3' });
    script.addEventListener('load', () => resolve((window as unknown as { Stripe: (key: string) => StripeJs }).Stripe));
    script.addEventListener('error', () => reject(new Error('Stripe could not be loaded.')));
    document.head.append(script);
  });
}

function stripePayment(root: HTMLElement, result: CheckoutResult, summary: HTMLElement): void {
  const p: PaymentSession = result.payment;
  const mount = el('div', { 'data-stripe-element': true });
  const form = el('form', { class: 'stack' },
    el('h2', {}, 'Payment'), summary,
    el('p', { class: 'alert', 'data-message': true, role: 'alert', hidden: true }),
    mount,
    el('button', { type: 'submit', disabled: true }, `Pay ${money(p.amount)}`));
  root.replaceChildren(form);
  const button = form.querySelector<HTMLButtonElement>('button')!;
  if (!p.publishableKey) {
    say(form, 'Payments are not set up for this shop yet. Please try again later.');
    return;
  }
  loadStripe().then((Stripe) => {
    const stripe = Stripe(p.publishableKey!);
    const elements = stripe.elements({ clientSecret: p.clientSecret });
    elements.create('payment').mount(mount);
    button.disabled = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      const { error } = await stripe.confirmPayment({
        elements, redirect: 'if_required', confirmParams: { return_url: location.origin + confirmationUrl(result.order.id) },
      });
      if (error) {
        say(form, error.message ?? 'The payment did not go through. Try again or use another card.');
        button.disabled = false;
        return;
      }
      try {
        await paid(result);
      } catch (e) {
        say(form, problemText(problemOf(e)));
        button.disabled = false;
      }
    });
  }).catch((e: Error) => say(form, e.message));
}

async function checkout(root: HTMLElement): Promise<void> {
  const pending = session.get<Record<string, unknown>>(PENDING);
  if (pending) {
    const result = CheckoutResult.fromJS(pending);
    try {
      const order = await apiWith({ 'X-Order-Token': result.orderToken }).getOrder(result.order.id);
      if (order.status === 'pending_payment') {
        payment(root, result);
        return;
      }
    } catch { /* gone or expired: start over from the cart */ }
    session.set(PENDING, null);
  }
  try {
    const cart = await loadCart();
    if (cart && cart.lines.length > 0) addressForm(root, cart);
  } catch (e) {
    root.replaceChildren(el('p', { class: 'alert', role: 'alert' }, problemText(problemOf(e))));
  }
}

// ---- confirmation -------------------------------------------------------------------------------------

const STATUS: Record<string, string> = {
  pending_payment: 'Waiting for payment', paid: 'Paid — we are packing it', fulfilled: 'Shipped', delivered: 'Delivered',
  canceled: 'Canceled', partially_refunded: 'Partly refunded', refunded: 'Refunded',
};

function orderView(order: Order): HTMLElement[] {
  const a = order.shippingAddress;
  return [
    el('p', { class: 'order-number' }, 'Order number ', el('strong', { 'data-order-number': true }, order.number)),
    el('p', {}, 'Status: ', el('strong', { 'data-order-status': true }, STATUS[order.status] ?? order.status)),
    el('p', {}, `A confirmation is on its way to ${order.email}.`),
    el('ul', { class: 'lines' }, ...order.lines.map((l) => el('li', { class: 'line' },
      el('div', {}, el('a', { href: `/products/${encodeURIComponent(l.productSlug)}/` }, l.title), el('div', { class: 'muted' }, `${l.variantTitle} × ${l.quantity}`)),
      el('span', { class: 'price' }, money(l.lineTotal))))),
    totalsTable(order.totals, a.country),
    el('p', {}, `Shipping: ${order.shippingMethodName}, to ${[a.fullName, a.line1, a.line2, `${a.postalCode} ${a.city}`.trim(), a.region, a.country].filter(Boolean).join(', ')}.`),
    el('p', {}, el('a', { href: '/' }, 'Continue shopping')),
  ];
}

async function confirmation(root: HTMLElement): Promise<void> {
  const hash = new URLSearchParams(location.hash.slice(1));
  const id = hash.get('order') ?? '';
  const fromLink = hash.get('token');
  if (id && fromLink) {
    rememberOrder(id, fromLink);
    history.replaceState(null, '', confirmationUrl(id)); // the token leaves the address bar and history
  }
  if (!id) return;
  const token = orderToken(id);
  const client = token ? apiWith({ 'X-Order-Token': token }) : api;
  try {
    let order = await client.getOrder(id);
    if (order.status === 'pending_payment') order = await client.confirmOrderPayment(id); // back from a Stripe redirect
    root.replaceChildren(...orderView(order));
    document.title = `Order ${order.number} · ${document.title.split(' · ').pop()}`;
  } catch (e) {
    root.replaceChildren(el('p', { class: 'alert', role: 'alert' }, problemText(problemOf(e))));
  }
}

for (const root of document.querySelectorAll<HTMLElement>('[data-widget="checkout"]')) void checkout(root);
for (const root of document.querySelectorAll<HTMLElement>('[data-widget="order-confirmation"]')) void confirmation(root);
