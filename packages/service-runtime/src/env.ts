/**
 * Small, strict readers for environment variables. Each collects problems into
 * `errors` (naming the variable) instead of throwing, so start-up can report
 * every bad variable at once.
 */
import { resolveJwtSecret, type ResolvedJwtSecret } from './jwt-secret';

export type Env = Readonly<Record<string, string | undefined>>;

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export class EnvReader {
  readonly errors: string[] = [];
  constructor(private readonly env: Env) {}

  /** A non-empty string, or undefined when unset/blank. */
  optionalString(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    return raw;
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw.trim())) {
      this.errors.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    const value = Number(raw.trim());
    if (value < min || value > max) {
      this.errors.push(`${name} must be from ${min} to ${max} (got ${value})`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, 0, 65535);
  }

  /** `true`/`false` (also `1`/`0`, `on`/`off`, `yes`/`no`). */
  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    const value = raw.trim().toLowerCase();
    if (['true', '1', 'on', 'yes'].includes(value)) return true;
    if (['false', '0', 'off', 'no'].includes(value)) return false;
    this.errors.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  oneOf<const T extends readonly string[]>(name: string, values: T, fallback: T[number]): T[number] {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) {
      this.errors.push(`${name} must be one of ${values.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.errors.push(`${name} must be a ${protocols.join(' or ')} URL`);
      }
    } catch {
      this.errors.push(`${name} is not a valid URL`);
    }
    return raw;
  }

  /**
   * `JWT_SECRET`, or the shared development secret under `dataDir` outside
   * production (see resolveJwtSecret). A problem is recorded like any other bad variable.
   */
  jwtSecret(production: boolean, dataDir: string): ResolvedJwtSecret {
    const resolved = resolveJwtSecret({ jwtSecret: this.optionalString('JWT_SECRET'), production, dataDir });
    if ('error' in resolved) {
      this.errors.push(resolved.error);
      return { secret: '', source: 'env' };
    }
    return resolved;
  }

  /** Throws a ConfigError naming every bad variable, if any. */
  done(): void {
    if (this.errors.length > 0) throw new ConfigError(this.errors);
  }
}
