/** Close codes the server sends (see README). */
export const CLOSE_SHUTDOWN = 1001;
export const CLOSE_TOO_BIG = 1009; // sent by ws itself when a frame exceeds maxPayload
export const CLOSE_SLOW_CONSUMER = 1013;
/** A `videocall.v1` client sent a text frame (the subprotocol is binary only). */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Decisions enforced on live connections (the live-events extension). */
export const CLOSE_LEFT = 4000;
export const CLOSE_MEETING_ENDED = 4001;
export const CLOSE_REMOVED = 4003;
