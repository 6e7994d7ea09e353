// Product profiles: the rules each product's own guide (the seeds) sets for a connection. Every
// rule here is a CEL rule with its JavaScript twin, so the API server, the operator (InvalidSpec)
// and `imanage-operator validate` enforce it alike. Rules that need a repository and its
// connection together are in operator/api/validation/profiles.ts.
//
// A profile never changes what the user wrote: it only rejects, naming the profile, the seed's
// rule and the fix. The seeds do not support a profile-specific default anywhere the schema
// could set one (schema defaults cannot depend on another field), so there are none.

import { type CelExample, type CelValidation, SharedRegex, celRule } from './cel.ts';

export const PROFILES = ['Generic', 'ClioOperate', 'Actionstep', 'Legatics', 'Syncly'] as const;
export type Profile = (typeof PROFILES)[number];

/** Where a rule comes from: the seed file number (for us) and the guide's words (for the user). */
export interface SeedRule {
  readonly seed: keyof typeof GUIDES;
  readonly says: string;
}

/**
 * The product guide behind each seed file, by the name a user knows it under: what users read
 * names the guide, never our seed number.
 */
export const GUIDES = {
  '000': "Clio Operate's iManage guide",
  '001': "Clio Operate's iManage Cloud guide",
  '002': "Legatics' iManage guide",
  '003': "Actionstep's iManage guide",
  '004': "Syncly's iManage on-premise guide",
} as const;

export const CLIO_REDIRECT_PATH = '/externalServices/replyFrom';
/** Clio Operate versions below 7.11.0: 0.x–6.x, 7.0–7.10 (any patch). */
export const CLIO_BELOW_7_11 = new SharedRegex('^([0-6]\\.[0-9]+|7\\.([0-9]|10))(\\.[0-9]+)?$');
export const LEGATICS_REDIRECT_PATH = '/auth/v0/oauth2/authorized';
export const SYNCLY_REDIRECT = new SharedRegex(
  '^https://[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.syncly\\.io/api/connectors/authorised$',
);

interface ProfileRuleDefinition {
  readonly profile: Exclude<Profile, 'Generic'>;
  readonly from: SeedRule;
  /** CEL over the spec, checked only when spec.profile is this profile. */
  readonly rule: string;
  readonly twin: (spec: any) => boolean;
  /** What is wrong, then what to write instead. */
  readonly problem: string;
  readonly fix: string;
  readonly fieldPath: string;
  readonly reason?: CelValidation['reason'];
  /** The rule in plain JSON Schema, where it can be written so (for editors). */
  readonly jsonSchema?: Record<string, unknown>;
  /** Merge patches onto the base connection (operator/api/validation/fixtures.ts). */
  readonly rejects: readonly CelExample[];
}

/** `profile Actionstep (Actionstep's iManage guide: "…"): <problem>; fix: <fix>` — the same text on every side. */
export function profileMessage(profile: string, from: SeedRule, problem: string, fix: string): string {
  return `profile ${profile} (${guideSays(from)}): ${problem}; fix: ${fix}`;
}

/** `Actionstep's iManage guide: "Only one iManage library …"` */
export function guideSays(from: SeedRule): string {
  return `${GUIDES[from.seed]}: "${from.says}"`;
}

const ALL_RULES: ProfileRuleDefinition[] = [];

function profileRule(def: ProfileRuleDefinition): void {
  ALL_RULES.push(def);
}

const hasEnvironments = (s: any) => Array.isArray(s?.environments) && s.environments.length > 0;
const environmentsOf = (s: any): any[] => (Array.isArray(s?.environments) ? s.environments : []);
const connectionTypeOf = (s: any) => s?.connectionType;

/** A profile that allows one connectionType only. */
function onlyConnectionType(
  profile: ProfileRuleDefinition['profile'],
  type: string,
  from: SeedRule,
  problem: string,
  fix: string,
  rejects: CelExample[],
): void {
  profileRule({
    profile,
    from,
    problem,
    fix,
    rejects,
    rule: `self.connectionType == '${type}'`,
    twin: (s) => connectionTypeOf(s) === type,
    jsonSchema: { properties: { connectionType: { const: type } } },
    fieldPath: '.connectionType',
  });
}

// ---- Clio Operate (seeds 000, 001) --------------------------------------------------------------

const CLIO_REDIRECT: SeedRule = {
  seed: '001',
  says: 'Redirect URIs follow this format: https://<your-environment-url>/externalServices/replyFrom',
};

