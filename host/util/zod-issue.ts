// One wording for every zod rejection at a trust boundary: the first issue with its field path, what a person needs to find the bad field.
import type { z } from 'zod';

/** "path.to.field: message" for the first issue ("(root)" when the value itself is wrong). */
export function zodIssue(error: z.ZodError): string {
  const i = error.issues[0];
  if (!i) return '(root): invalid';
  return `${i.path.join('.') || '(root)'}: ${i.message}`;
}
