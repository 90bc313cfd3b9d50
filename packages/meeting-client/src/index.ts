export { MeetingClient, type MeetingClientOptions } from './client';
export { MeetingApiError, isMeetingApiError, parseEnvelope } from './errors';
export { openEventStream, type EventStream, type EventStreamHandlers } from './events';
export * from './extensions';
export { ServerSentEventParser, readServerSentEvents, type ServerSentEvent, type ServerSentEventHandlers } from './sse';
export { MEETING_API_OPERATIONS, operationPath, type MeetingApiOperationId } from './operations';
