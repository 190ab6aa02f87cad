// Cart and order totals as a table, and cart updates that name only what changes.
import { Cart, UpdateCartRequest } from '../../../sdk/typescript/headless-client';
import { el } from './dom';
import { formatMoney } from './money';

/** A cart update naming only what changes (null fields stay as they are). */
export function update(changes: Partial<Pick<UpdateCartRequest, 'country' | 'region' | 'shippingMethod' | 'discountCode'>>): UpdateCartRequest {
  return new UpdateCartRequest({ country: null, region: null, shippingMethod: null, discountCode: null, ...changes });
}

export const money = (m: { amount: number; currency: string }) => formatMoney(m.amount, m.currency);

export function totalsTable(t: Pick<Cart['totals'], 'subtotal' | 'discount' | 'shipping' | 'tax' | 'total' | 'taxIncluded' | 'taxRateBasisPoints'>, country: string | null | undefined): HTMLElement {
  const row = (label: string, value: string, strong = false) =>
    el('tr', strong ? { class: 'grand' } : {}, el('th', { scope: 'row' }, label), el('td', {}, value));
  return el('table', { class: 'totals', 'data-totals': true },
    el('caption', { class: 'sr' }, 'Order totals'),
    el('tbody', {},
      row('Subtotal', money(t.subtotal)),
      t.discount.amount > 0 ? row('Discount', '−' + money(t.discount)) : null,
      row('Shipping', country ? money(t.shipping) : 'Choose a destination'),
      row(t.taxIncluded ? `Tax included (${t.taxRateBasisPoints / 100} %)` : 'Tax', money(t.tax)),
      row('Total', money(t.total), true)));
}

