import { randomBytes } from 'node:crypto';
import {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_SECRET_PREFIX,
  type CreatedWebhook,
  type CreateWebhookRequest,
  type UpdateWebhookRequest,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryList,
} from 'meeting-types';
import { ApiError, errors } from '../domain/errors';
import type { WebhookOwner } from './access';

/** An endpoint as stored (without its secret). */
export interface EndpointRecord {
  id: string;
  owner: string;
  /** The API key whose meetings it receives; null: an admin's endpoint (every meeting). */
  keyId: string | null;
  url: string;
  events: string[] | null;
  description: string | null;
  disabled: boolean;
  createdAt: number;
}

export interface NewEndpoint {
  id: string;
  owner: string;
  keyId: string | null;
  url: string;
  events: string[] | null;
  description: string | null;
  secret: string;
}

export interface DeliveryRecord {
  id: number;
  endpointId: string;
  /** meetings.id: which creation of the meeting id. */
  meetingInstance: number;
  seq: number;
  eventType: string;
  roomId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
  createdAt: number;
}

/** A delivery this instance holds for one attempt. */
export interface ClaimedDelivery {
  id: number;
  endpointId: string;
  meetingInstance: number;
  seq: number;
  eventType: string;
  /** The event as the stream carries it. */
  data: Record<string, unknown>;
  occurredAt: number;
  /** 1 for the first attempt. */
  attempt: number;
  firstAttemptMs: number;
  url: string;
  secret: string;
  disabled: boolean;
}

export interface DeliveryOutcome {
  status: 'pending' | 'delivered' | 'failed';
  /** With `pending`: when to try again. */
  retryInMs?: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** `keyId` null: an admin's view (every endpoint); else only that key's endpoints. */
export interface WebhookStore {
  insertEndpoint(e: NewEndpoint): Promise<EndpointRecord>;
  listEndpoints(keyId: string | null): Promise<EndpointRecord[]>;
  findEndpoint(id: string, keyId: string | null): Promise<EndpointRecord | null>;
  updateEndpoint(
    id: string,
    keyId: string | null,
    change: { url?: string; events?: string[] | null; disabled?: boolean },
  ): Promise<EndpointRecord | null>;
  deleteEndpoint(id: string, keyId: string | null): Promise<boolean>;
  listDeliveries(endpointId: string, after: number, limit: number): Promise<DeliveryRecord[]>;
  retryDelivery(endpointId: string, deliveryId: number): Promise<DeliveryRecord | null>;
}

export interface WebhookDeps {
  store: WebhookStore;
  /** Why a URL is refused (null: accepted); checks DNS answers too. */
  checkUrl(url: string): Promise<string | null>;
  /** Wakes the local delivery worker (a manual retry is due now). */
  wake(): void;
}

export const webhookErrors = {
  notAdmin: () => new ApiError('NOT_ADMIN', 'Only an admin or an API key can manage webhooks'),
  invalidUrl: (why: string) => new ApiError('INVALID_WEBHOOK_URL', `Invalid webhook URL: ${why}`),
  notFound: (id: string) => new ApiError('NOT_FOUND', `Webhook '${id}' not found`),
  deliveryNotFound: (id: number) => new ApiError('NOT_FOUND', `Delivery ${id} not found`),
};

/** `whsec_` + standard base64 of 24 random bytes (the Standard Webhooks secret format). */
export function newSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(24).toString('base64');
}

export function newEndpointId(): string {
  return `wh_${randomBytes(12).toString('hex')}`;
}

/** The `webhook-id` of an event: the meeting instance and `seq`, so retries carry the same one. */
export function webhookMessageId(meetingInstance: number, seq: number): string {
  return `msg_${meetingInstance}_${seq}`;
}

