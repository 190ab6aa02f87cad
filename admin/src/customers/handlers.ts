// Customers (api/Features/Accounts/Admin): registered accounts, searched by email or name, cursor-paged;
// the detail carries orders, addresses and consent history. Export and erasure are buttons on the detail.
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();

export const customers: ResourceHandler = {
  getList(params) {
    const q = typeof params.filter?.q === "string" && params.filter.q.trim().length >= 2 ? params.filter.q.trim() : undefined;
    return cursorPaging("customers", params, async (cursor, limit) => {
      const page = await api.listCustomers(q, cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async getOne({ id }) {
    return { data: plain(await api.getCustomer(String(id))) };
  },
};
