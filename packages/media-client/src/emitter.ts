type Handler = (...args: never[]) => void;

/** A minimal typed event emitter (no DOM EventTarget, so it also runs under Node for unit tests). */
export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();

  on<K extends keyof Events>(event: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    const h = fn as unknown as Handler;
    set.add(h);
    return () => set.delete(h);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.handlers.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) (fn as unknown as (...a: Events[K]) => void)(...args);
  }
}