function checkEvents(events: string[] | null | undefined): string[] | null {
  if (events === undefined || events === null) return null;
  const unknown = events.filter((e) => !WEBHOOK_EVENT_TYPES.includes(e));
  if (unknown.length > 0) throw errors.invalidRequest(`Unknown event type(s): ${unknown.join(', ')}; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  return [...new Set(events)];
}

async function checkUrl(deps: WebhookDeps, url: string): Promise<void> {
  const problem = await deps.checkUrl(url);
  if (problem !== null) throw webhookErrors.invalidUrl(problem);
}

function requireOwner(owner: WebhookOwner | null): WebhookOwner {
  if (owner === null) throw webhookErrors.notAdmin();
  return owner;
}

export function webhookView(e: EndpointRecord): Webhook {
  return { id: e.id, url: e.url, events: e.events, description: e.description, disabled: e.disabled, created_at: e.createdAt };
}

export function deliveryView(d: DeliveryRecord): WebhookDelivery {
  return {
    id: d.id,
    webhook_id: webhookMessageId(d.meetingInstance, d.seq),
    event_type: d.eventType,
    meeting_id: d.roomId,
    seq: d.seq,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_duration_ms: d.lastDurationMs,
    last_attempt_at: d.lastAttemptAt,
    next_attempt_at: d.status === 'pending' ? d.nextAttemptAt : null,
    delivered_at: d.deliveredAt,
    created_at: d.createdAt,
  };
}

export async function createWebhook(deps: WebhookDeps, who: WebhookOwner | null, body: CreateWebhookRequest): Promise<CreatedWebhook> {
  const owner = requireOwner(who);
  const events = checkEvents(body.events);
  await checkUrl(deps, body.url);
  const secret = newSecret();
  const record = await deps.store.insertEndpoint({
    id: newEndpointId(),
    owner: owner.identity,
    keyId: owner.keyId,
    url: body.url,
    events,
    description: body.description ?? null,
    secret,
  });
  return { ...webhookView(record), secret };
}

export async function listWebhooks(deps: WebhookDeps, who: WebhookOwner | null): Promise<Webhook[]> {
  const owner = requireOwner(who);
  return (await deps.store.listEndpoints(owner.keyId)).map(webhookView);
}

async function findOwn(deps: WebhookDeps, owner: WebhookOwner, id: string): Promise<EndpointRecord> {
  const found = await deps.store.findEndpoint(id, owner.keyId);
  if (!found) throw webhookErrors.notFound(id);
  return found;
}

export async function getWebhook(deps: WebhookDeps, who: WebhookOwner | null, id: string): Promise<Webhook> {
  return webhookView(await findOwn(deps, requireOwner(who), id));
}

export async function updateWebhook(deps: WebhookDeps, who: WebhookOwner | null, id: string, body: UpdateWebhookRequest): Promise<Webhook> {
  const owner = requireOwner(who);
  const events = body.events === undefined ? undefined : checkEvents(body.events);
  await findOwn(deps, owner, id);
  if (body.url !== undefined) await checkUrl(deps, body.url);
  const updated = await deps.store.updateEndpoint(id, owner.keyId, { url: body.url, events, disabled: body.disabled });
  if (!updated) throw webhookErrors.notFound(id);
  return webhookView(updated);
}

export async function deleteWebhook(deps: WebhookDeps, who: WebhookOwner | null, id: string): Promise<void> {
  const owner = requireOwner(who);
  if (!(await deps.store.deleteEndpoint(id, owner.keyId))) throw webhookErrors.notFound(id);
}

export async function listDeliveries(
  deps: WebhookDeps,
  who: WebhookOwner | null,
  id: string,
  after: number,
  limit: number,
): Promise<WebhookDeliveryList> {
  const endpoint = await findOwn(deps, requireOwner(who), id);
  const rows = await deps.store.listDeliveries(endpoint.id, after, limit + 1);
  const page = rows.slice(0, limit);
  return { deliveries: page.map(deliveryView), next_after: rows.length > limit ? page[page.length - 1]!.id : null };
}

export async function retryDelivery(deps: WebhookDeps, who: WebhookOwner | null, id: string, deliveryId: number): Promise<WebhookDelivery> {
  const endpoint = await findOwn(deps, requireOwner(who), id);
  const delivery = await deps.store.retryDelivery(endpoint.id, deliveryId);
  if (!delivery) throw webhookErrors.deliveryNotFound(deliveryId);
  deps.wake();
  return deliveryView(delivery);
}
