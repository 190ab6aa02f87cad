// Customers (api/Features/Accounts/Admin): registered accounts, cursor-paged, found by a whole email address
// (names are encrypted in the customer's regional vault and cannot be searched); the detail carries orders,
// addresses and consent history. Export and erasure are buttons on the detail.
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();

export const customers: ResourceHandler = {
  getList(params) {
    // Only a whole address is sent: while it is being typed, the list stays unfiltered instead of answering 400.
    const typed = typeof params.filter?.q === "string" ? params.filter.q.trim() : "";
    const q = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(typed) ? typed : undefined;
    return cursorPaging("customers", params, async (cursor, limit) => {
      const page = await api.listCustomers(q, cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async getOne({ id }) {
    return { data: plain(await api.getCustomer(String(id))) };
  },
};
