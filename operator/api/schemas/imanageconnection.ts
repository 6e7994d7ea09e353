// The IManageConnection API: the single source of the CRD, the TypeScript types and the
// validator. Run `npm run generate` after changing it.

import { goDurationMs } from '../duration.ts';
import { type CelValidation, SharedRegex, celRule } from './cel.ts';
import {
  DNS_LABEL,
  DNS_SUBDOMAIN,
  EXPLICIT_PORT,
  FIX,
  PORT_443,
  type Schema,
  bool,
  conditionsSchema,
  duration,
  localObjectRef,
  obj,
  observedGenerationSchema,
  secretKeyRef,
  str,
  urlRules,
} from './common.ts';
import { PROFILES, profileValidations } from './profiles.ts';

const CLOUD_HOST = new SharedRegex('^https://([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)?cloudimanage\\.com(:[0-9]+)?(/.*)?$');

/** A JSON Schema condition: connectionType is one of these (for the schemas published to editors). */
const whenType = (...types: string[]) => ({
  properties: { connectionType: { enum: types } },
  required: ['connectionType'],
});

const at = (field: string) => (badValue: string) => ({ spec: { [field]: badValue } });
const atEnvironment = (field: 'baseUrl' | 'redirectUri') => (badValue: string) => ({
  spec: {
    environments: [{ name: 'production', baseUrl: 'https://acme.example.com', [field]: badValue }],
  },
});

function environmentUrlRules(
  field: 'baseUrl' | 'redirectUri',
  rules: readonly (keyof typeof urlRules)[],
): CelValidation[] {
  return rules.map((rule) => urlRules[rule](field, atEnvironment(field)));
}

function serverUrl(what: string, field: 'url' | 'apiUrl'): CelValidation[] {
  return [
    urlRules.https(what, at(field)),
    urlRules.printableAscii(what, at(field)),
    urlRules.noWhitespace(what, at(field)),
    urlRules.noUserinfo(what, at(field)),
    urlRules.noQueryOrFragment(what, at(field)),
    urlRules.lowerCaseHost(what, at(field)),
  ];
}

const url = str(
  'Base URL of the iManage server, used for sign-in and, unless apiUrl is set, for the REST API. ' +
    'Cloud and Hosted: https://cloudimanage.com or a vanity https://<firm>.cloudimanage.com. ' +
    'OnPremise: the Work Server (10.2 or later). https only; no credentials, query or fragment; port 443 unless allowNonStandardPort. ' +
    'Immutable: to point at another server, create a new connection.',
  {
    minLength: 9,
    maxLength: 2048,
    'x-kubernetes-validations': [
      ...serverUrl('url', 'url'),
      celRule({
        rule: 'self == oldSelf',
        message:
          'url is immutable, as in Legatics and Clio Operate; create a new IManageConnection to point at another server',
        transition: true,
        twin: (self, oldSelf) => oldSelf === undefined || self === oldSelf,
        rejects: [
          { title: 'url changed after creation', patch: { spec: { url: 'https://otherfirm.cloudimanage.com' } } },
        ],
      }),
    ],
  },
);

const apiUrl = str(
  'REST API base URL when it differs from url (Legatics): sign-in and the file picker stay on url, ' +
    "inside the firm's network, while the operator calls the API here. https only. " +
    'Cloud and Hosted: a cloudimanage.com host, like url. Immutable, like url: the access token is sent here.',
  { minLength: 9, maxLength: 2048, 'x-kubernetes-validations': serverUrl('apiUrl', 'apiUrl') },
);

