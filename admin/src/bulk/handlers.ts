// Bulk product changes (StartBulkProductJob) and the job they run as (the jobs routes of adm-import).
import { AdminProductFilter, BulkProductJobRequest } from "../../../sdk/typescript/headless-client";
import { api } from "../data/http";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();

export interface BulkChange {
  action: string;
  status?: string;
  categoryId?: string;
  amount?: number;
  percent?: number;
  quantity?: number;
  reason?: string;
}

/** Starts the job over the selected ids, or over every product matching the list's filter. */
export async function startBulkJob(change: BulkChange, selection: { ids?: string[]; filter?: Record<string, any> }) {
  const job = await api.startBulkProductJob(
    new BulkProductJobRequest({
      productIds: selection.ids,
      filter: selection.filter
        ? new AdminProductFilter({ q: selection.filter.q || undefined, status: selection.filter.status || undefined,
            categoryId: selection.filter.categoryId || undefined, stock: selection.filter.stock || undefined })
        : undefined,
      ...change,
    }),
  );
  return plain(job);
}

export const bulkJobs: ResourceHandler = {
  async getOne({ id }) {
    return { data: plain(await api.getJob(String(id))) };
  },
};

export const cancelBulkJob = async (id: string) => plain(await api.cancelJob(id));
