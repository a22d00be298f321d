// Names a command uses that the robot does not have (a skill, one of its arguments, a joint): refused with the name, never acked and dropped.

export interface KnownNames {
  /** The robot's joints; empty: not known here, so not checked. */
  joints(): readonly string[];
  skills(): readonly { name: string; args_schema: unknown }[];
}

const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');

/** Argument names a skill declares (its JSON Schema's properties), or null when the schema does not say (then not checked). */
function declaredArgs(schema: unknown): string[] | null {
  if (!schema || typeof schema !== 'object') return null;
  const s = schema as { properties?: unknown; additionalProperties?: unknown };
  if (s.additionalProperties !== undefined && s.additionalProperties !== false) return null;
  return s.properties && typeof s.properties === 'object' ? Object.keys(s.properties) : s.additionalProperties === false ? [] : null;
}

/** null when every name is known, else the refusal naming the first unknown one. */
export function checkNames(command: string, value: Record<string, unknown>, known: KnownNames): string | null {
  if (command === 'action') {
    const skill = value.skill as string;
    const skills = known.skills();
    const s = skills.find((x) => x.name === skill);
    if (!s) return `action: unknown skill "${skill}" (skills: ${list(skills.map((x) => x.name))})`;
    const args = declaredArgs(s.args_schema);
    const extra = args ? Object.keys((value.args as Record<string, unknown>) ?? {}).find((a) => !args.includes(a)) : undefined;
    if (extra !== undefined) return `action: skill "${skill}" has no argument "${extra}" (arguments: ${list(args!)})`;
  }
  if (command === 'teleop') {
    const joints = known.joints();
    if (!joints.length) return null;
    for (const field of ['position_rad', 'velocity_radps'] as const) {
      const bad = Object.keys((value[field] as Record<string, number>) ?? {}).find((j) => !joints.includes(j));
      if (bad !== undefined) return `teleop: ${field}: unknown joint "${bad}" (joints: ${list(joints)})`;
    }
  }
  return null;
}
