// Every place where the public record of the iManage Work API is silent and the simulator had to
// choose, in one list. Code that implements a choice cites its id (`// assumption: <id>`), and
// README.md lists every entry (a test keeps the two in step). "Basis" says why this choice: an
// RFC, the closest documented behaviour, or plain convenience for tests. Entries were checked
// against public iManage client code (shared/imanage-api.md, issue 19): where that code showed
// something else, the entry changed, or the simulator answers both ways per host (`dialect`).

export interface Assumption {
  readonly id: string;
  readonly topic: string;
  readonly decision: string;
  readonly basis: string;
}

export const ASSUMPTIONS = [
  {
    id: 'invalid-redirect-uri-shape',
    topic: 'OAuth authorize: redirect URI not registered for the client',
    decision:
      'HTTP 400, never a redirect. JSON {"error":"invalid_redirect_uri","error_description"} unless the ' +
      'request prefers text/html, then an HTML page naming invalid_redirect_uri.',
    basis:
      "RFC 6749 §4.1.2.1 forbids redirecting to an unverified URI; the error name is from Clio Operate's guide to " +
      'connecting iManage Cloud. No public client shows the HTTP shape.',
  },
  {
    id: 'unknown-client-shape',
    topic: 'OAuth authorize: unknown client_id',
    decision: 'Same shape as invalid-redirect-uri-shape, naming invalid_client.',
    basis: 'RFC 6749 §4.1.2.1; imanage-api.md marks invalid_client as inference.',
  },
  {
    id: 'authorize-errors-after-valid-redirect',
    topic: 'OAuth authorize: other errors once client and redirect URI are valid',
    decision:
      'Redirect to redirect_uri with error=unsupported_response_type | invalid_scope | access_denied and state.',
    basis: 'RFC 6749 §4.1.2.1.',
  },
  {
    id: 'signin-flow',
    topic: 'Sign-in page',
    decision:
      'Authorize answers 302 to /auth/signin?request=<opaque id>; GET serves an HTML form; POST /auth/signin ' +
      '(form: request, username, password) answers 302 to redirect_uri?code=…&state=…; bad credentials ' +
      're-render the form with 401. Pending sign-ins expire after 10 minutes.',
    basis: "iManage's real sign-in page is not an API; any form a browser can post is faithful enough.",
  },
  {
    id: 'multi-tenant-redirect-check',
    topic: 'Redirect URI check on a host that serves several customers (cloudimanage.com)',
    decision:
      'Before sign-in the URI must be registered for the client in at least one customer the host serves; ' +
      "after sign-in it must be registered in the signed-in user's customer, else 400 invalid_redirect_uri.",
    basis:
      "Clio Operate's guide to connecting iManage Cloud: one global application, redirect URIs registered per " +
      'customer; failures appear "when users attempt to authenticate".',
  },
  {
    id: 'authorization-code',
    topic: 'Authorization codes',
    decision:
      'Single use, bound to client and redirect_uri (the token request must repeat it exactly), ' +
      'lifetime tokens.authorizationCodeSeconds (default 60).',
    basis: 'RFC 6749 §4.1.2 and §4.1.3.',
  },
  {
    id: 'pkce',
    topic: 'PKCE (RFC 7636) on the authorization code grant',
    decision:
      'Optional. An authorize request with code_challenge must use code_challenge_method=S256 (else a ' +
      'redirect with error=invalid_request); the code then exchanges only with the matching code_verifier ' +
      '(missing or wrong → invalid_grant). A host with dialect.unknownParameters: reject refuses both ' +
      'parameters instead (unknown-oauth-parameters).',
    basis:
      'No public iManage client sends code_challenge or code_verifier, so whether iManage ignores, honours or ' +
      'rejects them is unknown; honouring them follows RFC 7636 and RFC 9700 §2.1.1, rejecting them is the other ' +
      'outcome a client must survive.',
  },
  {
    id: 'client-authentication',
    topic: 'Client authentication at the token endpoint',
    decision:
      'client_id + client_secret (form fields or HTTP Basic) required for authorization_code, password and ' +
      'client_credentials; optional for refresh_token, but checked when sent. An application without a secret ' +
      'is named by client_id alone (public-client).',
    basis:
      'Every public client sends form fields (none uses Basic; accepting it is RFC 6749 §2.3.1); iManCloudCore ' +
      'sends no client for refresh, the PHP client does.',
  },
  {
    id: 'public-client',
    topic: 'An application registered without a secret',
    decision:
      'An application whose clientSecret is left out takes client_id with no client_secret (or an empty one); a ' +
      'secret sent for it answers 401 invalid_client. It cannot be given the client_credentials grant.',
    basis:
      'Forcepoint DSPM\'s guide "Registering an app for iManage Cloud / on-premise": a "Desktop Auth Client" ' +
      '(on-premise: a "Native" application) uses the password grant with client_id and no secret. Refusing a ' +
      'secret sent anyway is inferred.',
  },
  {
    id: 'token-error-shape',
    topic: 'How the token and revocation endpoints word an error',
    decision:
      'Per host (dialect.tokenErrors): rfc6749 (default) {"error":"invalid_grant","error_description"}; imanage ' +
      '{"error":{"code":"INVALID_GRANT","code_message","messages":[]}}; array {"error":[{"code","code_message"}]}. ' +
      'The status is the same in every shape. Authorize errors keep the RFC 6749 shape.',
    basis:
      "iManCloudCore parses every error, the token endpoint's included, as the iManage object; the PHP client " +
      "handles error as a string or an array; no public source shows RFC 6749's shape. The codes iManage puts in " +
      'its object here are not public: the RFC 6749 names, upper-cased like its other codes, are a guess.',
  },
  {
    id: 'token-type',
    topic: 'token_type in token responses',
    decision: 'token_type: "Bearer" by default; a host with dialect.tokenType: omit leaves it out.',
    basis:
      'Public clients read access_token, expires_in and refresh_token only; token_type appears in iManCloudCore ' +
      'only in a struct and a test mock. The token is sent as X-Auth-Token whatever the type says.',
  },
  {
    id: 'unknown-oauth-parameters',
    topic: 'OAuth parameters the server does not know',
    decision:
      'Ignored by default. A host with dialect.unknownParameters: reject refuses any other parameter than those ' +
      'public clients send: at authorize (response_type, client_id, redirect_uri, scope, state) by redirecting ' +
      'back with error=invalid_request; at the token endpoint (grant_type, code, redirect_uri, client_id, ' +
      'client_secret, username, password, refresh_token, scope) and at revoke-token (access_token) with 400 ' +
      'invalid_request.',
    basis:
      'Which parameters iManage refuses is not public; RFC 6749 §3.1 and §3.2 say a server must ignore unknown ' +
      'ones, and the strict mode is there so that a client is tested against a server that does not.',
  },
  {
    id: 'client-credentials',
    topic: 'client_credentials grant',
    decision:
      "Accepted only when the application lists it in grants; the token acts as the application's " +
      'serviceUser. Otherwise unauthorized_client.',
    basis: "Clio Operate's iManage integration guide describes the flow; no public client shows it (imanage-api.md).",
  },
  {
    id: 'refresh-disallowed',
    topic: 'Application with Allow Refresh Token = No',
    decision: 'Token responses carry no refresh_token; grant_type=refresh_token answers 400 unauthorized_client.',
    basis: 'RFC 6749 §5.1 (refresh_token is optional) and §5.2.',
  },
  {
    id: 'refresh-rotation',
    topic: 'Refresh token rotation',
    decision:
      'Every refresh returns a new refresh token with a full lifetime; the presented one stops working at ' +
      'once (reuse → invalid_grant). Access tokens issued earlier stay valid until idle. This is the ' +
      'default (application refreshTokenRotation: revoke-at-once).',
    basis: 'imanage-api.md: clients store whatever refresh_token the response returns.',
  },
  {
    id: 'refresh-rotation-grace',
    topic: 'Refresh token rotation with a grace period (refreshTokenRotation: until-new-token-used)',
    decision:
      'The presented refresh token keeps working after a refresh, until the new one is first presented; ' +
      'that first use ends the old token and every other token issued from it. A client that lost a ' +
      'refresh response can retry with the old token; two holders of one lineage cannot both go on.',
    basis:
      'Whether iManage rotates, and how, is not public (imanage-api.md); both behaviours exist at other ' +
      'providers, so a client must be tested against both.',
  },
  {
    id: 'access-token-idle-expiry',
    topic: 'Access token lifetime',
    decision: 'Expires after accessTokenMinutes of inactivity (sliding); expires_in reports the idle window.',
    basis: 'Control Center: Access Token Expiry = minutes of inactivity [C]; the sliding detail is inferred.',
  },
  {
    id: 'scope',
    topic: 'OAuth scope',
    decision:
      'Default scope user; a scope the application does not list answers invalid_scope. Scope does not ' +
      'restrict Work API calls.',
    basis: 'imanage-api.md lists user and admin; enforcement is not public.',
  },
  {
    id: 'revoke',
    topic: 'POST /auth/oauth2/revoke-token',
    decision:
      'POST form field access_token (X-Auth-Token not required): always 200 {} (also for an unknown token); the ' +
      'access token stops working.',
    basis:
      'iManCloudCore revokeToken.go and a public admin tool send access_token with X-Auth-Token and read a 200; ' +
      "the answer for an unknown token is not public (RFC 7009 §2.2's 200 is assumed).",
  },
  {
    id: 'revoke-refresh-token',
    topic: 'Revoking a refresh token',
    decision:
      "Besides iManage's access_token field, the revoke endpoint takes RFC 7009's token field, naming an " +
      'access or a refresh token; either stops working. 200 {} in every case (a strict host refuses the field).',
    basis:
      'No public client revokes a refresh token or sends token; iManage may not support it at all. Kept so that ' +
      'a client which tries can be tested both ways; a client must treat the answer as advisory.',
  },
  {
    id: 'token-customer-binding',
    topic: 'Where a token works',
    decision:
      'A token works on every host that serves its customer, and only for /customers/{its customer}/…; ' +
      'another customer id in the path answers 403.',
    basis: 'Cloud hosts share one back end; the status code is not public.',
  },
  {
    id: 'auth-header',
    topic: 'How the access token is sent',
    decision: 'Only the X-Auth-Token header is accepted; Authorization: Bearer answers 401.',
    basis: 'Every public client sends X-Auth-Token; a laxer simulator would hide a client bug.',
  },
  {
    id: 'discovery-version',
    topic: 'Server version in discovery',
    decision:
      'No version unless the host configures one: dmsVersion is answered as data.dms_version; versions as ' +
      'data.versions, an object as written or, given a list of names, an array of {name, url} with url ' +
      '{origin}/work/api/{name}.',
    basis:
      'RSign (C#) reads data.dms_version; the n8n connector reads data.versions as an array of {name, url} to ' +
      'find the v2 URL. Which servers send them, and their values, are not public.',
  },
  {
    id: 'discovery-user',
    topic: 'The signed-in user in discovery',
    decision:
      'data.user = {customer_id, id, name, full_name, email, preferred_library}: the user the access token acts ' +
      'as. customer_id is a string, or a number where the host says dialect.customerIdAs: number (its ' +
      'customers then need numeric ids). The operator records data.user.id as the linked account.',
    basis:
      'Public clients read data.user.customer_id (a number in two, a string in another), id and name (RSign); ' +
      'full_name, email and preferred_library mirror GET /customers/{cid}/users/{userId}, and are inferred here.',
  },
  {
    id: 'discovery-libraries',
    topic: 'Library entries in discovery',
    decision: 'data.work = {preferred_library, libraries[] = {alias, type, is_hidden}}.',
    basis:
      'Three public clients read data.work.preferred_library and the n8n connector data.work.libraries[].alias; ' +
      "type and is_hidden mirror the libraries endpoint's fields (inferred).",
  },
  {
    id: 'library-type',
    topic: 'Library type',
    decision: 'Default type is "worksite" unless configured.',
    basis: 'Field documented, values not.',
  },
  {
    id: 'error-codes',
    topic: 'Error codes and statuses',
    decision:
      'Only NRC_INVALID_PROFILE is documented. Invented: UNAUTHORIZED (401), FORBIDDEN (403), ' +
      'NOT_FOUND (404), METHOD_NOT_ALLOWED (405), INVALID_PARAMETER (400), MISDIRECTED_REQUEST (421), ' +
      'TOO_MANY_REQUESTS (429), SERVER_ERROR (5xx). All use the documented error body.',
    basis: 'iManCloudCore types/error.go gives the body, not the codes.',
  },
  {
    id: 'unknown-host',
    topic: 'A Host header or SNI name the simulator does not serve',
    decision:
      'HTTP 421 Misdirected Request (also when the Host header differs from the TLS SNI name); TLS ' +
      'without a known SNI name gets a certificate for localhost and 127.0.0.1.',
    basis: 'RFC 9110 §15.5.20.',
  },
  {
    id: 'page-size',
    topic: 'Page size',
    decision: 'Default limit 100; larger limits are cut to 500; limit < 1 or not an integer answers 400.',
    basis: 'No page-size maximum is public.',
  },
  {
    id: 'cursor',
    topic: 'Cursor paging',
    decision:
      'cursor is opaque base64url, bound to the query it came from (used with other filters → 400). ' +
      'Per-library search returns `cursor` whenever more results remain, in either paging mode; ' +
      'standard mode ignores the cursor parameter and standard_cursor ignores offset.',
    basis: 'iManCloudCore doc comments: "If there are more items than the limit value … a cursor value is returned".',
  },
  {
    id: 'total-count',
    topic: 'total_count',
    decision:
      'Per-library search and children lists add total_count only with total=true (never in cursor mode); ' +
      'cross-library search always carries total_count.',
    basis: 'imanage-api.md envelopes; the documented meaning of total.',
  },
  {
    id: 'unknown-search-parameters',
    topic: 'Query parameters the simulator does not implement',
    decision:
      'Unknown parameters (including wrong case, e.g. Custom1), documented filters the simulator does ' +
      'not implement, a filter given twice or empty, and cursor paging on children lists all answer 400 ' +
      'INVALID_PARAMETER naming the parameter, so a client never gets a silently broader search. ' +
      'timezone_offset and language are accepted and ignored.',
    basis: "Safer for tests than ignoring; iManage's own behaviour is not public.",
  },
  {
    id: 'search-matching',
    topic: 'Matching rules not spelled out publicly',
    decision:
      'custom13–16 match whole and case-insensitive like aliases; custom17–20 match numerically; ' +
      'customN_from/_to (21–24) are inclusive ISO date bounds; custom25–28 take true/false; description ' +
      'matches when any query word is a whole word of it; owner and name_or_description match whole, ' +
      'case-insensitive, with * as wildcard; name treats * literally.',
    basis: 'iManCloudCore doc comments for the documented parts; the rest by analogy.',
  },
  {
    id: 'search-order',
    topic: 'Result order',
    decision: 'Results come in creation order (lowest number first), across libraries in the order asked.',
    basis: 'iManage: "returned in the order they are found".',
  },
  {
    id: 'cross-library-default',
    topic: 'Cross-library search without libraries=',
    decision:
      'Searches every library of the customer; an unknown library in libraries= answers 400; only ' +
      'standard paging.',
    basis: 'Not public.',
  },
  {
    id: 'create-folder',
    topic: 'Creating folders and subfolders',
    decision:
      'JSON body {name (required), description?, default_security?, profile?}; answers 201 with ' +
      'data = the new folder (data.id is its id). A missing name answers 400 with messages[{field:"name",code:"required"}].',
    basis: 'Only the paths and data.id are public.',
  },
  {
    id: 'upload-document',
    topic: 'Uploading a document',
    decision:
      'multipart/form-data with a `profile` part (JSON: name?, extension?, author?, type?, comment?) and a ' +
      '`file` part; name and extension default from the file name; version 1; type derived from the ' +
      'extension (WORD, EXCEL, ACROBAT, …). Answers 201 with data = the document profile. No name → 400 ' +
      'NRC_INVALID_PROFILE.',
    basis: 'Only the path and the multipart parts are public.',
  },
  {
    id: 'delete-objects',
    topic: 'Deleting folders and documents',
    decision:
      'DELETE …/libraries/{lib}/folders/{id} and DELETE …/libraries/{lib}/documents/{id} (LIB!n.v) answer 204 ' +
      'with no body. A folder that still holds folders or documents answers 409 FOLDER_NOT_EMPTY: deletion ' +
      'never cascades. Ids of deleted objects are not handed out again.',
    basis: 'No public client shows deletion under /work/api/v2; the paths mirror the GET paths of the objects.',
  },
  {
    id: 'search-result-fields',
    topic: 'Fields of a workspace search result',
    decision:
      'Besides the workspace profile: file_create_date and file_edit_date (= create_date and edit_date), ' +
      'is_external_as_normal and is_hipaa (always false), and iwl = "iwl:dms=<host>&&lib=<library>&&num=<n>".',
    basis:
      'iManCloudCore getWorkspaceFromLibrary.go reads these fields from results; their values for a ' +
      'workspace are not public.',
  },
  {
    id: 'ping-body',
    topic: 'Ping response body',
    decision: '200 with {} (clients do not read it).',
    basis: 'iManCloudCore customers/ping.go reads only the status.',
  },
  {
    id: 'access-model',
    topic: 'Security within a customer',
    decision:
      'Every user of a customer sees every library, workspace and folder of that customer; default_security ' +
      'is reported but not enforced.',
    basis: "The simulator tests connections, not iManage's security model.",
  },
  {
    id: 'rate-limits',
    topic: 'Rate limits',
    decision: 'None, unless a rate-limit fault is configured (429 with Retry-After in seconds).',
    basis: 'No rate limit is published.',
  },
  {
    id: 'ids',
    topic: 'Object ids',
    decision:
      'Workspaces and folders share one number sequence per library (LIB!n); documents have their own ' +
      '(LIB!n.version). Library ids in paths and ids match case-insensitively (active_us!22 = ACTIVE_US!22). ' +
      'User ids default to the upper-cased user name.',
    basis: 'Id formats are documented; numbering is not; iManage examples use lower-case ids.',
  },
  {
    id: 'users-endpoint',
    topic: 'GET /customers/{cid}/users/{userId}',
    decision:
      'Answers data{id, email, full_name, preferred_library} plus libraries[{id, library_id, preferred}] ' +
      'when include_libraries=true.',
    basis: 'iManCloudCore customers/getInfoGlobalUser.go gives the fields; library_id = id is a guess.',
  },
] as const satisfies readonly Assumption[];

export type AssumptionId = (typeof ASSUMPTIONS)[number]['id'];
