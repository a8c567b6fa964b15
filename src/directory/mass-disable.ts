import { TransitionError } from './errors.ts';

/**
 * The org's mass-disable guard (`massDisableThreshold`, a share of its enabled people), one rule for
 * every door that disables many at once: a CSV sync or disable import (import-preview.ts, import-commit.ts)
 * and the admin API's bulk disable (bulk-lifecycle.ts). Disabling more than that share needs `force`.
 */

/** What the guard weighed: how many it would disable, of how many enabled people, against which share. */
export interface MassDisableNumbers {
  disable: number;
  enabled: number;
  threshold: number;
}

/** More than the threshold's share of the enabled people (enabled: active, pending or expired; lifecycle.ts isEnabled). */
export function exceedsMassDisable({ disable, enabled, threshold }: MassDisableNumbers): boolean {
  return disable > 0 && disable > threshold * enabled;
}

/** Disabling many without `force` over the threshold (409, details.reason, and the numbers when known). */
export class MassDisableError extends TransitionError {
  constructor(message: string, numbers?: MassDisableNumbers) {
    super(message, { reason: 'mass_disable_threshold', needsForce: true, ...(numbers ? { massDisable: numbers } : {}) });
  }
}

/** A share as an admin reads it: 0.2 → "20%", 0.15 → "15%" (not 15.000000000000002), 0.075 → "7.5%". */
function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

/** What the guard held: "2 of the organization's 4 enabled users, more than its mass-disable threshold (20%)". */
export function massDisableText(disable: number, enabled: number, threshold: number): string {
  return `${disable} of the organization's ${enabled} enabled users, more than its mass-disable threshold (${percent(threshold)})`;
}