const environment = obj(
  'One environment of the connecting product (production, uat, training, test, …) whose redirect URI must be registered with iManage.',
  {
    name: str('Environment name, a DNS label such as production, uat, training or test.', {
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
      [FIX]: 'use a lower-case name such as production, uat, training or test',
    }),
    baseUrl: str(
      'Base URL of the environment, for example https://acme.clioweb.com. The redirect URI is this plus spec.redirectPath unless redirectUri is set.',
      {
        minLength: 9,
        maxLength: 2048,
        // A base URL takes redirectPath after it: no query, fragment or trailing slash.
        'x-kubernetes-validations': environmentUrlRules('baseUrl', [
          'https',
          'printableAscii',
          'noWhitespace',
          'noUserinfo',
          'noQueryOrFragment',
          'lowerCaseHost',
          'noTrailingSlash',
        ]),
      },
    ),
    redirectUri: str(
      'Explicit redirect URI for this environment, used as is instead of baseUrl + redirectPath ' +
        '(Syncly: https://<firm>.syncly.io/api/connectors/authorised; Legatics: https://api.<host>/auth/v0/oauth2/authorized). ' +
        'iManage compares it exactly: https, lower-case host, no trailing slash, no spaces, no fragment.',
      {
        minLength: 9,
        maxLength: 2048,
        // A redirect URI may carry a query (RFC 6749 §3.1.2), never a fragment.
        'x-kubernetes-validations': environmentUrlRules('redirectUri', [
          'https',
          'printableAscii',
          'noWhitespace',
          'noUserinfo',
          'noFragment',
          'lowerCaseHost',
          'noTrailingSlash',
        ]),
      },
    ),
  },
  { required: ['name', 'baseUrl'] },
);

const auth = obj(
  'How the operator signs in to iManage on behalf of the connecting product.',
  {
    grant: str(
      'OAuth 2.0 grant. AuthorizationCode: a fall-back account linked once interactively (Clio Operate); ' +
        "Password: a service account's user name and password; ClientCredentials: the application itself, where iManage allows it.",
      { enum: ['AuthorizationCode', 'Password', 'ClientCredentials'], default: 'AuthorizationCode' },
    ),
    scope: str('OAuth scope: user for product integrations, admin for administrative clients.', {
      enum: ['user', 'admin'],
      default: 'user',
    }),
    credentialsSecretRef: localObjectRef(
      'Secret holding the fall-back account: keys username and password for Password; key refreshToken ' +
        '(from the interactive link) for AuthorizationCode. Not used by ClientCredentials.',
    ),
    pkce: str(
      'PKCE on the interactive sign-in (AuthorizationCode): S256 sends code_challenge and code_verifier, as RFC 9700 ' +
        'recommends; Disabled sends neither, as every public iManage client does. Whether iManage accepts them is not ' +
        'published: turn it off if the sign-in comes back with invalid_request.',
      { enum: ['S256', 'Disabled'], default: 'S256' },
    ),
    expectedAccount: str(
      'AuthorizationCode: the iManage user id that may link this connection (as GET /api names it, e.g. ' +
        'SVC-CLIO; compared without regard to case). A sign-in as another account is refused on the page and ' +
        'its tokens revoked. Unset: any account that signs in with the sign-in URL.',
      { minLength: 1, maxLength: 128, pattern: '^[!-~]+$', [FIX]: 'give the user id only, without spaces' },
    ),
  },
  {
    default: { grant: 'AuthorizationCode', scope: 'user', pkce: 'S256' },
    'x-kubernetes-validations': [
      celRule({
        rule: "self.grant != 'Password' || has(self.credentialsSecretRef)",
        message: 'auth.grant Password needs auth.credentialsSecretRef naming a Secret with keys username and password',
        fieldPath: '.credentialsSecretRef',
        reason: 'FieldValueRequired',
        twin: (self) => self?.grant !== 'Password' || self?.credentialsSecretRef !== undefined,
        rejects: [{ title: 'Password grant without credentials', patch: { spec: { auth: { grant: 'Password' } } } }],
      }),
    ],
  },
);

