import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';

const filesBelow = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    : [];

/** A unified diff from one folder to another (`starter/` → `solution/`), file by file. */
export function folderDiff(fromDir: string, toDir: string, labels: { from: string; to: string }): string {
  const files = [...new Set([...filesBelow(fromDir), ...filesBelow(toDir)])].sort();
  const read = (dir: string, file: string) =>
    existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '';
  return files
    .map((file) => {
      const before = read(fromDir, file);
      const after = read(toDir, file);
      if (before === after) return '';
      return createTwoFilesPatch(`${labels.from}/${file}`, `${labels.to}/${file}`, before, after, '', '', {
        context: 3,
      });
    })
    .filter(Boolean)
    .join('\n');
}
