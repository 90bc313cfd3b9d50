import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Database } from '../../db/database';
import { errors } from '../../domain/errors';
import { parseMeetingId } from '../../domain/meeting-id';
import * as appsRepo from '../db/apps-repo';
import { appsErrors } from '../domain/apps-errors';

/** Of another meeting, a key learns nothing here: 404 as if it did not exist. */
const HIDDEN_FROM_OTHER_KEYS = /\/meetings\/:meeting_id\/(participants|waiting|audit|join-links)(\/|$)/;
/** Key management answers a link session itself (403 NOT_ADMIN, as for any non-admin). */
const KEY_ROUTES = /^\/api\/v1\/api-keys(\/|$)/;

export interface ScopeDeps {
  db: Database;
  /** Counts a key's request; throws 429 beyond its limit. */
  countKeyRequest: (keyId: string) => void;
}

/**
 * Where API keys and join-link sessions may go, after the caller seam said who is calling.
 * A key acts as the owner of the meetings it created and as a stranger elsewhere (hidden
 * sub-resources: 404); it never joins. A link session names only its own meeting (else 404)
 * and creates or lists nothing (403).
 */
export function createScopeHook(deps: ScopeDeps) {
  const scope = async (request: FastifyRequest): Promise<void> => {
    const caller = request.identity;
    if (caller === undefined) return;
    const route = request.routeOptions.url;
    if (route === undefined) return;
    const rawId = (request.params as { meeting_id?: string } | undefined)?.meeting_id;

    if (caller.keyId !== undefined) {
      deps.countKeyRequest(caller.keyId);
      if (rawId === undefined) return;
      const roomId = parseMeetingId(rawId);
      if (route.endsWith('/:meeting_id/join')) throw appsErrors.appsCannotJoin(roomId);
      const meeting = await appsRepo.findMeetingScope(deps.db, roomId);
      if (meeting !== null && meeting.createdByKeyId === caller.keyId) {
        // The key acts for the meeting's owner (itself, unless it named a person as owner).
        request.caller = meeting.creatorId;
        return;
      }
      if (HIDDEN_FROM_OTHER_KEYS.test(route)) throw errors.meetingNotFound(roomId);
      return;
    }

    if (caller.link !== undefined) {
      if (rawId === undefined) {
        if (KEY_ROUTES.test(route)) return;
        throw appsErrors.notAllowedForLink();
      }
      const roomId = parseMeetingId(rawId);
      if (roomId !== caller.link.roomId) throw errors.meetingNotFound(roomId);
    }
  };
  // Callback style: a person's request (the hot path) passes without a promise.
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const caller = request.identity;
    if (caller === undefined || (caller.keyId === undefined && caller.link === undefined)) return done();
    scope(request).then(() => done(), (err: Error) => done(err));
  };
}
