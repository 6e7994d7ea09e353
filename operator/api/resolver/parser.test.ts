import { describe, expect, it } from 'vitest';
import {
  ResolverSyntaxError,
  describeResolver,
  formatResolver,
  parseResolver,
  type ParsedResolver,
  type TemplatePart,
} from './index.ts';

const text = (value: string): TemplatePart => ({ kind: 'text', text: value });
const ref = (path: string, column: number): TemplatePart => ({ kind: 'ref', path, column });
const byName = (...name: TemplatePart[]): ParsedResolver => ({ mode: 'DefaultSearch', name });
const byFields = (...criteria: [string, TemplatePart[]][]): ParsedResolver => ({
  mode: 'AdvancedSearch',
  criteria: criteria.map(([field, value]) => ({ field, value })),
});

describe('parseResolver accepts', () => {
  it.each<[string, ParsedResolver]>([
    ['Clio Operate Document Templates', byName(text('Clio Operate Document Templates'))],
    ['[workitem.title]', byName(ref('workitem.title', 1))],
    [
      'Matter [workitem.reference] - archive',
      byName(text('Matter '), ref('workitem.reference', 8), text(' - archive')),
    ],
    [
      'custom1=[workitem.client.reference], custom2=[workitem.reference]',
      byFields(['custom1', [ref('workitem.client.reference', 9)]], ['custom2', [ref('workitem.reference', 46)]]),
    ],
    ['  padded name\t', byName(text('padded name'))],
    [
      '[workitem.reference]-[workitem.matterType]',
      byName(ref('workitem.reference', 1), text('-'), ref('workitem.matterType', 22)),
    ],
    ['[ workitem.title ]', byName(ref('workitem.title', 1))],
    ['Dr. Smith.', byName(text('Dr. Smith.'))],
    ['Smith\\, Jones \\= partners', byName(text('Smith, Jones = partners'))],
    ['custom1\\=x', byName(text('custom1=x'))],
    ['\\[draft\\] \\\\ copy', byName(text('[draft] \\ copy'))],
    ['Ærøskøbing 🏛 [workitem.id]', byName(text('Ærøskøbing 🏛 '), ref('workitem.id', 14))],
    ['name=[workitem.title]', byFields(['name', [ref('workitem.title', 6)]])],
    ['custom1 = A , custom30=\tB ', byFields(['custom1', [text('A')]], ['custom30', [text('B')]])],
    [
      'custom3=Matter [workitem.fileReference] x',
      byFields(['custom3', [text('Matter '), ref('workitem.fileReference', 16), text(' x')]]),
    ],
    ['custom1=a\\=b\\,c', byFields(['custom1', [text('a=b,c')]])],
    [
      'custom1=[workitem.owner.name],custom2=[workitem.client.name]',
      byFields(['custom1', [ref('workitem.owner.name', 9)]], ['custom2', [ref('workitem.client.name', 39)]]),
    ],
  ])('%j', (input, expected) => {
    expect(parseResolver(input)).toEqual(expected);
  });
});

