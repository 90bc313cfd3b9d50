/**
 * meeting-client against a client generated from `/openapi.json` by openapi-typescript
 * (`npm run lint:openapi` writes `generated/openapi.d.ts`, then type-checks this file):
 * for each operation the client calls, what it sends must be accepted by the document's
 * request schema, and what the document says the server answers must fit what the client
 * promises its callers. A route whose schema drifts from the client fails here.
 */
import type { operations } from './generated/openapi';
import type { MeetingClient } from '../src/client';
import { MEETING_API_OPERATIONS, type MeetingApiOperationId } from '../src/operations';

type Assert<T extends true> = T;
/** `[A] extends [B]`: no distribution over unions. */
type Assignable<A, B> = [A] extends [B] ? true : false;
/** Assignable, and not vacuously (`never`, e.g. a missing schema, is assignable to anything). */
type Fits<A, B> = [A] extends [never] ? false : Assignable<A, B>;

type Op<Id extends keyof operations> = operations[Id];
type JsonBody<Id extends keyof operations> = Op<Id> extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : Op<Id> extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B
    : never;
type Query<Id extends keyof operations> = Op<Id> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type SuccessMedia<R> = R extends { 200: { content: { 'application/json': infer M } } }
  ? M
  : R extends { 201: { content: { 'application/json': infer M } } }
    ? M
    : never;
/** The `result` of the operation's success envelope, as the document describes it. */
type Result<Id extends keyof operations> = SuccessMedia<Op<Id>['responses']> extends { success: true; result: infer T } ? T : never;

type Client = MeetingClient;
type Returns<M extends keyof Client> = Client[M] extends (...args: never[]) => Promise<infer T> ? T : never;
type Arg<M extends keyof Client, N extends number> = Client[M] extends (...args: infer A) => unknown ? NonNullable<A[N]> : never;

/** Every operation the client calls is an operation of the document, under the same name. */
export type OperationsExist = Assert<Assignable<MeetingApiOperationId, keyof operations>>;
export const operationIds = Object.keys(MEETING_API_OPERATIONS) satisfies string[];

// What the client sends is what the document accepts.
export type Sends = [
  Assert<Fits<Arg<'listMeetings', 0>, Query<'listMeetings'>>>,
  Assert<Fits<Arg<'createMeeting', 0>, JsonBody<'createMeeting'>>>,
  Assert<Fits<Arg<'join', 1>, JsonBody<'joinMeeting'>>>,
  Assert<Fits<{ wait: NonNullable<Arg<'status', 1>['wait']> }, Query<'getMyStatus'>>>,
  Assert<Fits<{ email: Arg<'admit', 1> }, JsonBody<'admitParticipant'>>>,
  Assert<Fits<{ email: Arg<'reject', 1>; ban?: true }, JsonBody<'rejectParticipant'>>>,
  Assert<Fits<Arg<'updateMeeting', 1>, JsonBody<'updateMeeting'>>>,
  Assert<Fits<{ email: Arg<'remove', 1>; ban?: true }, JsonBody<'removeParticipant'>>>,
  Assert<Fits<{ email: Arg<'unban', 1> }, JsonBody<'unbanParticipant'>>>,
  Assert<Fits<{ email: Arg<'setRole', 1>; role: Arg<'setRole', 2> }, JsonBody<'setParticipantRole'>>>,
  Assert<Fits<{ email: Arg<'transferHost', 1> }, JsonBody<'transferHost'>>>,
  Assert<Fits<Arg<'loginDev', 0>, JsonBody<'devLogin'>>>,
  Assert<Fits<Arg<'guestSession', 0>, JsonBody<'createGuestSession'>>>,
];

// What the document says the server answers is what the client promises.
export type Receives = [
  Assert<Fits<Result<'listMeetings'>, Returns<'listMeetings'>>>,
  Assert<Fits<Result<'createMeeting'>, Returns<'createMeeting'>>>,
  Assert<Fits<Result<'getMeeting'>, Returns<'getMeeting'>>>,
  Assert<Fits<Result<'deleteMeeting'>, Returns<'deleteMeeting'>>>,
  Assert<Fits<Result<'updateMeeting'>, Returns<'updateMeeting'>>>,
  Assert<Fits<Result<'endMeeting'>, Returns<'endMeeting'>>>,
  Assert<Fits<Result<'joinMeeting'>, Returns<'join'>>>,
  Assert<Fits<Result<'getMyStatus'>, Returns<'status'>>>,
  Assert<Fits<Result<'leaveMeeting'>, Returns<'leave'>>>,
  Assert<Fits<Result<'listParticipants'>, Returns<'participants'>>>,
  Assert<Fits<Result<'getWaitingRoom'>, Returns<'waiting'>>>,
  Assert<Fits<Result<'admitParticipant'>, Returns<'admit'>>>,
  Assert<Fits<Result<'rejectParticipant'>, Returns<'reject'>>>,
  Assert<Fits<Result<'admitAll'>, Returns<'admitAll'>>>,
  Assert<Fits<Result<'removeParticipant'>, Returns<'remove'>>>,
  Assert<Fits<Result<'unbanParticipant'>, Returns<'unban'>>>,
  Assert<Fits<Result<'setParticipantRole'>, Returns<'setRole'>>>,
  Assert<Fits<Result<'transferHost'>, Returns<'transferHost'>>>,
  Assert<Fits<Result<'getSession'>, Returns<'session'>>>,
  Assert<Fits<Result<'devLogin'>, Returns<'loginDev'>>>,
  Assert<Fits<Result<'createGuestSession'>, Returns<'guestSession'>>>,
  Assert<Fits<Result<'getProfile'>, Returns<'profile'>>>,
  Assert<Fits<Result<'logout'>, Returns<'logout'>>>,
  Assert<Fits<Result<'getClientConfig'>, Returns<'clientConfig'>>>,
];
