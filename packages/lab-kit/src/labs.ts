/**
 * The labs on disk: `labs/NN-topic/` with `lab.json`, `README.md`, `starter/`, `attack/`,
 * `check/` and `solution/`. The learner edits a copy of the starter in `work/` (gitignored).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The Node.js version CI runs and the README names: `.node-version` at the repository root
 * (`24.22.3`, `v24`…), or null without one.
 */
export function pinnedNodeVersion(root = REPO_ROOT): string | null {
  try {
    return readFileSync(join(root, '.node-version'), 'utf8').trim().replace(/^v/, '') || null;
  } catch {
    return null;
  }
}

export const labsRoot = (): string => resolve(process.env.AUTHLAB_LABS_DIR ?? join(REPO_ROOT, 'labs'));

const Manifest = z
  .object({
    id: z.string().regex(/^\d\d-[a-z0-9-]+$/),
    title: z.string().min(1),
    mode: z.enum(['session', 'jwt', 'oidc', 'native', 'all']),
    timeBoxMinutes: z.number().int().positive(),
    prerequisites: z.array(z.string()),
    /** Components beyond Node the attack needs. */
    needs: z.array(z.enum(['chromium'])).default([]),
    /** Files of the copy the participant must leave as the starter has them (see protected.ts). */
    protected: z.array(z.string()).default([]),
  })
  .strict();

export type LabManifest = z.infer<typeof Manifest>;

export interface Hint {
  label: string;
  text: string;
}

export interface Lab extends LabManifest {
  dir: string;
  readme: string;
  sections: Map<string, string>;
  hints: Hint[];
}

export const REQUIRED_SECTIONS = ['Goal', 'Background', 'Steps', 'Hints', 'Debrief'];

/** `## Heading` → body, in order. */
export function readmeSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | null = null;
  let body: string[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+?)\s*$/.exec(line);
    if (heading) {
      if (current) sections.set(current, body.join('\n').trim());
      current = heading[1] as string;
      body = [];
    } else if (current) {
      body.push(line);
    }
  }
  if (current) sections.set(current, body.join('\n').trim());
  return sections;
}

/** The tiers in the Hints section: one `<details><summary>label</summary> text </details>` each. */
export function parseHints(section: string): Hint[] {
  const hints: Hint[] = [];
  for (const match of section.matchAll(/<details>\s*<summary>(.*?)<\/summary>([\s\S]*?)<\/details>/g)) {
    hints.push({ label: (match[1] as string).trim(), text: (match[2] as string).trim() });
  }
  return hints;
}

function readLabFile(dir: string, file: string): string {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    throw new Error(`${join(dir, file)} is missing: restore it (git checkout -- ${join(dir, file)})`);
  }
}

export function loadLab(dir: string): Lab {
  const manifestFile = join(dir, 'lab.json');
  const text = readLabFile(dir, 'lab.json');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${manifestFile} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) throw new Error(`${manifestFile}: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.id !== basename(dir)) {
    throw new Error(
      `${manifestFile}: "id" is "${parsed.data.id}" but the folder is ${basename(dir)}: make them the same`,
    );
  }
  const readme = readLabFile(dir, 'README.md');
  const sections = readmeSections(readme);
  return { ...parsed.data, dir, readme, sections, hints: parseHints(sections.get('Hints') ?? '') };
}

/** The lab folders (`NN-topic/` with a `lab.json`), in order of their number. */
export function labFolders(root = labsRoot()): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => /^\d\d-/.test(entry.name) && existsSync(join(root, entry.name, 'lab.json')))
    .map((entry) => join(root, entry.name))
    .sort();
}

/** Every lab, in order of its number; throws on the first broken one (see `labFolders`). */
export function listLabs(root = labsRoot()): Lab[] {
  return labFolders(root).map((dir) => loadLab(dir));
}

/**
 * `07`, `7`, `07-jwt-key-lookup` or `jwt-key-lookup` → the lab (only that one is loaded, so a
 * broken lab elsewhere does not get in the way); a usage error that lists the labs otherwise.
 */
export function findLab(query: string, root = labsRoot()): Lab {
  const q = query.trim().toLowerCase();
  const number = /^\d+$/.test(q) ? q.padStart(2, '0') : null;
  const folders = labFolders(root);
  const found = folders.find((dir) => {
    const id = basename(dir);
    return id === q || (number && id.startsWith(`${number}-`)) || id.slice(3) === q;
  });
  if (found) return loadLab(found);
  const names = folders.map((dir) => `  ${basename(dir)}`).join('\n');
  throw new UsageError(`There is no lab "${query}". The labs are:\n${names}`);
}

/** A mistake in how the runner was called: printed without a stack, exit code 2. */
export class UsageError extends Error {}

export const variantDir = (lab: Lab, variant: 'starter' | 'solution'): string => join(lab.dir, variant);

/**
 * The learner's working copy: `labs/NN-topic/work/`, or `$AUTHLAB_LAB_WORKSPACE/NN-topic/`. A
 * workspace must lie inside `labs/`, where the packages the starters import resolve.
 */
export function workDir(lab: Pick<Lab, 'id' | 'dir'>): string {
  const workspace = process.env.AUTHLAB_LAB_WORKSPACE;
  return workspace ? join(resolve(workspace), lab.id) : join(lab.dir, 'work');
}
