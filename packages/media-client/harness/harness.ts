/**
 * A bare call page for the browser test (and for trying the engine without the web app):
 * it renders what `Call` exposes, nothing more. Configuration comes from the query string;
 * tokens come from `window.getToken()`, which the test provides (the app uses `/status`).
 */
import { Call, LocalMedia, listDevices, MediaSocket, NoTokenError, traceFrames, type CallSnapshot } from '../src/index';

declare global {
  interface Window {
    getToken?: () => Promise<string | null>;
    call?: Call;
    local?: LocalMedia;
    MediaSocket?: typeof MediaSocket;
    NoTokenError?: typeof NoTokenError;
    listDevices?: typeof listDevices;
    /** With `?trace=1`: every video frame this page captured and decoded (the latency bench reads them). */
    frameLog?: { captured: Array<[number, number]>; decoded: Array<[string, number, number, number | null]> };
  }
}

const params = new URLSearchParams(location.search);
const mediaUrl = params.get('media') ?? `ws://${location.hostname}:8080`;
const width = Number(params.get('w') ?? 640);
const height = Number(params.get('h') ?? 360);
const frameRate = Number(params.get('fps') ?? 15);

window.MediaSocket = MediaSocket;
window.NoTokenError = NoTokenError;
window.listDevices = listDevices;
// A driver that cannot expose a function to the page (WebDriver classic) hands over one token instead.
const fixedToken = params.get('token');
if (fixedToken !== null) window.getToken = async () => fixedToken;
if (params.get('trace') === '1') {
  const frames: NonNullable<Window['frameLog']> = { captured: [], decoded: [] };
  window.frameLog = frames;
  traceFrames({
    captured: (timestamp, at) => frames.captured.push([timestamp, at]),
    decoded: (session, timestamp, at, sentAt) => frames.decoded.push([session, timestamp, at, sentAt ?? null]),
  });
}

const root = document.getElementById('root')!;
const status = document.createElement('p');
status.id = 'status';
const tiles = document.createElement('div');
tiles.id = 'tiles';
root.append(status, tiles);

function render(s: CallSnapshot): void {
  status.textContent = s.endedReason ?? `${s.connection.status}${s.self ? ` as ${s.self.displayName}` : ''}`;
  const want = new Set(s.participants.map((p) => p.session));
  for (const el of [...tiles.children] as HTMLElement[]) if (!want.has(el.dataset.session!)) el.remove();
  for (const p of s.participants) {
    let tile = tiles.querySelector<HTMLElement>(`[data-session="${CSS.escape(p.session)}"]`);
    if (tile === null) {
      tile = document.createElement('figure');
      tile.className = 'tile';
      tile.dataset.session = p.session;
      const caption = document.createElement('figcaption');
      tile.append(p.canvas, caption);
      tiles.append(tile);
    }
    tile.querySelector('figcaption')!.textContent = `${p.displayName}${p.audioOn ? '' : ' (muted)'}${p.videoOn ? '' : ' (camera off)'}${p.speaking ? ' 🔊' : ''}`;
    tile.dataset.speaking = String(p.speaking);
  }
}

async function start(): Promise<void> {
  if (params.get('autostart') === '0') return;
  const local = new LocalMedia({ width, height, frameRate });
  window.local = local;
  const call = new Call({
    mediaUrl,
    local,
    getToken: async () => {
      const token = await window.getToken!();
      if (token === null) throw new NoTokenError('You are no longer admitted to this meeting.');
      return token;
    },
    sender: { width, height, frameRate, videoBitrate: Number(params.get('vbr') ?? 300_000), keyframeIntervalMs: Number(params.get('kfi') ?? 2000) },
  });
  window.call = call;
  call.subscribe(() => render(call.getSnapshot()));
  render(call.getSnapshot());
  await call.join();
}

void start();
