// Webhook endpoints and their delivery logs (api/Features/Webhooks/Admin). Updates and deletes send the
// version the screen was opened with as If-Match; a secret is only ever in a create or rotate answer.
import {
  CreateWebhookEndpointRequest,
  RedeliverWebhooksRequest,
  UpdateWebhookEndpointRequest,
} from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { cursorPaging } from "../data/cursors";
import { versionETag, type ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();

/** The event types an endpoint can subscribe to (WebhookEventTypes.All in the API). */
export const webhookEventTypes = [
  "order.created",
  "order.paid",
  "order.shipped",
  "order.cancelled",
  "order.refunded",
  "product.created",
  "product.updated",
  "product.archived",
  "inventory.low_stock",
  "customer.created",
  "customer.erased",
];

const request = (data: any) => ({
  url: String(data.url ?? "").trim(),
  description: String(data.description ?? "").trim(),
  eventTypes: data.eventTypes ?? [],
  enabled: data.enabled !== false,
});

export const webhookEndpoints: ResourceHandler = {
  getList(params) {
    return cursorPaging("webhook-endpoints", params, async (cursor, limit) => {
      const page = await api.listWebhookEndpoints(cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
  async getOne({ id }) {
    return { data: plain(await api.getWebhookEndpoint(String(id))) };
  },
  async create({ data }) {
    // The answer carries the secret, this once: the create screen shows it and keeps it nowhere else.
    const created = await api.createWebhookEndpoint(new CreateWebhookEndpointRequest(request(data)));
    return { data: { ...plain(created.endpoint), secret: created.secret } };
  },
  async update({ id, data, previousData }) {
    const updated = await withIfMatch(versionETag(previousData), () =>
      api.updateWebhookEndpoint(String(id), new UpdateWebhookEndpointRequest(request(data))),
    );
    return { data: plain(updated) };
  },
  async delete({ id, previousData }) {
    await api.deleteWebhookEndpoint(String(id), versionETag(previousData));
    return { data: previousData ?? { id } };
  },
};

/** One endpoint's delivery log: filter.endpointId (required) and filter.status. Newest event first. */
export const webhookDeliveries: ResourceHandler = {
  getList(params) {
    const endpointId = String(params.filter?.endpointId ?? "");
    const status = params.filter?.status || undefined;
    return cursorPaging("webhook-deliveries", params, async (cursor, limit) => {
      const page = await api.listWebhookDeliveries(endpointId, status, cursor, limit);
      return { items: (page.items ?? []).map(plain), nextCursor: page.nextCursor };
    });
  },
};

/** A new signing secret for the endpoint (If-Match: the version shown); the answer has the new version too. */
export async function rotateSecret(endpoint: { id: string; version: number }) {
  const rotated = await withIfMatch(versionETag(endpoint), () => api.rotateWebhookSecret(endpoint.id));
  return { endpoint: plain(rotated.endpoint), secret: rotated.secret };
}

export async function retryDelivery(endpointId: string, deliveryId: string) {
  await api.retryWebhookDelivery(endpointId, deliveryId);
}

/** Every failed delivery of the endpoint whose event happened at or after `since`; answers how many. */
export async function redeliverFailedSince(endpointId: string, since: Date) {
  return (await api.redeliverWebhooks(endpointId, new RedeliverWebhooksRequest({ since }))).queued;
}
