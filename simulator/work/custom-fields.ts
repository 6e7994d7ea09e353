// iManage workspaces carry custom1…custom30; the number decides the field's type
// (imanage-api.md, from the Power Platform connector definition).

export type CustomFieldKind = 'alias' | 'number' | 'date' | 'boolean';

export const CUSTOM_FIELD_NAMES: readonly string[] = Array.from({ length: 30 }, (_, i) => `custom${i + 1}`);

export function customFieldKind(name: string): CustomFieldKind {
  const n = Number(name.slice('custom'.length));
  if (n >= 17 && n <= 20) return 'number';
  if (n >= 21 && n <= 24) return 'date';
  if (n >= 25 && n <= 28) return 'boolean';
  return 'alias';
}

/** Fields whose alias has a description, reported as customN_description. */
export function hasDescription(name: string): boolean {
  const n = Number(name.slice('custom'.length));
  return (n >= 1 && n <= 12) || n === 29 || n === 30;
}
