import { useEffect, useRef, useState } from 'react';
import { Icon } from '../ui/icons';
import { avatarColour, initials } from '../ui/people';
import { applyChoices, joinChoices } from './join-choices';
import { sharedLocalMedia } from './local-media';
import { useDeviceProblem, useDevices, useLocalStream, useMicLevel } from './use-local-media';

/**
 * Before joining: see yourself, turn the microphone and camera on or off, watch the microphone
 * meter move, pick devices. The choices carry into the call (`joinChoices`).
 */
export function CameraPreview({ name }: { name: string }) {
  const local = sharedLocalMedia();
  const { stream } = useLocalStream(local);
  const devices = useDevices(stream !== null);
  const device = useDeviceProblem(local);
  const [audio, setAudio] = useState(joinChoices.audio);
  const [video, setVideo] = useState(joinChoices.video);
  const level = useMicLevel(stream, audio);
  const ref = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    if (local.stream === null) void local.start().catch(() => {});
  }, [local]);
  useEffect(() => {
    if (ref.current !== null) ref.current.srcObject = stream;
  }, [stream, video]);
  useEffect(() => {
    joinChoices.audio = audio;
    joinChoices.video = video;
    applyChoices(stream);
  }, [audio, video, stream]);

  const hasVideo = (stream?.getVideoTracks().length ?? 0) > 0;
  const hasAudio = (stream?.getAudioTracks().length ?? 0) > 0;
  const camera = stream?.getVideoTracks()[0]?.getSettings().deviceId ?? '';
  const microphone = stream?.getAudioTracks()[0]?.getSettings().deviceId ?? '';
  return (
    <section className="prejoin-preview" aria-label="Camera and microphone">
      <figure className="tile preview">
        {stream !== null && hasVideo && video ? (
          <video ref={ref} autoPlay muted playsInline aria-label="Your camera" data-testid="self-view" />
        ) : (
          <div className="avatar" aria-hidden="true" style={{ background: avatarColour('self') }}>
            {initials(name || 'You')}
          </div>
        )}
        <figcaption>
          <span className="tile-name">{stream === null && device.problem === null ? 'Starting your camera and microphone…' : name || 'You'}</span>
        </figcaption>
        <div className="preview-toggles">
          <button type="button" className={`round${audio ? '' : ' off'}`} aria-pressed={!audio} onClick={() => setAudio(!audio)} disabled={!hasAudio}>
            <Icon name={audio ? 'mic' : 'micOff'} />
            <span className="visually-hidden">{audio ? 'Mute microphone' : 'Unmute microphone'}</span>
          </button>
          <button type="button" className={`round${video ? '' : ' off'}`} aria-pressed={!video} onClick={() => setVideo(!video)} disabled={!hasVideo}>
            <Icon name={video ? 'cam' : 'camOff'} />
            <span className="visually-hidden">{video ? 'Turn camera off' : 'Turn camera on'}</span>
          </button>
        </div>
      </figure>
      {device.problem !== null && (
        <div className="device-problem inline" role="alert">
          <span>{device.problem}</span>
          <button type="button" className="secondary small" onClick={device.retry} disabled={device.retrying} aria-busy={device.retrying || undefined}>
            {device.retrying ? 'Trying…' : 'Try again'}
          </button>
        </div>
      )}
      <div className="mic-meter">
        <label htmlFor="mic-level">Microphone level</label>
        <meter id="mic-level" min={0} max={1} low={0.05} high={0.8} optimum={0.5} value={level} data-testid="mic-level">
          {Math.round(level * 100)}%
        </meter>
        <span className="hint">{!hasAudio ? 'No microphone' : audio ? (level > 0.05 ? 'We hear you' : 'Say something to test') : 'Muted'}</span>
      </div>
      <div className="device-pickers">
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
      </div>
    </section>
  );
}
