// Orders (api/Features/Orders/Admin): a cursor-paged list with filters, and the detail with its timeline.
// The actions (ship, deliver, cancel, refund) are not react-admin updates: they are buttons on the detail
// that call their routes with the order's version as If-Match (OrderActions.tsx).
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();
const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const minor = (v: unknown) => (v === undefined || v === null || v === "" ? undefined : Math.round(Number(v) * 100));
const date = (v: unknown) => (text(v) ? new Date(String(v)) : undefined);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const orders: ResourceHandler = {
  getList(params) {
    const f = params.filter ?? {};
    // One customer box: an account id or an email address.
    const customer = text(f.customer);
    const customerId = text(f.customerId) ?? (customer && uuid.test(customer) ? customer : undefined);
    const email = customer && !uuid.test(customer) ? customer : undefined;
    return cursorPaging("orders", params, async (cursor, limit) => {
      const page = await api.listOrders(
        text(f.status),
        email,
        text(f.number),
        customerId,
        minor(f.totalMin),
        minor(f.totalMax),
        date(f.createdFrom),
        date(f.createdTo),
        cursor,
        limit,
      );
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async getOne({ id }) {
    const [order, timeline] = await Promise.all([api.getAdminOrder(String(id)), api.getOrderTimeline(String(id))]);
    return { data: { ...plain(order), timeline: (timeline.items ?? []).map(plain) } };
  },
};
