import { z } from 'zod';

/**
 * The deployment's release policy: the thresholds the publication gate enforces per sensitivity
 * level (DESIGN.md §2). Thresholds are policy, not code: a deployment may tighten them in its
 * policy file; loosening one below its floor needs an admin's recorded reason.
 */

/** The floors of DESIGN.md §2; a policy may be stricter, never looser without an admin's reason. */
export const gateFloors = {
  personal: { k: 5, l: 2, minCellCount: 10, householdMinGroup: 10, householdMaxResolutionMinutes: 1440 },
  specialCategory: { minCellCount: 10, roundingBase: 5, maxEpsilon: 1, epsilonBudget: 3 },
} as const;

const loosening = z.object({ setting: z.string().min(1), reason: z.string().min(20), admin: z.string().min(1) });

/** The policy file's schema. */
export const gatePolicySchema = z
  .object({
    personal: z
      .object({
        k: z.number().int().min(2).default(gateFloors.personal.k),
        l: z.number().int().min(1).default(gateFloors.personal.l),
        minCellCount: z.number().int().min(1).default(gateFloors.personal.minCellCount),
        householdMinGroup: z.number().int().min(1).default(gateFloors.personal.householdMinGroup),
        householdMaxResolutionMinutes: z.number().int().min(1).default(gateFloors.personal.householdMaxResolutionMinutes),
      })
      .default({ ...gateFloors.personal }),
    specialCategory: z
      .object({
        minCellCount: z.number().int().min(1).default(gateFloors.specialCategory.minCellCount),
        roundingBase: z.number().int().min(1).default(gateFloors.specialCategory.roundingBase),
        maxEpsilon: z.number().positive().default(gateFloors.specialCategory.maxEpsilon),
        /**
         * The total ε a dataset may spend over all its published releases (sequential
         * composition; withdrawn releases stay spent). Applies to every differentially private
         * release, whatever the level.
         */
        epsilonBudget: z.number().positive().default(gateFloors.specialCategory.epsilonBudget),
      })
      .default({ ...gateFloors.specialCategory }),
    /** Recorded reasons for settings looser than their floor. */
    loosenings: z.array(loosening).default([]),
  })
  .strict();

/** A validated release policy. */
export type GatePolicy = z.infer<typeof gatePolicySchema>;

/** The default policy: exactly the floors. */
export const defaultGatePolicy: GatePolicy = gatePolicySchema.parse({});

/** Settings of a policy that are looser than their floor. */
export function looserThanFloor(p: GatePolicy): string[] {
  const out: string[] = [];
  if (p.personal.k < gateFloors.personal.k) out.push('personal.k');
  if (p.personal.l < gateFloors.personal.l) out.push('personal.l');
  if (p.personal.minCellCount < gateFloors.personal.minCellCount) out.push('personal.minCellCount');
  if (p.personal.householdMinGroup < gateFloors.personal.householdMinGroup) out.push('personal.householdMinGroup');
  if (p.personal.householdMaxResolutionMinutes > gateFloors.personal.householdMaxResolutionMinutes) out.push('personal.householdMaxResolutionMinutes');
  if (p.specialCategory.minCellCount < gateFloors.specialCategory.minCellCount) out.push('specialCategory.minCellCount');
  if (p.specialCategory.roundingBase < gateFloors.specialCategory.roundingBase) out.push('specialCategory.roundingBase');
  if (p.specialCategory.maxEpsilon > gateFloors.specialCategory.maxEpsilon) out.push('specialCategory.maxEpsilon');
  if (p.specialCategory.epsilonBudget > gateFloors.specialCategory.epsilonBudget) out.push('specialCategory.epsilonBudget');
  return out;
}

/**
 * Parses a deployment's policy (the JSON of its policy file). Every setting looser than its floor
 * must carry an admin's recorded reason, or the policy is refused with the settings named.
 */
export function parseGatePolicy(json: unknown): GatePolicy {
  const policy = gatePolicySchema.parse(json);
  const justified = new Set(policy.loosenings.map((l) => l.setting));
  const unjustified = looserThanFloor(policy).filter((s) => !justified.has(s));
  if (unjustified.length) {
    throw new Error(`Release policy loosens ${unjustified.join(', ')} below the floor without an admin's recorded reason`);
  }
  return policy;
}
