import { Type, type TSchema } from "typebox";
import type { APIError } from './errors';

/** `{ "success": true, "result": T }`: the envelope of every successful response. */
export function APIResponseSchema<T extends TSchema>(result: T) {
  return Type.Object({ success: Type.Literal(true), result });
}

/** `APIResponse<T>` of the contract: success with a result, or failure with an `APIError`. */
export type APIResponse<T> = { success: true; result: T } | { success: false; result: APIError };

