// Inventory (api/Features/Catalog/Admin): stock per SKU, the low-stock threshold (If-Match, audited), and
// the stock ledger. Adjusting stock is a POST with a reason (AdjustStock), not an update of the record.
import { AdjustStockRequest, SetLowStockThresholdRequest } from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { cursorPaging } from "../data/cursors";
import { versionETag, type ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();
const row = (r: any) => ({ ...plain(r), id: r.sku });

export const inventory: ResourceHandler = {
  getList: (params) =>
    cursorPaging("inventory", params, async (cursor, limit) => {
      const f = params.filter ?? {};
      const page = await api.listInventory(f.q || undefined, f.lowStock ? true : undefined, limit, cursor);
      return { items: (page.items ?? []).map(row), nextCursor: page.nextCursor };
    }),
  async getOne({ id }) {
    const page = await api.listInventory(String(id), undefined, 100, undefined);
    const found = page.items?.find((r) => r.sku === id);
    if (!found) throw { status: 404, detail: `No SKU ${id} is stocked.` };
    return { data: row(found) };
  },
  async update({ id, data, previousData }) {
    const updated = await withIfMatch(versionETag(previousData), () =>
      api.setLowStockThreshold(String(id), new SetLowStockThresholdRequest({ threshold: Number(data.lowStockThreshold) })),
    );
    return { data: row(updated) };
  },
};

export const adjustStock = (sku: string, delta: number, reason: string) =>
  api.adjustStock(sku, new AdjustStockRequest({ delta, reason }));

export async function ledgerPage(sku: string, cursor?: string) {
  const page = await api.getStockLedger(sku, 50, cursor);
  return { items: (page.items ?? []).map((e) => plain(e)), nextCursor: page.nextCursor ?? undefined };
}
