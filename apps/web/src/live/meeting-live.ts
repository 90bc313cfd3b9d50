import type { EventStream, MeetingClient, MeetingEvent } from 'meeting-client';

/** How changes reach the page: the event stream, the `?wait=` long-poll, or plain polling. */
export type LiveMode = 'connecting' | 'events' | 'long-poll' | 'polling';

export interface MeetingLiveOptions {
  client: MeetingClient;
  meetingId: string;
  /** The meeting may have changed: re-read what is shown. Carries the event when one is known. */
  onChange(event?: MeetingEvent): void;
  onMode?(mode: LiveMode): void;
  /** True while the caller is in the waiting room (the long-poll only helps then). */
  isWaiting(): boolean;
  pollMs?: number;
}

const LONG_POLL_SECS = 25;

/**
 * Keeps a meeting page current with whatever the server offers, best first:
 * Server-Sent Events (the live-events extension), else the status long-poll while waiting,
 * else polling. No React here: screens subscribe and re-render.
 */
export class MeetingLive {
  private stream: EventStream | undefined;
  private readonly controller = new AbortController();
  private stopped = false;

  constructor(private readonly options: MeetingLiveOptions) {}

  start(): void {
    this.options.onMode?.('connecting');
    this.stream = this.options.client.events(this.options.meetingId, {
      onOpen: () => {
        this.options.onMode?.('events');
        // Anything that happened while (re)connecting without a known position.
        this.options.onChange();
      },
      onEvent: (event) => this.options.onChange(event),
      onUnsupported: () => void this.fallback(),
      onError: () => void this.fallback(),
    });
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
    this.controller.abort();
  }

  private async fallback(): Promise<void> {
    const pollMs = this.options.pollMs ?? 2000;
    let longPollWorks: boolean | undefined;
    while (!this.stopped) {
      if (this.options.isWaiting() && longPollWorks !== false) {
        this.options.onMode?.('long-poll');
        const started = Date.now();
        try {
          const me = await this.options.client.status(this.options.meetingId, { wait: LONG_POLL_SECS, signal: this.controller.signal });
          // A server without the long-poll answers a waiting caller at once.
          if (me.status === 'waiting' && Date.now() - started < 1000) longPollWorks = false;
        } catch {
          if (this.stopped) return;
          await this.sleep(pollMs);
        }
        if (this.stopped) return;
        this.options.onChange();
        if (longPollWorks === false) this.options.onMode?.('polling');
        continue;
      }
      this.options.onMode?.('polling');
      await this.sleep(pollMs);
      if (!this.stopped) this.options.onChange();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}
