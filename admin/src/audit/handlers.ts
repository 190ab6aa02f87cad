// The audit log, newest first, keyset-paged on its sequence (GET /api/v1/admin/audit).
import { api } from "../data/http";
import { cursorPaging } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);
const time = (v: unknown) => (text(v) ? new Date(String(v)) : undefined);

export const auditEntries: ResourceHandler = {
  getList: (params) =>
    cursorPaging("audit", params, async (cursor, limit) => {
      const f = params.filter ?? {};
      const page = await api.listAuditEntries(
        text(f.actor),
        text(f.action),
        text(f.entityType),
        text(f.entityId),
        time(f.from),
        time(f.to),
        cursor,
        limit,
      );
      return {
        items: (page.items ?? []).map((e) => ({ ...e.toJSON(), id: e.seq })),
        nextCursor: page.nextCursor,
      };
    }),
};
