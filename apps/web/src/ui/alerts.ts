/** A short two-tone chime (Web Audio): someone is knocking. Silently does nothing where audio is blocked. */
export function playKnockSound(): void {
  try {
    const AudioCtx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!AudioCtx) return;
    const ctx = new AudioCtx();
    const gain = ctx.createGain();
    gain.connect(ctx.destination);
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.5);
    [660, 880].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(ctx.currentTime + i * 0.18);
      osc.stop(ctx.currentTime + 0.5);
    });
    setTimeout(() => void ctx.close().catch(() => {}), 800);
  } catch {
    // No audio: the toast, the badge and the title still show the knock.
  }
}

export function notificationsAvailable(): boolean {
  return typeof Notification !== 'undefined';
}

const ASKED_KEY = 'meetings.notifications-asked';

/**
 * Asks once (per browser) whether knocks may show as desktop notifications: called when the
 * host first opens the people panel or first sees a knock, never on page load.
 */
export function askNotificationsOnce(): void {
  if (!notificationsAvailable() || Notification.permission !== 'default') return;
  try {
    if (localStorage.getItem(ASKED_KEY)) return;
    localStorage.setItem(ASKED_KEY, '1');
  } catch {
    // Private mode: ask anyway, once per page.
  }
  void Promise.resolve(Notification.requestPermission()).catch(() => {});
}

/** A desktop notification for a knock, only while the tab is hidden and once the person has allowed them. */
export function notifyKnock(names: string[], meetingId: string): void {
  if (!document.hidden) return;
  if (!notificationsAvailable() || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(names.length === 1 ? `${names[0]} is asking to join` : `${names.length} people are asking to join`, {
      body: `Meeting “${meetingId}”`,
      tag: `knock-${meetingId}`,
    });
    n.onclick = () => {
      window.focus();
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker.
  }
}
