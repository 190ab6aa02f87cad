// Integer minor units to text, the same way the generator renders prices (never floating point).
const known: Record<string, [string, number]> = { EUR: ['€', 2], USD: ['$', 2], GBP: ['£', 2], JPY: ['¥', 0], CHF: ['CHF ', 2] };

export function formatMoney(amount: number, currency: string): string {
  const [symbol, digits] = known[currency.toUpperCase()] ?? [currency.toUpperCase() + ' ', 2];
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(amount));
  const factor = 10 ** digits;
  const whole = Math.trunc(abs / factor).toLocaleString('en-US');
  return digits === 0 ? sign + symbol + whole : `${sign}${symbol}${whole}.${String(abs % factor).padStart(digits, '0')}`;
}
