/**
 * Back and Forward after single sign-on.
 *
 * Signing in through an identity provider leaves the provider's pages (its login and consent forms)
 * in the tab's history, between the screen sign-in started from and the one it comes back to. Back
 * from the meeting would land on them: spent ("interaction session not found"), or starting sign-in
 * over again. So the sign-in button notes which history entry it leaves from, the way back is marked
 * (`#signed-in` on the return address), and the app, when it comes back, first drops the mark from the
 * address (`history.replaceState`), then steps back over the provider's pages to the entry sign-in
 * started from — the same screen, now signed in — and leaves one entry of its own ahead of it in place
 * of the provider's pages. Back then goes where the person was before; Forward shows the same screen.
 */
const START_KEY = 'meetings.sign-in-start';
const LANDING_KEY = 'meetings.sign-in-landing';
const MARK = '#signed-in';
/** A note older than this is from another attempt (abandoned at the provider): ignored. */
const START_TTL_MS = 30 * 60_000;

interface Start {
  path: string;
  index: number;
  at: number;
}

function here(): string {
  return window.location.pathname + window.location.search;
}

/**
 * This entry's place in the tab's history, taken as the last one: true of the page the provider sends
 * back to, and of the sign-in screen unless the person went Back before signing in (then the provider's
 * pages are stepped over only in part). The Navigation API's index does not help: it counts this
 * origin's entries only, not the provider's.
 */
function entryIndex(): number {
  return window.history.length - 1;
}

function take(key: string): string | null {
  try {
    const value = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
    return value;
  } catch {
    return null; // storage off: sign-in still works, Back just keeps the provider's pages
  }
}

/** Where the identity provider should send the browser back to: this screen, marked. */
export function signInReturnTo(): string {
  return here() + MARK;
}

/** Called as the browser leaves for the identity provider. */
export function noteSignInStart(): void {
  try {
    sessionStorage.setItem(START_KEY, JSON.stringify({ path: here(), index: entryIndex(), at: Date.now() } satisfies Start));
  } catch {
    // As in take().
  }
}

/**
 * On load, back from the identity provider: true when the app is stepping back over the provider's
 * pages (the page is about to be left; render nothing yet).
 */
export function stepBackOverSignIn(): boolean {
  if (window.location.hash !== MARK) return false;
  window.history.replaceState(window.history.state, '', here());
  let start: Start;
  try {
    start = JSON.parse(take(START_KEY) ?? 'null') as Start;
  } catch {
    return false;
  }
  if (start === null || start.path !== here() || !(Date.now() - start.at < START_TTL_MS)) return false;
  const over = entryIndex() - start.index;
  if (!Number.isInteger(over) || over < 1) return false;
  try {
    sessionStorage.setItem(LANDING_KEY, here());
  } catch {
    return false;
  }
  window.history.go(-over);
  return true;
}

/**
 * On the entry sign-in started from, once stepped back to: a new entry of this screen ahead of it
 * replaces the provider's pages (pushing one drops every entry ahead), and the app goes back onto it.
 */
function afterStepBack(): void {
  if (take(LANDING_KEY) !== here()) return;
  window.history.pushState(null, '', here());
  window.history.back();
}

/** Runs `afterStepBack` on a fresh load now, and on a page the browser restores from its cache. */
export function watchStepBack(): void {
  afterStepBack();
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) afterStepBack();
  });
}
