import { Type, type TSchema, type Static } from 'typebox';

/**
 * `T | null` as a single JSON-schema `type` array (not `anyOf`), so that
 * fast-json-stringify serializes it quickly and always writes an explicit `null`.
 */
export function Nullable<T extends TSchema & { type: string }>(schema: T) {
  const { type, ...rest } = schema as { type: string } & Record<string, unknown>;
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [type, 'null'] });
}

/** A string enum as `{ type: 'string', enum: [...] }` (compact for validators and docs). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** Unix timestamp in whole seconds (never milliseconds). */
export const UnixSeconds = Type.Integer({ description: 'Unix timestamp, seconds' });

/** A string enum that may also be `null` (an optional field that clients send as `null` when not given). */
export function NullableStringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Unsafe<T[number] | null>({ ...options, type: ['string', 'null'], enum: [...values, null] });
}
