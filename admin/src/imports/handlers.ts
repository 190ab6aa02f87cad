// Product CSV imports: the import jobs, newest first (GET /api/v1/admin/jobs?kind=product-import), one import
// with its progress and bad cells (GET /api/v1/admin/imports/{id}), and the upload itself.
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

export const importKind = "product-import";

export const imports: ResourceHandler = {
  getList: (params) =>
    cursorPaging("imports", params, async (cursor, limit) => {
      const page = await api.listJobs(importKind, undefined, cursor, limit);
      return { items: (page.items ?? []).map((j) => j.toJSON()), nextCursor: page.nextCursor };
    }),
  getOne: async (params) => {
    const job = await api.getImport(String(params.id));
    return { data: job.toJSON() };
  },
};

/** Uploads the file (multipart, the CSRF token added by the shared fetch); answers the queued job's id. */
export async function uploadCsv(file: File): Promise<string> {
  const job = await api.importProducts({ data: file, fileName: file.name });
  return String(job.id);
}

/** Asks a running import to stop after the product it is applying. */
export async function cancelImport(id: string): Promise<void> {
  await api.cancelJob(id);
}
