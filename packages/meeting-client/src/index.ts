export { MeetingClient, type MeetingClientOptions } from './client';
export { MeetingApiError, isMeetingApiError, parseEnvelope } from './errors';
export { openEventStream, readServerSentEvents, type EventStream, type EventStreamHandlers } from './events';
export * from './extensions';
export { MEETING_API_OPERATIONS, operationPath, type MeetingApiOperationId } from './operations';