const tokens = obj(
  'Where and how the operator keeps the OAuth tokens it obtains.',
  {
    secretName: str('Name of the Secret the tokens are written to. Default: <connection name>-tokens.', {
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      [FIX]: 'use a lower-case DNS name such as acme-imanage-tokens',
    }),
    refreshBefore: duration('Refresh the access token this long before it expires.', '5m'),
    encryption: obj(
      'Token encryption: a certificate combined with an administrator passphrase of at least 100 characters, as Clio Operate does. Never change the passphrase once tokens exist.',
      {
        passphraseSecretRef: secretKeyRef('Secret key holding the passphrase (at least 100 characters).', 'passphrase'),
        certificateSecretRef: localObjectRef('A kubernetes.io/tls Secret whose certificate encrypts the tokens.'),
        previousPassphraseSecretRef: secretKeyRef(
          'Secret key holding the passphrase the tokens were encrypted with before a change of passphraseSecretRef: ' +
            'the operator opens the token Secret with it, re-encrypts under the new passphrase, and then it may go.',
          'passphrase',
        ),
      },
      { required: ['passphraseSecretRef', 'certificateSecretRef'] },
    ),
  },
  { default: { refreshBefore: '5m' } },
);

const probes = obj(
  'How often and how patiently the operator probes iManage.',
  {
    interval: duration('Time between probes. At most 1h is honoured: a longer interval is probed hourly.', '5m'),
    timeout: duration('Time allowed for one probe. At most 60s is honoured.', '10s'),
  },
  {
    default: { interval: '5m', timeout: '10s' },
    'x-kubernetes-validations': [
      celRule({
        rule: 'duration(self.timeout) < duration(self.interval)',
        message: 'probes.timeout must be shorter than probes.interval',
        fieldPath: '.timeout',
        twin: (self) => goDurationMs(self?.timeout ?? '10s') < goDurationMs(self?.interval ?? '5m'),
        rejects: [
          {
            title: 'probe timeout longer than its interval',
            patch: { spec: { probes: { interval: '10s', timeout: '1m' } } },
          },
        ],
      }),
      celRule({
        rule: "duration(self.interval) >= duration('10s')",
        message: 'probes.interval must be at least 10s so that iManage is not flooded; 5m is the default',
        fieldPath: '.interval',
        twin: (self) => goDurationMs(self?.interval ?? '5m') >= 10_000,
        rejects: [
          { title: 'probe interval too short', patch: { spec: { probes: { interval: '1s', timeout: '500ms' } } } },
        ],
      }),
    ],
  },
);

