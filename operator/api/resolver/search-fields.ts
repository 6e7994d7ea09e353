import { nearest } from './edit-distance.ts';

/** iManage Work has 30 custom workspace fields, custom1 … custom30. */
const CUSTOM_FIELD_COUNT = 30;

/** Fields Advanced Search may filter on, in their only accepted (lower-case) spelling. */
export const SEARCH_FIELDS: readonly string[] = [
  'name',
  ...Array.from({ length: CUSTOM_FIELD_COUNT }, (_, i) => `custom${i + 1}`),
];

const known = new Set(SEARCH_FIELDS);

export function isSearchField(field: string): boolean {
  return known.has(field);
}

/**
 * How to fix an unknown field. Case is not forgiven (the iManage API is case-sensitive about
 * parameter names), but a wrong case gets the exact spelling to use.
 */
export function unknownFieldFix(field: string): string {
  const range = "fields are 'name' and 'custom1' to 'custom30', in lower case";
  const lowered = field.toLowerCase();
  if (known.has(lowered)) return `write '${lowered}'; ${range}`;
  // For 'custom31' or 'custom07' the range says it all; a 'nearest' custom field would be a guess.
  const suggestion = /^custom\d+$/.test(lowered) ? undefined : nearest(field, SEARCH_FIELDS);
  const hint = suggestion === undefined ? range : `did you mean '${suggestion}'? ${range}`;
  return `${hint}; to search by a name containing '=' write it as '\\='`;
}
