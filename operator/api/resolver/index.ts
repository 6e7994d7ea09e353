/**
 * The workspace resolver: how a product (Clio Operate, Actionstep) finds the iManage workspace for
 * a work item. Default Search matches the workspace name, e.g. `Matter [workitem.reference]`;
 * Advanced Search matches fields, e.g. `custom1=[workitem.client.reference], custom2=[workitem.reference]`.
 * A backslash makes `\ [ ] = ,` literal: `Smith\, Jones`.
 */
export type { Criterion, ParsedResolver, Template, TemplatePart } from './types.ts';
export { ResolverSyntaxError, type ResolverErrorCode } from './errors.ts';
export { parseResolver } from './parser.ts';
export { describeResolver, formatResolver } from './format.ts';
export { evaluateResolver, resolveTemplate, type ResolverResult, type TemplateResult } from './evaluate.ts';
export { SEARCH_FIELDS } from './search-fields.ts';
export {
  WORK_ITEM_PATHS,
  WORK_ITEM_ROOT,
  lookupWorkItemPath,
  suggestWorkItemPath,
  type WorkItemPath,
} from './workitem-model.ts';
