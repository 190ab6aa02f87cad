// Products (api/Features/Catalog/Admin): the list is the admin product list route (every status, search,
// filters, four sorts); a record is the admin product with its variants. Saving sends the product's
// changed fields with its version as If-Match, then each changed variant with the variant's version.
import {
  CreateProductRequest,
  CreateVariantRequest,
  MoneyInput,
  UpdateProductRequest,
  UpdateVariantRequest,
} from "../../../sdk/typescript/headless-client";
import { api, withIfMatch } from "../data/http";
import { cursorPaging } from "../data/cursors";
import { versionETag, type ResourceHandler } from "../data/handler";

/* eslint-disable @typescript-eslint/no-explicit-any */
const plain = (x: { toJSON(): any }) => x.toJSON();
const blank = (v: unknown) => v === "" || v === null || v === undefined;
const text = (v: unknown) => (blank(v) ? undefined : String(v));
const int = (v: unknown) => (blank(v) ? undefined : Math.round(Number(v)));

/** The list's sortable columns and the API's sort names. */
export const sortNames: Record<string, string> = { updatedAt: "updated", title: "title", price: "price", totalAvailable: "stock" };

export const currency = "EUR";
const money = (amount: unknown) => (blank(amount) ? undefined : new MoneyInput({ amount: int(amount)!, currency }));

/** "Size=M, Colour=Sand" ⇄ { Size: "M", Colour: "Sand" }: one text field for a variant's options. */
export const optionsText = (options: Record<string, string> | undefined) =>
  Object.entries(options ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
const parseOptions = (value: unknown): Record<string, string> =>
  Object.fromEntries(
    String(value ?? "")
      .split(",")
      .map((pair) => pair.split("=").map((s) => s.trim()))
      .filter((kv) => kv.length === 2 && kv[0] && kv[1]),
  );
const names = (value: unknown) =>
  String(value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** The API's product as the form edits it: amounts as numbers, options and option names as text. */
export function toRecord(p: any) {
  return {
    ...p,
    categoryIds: (p.categories ?? []).map((c: any) => c.id),
    optionNames: (p.optionNames ?? []).join(", "),
    variants: (p.variants ?? []).map((v: any) => ({
      ...v,
      options: optionsText(v.options),
      priceAmount: v.price?.amount,
      compareAtAmount: v.compareAtPrice?.amount ?? null,
    })),
  };
}

const variantRequest = (v: any) =>
  new CreateVariantRequest({
    sku: text(v.sku)!,
    title: text(v.title),
    options: parseOptions(v.options),
    price: money(v.priceAmount)!,
    compareAtPrice: money(v.compareAtAmount),
    weightGrams: int(v.weightGrams) ?? 0,
    initialStock: int(v.initialStock) ?? 0,
  });

export const products: ResourceHandler = {
  getList: (params) =>
    cursorPaging("products", params, async (cursor, limit) => {
      const f = params.filter ?? {};
      const sort = params.sort?.field && sortNames[params.sort.field] ? sortNames[params.sort.field] : "updated";
      const order = params.sort?.order === "ASC" ? "asc" : "desc";
      const page = await api.listAdminProducts(text(f.q), text(f.status), text(f.categoryId), text(f.stock), sort, order, limit, cursor);
      return { items: (page.items ?? []).map((r) => plain(r)), nextCursor: page.nextCursor };
    }),
  async getOne({ id }) {
    return { data: toRecord(plain(await api.getAdminProduct(String(id)))) };
  },
  async create({ data }) {
    const created = await api.createProduct(
      new CreateProductRequest({
        slug: text(data.slug)!,
        title: text(data.title)!,
        description: data.description ?? "",
        status: data.status ?? "draft",
        tags: data.tags ?? [],
        featured: Boolean(data.featured),
        categoryIds: data.categoryIds ?? [],
        variants: (data.variants ?? []).map(variantRequest),
        seoTitle: text(data.seoTitle),
        seoDescription: text(data.seoDescription),
        vendor: text(data.vendor),
        productType: text(data.productType),
        optionNames: blank(data.optionNames) ? undefined : names(data.optionNames),
        images: [],
      }),
    );
    return { data: toRecord(plain(created)) };
  },
  async update({ id, data, previousData }) {
    let product = await withIfMatch(versionETag(previousData), () =>
      api.updateProduct(
        String(id),
        new UpdateProductRequest({
          slug: text(data.slug),
          title: text(data.title),
          description: data.description ?? "",
          status: data.status === "archived" ? undefined : data.status,
          tags: data.tags ?? [],
          featured: Boolean(data.featured),
          categoryIds: data.categoryIds ?? [],
          seoTitle: data.seoTitle ?? "",
          seoDescription: data.seoDescription ?? "",
          vendor: data.vendor ?? "",
          productType: data.productType ?? "",
          optionNames: names(data.optionNames),
        }),
      ),
    );
    const before = new Map((previousData.variants ?? []).map((v: any) => [v.id, v]));
    for (const v of data.variants ?? []) {
      const old: any = v.id ? before.get(v.id) : undefined;
      if (!old) {
        await api.addVariant(String(id), variantRequest(v));
        continue;
      }
      const changed =
        v.title !== old.title || v.options !== old.options || Number(v.priceAmount) !== old.priceAmount ||
        (v.compareAtAmount ?? null) !== (old.compareAtAmount ?? null) || Number(v.weightGrams) !== old.weightGrams;
      if (!changed) continue;
      const removeCompareAt = blank(v.compareAtAmount) && !blank(old.compareAtAmount);
      await withIfMatch(versionETag(old), () =>
        api.updateVariant(
          String(id),
          v.id,
          new UpdateVariantRequest({
            title: v.title ?? "",
            options: parseOptions(v.options),
            price: money(v.priceAmount),
            weightGrams: int(v.weightGrams),
            compareAtPrice: removeCompareAt ? undefined : money(v.compareAtAmount),
            removeCompareAtPrice: removeCompareAt ? true : undefined,
          }),
        ),
      );
    }
    product = await api.getAdminProduct(String(id));
    return { data: toRecord(plain(product)) };
  },
};
