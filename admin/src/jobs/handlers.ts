// Background jobs of every kind (GET /api/v1/admin/jobs, newest first, filtered by kind and status), and the
// cancel request (POST /api/v1/admin/jobs/{id}/cancellation).
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

export const jobs: ResourceHandler = {
  getList: (params) =>
    cursorPaging("jobs", params, async (cursor, limit) => {
      const filter = params.filter ?? {};
      const page = await api.listJobs(filter.kind || undefined, filter.status || undefined, cursor, limit);
      return { items: (page.items ?? []).map((j) => j.toJSON()), nextCursor: page.nextCursor };
    }),
  getOne: async ({ id }) => ({ data: (await api.getJob(String(id))).toJSON() }),
};

/** Asks a queued or running job to stop; it stops between items, each item done or untouched. */
export async function cancelJob(id: string): Promise<void> {
  await api.cancelJob(id);
}
