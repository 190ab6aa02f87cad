// Money on the wire is integer minor units + ISO 4217 currency; on screen it is the currency's own format.

export interface Money {
  amount: number;
  currency: string;
}

/** How many decimals the currency's minor unit has (EUR 2, JPY 0, ...). */
export const fractionDigits = (currency: string) =>
  new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;

export const formatMoney = (m?: Money | null) =>
  m ? new Intl.NumberFormat("en", { style: "currency", currency: m.currency }).format(m.amount / 10 ** fractionDigits(m.currency)) : "";

/** "12.34" in EUR → 1234; null when it is not an amount with at most the currency's decimals. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = fractionDigits(currency);
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[2] ?? "").length > digits) return null;
  const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? "").padEnd(digits, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}
