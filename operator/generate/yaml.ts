// YAML text for generated files and committed testdata, written with js-yaml (the one YAML
// library, issue 8) in the shape the `yaml` package gave them:
// - no folding (lineWidth -1): a long description stays on one line, as cdk8s writes crds/, so
//   the chart's CRD template holds the same lines as crds/ (js-yaml cannot fold a plain scalar
//   over lines as `yaml` did; it would switch to `>-` blocks);
// - double quotes where a string needs quotes, single quotes when it holds `"` and no `'`, so
//   Helm actions such as `{{ index (splitList "/" .) 0 }}` read without escapes;
// - DUMP_SCHEMA (js-yaml's default for dump) quotes every string that YAML 1.1 or 1.2 would read
//   as something else (yes, on, 0777, a timestamp): Helm and kubectl read YAML with Go's 1.1-style
//   rules. Pass CORE_SCHEMA to write what a YAML 1.2 reader needs only, as the testdata does;
// - noRefs: an object used twice is written twice, never as an anchor and an alias.

import {
  DEFAULT_SCALAR_STYLE_RULES,
  SCALAR_STYLE,
  dump,
  type ScalarLayout,
  type ScalarStyle,
  type Schema,
} from 'js-yaml';

const allows = (layout: ScalarLayout, style: ScalarStyle): boolean => (layout.allowedStylesMask & (1 << style)) !== 0;

/** Runs where js-yaml would quote a string that cannot stay plain; its own rules quote the rest. */
function singleQuotesWhenTheySaveEscapes(layout: ScalarLayout): void {
  if (layout.style !== SCALAR_STYLE.PLAIN || allows(layout, SCALAR_STYLE.PLAIN)) return;
  const value = layout.node.value;
  if (value.includes('"') && !value.includes("'") && allows(layout, SCALAR_STYLE.SINGLE_QUOTED)) {
    layout.style = SCALAR_STYLE.SINGLE_QUOTED;
  }
}

const { quoteInvalidPlain, fallbackToDoubleQuoted, ...earlierRules } = DEFAULT_SCALAR_STYLE_RULES;
const SCALAR_STYLE_RULES = [
  ...Object.values(earlierRules),
  singleQuotesWhenTheySaveEscapes,
  quoteInvalidPlain,
  fallbackToDoubleQuoted,
];

export interface ToYamlOptions {
  /** Which strings need quotes: js-yaml's DUMP_SCHEMA (YAML 1.1 and 1.2) unless given. */
  readonly schema?: Schema;
}

/** One YAML document, ending in a newline, without a `---` marker. */
export function toYaml(value: unknown, options: ToYamlOptions = {}): string {
  return dump(value, {
    lineWidth: -1,
    quoteStyle: 'double',
    noRefs: true,
    scalarStyleRules: SCALAR_STYLE_RULES,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
}
