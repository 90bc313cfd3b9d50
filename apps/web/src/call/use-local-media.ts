import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { listDevices, type DeviceList, type LocalMedia } from 'media-client';

/** Re-renders when the capture changes (started, stopped, device switched). */
export function useLocalStream(local: LocalMedia): { stream: MediaStream | null; error: string | null } {
  const version = useSyncExternalStore(
    (fn) => local.on('change', fn),
    () => `${local.stream?.id ?? ''}|${local.error ?? ''}`,
  );
  void version;
  return { stream: local.stream, error: local.error };
}

/** The cameras and microphones (refreshed when devices are plugged in or out). */
export function useDevices(ready: boolean): DeviceList {
  const [devices, setDevices] = useState<DeviceList>({ cameras: [], microphones: [] });
  useEffect(() => {
    if (!ready) return;
    const refresh = () => void listDevices().then(setDevices, () => {});
    refresh();
    navigator.mediaDevices.addEventListener('devicechange', refresh);
    return () => navigator.mediaDevices.removeEventListener('devicechange', refresh);
  }, [ready]);
  return devices;
}

/**
 * What is wrong with the camera or microphone, said plainly, and a retry that works: capture
 * refused or missing (`local.error`), or a device that stopped mid-way (unplugged, permission
 * withdrawn: its track ends). Retrying forgets the picked devices (the lost one may be gone).
 */
export function useDeviceProblem(local: LocalMedia): { problem: string | null; retrying: boolean; retry(): void } {
  const { stream, error } = useLocalStream(local);
  const [lost, setLost] = useState<string | null>(null);
  const [retrying, setRetrying] = useState(false);

  useEffect(() => {
    setLost(null);
    if (stream === null) return;
    const offs = stream.getTracks().map((track) => {
      const onEnded = () => setLost(track.kind === 'video' ? 'Your camera stopped working (unplugged, or access was withdrawn).' : 'Your microphone stopped working (unplugged, or access was withdrawn).');
      track.addEventListener('ended', onEnded);
      return () => track.removeEventListener('ended', onEnded);
    });
    return () => offs.forEach((off) => off());
  }, [stream]);

  const retry = useCallback(() => {
    setRetrying(true);
    local.options = { ...local.options, cameraId: undefined, microphoneId: undefined };
    void local
      .start()
      .catch(() => {})
      .finally(() => setRetrying(false));
  }, [local]);

  const problem = lost ?? error;
  return { problem, retrying, retry };
}

/** How often the meter is updated, and how much of the level is left after each update once sound stops. */
const METER_INTERVAL_MS = 100;
const METER_DECAY = 0.75;

/**
 * The microphone's level, 0–1, about ten times a second (0 while muted or without audio).
 *
 * Each update looks at all the sound since the previous one (the analyser's window is longer than
 * the interval) and takes its peak, which then decays: a short sound (a word, a click, the 20 ms
 * beep of a browser's fake microphone) always moves the meter and stays visible for a moment,
 * instead of being seen only when a short window happens to fall on it.
 */
export function useMicLevel(stream: MediaStream | null, enabled: boolean): number {
  const [level, setLevel] = useState(0);
  const track = stream?.getAudioTracks()[0] ?? null;
  useEffect(() => {
    if (track === null || !enabled) {
      setLevel(0);
      return;
    }
    let ctx: AudioContext;
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    // The smallest power of two covering one interval (and a bit) at this sample rate.
    const samples = (ctx.sampleRate * METER_INTERVAL_MS * 1.5) / 1000;
    analyser.fftSize = Math.min(32_768, 2 ** Math.ceil(Math.log2(samples)));
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    // Browsers start audio suspended until the first click or key.
    const resume = () => void ctx.resume().catch(() => {});
    resume();
    window.addEventListener('pointerdown', resume, { once: true });
    window.addEventListener('keydown', resume, { once: true });
    let shown = 0;
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v));
      shown = Math.max(Math.min(1, peak), shown * METER_DECAY);
      if (shown < 0.01) shown = 0;
      setLevel(Math.round(shown * 100) / 100);
    }, METER_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      window.removeEventListener('pointerdown', resume);
      window.removeEventListener('keydown', resume);
      source.disconnect();
      void ctx.close().catch(() => {});
    };
  }, [track, enabled]);
  return level;
}