profileRule({
  profile: 'ClioOperate',
  from: CLIO_REDIRECT,
  rule: `!has(self.redirectPath) || self.redirectPath == '${CLIO_REDIRECT_PATH}'`,
  twin: (s) => s?.redirectPath === undefined || s.redirectPath === CLIO_REDIRECT_PATH,
  problem: `redirectPath must be ${CLIO_REDIRECT_PATH}`,
  fix: 'remove redirectPath (its default is /externalServices/replyFrom)',
  fieldPath: '.redirectPath',
  rejects: [
    {
      title: 'ClioOperate with another redirectPath',
      patch: { spec: { profile: 'ClioOperate', redirectPath: '/oauth/callback' } },
    },
  ],
});

profileRule({
  profile: 'ClioOperate',
  from: CLIO_REDIRECT,
  rule:
    '!has(self.environments) || ' +
    `self.environments.all(e, !has(e.redirectUri) || e.redirectUri == e.baseUrl + '${CLIO_REDIRECT_PATH}')`,
  twin: (s) =>
    environmentsOf(s).every(
      (e) => e?.redirectUri === undefined || e.redirectUri === `${e.baseUrl}${CLIO_REDIRECT_PATH}`,
    ),
  problem: `an environment's redirectUri must be its baseUrl + ${CLIO_REDIRECT_PATH}`,
  fix: "remove redirectUri and give the environment's baseUrl (https://<environment>); the redirect URI follows",
  fieldPath: '.environments',
  rejects: [
    {
      title: 'ClioOperate with a foreign redirectUri',
      patch: {
        spec: {
          profile: 'ClioOperate',
          environments: [
            {
              name: 'production',
              baseUrl: 'https://acme.clioweb.com',
              redirectUri: 'https://acme.clioweb.com/callback',
            },
          ],
        },
      },
    },
  ],
});

profileRule({
  profile: 'ClioOperate',
  from: {
    seed: '001',
    says: 'Include all environments — not just production. Each environment must be registered individually',
  },
  rule: 'has(self.environments) && size(self.environments) > 0',
  twin: hasEnvironments,
  problem: 'environments lists none',
  fix: 'list every Clio Operate environment (production, UAT, training, test) with its baseUrl',
  fieldPath: '.environments',
  reason: 'FieldValueRequired',
  rejects: [
    { title: 'ClioOperate without environments', patch: { spec: { profile: 'ClioOperate', environments: null } } },
  ],
});

const CLIO_VERSIONS: SeedRule = {
  seed: '001',
  says:
    'On versions below 7.11.0 … The workaround is to configure the integration using the Hosted iManage ' +
    'connection type',
};

profileRule({
  profile: 'ClioOperate',
  from: CLIO_VERSIONS,
  rule: "self.connectionType == 'OnPremise' || has(self.productVersion)",
  twin: (s) => connectionTypeOf(s) === 'OnPremise' || s?.productVersion !== undefined,
  problem: 'connectionType Cloud and Hosted depend on the Clio Operate version, and productVersion is not set',
  fix: 'set productVersion to the Clio Operate version, for example "7.11.2"',
  fieldPath: '.productVersion',
  reason: 'FieldValueRequired',
  rejects: [{ title: 'ClioOperate Cloud without productVersion', patch: { spec: { profile: 'ClioOperate' } } }],
});

profileRule({
  profile: 'ClioOperate',
  from: CLIO_VERSIONS,
  rule:
    "self.connectionType == 'OnPremise' || !has(self.productVersion) || " +
    `(${CLIO_BELOW_7_11.cel('self.productVersion')} ? ` +
    "self.connectionType == 'Hosted' : self.connectionType == 'Cloud')",
  twin: (s) =>
    connectionTypeOf(s) === 'OnPremise' ||
    s?.productVersion === undefined ||
    connectionTypeOf(s) === (CLIO_BELOW_7_11.test(s.productVersion) ? 'Hosted' : 'Cloud'),
  problem: 'Clio Operate 7.11.0 and above connects to iManage Cloud as connectionType Cloud, below 7.11.0 as Hosted',
  fix: 'use Cloud from 7.11.0 on; below it, Hosted with the Client ID and Secret from Clio Operate Support',
  fieldPath: '.connectionType',
  rejects: [
    { title: 'ClioOperate 7.10 as Cloud', patch: { spec: { profile: 'ClioOperate', productVersion: '7.10.3' } } },
    {
      title: 'ClioOperate 7.11 as Hosted',
      patch: {
        spec: {
          profile: 'ClioOperate',
          productVersion: '7.11.0',
          connectionType: 'Hosted',
          clientSecretRef: { name: 'app' },
        },
      },
    },
  ],
});

profileRule({
  profile: 'ClioOperate',
  from: {
    seed: '000',
    says: 'You should ensure that the encryption feature is enabled and configured in Clio Operate',
  },
  rule: 'has(self.tokens) && has(self.tokens.encryption)',
  twin: (s) => s?.tokens?.encryption !== undefined,
  problem: 'tokens.encryption is not set',
  fix: 'set tokens.encryption: a certificateSecretRef and a passphraseSecretRef (at least 100 characters)',
  fieldPath: '.tokens',
  reason: 'FieldValueRequired',
  rejects: [
    {
      title: 'ClioOperate without token encryption',
      patch: { spec: { profile: 'ClioOperate', productVersion: '7.11.0' } },
    },
  ],
});