export const iManageConnectionSpec: Schema = obj(
  'The desired state of a connection from a product to iManage Work.',
  {
    profile: str(
      "The connecting product, whose guide adds rules: ClioOperate (Clio Operate's iManage guide and " +
        "iManage Cloud guide), Actionstep (Actionstep's iManage guide), Legatics (Legatics' iManage guide), " +
        "Syncly (Syncly's iManage on-premise guide), or Generic (no extra rules). A profile only rejects what " +
        "breaks its product's rules, naming the guide, what it says, and the fix; it never changes what you " +
        'wrote. See the README, "Product profiles".',
      { enum: [...PROFILES], default: 'Generic' },
    ),
    productVersion: str(
      'Version of the connecting product, where its profile depends on it: Clio Operate 7.11.0 and above connects to ' +
        'iManage Cloud as Cloud, below 7.11.0 as Hosted.',
      {
        maxLength: 32,
        pattern: '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$',
        [FIX]: 'write the version as major.minor or major.minor.patch, for example 7.11.2',
      },
    ),
    connectionType: str(
      'Cloud: iManage Cloud through a shared, globally registered application (Clio Operate 7.11+, Legatics, Actionstep). ' +
        "Hosted: an iManage Cloud URL with the firm's own client id and secret (Clio Operate below 7.11). " +
        'OnPremise: a Work Server 10.2 or later with its own application package.',
      { enum: ['Cloud', 'Hosted', 'OnPremise'] },
    ),
    url,
    apiUrl,
    allowNonStandardPort: bool(
      'Allow a port other than 443 in url and apiUrl. Legatics notes that arbitrary ports need extra configuration on the iManage side.',
      false,
    ),
    customerId: str('The iManage customer id (required for Cloud); iManage registers redirect URIs against it.', {
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]+$',
      [FIX]:
        'copy the customer id from your iManage onboarding documents, as a string in quotes: customerId: "100" ' +
        '(YAML reads a bare 100 as a number)',
    }),
    library: str('The preferred library (Clio Operate calls it the preferred database), for example ACTIVE_US.', {
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_-]+$',
      [FIX]: 'use the library id as iManage shows it, for example ACTIVE_US',
    }),
    clientSecretRef: localObjectRef(
      'Secret with keys clientId and clientSecret of the iManage application. Required for Hosted and OnPremise; for ' +
        'Cloud it overrides the operator-wide default application. With auth.grant Password, clientSecret may be left ' +
        'out for an application registered without a secret (iManage Cloud\'s "Desktop Auth Client", an on-premise ' +
        '"Native" application): the operator then sends client_id alone.',
    ),
    caBundleSecretRef: secretKeyRef(
      'Secret key holding PEM CA certificates to trust for url and apiUrl instead of the system roots, for an on-premise server behind a private CA. There is no switch to skip verification.',
      'ca.crt',
    ),
    redirectPath: str("Path appended to each environment's baseUrl to form its redirect URI.", {
      default: '/externalServices/replyFrom',
      maxLength: 512,
      pattern: '^/[^\\s?#]*[^/\\s?#]$',
      [FIX]: 'start with / and end without /, for example /externalServices/replyFrom',
    }),
    environments: {
      type: 'array',
      description:
        'The product environments (production, UAT, training, test, …) whose redirect URIs must be registered with iManage. Each is registered individually; a missing one fails with invalid_redirect_uri.',
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: environment,
    },
    registration: obj(
      'The registration of the customer id and redirect URIs with iManage (Cloud), which iManage takes 24–48 hours to complete.',
      {
        requestedAt: str(
          'When registration was requested (RFC 3339). After 48 hours an unregistered URI is reported Overdue.',
          {
            format: 'date-time',
          },
        ),
      },
    ),
    auth,
    tokens,
    probes,
    suspend: bool('Leave the connection alone: no probes, no token refresh. Everything it has is kept.', false),
  },
  {
    required: ['connectionType', 'url'],
    'x-kubernetes-validations': [
      ...profileValidations(),
      celRule({
        rule: "self.connectionType != 'Cloud' || has(self.customerId)",
        message:
          'connectionType Cloud needs customerId: iManage registers redirect URIs against the customer id; ask your iManage administrator for it',
        fieldPath: '.customerId',
        reason: 'FieldValueRequired',
        twin: (s) => s?.connectionType !== 'Cloud' || s?.customerId !== undefined,
        jsonSchema: { if: whenType('Cloud'), then: { required: ['customerId'] } },
        rejects: [{ title: 'Cloud without customerId', patch: { spec: { customerId: null } } }],
      }),
      celRule({
        rule: "self.connectionType == 'Cloud' || has(self.clientSecretRef)",
        message:
          'connectionType Hosted and OnPremise need clientSecretRef naming a Secret with keys clientId and clientSecret of your iManage application',
        fieldPath: '.clientSecretRef',
        reason: 'FieldValueRequired',
        twin: (s) => s?.connectionType === 'Cloud' || s?.clientSecretRef !== undefined,
        jsonSchema: { if: whenType('Hosted', 'OnPremise'), then: { required: ['clientSecretRef'] } },
        rejects: [
          {
            title: 'Hosted without clientSecretRef',
            patch: { spec: { connectionType: 'Hosted', clientSecretRef: null } },
          },
        ],
      }),
      celRule({
        rule: `self.connectionType == 'OnPremise' || ${CLOUD_HOST.cel('self.url')}`,
        message:
          'connectionType Cloud and Hosted need url https://cloudimanage.com or https://<firm>.cloudimanage.com; use OnPremise for your own Work Server',
        fieldPath: '.url',
        twin: (s) => s?.connectionType === 'OnPremise' || CLOUD_HOST.test(s?.url),
        jsonSchema: { if: whenType('Cloud', 'Hosted'), then: { properties: { url: { pattern: CLOUD_HOST.source } } } },
        rejects: [{ title: 'Cloud with a non-cloud host', patch: { spec: { url: 'https://dms.acme.example.com' } } }],
      }),
      celRule({
        rule: `self.connectionType == 'OnPremise' || !has(self.apiUrl) || ${CLOUD_HOST.cel('self.apiUrl')}`,
        message:
          'connectionType Cloud and Hosted need apiUrl, when set, on https://cloudimanage.com or https://<firm>.cloudimanage.com ' +
          "(the linked account's access token is sent there); remove apiUrl, or use OnPremise for your own Work Server",
        fieldPath: '.apiUrl',
        twin: (s) => s?.connectionType === 'OnPremise' || s?.apiUrl === undefined || CLOUD_HOST.test(s.apiUrl),
        jsonSchema: {
          if: whenType('Cloud', 'Hosted'),
          then: { properties: { apiUrl: { pattern: CLOUD_HOST.source } } },
        },
        rejects: [
          {
            title: 'Cloud with apiUrl on another host',
            patch: { spec: { apiUrl: 'https://tokens.attacker.example' } },
          },
        ],
      }),
      // A spec-level transition rule, not one on apiUrl: adding or removing apiUrl moves the token as surely as editing it.
      celRule({
        rule: 'has(self.apiUrl) == has(oldSelf.apiUrl) && (!has(self.apiUrl) || self.apiUrl == oldSelf.apiUrl)',
        message:
          "apiUrl is immutable, like url (the linked account's access token is sent there); create a new IManageConnection " +
          'to call the API at another address',
        fieldPath: '.apiUrl',
        transition: true,
        twin: (self, oldSelf) => oldSelf === undefined || self?.apiUrl === oldSelf?.apiUrl,
        rejects: [
          { title: 'apiUrl added after creation', patch: { spec: { apiUrl: 'https://api.acme.example.com' } } },
        ],
      }),
      ...(['url', 'apiUrl'] as const).map((field) =>
        celRule({
          rule: `self.allowNonStandardPort || !has(self.${field}) || !${EXPLICIT_PORT.cel(`self.${field}`)} || ${PORT_443.cel(`self.${field}`)}`,
          message: `${field} names a port other than 443; remove the port, or set allowNonStandardPort: true if iManage is really served there (it needs extra configuration)`,
          fieldPath: `.${field}`,
          twin: (s) =>
            s?.allowNonStandardPort === true ||
            s?.[field] === undefined ||
            !EXPLICIT_PORT.test(s[field]) ||
            PORT_443.test(s[field]),
          jsonSchema: {
            if: { not: { properties: { allowNonStandardPort: { const: true } }, required: ['allowNonStandardPort'] } },
            then: {
              properties: {
                [field]: { not: { allOf: [{ pattern: EXPLICIT_PORT.source }, { not: { pattern: PORT_443.source } }] } },
              },
            },
          },
          rejects: [
            { title: `${field} with port 8443`, patch: { spec: { [field]: 'https://acme.cloudimanage.com:8443' } } },
          ],
        }),
      ),
    ],
  },
);

