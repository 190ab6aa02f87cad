// Integer minor units to text, the same way the generator renders prices (never floating point), in
// each currency's own number of decimals (ISO 4217, as MinorUnits in contracts/: JPY 0, KWD 3, EUR 2).
const symbols: Record<string, string> = { EUR: '€', USD: '$', GBP: '£', JPY: '¥', CHF: 'CHF ' };
const notTwoDigits: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
};

export function minorUnits(currency: string): number {
  return notTwoDigits[currency.toUpperCase()] ?? 2;
}

export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const symbol = symbols[code] ?? code + ' ';
  const digits = minorUnits(code);
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(amount));
  const factor = 10 ** digits;
  const whole = Math.trunc(abs / factor).toLocaleString('en-US');
  return digits === 0 ? sign + symbol + whole : `${sign}${symbol}${whole}.${String(abs % factor).padStart(digits, '0')}`;
}
