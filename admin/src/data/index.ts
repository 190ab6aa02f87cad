// The data provider: react-admin's calls, routed to one handler module per resource. A screen area adds
// its resource here (one import, one entry) and lists it in App.tsx; nothing else is shared.
import { HttpError, type DataProvider } from "react-admin";
import { problemOf, problemTypeIs } from "./http";
import type { ResourceHandler } from "./handler";
import { discountCodes, shippingMethods, taxRates } from "../pricing/handlers";
import { auditEntries } from "../audit/handlers";
import { orders } from "../orders/handlers";
import { customers } from "../customers/handlers";
import { apiKeys, staff, staffInvitations } from "../staff/handlers";
import { products } from "../products/handlers";
import { inventory } from "../inventory/handlers";
import { bulkJobs } from "../bulk/handlers";
import { imports } from "../imports/handlers";
import { jobs } from "../jobs/handlers";
import { webhookDeliveries, webhookEndpoints } from "../webhooks/handlers";

const handlers: Record<string, ResourceHandler> = {
  "discount-codes": discountCodes,
  "shipping-methods": shippingMethods,
  "tax-rates": taxRates,
  audit: auditEntries,
  orders,
  customers,
  staff,
  "staff-invitations": staffInvitations,
  "api-keys": apiKeys,
  products,
  inventory,
  bulk: bulkJobs,
  imports,
  jobs,
  "webhook-endpoints": webhookEndpoints,
  "webhook-deliveries": webhookDeliveries,
};

export const staleMessage =
  "Someone else changed this record after you opened it, so your change was not saved. Reload to see their version, compare, and make your change again.";

/** A problem (RFC 9457) as react-admin's HttpError: the detail as the message, field errors on the form. */
export function toHttpError(error: unknown): HttpError {
  const problem = problemOf(error);
  if (problem.status === 412 || problemTypeIs(problem, "precondition-failed")) {
    return new HttpError(staleMessage, 412, { stale: true });
  }
  const message = problem.detail || problem.title || `The server answered ${problem.status}.`;
  const errors: Record<string, unknown> = {};
  for (const [field, messages] of Object.entries(problem.errors ?? {})) {
    const name = field.replace(/^body\./i, "").replace(/^\w/, (c) => c.toLowerCase());
    errors[name] = Array.isArray(messages) ? messages.join(" ") : String(messages);
  }
  if (Object.keys(errors).length > 0) errors.root = { serverError: message };
  return new HttpError(message, problem.status, Object.keys(errors).length > 0 ? { errors } : problem);
}

function handlerFor(resource: string): ResourceHandler {
  const handler = handlers[resource];
  if (!handler) throw new HttpError(`The admin has no screen for "${resource}".`, 404);
  return handler;
}

function call<K extends keyof ResourceHandler>(resource: string, method: K) {
  const fn = handlerFor(resource)[method];
  if (!fn) throw new HttpError(`"${resource}" cannot ${String(method)} here.`, 405);
  return fn as NonNullable<ResourceHandler[K]>;
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof HttpError ? error : toHttpError(error);
  }
}

export const dataProvider: DataProvider = {
  getList: (resource, params) => guard(() => call(resource, "getList")(params)),
  getOne: (resource, params) => guard(() => call(resource, "getOne")(params)),
  getMany: (resource, params) =>
    guard(async () => {
      const getMany = handlerFor(resource).getMany;
      if (getMany) return getMany(params);
      const getOne = call(resource, "getOne");
      return { data: await Promise.all(params.ids.map(async (id) => (await getOne({ id })).data)) };
    }),
  getManyReference: (resource, params) => guard(() => call(resource, "getManyReference")(params)),
  create: (resource, params) => guard(() => call(resource, "create")(params)),
  update: (resource, params) => guard(() => call(resource, "update")(params)),
  updateMany: (resource, params) => guard(() => call(resource, "updateMany")(params)),
  delete: (resource, params) => guard(() => call(resource, "delete")(params)),
  deleteMany: (resource, params) => guard(() => call(resource, "deleteMany")(params)),
} as DataProvider;
