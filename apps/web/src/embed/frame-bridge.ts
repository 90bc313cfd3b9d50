/**
 * The meeting inside another site's page: this app tells the embedding page what happens
 * (`{source: "meeting-frame", type, …}` by postMessage) and obeys its `leave` request. The
 * parent's origin comes from `location.ancestorOrigins[0]` (else `document.referrer`), and is
 * used only if it is one of EMBED_ORIGINS (the API's client config): nothing is posted to any
 * other origin, and only messages from that origin and the parent window itself are read.
 */
import { api } from '../api';

export type FrameEventType =
  | 'ready'
  | 'waiting'
  | 'admitted'
  | 'rejected'
  | 'joined'
  | 'left'
  | 'removed'
  | 'ended'
  | 'participants'
  | 'error';

const SOURCE = 'meeting-frame';
const PARENT_SOURCE = 'meeting-frame-parent';

/** undefined: not known yet (events queue); null: not framed by an allowed origin (events dropped). */
let parentOrigin: string | null | undefined;
const queue: object[] = [];
let leaveHandler: (() => void) | null = null;
let started = false;

function candidateOrigin(): string | null {
  const ancestors = (window.location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0] ?? null;
  if (document.referrer) {
    try {
      return new URL(document.referrer).origin;
    } catch {
      return null;
    }
  }
  return null;
}

export function isFramed(): boolean {
  return window.parent !== window;
}

/** Starts once: resolves the parent's origin and listens for its requests. */
export function startFrameBridge(): void {
  if (started || !isFramed()) return;
  started = true;
  const candidate = candidateOrigin();
  void api.clientConfig().then(
    (config) => {
      parentOrigin = candidate !== null && (config.embed_origins ?? []).includes(candidate) ? candidate : null;
      const pending = queue.splice(0);
      if (parentOrigin !== null) for (const message of pending) window.parent.postMessage(message, parentOrigin);
    },
    () => {
      parentOrigin = null;
      queue.length = 0;
    },
  );
  window.addEventListener('message', (event) => {
    if (parentOrigin == null || event.origin !== parentOrigin || event.source !== window.parent) return;
    const data = event.data as { source?: unknown; type?: unknown } | null;
    if (data === null || typeof data !== 'object' || data.source !== PARENT_SOURCE) return;
    if (data.type === 'leave') leaveHandler?.();
  });
}

/** Tells the embedding page; a no-op outside a frame or for an origin not in EMBED_ORIGINS. */
export function tellParent(type: FrameEventType, extra: Record<string, unknown> = {}): void {
  if (!isFramed()) return;
  const message = { ...extra, source: SOURCE, type };
  if (parentOrigin === undefined) queue.push(message);
  else if (parentOrigin !== null) window.parent.postMessage(message, parentOrigin);
}

/** What the page's `leave()` does (the meeting page sets it while a meeting is shown). */
export function onLeaveRequest(handler: (() => void) | null): void {
  leaveHandler = handler;
}