// ---- Actionstep (seed 003) ----------------------------------------------------------------------

onlyConnectionType(
  'Actionstep',
  'Cloud',
  { seed: '003', says: 'Your firm uses iManage Cloud. On-premises iManage deployments are not supported' },
  'connectionType must be Cloud',
  "use connectionType Cloud with the firm's customerId; Actionstep cannot connect to an on-premise server",
  [
    {
      title: 'Actionstep OnPremise',
      patch: {
        spec: {
          profile: 'Actionstep',
          connectionType: 'OnPremise',
          url: 'https://dms.firm.example',
          clientSecretRef: { name: 'app' },
        },
      },
    },
  ],
);

profileRule({
  profile: 'Actionstep',
  from: { seed: '003', says: 'Only one iManage library can be connected per Actionstep organization' },
  rule: 'has(self.library)',
  twin: (s) => s?.library !== undefined,
  problem: 'library is not set',
  fix: 'set library to the one library chosen on the Actionstep iManage set-up page, for example ACTIVE_AU',
  fieldPath: '.library',
  reason: 'FieldValueRequired',
  rejects: [{ title: 'Actionstep without a library', patch: { spec: { profile: 'Actionstep', library: null } } }],
});

// ---- Legatics (seed 002) ------------------------------------------------------------------------

profileRule({
  profile: 'Legatics',
  from: {
    seed: '002',
    says: 'Support for Cloud and on-premise: You can connect Cloud iManage and on-premise installations',
  },
  rule: "self.connectionType != 'Hosted'",
  twin: (s) => connectionTypeOf(s) !== 'Hosted',
  problem: 'connectionType Hosted is a Clio Operate workaround that Legatics does not have',
  fix: 'use Cloud for cloudimanage.com ("Legatics 2" from the list), or OnPremise for a Work Server',
  fieldPath: '.connectionType',
  rejects: [
    {
      title: 'Legatics Hosted',
      patch: { spec: { profile: 'Legatics', connectionType: 'Hosted', clientSecretRef: { name: 'app' } } },
    },
  ],
});

profileRule({
  profile: 'Legatics',
  from: { seed: '002', says: 'API URL: This is optional' },
  rule: "!has(self.apiUrl) || self.connectionType == 'OnPremise'",
  twin: (s) => s?.apiUrl === undefined || connectionTypeOf(s) === 'OnPremise',
  problem: 'apiUrl is a field of an on-premise server only; Cloud iManage takes a name and a subdomain',
  fix: 'remove apiUrl, or use connectionType OnPremise',
  fieldPath: '.apiUrl',
  rejects: [
    {
      title: 'Legatics Cloud with apiUrl',
      patch: { spec: { profile: 'Legatics', apiUrl: 'https://api.acme.cloudimanage.com' } },
    },
  ],
});

const LEGATICS_REDIRECT: SeedRule = {
  seed: '002',
  says: 'make sure the redirect URL … is using the format https://api.{LEGATICS_URL}/auth/v0/oauth2/authorized',
};

profileRule({
  profile: 'Legatics',
  from: LEGATICS_REDIRECT,
  rule: "self.connectionType != 'OnPremise' || (has(self.environments) && size(self.environments) > 0)",
  twin: (s) => connectionTypeOf(s) !== 'OnPremise' || hasEnvironments(s),
  problem: 'an on-premise server needs the redirect URL of the uploaded package, and environments lists none',
  fix:
    'add an environment with baseUrl https://<legatics host> ' +
    'and redirectUri https://api.<legatics host>/auth/v0/oauth2/authorized',
  fieldPath: '.environments',
  reason: 'FieldValueRequired',
  rejects: [
    {
      title: 'Legatics OnPremise without environments',
      patch: {
        spec: {
          profile: 'Legatics',
          connectionType: 'OnPremise',
          url: 'https://dms.firm.example',
          clientSecretRef: { name: 'app' },
          environments: null,
        },
      },
    },
  ],
});

