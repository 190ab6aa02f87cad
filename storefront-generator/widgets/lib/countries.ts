// Destinations offered in the cart and at checkout (ISO 3166-1 alpha-2). The API prices shipping and tax
// for each from its rules; a country without a rate gets the rest-of-world shipping rate.
export const COUNTRIES: [string, string][] = [
  ['AT', 'Austria'], ['BE', 'Belgium'], ['CA', 'Canada'], ['CZ', 'Czechia'], ['DK', 'Denmark'], ['FI', 'Finland'],
  ['FR', 'France'], ['DE', 'Germany'], ['IE', 'Ireland'], ['IT', 'Italy'], ['JP', 'Japan'], ['LU', 'Luxembourg'],
  ['NL', 'Netherlands'], ['NO', 'Norway'], ['PL', 'Poland'], ['PT', 'Portugal'], ['ES', 'Spain'], ['SE', 'Sweden'],
  ['CH', 'Switzerland'], ['GB', 'United Kingdom'], ['US', 'United States'], ['AU', 'Australia'], ['NZ', 'New Zealand'],
];

export function countryOptions(select: HTMLSelectElement, selected: string | null | undefined): void {
  const blank = document.createElement('option');
  blank.value = '';
  blank.textContent = 'Choose a country';
  select.replaceChildren(blank);
  for (const [code, name] of COUNTRIES) {
    const option = document.createElement('option');
    option.value = code;
    option.textContent = name;
    option.selected = code === selected;
    select.append(option);
  }
}
