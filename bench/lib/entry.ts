/** One result row: a scenario or a limit. Extra fields are scenario-specific. */
export interface Entry {
  rate: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  limit?: string;
  limit_rate?: number;
  ratio?: number;
  [extra: string]: unknown;
}
