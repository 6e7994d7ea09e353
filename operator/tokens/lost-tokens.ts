// A lost token is a refresh token the operator held in the token Secret that iManage now refuses:
// someone revoked it, or (with strict rotation) the operator stopped between iManage's answer to a
// refresh and the Secret write, so the only live token died with the process. Status says so
// (RefreshTokenRevoked); this also tells whoever reads the operator's logs, once per loss, at warn.
// A refused seed (spec.auth.credentialsSecretRef) was never the operator's: it is not a loss.

import { connectionKeyOf } from '../api/connection.ts';
import type { IManageConnection } from '../api/generated/types.ts';
import type { ConnectionReason } from '../api/reasons.ts';
import { findCondition } from '../runtime/conditions.ts';
import type { TokenObservation } from './observation.ts';

const REVOKED: ConnectionReason = 'RefreshTokenRevoked';

export interface LostTokenLine {
  /** Names only: the connection, its token Secret (never a token), and the reason status shows. */
  readonly fields: { readonly connection: string; readonly secretName: string; readonly reason: ConnectionReason };
  readonly message: string;
}

/** The warn line for a token lost in this reconcile; undefined when none was, or status already said so. */
export function lostTokenLine(
  connection: IManageConnection,
  tokens: TokenObservation | undefined,
): LostTokenLine | undefined {
  const failure = tokens?.failure;
  if (!tokens || failure?.kind !== REVOKED || failure.seed) return undefined;
  if (findCondition(connection.status?.conditions, 'TokensReady')?.reason === REVOKED) return undefined;
  return {
    fields: { connection: connectionKeyOf(connection), secretName: tokens.secretName, reason: REVOKED },
    message:
      'token lost: iManage refuses the refresh token stored in the token Secret (revoked, expired, or a refresh ' +
      'answered but never stored); the account must be linked again (imanage-operator link)',
  };
}
