import { useEffect } from 'react';
import { sharedLocalMedia } from './local-media';
import { SelfView } from './self-view';
import { useDevices, useLocalStream } from './use-local-media';

/** Before joining: see yourself, pick a camera and a microphone. Only renders LocalMedia's state. */
export function CameraPreview() {
  const local = sharedLocalMedia();
  const { stream, error } = useLocalStream(local);
  const devices = useDevices(stream !== null);

  useEffect(() => {
    if (local.stream === null) void local.start().catch(() => {});
  }, [local]);

  const camera = stream?.getVideoTracks()[0]?.getSettings().deviceId ?? '';
  const microphone = stream?.getAudioTracks()[0]?.getSettings().deviceId ?? '';
  return (
    <section className="prejoin-preview" aria-label="Camera and microphone">
      {stream !== null && <SelfView stream={stream} label="Your camera" />}
      {error !== null ? <p className="muted">{error}</p> : stream === null && <p className="muted">Starting your camera and microphone…</p>}
      {devices.cameras.length > 0 && (
        <div className="field">
          <label htmlFor="camera-select">Camera</label>
          <select id="camera-select" value={camera} onChange={(e) => void local.selectDevices({ cameraId: e.target.value }).catch(() => {})}>
            {devices.cameras.map((d) => (
              <option key={d.deviceId} value={d.deviceId}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {devices.microphones.length > 0 && (
        <div className="field">
          <label htmlFor="microphone-select">Microphone</label>
          <select id="microphone-select" value={microphone} onChange={(e) => void local.selectDevices({ microphoneId: e.target.value }).catch(() => {})}>
            {devices.microphones.map((d) => (
              <option key={d.deviceId} value={d.deviceId}>
                {d.label}
              </option>
            ))}
          </select>
        </div>
      )}
    </section>
  );
}
