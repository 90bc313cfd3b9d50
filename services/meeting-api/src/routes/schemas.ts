import { ErrorResponseSchema } from 'meeting-types';

/** Every route documents (and fast-serializes) its failures as the error envelope. */
export const errorResponses = { '4xx': ErrorResponseSchema, '5xx': ErrorResponseSchema } as const;