const tokensStatus = obj(
  'The OAuth tokens the operator holds for this connection. Never a token: where they are and when they end.',
  {
    secretName: str('The Secret the tokens are written to (owned by this connection).'),
    encrypted: bool(
      'Whether the Secret holds the tokens encrypted (nested-jwe/v1) or plain (plain/v1: anyone who may read the Secret may use them).',
      false,
    ),
    keyFingerprint: str(
      "Which key the Secret is encrypted under, when encrypted: the certificate public key's SHA-256 and a random key id. " +
        'Nothing in it is derived from the passphrase.',
    ),
    account: str('The iManage user the tokens act as, once known.'),
    accessTokenExpiresAt: str('When the access token lapses unless used or refreshed (iManage counts inactivity).', {
      format: 'date-time',
    }),
    refreshTokenExpiresAt: str(
      'When the refresh token ends (365 days from its issue by default); after that a human must link again.',
      { format: 'date-time' },
    ),
    lastRefreshAt: str('When the operator last obtained or refreshed the tokens.', { format: 'date-time' }),
    signInSecret: str(
      'While not linked (or while a relink is asked for): the Secret in this namespace that holds the one-time ' +
        'sign-in URL (key url). Not in status, because whoever opens it may link an account: RBAC on Secrets ' +
        'decides who may read it. imanage-operator link prints it.',
    ),
    signInUrlExpiresAt: str('When the sign-in URL stops working; the operator issues a new one after that.', {
      format: 'date-time',
    }),
  },
);