describe('parseResolver rejects', () => {
  it.each<[string, string, number]>([
    ['', 'EmptyResolver', 1],
    [' \t\n ', 'EmptyResolver', 1],
    ['[workitem.title', 'UnclosedBracket', 1],
    ['Matter - [workitem.title', 'UnclosedBracket', 10],
    ['Matter [', 'UnclosedBracket', 8],
    ['custom1=[workitem.title, custom2=x', 'UnclosedBracket', 9],
    ['[workitem.title - archive', 'UnclosedBracket', 1],
    ['[workitem.title [workitem.reference]]', 'NestedBracket', 17],
    ['[[workitem.title]]', 'NestedBracket', 2],
    [']', 'StrayClosingBracket', 1],
    ['Matter [workitem.title]]', 'StrayClosingBracket', 24],
    ['[]', 'EmptyReference', 1],
    ['x [  ]', 'EmptyReference', 3],
    ['[workitem..title]', 'InvalidReference', 11],
    ['[workitem.]', 'InvalidReference', 10],
    ['[.workitem.title]', 'InvalidReference', 2],
    ['[workitem. title]', 'InvalidReference', 11],
    ['[workitem.ti=tle]', 'InvalidReference', 13],
    ['[workitem.ti\\,tle]', 'InvalidReference', 13],
    ['[title]', 'UnknownRoot', 2],
    ['[WorkItem.title]', 'UnknownRoot', 2],
    ['[matter.title]', 'UnknownRoot', 2],
    ['[workitem]', 'UnknownWorkItemPath', 2],
    ['[workitem.Title]', 'UnknownWorkItemPath', 2],
    ['[workitem.client]', 'UnknownWorkItemPath', 2],
    ['x [ workitem.client.refrence]', 'UnknownWorkItemPath', 5],
    ['Custom1=[workitem.title]', 'UnknownField', 1],
    ['custom31=x', 'UnknownField', 1],
    ['custom1=x, NAME=y', 'UnknownField', 12],
    ['a=b', 'UnknownField', 1],
    ['custom1=', 'EmptyValue', 8],
    ['custom1 =  , custom2=x', 'EmptyValue', 9],
    ['custom1=x, custom1=y', 'DuplicateField', 12],
    ['name=x, custom1=y, name=z', 'DuplicateField', 20],
    ['custom1=x,', 'TrailingComma', 10],
    ['custom1=x, \t', 'TrailingComma', 10],
    ['custom1=x,,custom2=y', 'UnexpectedToken', 11],
    ['custom1=x, [workitem.title]', 'UnexpectedToken', 12],
    ['custom1=x, custom2', 'UnexpectedToken', 19],
    ['custom1=x, custom2 y', 'UnexpectedToken', 20],
    ['custom1=a=b', 'UnexpectedToken', 10],
    ['custom1=a custom2=b', 'UnexpectedToken', 18],
    ['Smith, Jones', 'UnexpectedToken', 6],
    ['Smith & Jones = partners', 'UnexpectedToken', 15],
    ['=x', 'UnexpectedToken', 1],
    ['[workitem.title], custom2=x', 'UnexpectedToken', 17],
    ['Client\\Matter', 'InvalidEscape', 7],
    ['trailing\\', 'InvalidEscape', 9],
    ['🏛🏛 [workitem.title', 'UnclosedBracket', 4],
  ])('%j: %s at column %i', (input, code, column) => {
    const error = catchError(() => parseResolver(input));
    expect(error).toBeInstanceOf(ResolverSyntaxError);
    expect(error).toMatchObject({ code, column });
    expect((error as ResolverSyntaxError).message).toBe(
      `column ${column}: ${messageProblem(error)}; ${(error as ResolverSyntaxError).fix}`,
    );
  });

  it.each<[string, string]>([
    ['Matter - [workitem.title', "column 10: '[' is never closed; add ']' after 'workitem.title'"],
    [
      'Matter [',
      "column 8: '[' is never closed; write a path and ']', e.g. '[workitem.title]', or write '\\[' for a literal '['",
    ],
    [
      'Custom1=x',
      "column 1: 'Custom1' is not a search field; write 'custom1'; fields are 'name' and 'custom1' to 'custom30', in lower case",
    ],
    ['[title]', "column 2: reference 'title' does not start with 'workitem.'; write '[workitem.title]'"],
    [
      '[WorkItem.client.name]',
      "column 2: reference 'WorkItem.client.name' does not start with 'workitem.'; write 'workitem' in lower case: '[workitem.client.name]'",
    ],
    [
      'custom1=x, custom1=y',
      "column 12: 'custom1' is already set at column 1; remove one of the two 'custom1' criteria",
    ],
    [
      'Smith, Jones',
      "column 6: unescaped ',' in a Default Search name; write '\\,' for a literal ',', or for Advanced Search start with a field such as 'custom1='",
    ],
  ])('%j explains the fix', (input, message) => {
    expect(catchError(() => parseResolver(input))).toHaveProperty('message', message);
  });

  it('suggests the nearest work-item path and lists the valid ones', () => {
    const error = catchError(() => parseResolver('[workitem.client.refrence]'));
    expect(error).toHaveProperty(
      'fix',
      expect.stringMatching(
        /^did you mean 'workitem\.client\.reference'\? valid paths are workitem\.title, workitem\.reference, /,
      ),
    );
    expect(error).toHaveProperty('fix', expect.stringContaining('workitem.owner.name'));
  });

  it('suggests the nearest field for a misspelt one', () => {
    expect(catchError(() => parseResolver('nmae=x'))).toHaveProperty(
      'fix',
      expect.stringMatching(/^did you mean 'name'\?/),
    );
  });
});

describe('describeResolver', () => {
  it.each<[string, string]>([
    ['Clio Operate Document Templates', 'DefaultSearch Clio Operate Document Templates'],
    ['  [ workitem.title ]  ', 'DefaultSearch [workitem.title]'],
    [
      'custom1 = [workitem.client.reference] ,custom2=[workitem.reference]',
      'AdvancedSearch custom1=[workitem.client.reference], custom2=[workitem.reference]',
    ],
    ['Smith\\, Jones \\[draft\\] \\\\', 'DefaultSearch Smith\\, Jones \\[draft\\] \\\\'],
    ['name=a\\=b', 'AdvancedSearch name=a\\=b'],
  ])('%j → %j', (input, expected) => {
    const parsed = parseResolver(input);
    expect(describeResolver(parsed)).toBe(expected);
    expect(parseResolver(formatResolver(parsed))).toEqual(parseResolver(expected.slice(parsed.mode.length + 1)));
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/** The problem part of a message, between the column prefix and the fix. */
function messageProblem(error: unknown): string {
  const { message, fix, column } = error as ResolverSyntaxError;
  return message.slice(`column ${column}: `.length, message.length - fix.length - 2);
}

describe('parseResolver parses each distinct string once', () => {
  it('answers the same string with the same frozen result, and the same error', () => {
    const first = parseResolver('custom1=[workitem.client.reference], custom2=[workitem.reference]');
    expect(parseResolver('custom1=[workitem.client.reference], custom2=[workitem.reference]')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const thrown = () => {
      try {
        parseResolver('[workitem.title');
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const error = thrown();
    expect(error).toBeInstanceOf(ResolverSyntaxError);
    expect(thrown()).toBe(error);
  });
});
