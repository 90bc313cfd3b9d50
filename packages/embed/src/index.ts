/**
 * The meeting inside your page. `createMeetingFrame(container, { url })` adds the meeting's iframe
 * (a join link's `url`) and gives you its events; `<meeting-frame url="…">` does the same as an
 * element. Messages are read only from the frame's own origin and window, and `leave()` is posted
 * only to that origin.
 */

/** What the frame tells its parent. */
export type MeetingFrameEventType =
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

export interface MeetingFrameEvent {
  source: 'meeting-frame';
  type: MeetingFrameEventType;
  /** `participants` only. */
  count?: number;
  /** `error` only. */
  code?: string;
  message?: string;
}

export interface MeetingFrameOptions {
  /** The join link's `url` (or any meeting page of the meeting server). */
  url: string;
  /** Accessible name of the frame; default "Meeting". */
  title?: string;
}

export interface MeetingFrame {
  readonly iframe: HTMLIFrameElement;
  /** Calls `handler` for each event of `type` (`*`: every event); returns a function that stops it. */
  on(type: MeetingFrameEventType | '*', handler: (event: MeetingFrameEvent) => void): () => void;
  /** Asks the meeting to leave (as the person's own Leave button does). */
  leave(): void;
  /** Removes the frame and stops listening. */
  destroy(): void;
}

const TYPES: ReadonlySet<string> = new Set(['ready', 'waiting', 'admitted', 'rejected', 'joined', 'left', 'removed', 'ended', 'participants', 'error']);

export function createMeetingFrame(container: HTMLElement, options: MeetingFrameOptions): MeetingFrame {
  const url = new URL(options.url, window.location.href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('createMeetingFrame: url must be an http(s) URL');
  const origin = url.origin;
  const iframe = document.createElement('iframe');
  iframe.src = url.href;
  iframe.title = options.title ?? 'Meeting';
  iframe.allow = `camera ${origin}; microphone ${origin}; display-capture ${origin}; autoplay ${origin}`;
  iframe.style.border = '0';
  iframe.style.width = '100%';
  iframe.style.height = '100%';
  const handlers = new Map<string, Set<(event: MeetingFrameEvent) => void>>();

  const onMessage = (event: MessageEvent) => {
    if (event.origin !== origin || event.source !== iframe.contentWindow) return;
    const data = event.data as Partial<MeetingFrameEvent> | null;
    if (data === null || typeof data !== 'object' || data.source !== 'meeting-frame' || typeof data.type !== 'string' || !TYPES.has(data.type)) return;
    const message = { ...data } as MeetingFrameEvent;
    for (const key of [message.type, '*']) for (const handler of handlers.get(key) ?? []) handler(message);
  };
  window.addEventListener('message', onMessage);
  container.appendChild(iframe);

  return {
    iframe,
    on(type, handler) {
      let set = handlers.get(type);
      if (set === undefined) handlers.set(type, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
    leave() {
      iframe.contentWindow?.postMessage({ source: 'meeting-frame-parent', type: 'leave' }, origin);
    },
    destroy() {
      window.removeEventListener('message', onMessage);
      handlers.clear();
      iframe.remove();
    },
  };
}

/**
 * `<meeting-frame url="…">`: the frame as an element. Each event is also dispatched on the
 * element as a `meeting-frame` CustomEvent whose `detail` is the message.
 */
export function defineMeetingFrameElement(name = 'meeting-frame'): void {
  if (typeof customElements === 'undefined' || customElements.get(name) !== undefined) return;
  class MeetingFrameElement extends HTMLElement {
    static observedAttributes = ['url'];
    private frame: MeetingFrame | null = null;
    connectedCallback() {
      this.mount();
    }
    disconnectedCallback() {
      this.frame?.destroy();
      this.frame = null;
    }
    attributeChangedCallback() {
      if (this.isConnected) this.mount();
    }
    on(type: MeetingFrameEventType | '*', handler: (event: MeetingFrameEvent) => void): () => void {
      const listener = (e: Event) => {
        const detail = (e as CustomEvent<MeetingFrameEvent>).detail;
        if (type === '*' || detail.type === type) handler(detail);
      };
      this.addEventListener('meeting-frame', listener);
      return () => this.removeEventListener('meeting-frame', listener);
    }
    leave() {
      this.frame?.leave();
    }
    destroy() {
      this.frame?.destroy();
      this.frame = null;
    }
    private mount() {
      this.frame?.destroy();
      this.frame = null;
      const url = this.getAttribute('url');
      if (!url) return;
      if (!this.style.display) this.style.display = 'block';
      this.frame = createMeetingFrame(this, { url, title: this.getAttribute('title') ?? undefined });
      this.frame.on('*', (event) => this.dispatchEvent(new CustomEvent('meeting-frame', { detail: event })));
    }
  }
  customElements.define(name, MeetingFrameElement);
}

defineMeetingFrameElement();
