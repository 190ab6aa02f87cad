// The shopper's cart: a guest's token lives in localStorage; a signed-in customer's cart is "mine"
// (the account widget sets the flag on sign-in, after merging the guest cart, and clears it on sign-out).
import { AddCartLineRequest, Cart } from '../../../sdk/typescript/headless-client';
import { api, apiWith, problemOf } from './api';
import { newKey } from './dom';

const TOKEN = 'hl.cart';
const SIGNED_IN = 'hl.signedIn';
const COUNT = 'hl.cartCount';

function store(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function guestToken(): string | null {
  return store()?.getItem(TOKEN) ?? null;
}

export function forgetGuestCart(): void {
  store()?.removeItem(TOKEN);
}

export function setSignedIn(on: boolean): void {
  if (on) {
    store()?.setItem(SIGNED_IN, '1');
  } else if (signedIn()) {
    store()?.removeItem(SIGNED_IN);
    showCount(0); // the customer's cart stays with the account
  }
}

export function signedIn(): boolean {
  return store()?.getItem(SIGNED_IN) === '1';
}

/** The cart to address: "mine" when signed in, the guest token, or null when there is none yet. */
export function cartRef(): string | null {
  return signedIn() ? 'mine' : guestToken();
}

/** Reads the cart, or null when there is none (or the token no longer finds one). */
export async function loadCart(): Promise<Cart | null> {
  const ref = cartRef();
  if (!ref) return null;
  try {
    const cart = await api.getCart(ref);
    if (cart.status !== 'open' && ref !== 'mine') {
      forgetGuestCart(); // checked out or merged: the next add starts a new cart
      showCount(0);
      return null;
    }
    return remember(cart);
  } catch (e) {
    const p = problemOf(e);
    if (p.status === 401 && ref === 'mine') {
      setSignedIn(false); // the session ended: carry on as a guest
      return loadCart();
    }
    if (p.status === 404) {
      if (ref !== 'mine') forgetGuestCart();
      showCount(0);
      return null;
    }
    throw e;
  }
}

async function createCart(): Promise<string> {
  // The key makes a retried create (a lost answer) return the same cart instead of a second one.
  const cart = await apiWith({ 'Idempotency-Key': newKey() }).createCart(undefined);
  if (signedIn()) return 'mine';
  store()?.setItem(TOKEN, cart.token);
  return cart.token;
}

export async function addToCart(sku: string, quantity: number): Promise<Cart> {
  let ref = cartRef() ?? (await createCart());
  try {
    return remember(await api.addCartLine(ref, new AddCartLineRequest({ sku, quantity })));
  } catch (e) {
    // A guest cart that is gone or checked out, or a "mine" without a cart yet: start a new one.
    if (!(await gone(ref, problemOf(e).status))) throw e;
    if (ref !== 'mine') forgetGuestCart();
    ref = await createCart();
    return remember(await api.addCartLine(ref, new AddCartLineRequest({ sku, quantity })));
  }
}

async function gone(ref: string, status: number): Promise<boolean> {
  if (status === 404) return true;
  if (status !== 409) return false;
  try {
    return (await api.getCart(ref)).status !== 'open';
  } catch {
    return false;
  }
}

/** Keeps the header's count in step with a cart the page just read or changed. */
export function remember(cart: Cart): Cart {
  showCount(cart.status === 'open' ? cart.totals.itemCount : 0);
  return cart;
}

export function showCount(count: number): void {
  store()?.setItem(COUNT, String(count));
  for (const badge of document.querySelectorAll<HTMLElement>('[data-cart-count]')) {
    badge.textContent = count > 0 ? String(count) : '';
    const link = badge.closest('a');
    link?.setAttribute('aria-label', count > 0 ? `Cart, ${count} ${count === 1 ? 'item' : 'items'}` : 'Cart');
  }
}

export function cachedCount(): number {
  return Number(store()?.getItem(COUNT) ?? '0') || 0;
}
