// spec.customerId is a number or a string (YAML reads `customerId: 4021` as a number, and public
// iManage clients hold it either way). Everything past the schema uses the text: comparisons with
// the customer id the server reports, Work API URLs (/customers/4021/…), status and messages.

import type { IManageConnectionSpec } from './generated/types.ts';

/** The connection's customer id as text, or undefined when the spec names none. */
export function specCustomerId(spec: Pick<IManageConnectionSpec, 'customerId'>): string | undefined {
  return spec.customerId === undefined ? undefined : String(spec.customerId);
}
