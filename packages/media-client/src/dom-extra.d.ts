// Chromium's MediaStreamTrackProcessor (mediacapture-transform), not yet in TypeScript's DOM lib.
declare class MediaStreamTrackProcessor<T = VideoFrame | AudioData> {
  constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
  readonly readable: ReadableStream<T>;
}
