import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the `temporal` CLI lives: TEMPORAL_CLI_PATH, else the first executable on PATH.
 * Returns undefined when neither has one, so the caller can fall back to the SDK's download.
 */
export function findTemporalCli(
  explicitPath: string | undefined,
  searchPath: string = process.env.PATH ?? '',
): string | undefined {
  if (explicitPath) {
    if (!isExecutableFile(explicitPath)) {
      throw new Error(`TEMPORAL_CLI_PATH: expected an executable temporal CLI, but "${explicitPath}" is not one`);
    }
    return path.resolve(explicitPath);
  }
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal');
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