export const iManageConnectionStatus: Schema = obj('The observed state of the connection, written by the operator.', {
  observedGeneration: observedGenerationSchema(),
  conditions: conditionsSchema(),
  environments: {
    type: 'array',
    description: 'The effective redirect URI of each environment, as the operator will ask iManage to accept it.',
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
    items: obj(
      'One environment.',
      {
        name: str('Environment name.'),
        redirectUri: str('Effective redirect URI: redirectUri, or baseUrl + redirectPath.'),
        registration: str(
          'Whether iManage accepts the redirect URI: Registered; Pending (not yet, within 48 hours of registration.requestedAt); Overdue (not after 48 hours: contact iManage support); NotRegistered; InvalidClient (iManage does not know the client id); Unknown.',
          { enum: ['Registered', 'Pending', 'Overdue', 'NotRegistered', 'InvalidClient', 'Unknown'] },
        ),
        message: str(
          "What the registration probe saw, in the operator's words, and what to do. Never the client id, never iManage's page as it came.",
        ),
        checkedAt: str(
          'When iManage last gave this answer: renewed at most hourly while the answer stays the same, so that an unchanged connection causes no writes.',
          { format: 'date-time' },
        ),
      },
      { required: ['name', 'redirectUri'] },
    ),
  },
  server: obj(
    'What the reachability probe saw of the server. Times and latencies are metrics (imanage_probe_duration_seconds, imanage_probe_last_success_timestamp_seconds), not status.',
    {
      certificateNotAfter: str("When the server's TLS certificate expires.", { format: 'date-time' }),
      checkedAt: str('When the probe last saw this outcome: renewed at most hourly while it stays the same.', {
        format: 'date-time',
      }),
      customerId: str('The customer id the server reports, once the operator holds a token.'),
      libraries: {
        type: 'array',
        description: 'The libraries the server reports, once the operator holds a token.',
        items: str('A library id.'),
      },
      version: str(
        'The server version, where GET /api with a token reports one: data.dms_version, data.versions.work, or the ' +
          'API versions data.versions lists (shown as "API v1, v2"). Absent: the server reports none.',
      ),
    },
  ),
  tokens: tokensStatus,
});

export const iManageConnection = {
  kind: 'IManageConnection',
  plural: 'imanageconnections',
  singular: 'imanageconnection',
  shortNames: ['imc'],
  description:
    'A connection from a product (Clio Operate, Actionstep, Legatics, Syncly, …) to iManage Work: the server, the application credentials, the redirect URIs of every environment, and how tokens are obtained, encrypted and refreshed.',
  spec: iManageConnectionSpec,
  status: iManageConnectionStatus,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'URL', type: 'string', jsonPath: '.spec.url' },
    { name: 'Type', type: 'string', jsonPath: '.spec.connectionType', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
} as const;
