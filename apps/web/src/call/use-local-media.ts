import { useEffect, useState, useSyncExternalStore } from 'react';
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
