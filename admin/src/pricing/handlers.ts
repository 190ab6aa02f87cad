// Discount codes, shipping methods and tax rates: small lists the API returns whole
// (api/Features/Pricing/Admin). Updates send the version the form was opened with as If-Match.
import {
  CreateDiscountCodeRequest,
  CreateShippingMethodRequest,
  SetTaxRateRequest,
  ShippingRateInput,
  UpdateDiscountCodeRequest,
  UpdateShippingMethodRequest,
} from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { wholeList } from "../data/cursors";
import { versionETag, type ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();
const emptyToUndefined = (v: unknown) => (v === "" || v === null ? undefined : v);
const date = (v: unknown) => (emptyToUndefined(v) === undefined ? undefined : new Date(String(v)));
const number = (v: unknown) => (emptyToUndefined(v) === undefined ? undefined : Number(v));

const discountCode = (d: any) => ({ ...d, id: d.code });

export const discountCodes: ResourceHandler = {
  async getList(params) {
    const list = await api.listDiscountCodes();
    return wholeList((list.items ?? []).map((d) => discountCode(plain(d))), params);
  },
  async getOne({ id }) {
    const list = await api.listDiscountCodes();
    const found = list.items?.find((d) => d.code === id);
    if (!found) throw { status: 404, detail: `No discount code ${id}: it may have been removed.` };
    return { data: discountCode(plain(found)) };
  },
  async create({ data }) {
    const created = await api.createDiscountCode(
      new CreateDiscountCodeRequest({
        code: data.code,
        kind: data.kind,
        value: number(data.value)!,
        minSubtotal: number(data.minSubtotal?.amount ?? data.minSubtotal),
        startsAt: date(data.startsAt),
        endsAt: date(data.endsAt),
        usageLimit: number(data.usageLimit),
      }),
    );
    return { data: discountCode(plain(created)) };
  },
  async update({ id, data, previousData }) {
    const updated = await withIfMatch(versionETag(previousData), () =>
      api.updateDiscountCode(
        String(id),
        new UpdateDiscountCodeRequest({ active: data.active, endsAt: date(data.endsAt), usageLimit: number(data.usageLimit) }),
      ),
    );
    return { data: discountCode(plain(updated)) };
  },
};

const shippingMethod = (m: any) => ({
  ...m,
  id: m.code,
  rates: (m.rates ?? []).map((r: any) => ({ ...r, countries: (r.countries ?? []).join(", ") })),
});

function rateInputs(rates: any[] | undefined) {
  return (rates ?? []).map(
    (r) =>
      new ShippingRateInput({
        countries: String(r.countries ?? "")
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((c) => c.toUpperCase()),
        minWeightGrams: number(r.minWeightGrams) ?? 0,
        maxWeightGrams: number(r.maxWeightGrams),
        amount: number(r.amount?.amount ?? r.amount)!,
      }),
  );
}

export const shippingMethods: ResourceHandler = {
  async getList(params) {
    const list = await api.listShippingMethods();
    return wholeList((list.items ?? []).map((m) => shippingMethod(plain(m))), params);
  },
  async getOne({ id }) {
    const list = await api.listShippingMethods();
    const found = list.items?.find((m) => m.code === id);
    if (!found) throw { status: 404, detail: `No shipping method ${id}: it may have been removed.` };
    return { data: shippingMethod(plain(found)) };
  },
  async create({ data }) {
    const created = await api.createShippingMethod(
      new CreateShippingMethodRequest({
        code: data.code,
        name: data.name,
        active: data.active ?? true,
        position: number(data.position),
        rates: rateInputs(data.rates),
      }),
    );
    return { data: shippingMethod(plain(created)) };
  },
  async update({ id, data, previousData }) {
    const updated = await withIfMatch(versionETag(previousData), () =>
      api.updateShippingMethod(
        String(id),
        new UpdateShippingMethodRequest({
          name: data.name,
          active: data.active,
          position: number(data.position),
          rates: rateInputs(data.rates),
        }),
      ),
    );
    return { data: shippingMethod(plain(updated)) };
  },
};

const taxRate = (t: any) => ({ ...t, id: t.region ? `${t.country}:${t.region}` : t.country });
const splitTaxId = (id: unknown) => {
  const [country, region] = String(id).split(":");
  return { country, region: region || undefined };
};

export const taxRates: ResourceHandler = {
  async getList(params) {
    const list = await api.listTaxRates();
    return wholeList((list.items ?? []).map((t) => taxRate(plain(t))), params);
  },
  async getOne({ id }) {
    const list = await api.listTaxRates();
    const found = list.items?.map((t) => taxRate(plain(t))).find((t) => t.id === id);
    if (!found) throw { status: 404, detail: `No tax rate for ${id}: it may have been removed.` };
    return { data: found };
  },
  async create({ data }) {
    const country = String(data.country ?? "").trim().toUpperCase();
    const region = String(data.region ?? "").trim().toUpperCase() || undefined;
    // No If-Match: the API creates the rate, or answers 428 when one exists already for that place.
    const created = await api.setTaxRate(
      country,
      new SetTaxRateRequest({ rateBasisPoints: number(data.rateBasisPoints)!, pricesIncludeTax: Boolean(data.pricesIncludeTax) }),
      region,
    );
    return { data: taxRate(plain(created)) };
  },
  async update({ id, data, previousData }) {
    const { country, region } = splitTaxId(id);
    const updated = await api.setTaxRate(
      country,
      new SetTaxRateRequest({ rateBasisPoints: number(data.rateBasisPoints)!, pricesIncludeTax: Boolean(data.pricesIncludeTax) }),
      region,
      versionETag(previousData),
    );
    return { data: taxRate(plain(updated)) };
  },
  async delete({ id, previousData }) {
    const { country, region } = splitTaxId(id);
    await api.deleteTaxRate(country, region, versionETag(previousData ?? {}));
    return { data: previousData ?? { id } };
  },
};
