import { DECISION_EFFECTS, type EnforcedDecision, type RoomAccessTokenClaims } from 'meeting-types';

interface Held {
  /** Tokens issued at a log position below this are revoked. */
  seq: number;
  closeCode: number;
  reason: string;
  /** Local time (ms) after which every token this could refuse has expired. */
  until: number;
}

export interface Grant {
  mid: number | undefined;
  esq: number | undefined;
}

/** What a decision means for connections: close code and reason, and whose (the contract in meeting-types). */
export function consequence(d: EnforcedDecision): { closeCode: number; reason: string; everyone: boolean } {
  const effect = DECISION_EFFECTS[d.type];
  return { closeCode: effect.closeCode, reason: d.banned && effect.bannedReason ? effect.bannedReason : effect.reason, everyone: effect.everyone };
}

/**
 * The revocations a Media Server holds, as pure state: per meeting instance (ended or
 * deleted) and per participant of an instance, the log position below which tokens are
 * revoked. Entries are held only as long as a token they refuse can still be valid.
 */
export class Revocations {
  private readonly meetings = new Map<number, Held>();
  private readonly participants = new Map<string, Held>();

  get size(): number {
    return this.meetings.size + this.participants.size;
  }

  /** Records a decision (idempotent; the latest position wins). */
  apply(d: EnforcedDecision, holdMs: number, now = Date.now()): void {
    const c = consequence(d);
    const map = c.everyone ? this.meetings : this.participants;
    const key = c.everyone ? d.mid : `${d.mid}\n${d.subject}`;
    const held = (map as Map<number | string, Held>).get(key);
    if (held && held.seq >= d.seq) return;
    (map as Map<number | string, Held>).set(key, { seq: d.seq, closeCode: c.closeCode, reason: c.reason, until: now + holdMs });
  }

  /** Whether a connection holding `grant` for `identity` is revoked by decision `d`. */
  static affects(d: EnforcedDecision, grant: Grant, identity: string): boolean {
    if (grant.mid !== d.mid) return false;
    if (!consequence(d).everyone && identity !== d.subject) return false;
    return (grant.esq ?? 0) < d.seq;
  }

  /**
   * The decision refusing this token, if any. Tokens without `mid` (another issuer sharing
   * the secret, e.g. videocall-rs's meeting-api) carry nothing to check and are not refused.
   */
  refusing(claims: Pick<RoomAccessTokenClaims, 'mid' | 'esq' | 'sub'>): { reason: string } | undefined {
    if (claims.mid === undefined) return undefined;
    const esq = claims.esq ?? 0;
    const meeting = this.meetings.get(claims.mid);
    if (meeting && esq < meeting.seq) return { reason: meeting.reason };
    const participant = this.participants.get(`${claims.mid}\n${claims.sub}`);
    if (participant && esq < participant.seq) return { reason: participant.reason };
    return undefined;
  }

  /** Forgets what can no longer refuse anything. */
  prune(now = Date.now()): void {
    for (const map of [this.meetings, this.participants] as Map<unknown, Held>[]) {
      for (const [key, held] of map) if (held.until <= now) map.delete(key);
    }
  }
}
