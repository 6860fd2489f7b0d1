/**
 * The NATS-subject and file-name safe form of a served model name: lowercase, and every
 * character outside `[a-z0-9_-]` becomes `_`.
 */
export function modelSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
}
