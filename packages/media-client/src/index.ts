export { Call, type CallOptions, type CallSnapshot, type ParticipantView, type SharePolicy } from './call';
export { LocalMedia, listDevices, type CaptureOptions, type DeviceList } from './local-media';
export { MediaSocket, NoTokenError, ENFORCEMENT_CLOSE_REASONS, type SocketState, type MediaSocketOptions } from './media-socket';
export { MediaSender, DEFAULT_SENDER_OPTIONS, type SenderOptions, type SenderStats } from './sender';
export { RemoteParticipant, type RemoteStats } from './remote-participant';
export { LatencyStats, traceFrames, wallClockMs, type FrameTrace } from './latency';
export { VideoGate, DEFAULT_LIMITS, type BackpressureLimits } from './backpressure';
export { captureSupport, unsupportedFeatures, readVideo, readAudio, type CaptureSupport, type FrameReader } from './capture';
