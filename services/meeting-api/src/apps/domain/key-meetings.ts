import { APP_IDENTITY_PREFIX, type ListMeetingsQuery, type ListMeetingsResponse } from 'meeting-types';
import type { Queryable } from '../../db/database';
import { errors } from '../../domain/errors';
import { clampPaging } from '../../domain/meetings';
import { meetingSummaryView } from '../../domain/views';
import * as appsRepo from '../db/apps-repo';
import { checkLinkIdentity } from './join-links';

/** Who is creating a meeting, as the caller seam resolved it. */
export interface CreatingCaller {
  id: string;
  keyId?: string;
}

/**
 * The owner of a meeting being created and the key that creates it. A key may name any
 * person as owner (default: itself); anyone else owns what they create (an `owner` naming
 * someone else is refused).
 */
export function ownerForCreate(caller: CreatingCaller, owner: string | null | undefined): { owner: string; keyId: string | null } {
  if (caller.keyId === undefined) {
    if (owner != null && owner !== caller.id) throw errors.invalidRequest('owner can only be set by an API key');
    return { owner: caller.id, keyId: null };
  }
  if (owner == null || owner === caller.id) return { owner: caller.id, keyId: caller.keyId };
  if (owner.startsWith(APP_IDENTITY_PREFIX)) throw errors.invalidRequest('owner must be a person, not another app');
  return { owner: checkLinkIdentity(owner), keyId: caller.keyId };
}

/** `GET /meetings` by a key: the live meetings it created, whoever owns them. */
export async function listKeyMeetings(db: Queryable, keyId: string, query: ListMeetingsQuery): Promise<ListMeetingsResponse> {
  const { limit, offset } = clampPaging(query);
  const page = await appsRepo.listKeyMeetings(db, keyId, limit, offset);
  return { meetings: page.meetings.map(meetingSummaryView), total: page.total, limit, offset };
}
