// Staff, invitations and API keys (api/Features/Accounts/Admin). Staff are accounts with the staff or admin
// role; accounts carry no version, so role changes need no If-Match. Creating staff means inviting them.
import { CreateApiKeyRequest, InviteStaffRequest, SetRolesRequest } from "../../../sdk/typescript/headless-client";
import { api } from "../data/http";
import { cursorPaging, wholeList } from "../data/cursors";
import type { ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();

export const staff: ResourceHandler = {
  getList(params) {
    const role = params.filter?.role === "admin" ? "admin" : "staff";
    return cursorPaging("staff", params, async (cursor, limit) => {
      const page = await api.listUsers(role, cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async getOne({ id }) {
    // The account as the customers detail shows it (roles included); people are read by admins only.
    return { data: plain(await api.getCustomer(String(id))) };
  },
  async update({ id, data }) {
    const me = await api.setUserRoles(String(id), new SetRolesRequest({ roles: data.roles ?? [] }));
    return { data: { ...data, ...plain(me), id } };
  },
  async create({ data }) {
    // "Create" a staff member = send the invitation; the account exists once it is accepted.
    const invitation = await api.inviteStaff(new InviteStaffRequest({ email: String(data.email ?? "").trim(), roles: data.roles ?? [] }));
    return { data: plain(invitation) };
  },
};

export const staffInvitations: ResourceHandler = {
  getList(params) {
    return cursorPaging("staff-invitations", params, async (cursor, limit) => {
      const page = await api.listStaffInvitations("pending", cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async delete({ id, previousData }) {
    await api.revokeStaffInvitation(String(id));
    return { data: previousData ?? { id } };
  },
};

export const apiKeys: ResourceHandler = {
  async getList(params) {
    const list = await api.listApiKeys();
    return wholeList((list.items ?? []).map(plain), params);
  },
  async create({ data }) {
    const created = await api.createApiKey(new CreateApiKeyRequest({ name: String(data.name ?? "").trim(), scopes: data.scopes ?? [] }));
    return { data: plain(created) };
  },
  async delete({ id, previousData }) {
    await api.revokeApiKey(String(id));
    return { data: previousData ?? { id } };
  },
};