profileRule({
  profile: 'Legatics',
  from: LEGATICS_REDIRECT,
  // baseUrl starts with https:// (its own rule) and is at least 9 characters, so substring(8) is its host.
  rule:
    '!has(self.environments) || self.environments.all(e, has(e.redirectUri) && ' +
    `e.redirectUri == 'https://api.' + e.baseUrl.substring(8) + '${LEGATICS_REDIRECT_PATH}')`,
  twin: (s) =>
    environmentsOf(s).every(
      (e) =>
        typeof e?.baseUrl === 'string' &&
        e.redirectUri === `https://api.${e.baseUrl.slice(8)}${LEGATICS_REDIRECT_PATH}`,
    ),
  problem: "each environment's redirectUri must be https://api.<baseUrl host>/auth/v0/oauth2/authorized",
  fix:
    'set baseUrl to https://<legatics host> (no path) ' +
    'and redirectUri to https://api.<legatics host>/auth/v0/oauth2/authorized',
  fieldPath: '.environments',
  rejects: [
    {
      title: 'Legatics with the Clio Operate redirect path',
      patch: {
        spec: { profile: 'Legatics', environments: [{ name: 'production', baseUrl: 'https://acmelaw.legatics.com' }] },
      },
    },
  ],
});

// ---- Syncly (seed 004) --------------------------------------------------------------------------

onlyConnectionType(
  'Syncly',
  'OnPremise',
  {
    seed: '004',
    says: 'If you are using an on-premis version of iManage you will need to follow these steps to connect',
  },
  "this is Syncly's on-premise iManage Connector (its iManage Cloud connector is a different one)",
  "use connectionType OnPremise with the Work Server's public URL and the uploaded package's clientSecretRef",
  [{ title: 'Syncly Cloud', patch: { spec: { profile: 'Syncly' } } }],
);

profileRule({
  profile: 'Syncly',
  from: { seed: '004', says: 'Scope - Enter "User"' },
  rule: "!has(self.auth) || !has(self.auth.scope) || self.auth.scope == 'user'",
  twin: (s) => (s?.auth?.scope ?? 'user') === 'user',
  problem: 'auth.scope must be user',
  fix: 'set auth.scope to user (or remove it: user is the default)',
  fieldPath: '.auth.scope',
  rejects: [{ title: 'Syncly with scope admin', patch: { spec: { profile: 'Syncly', auth: { scope: 'admin' } } } }],
});

const SYNCLY_REDIRECT_RULE: SeedRule = {
  seed: '004',
  says:
    'Update the redirect url to your new Syncly Server address … ' +
    'e.g https://lawfirmABC.syncly.io/api/connectors/authorised',
};

profileRule({
  profile: 'Syncly',
  from: SYNCLY_REDIRECT_RULE,
  rule: 'has(self.environments) && size(self.environments) > 0',
  twin: hasEnvironments,
  problem: 'environments lists none, so there is no redirect URL to register',
  fix:
    'add an environment with baseUrl https://<firm>.syncly.io ' +
    'and redirectUri https://<firm>.syncly.io/api/connectors/authorised',
  fieldPath: '.environments',
  reason: 'FieldValueRequired',
  rejects: [{ title: 'Syncly without environments', patch: { spec: { profile: 'Syncly', environments: null } } }],
});

profileRule({
  profile: 'Syncly',
  from: SYNCLY_REDIRECT_RULE,
  rule:
    '!has(self.environments) || ' +
    `self.environments.all(e, has(e.redirectUri) && ${SYNCLY_REDIRECT.cel('e.redirectUri')})`,
  twin: (s) => environmentsOf(s).every((e) => SYNCLY_REDIRECT.test(e?.redirectUri)),
  problem:
    "each environment's redirectUri must be https://<firm>.syncly.io/api/connectors/authorised " +
    '(British spelling, lower case)',
  fix: 'set redirectUri to https://<firm>.syncly.io/api/connectors/authorised with your Syncly host',
  fieldPath: '.environments',
  rejects: [
    {
      title: 'Syncly with an American spelling',
      patch: {
        spec: {
          profile: 'Syncly',
          environments: [
            {
              name: 'production',
              baseUrl: 'https://firm.syncly.io',
              redirectUri: 'https://firm.syncly.io/api/connectors/authorized',
            },
          ],
        },
      },
    },
  ],
});

/** The `x-kubernetes-validations` entries of spec: each rule guarded by its profile. */
export function profileValidations(): CelValidation[] {
  return ALL_RULES.map((def) =>
    celRule({
      rule: `!(has(self.profile) && self.profile == '${def.profile}') || (${def.rule})`,
      message: profileMessage(def.profile, def.from, def.problem, def.fix),
      fieldPath: def.fieldPath,
      ...(def.reason ? { reason: def.reason } : {}),
      twin: (s) => (s?.profile ?? 'Generic') !== def.profile || def.twin(s),
      ...(def.jsonSchema
        ? {
            jsonSchema: {
              if: { properties: { profile: { const: def.profile } }, required: ['profile'] },
              then: def.jsonSchema,
            },
          }
        : {}),
      rejects: def.rejects,
    }),
  );
}

/** Every connection rule, for the README and the tests. */
export function connectionProfileRules(): readonly ProfileRuleDefinition[] {
  return ALL_RULES;
}
