// A robot's skill packages (modules and `ganglion train` skill folders): loaded into the runtime's own registry (descriptions, arg checks, affordances) and awaited from the loop worker that runs them.
import { statSync } from 'node:fs';
import { loadSkillPackages, type PackageLoadReport, type SkillRegistry } from '../skills/registry.ts';
import type { SkillChannelMessage, SkillPackagesMessage } from '../skills/status.ts';

export interface RuntimePackages {
  /** Skills that are learned policies (a folder with policy.json): the recording tap says 'policy' while one drives. */
  policy_skills: string[];
  report: PackageLoadReport;
}

const isDir = (file: string) => {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
};

/** Loads `dir` into `registry`; a package that fails is reported (the others still load), a missing folder is refused. */
export async function loadRuntimePackages(registry: SkillRegistry, dir: string): Promise<RuntimePackages> {
  if (!isDir(dir)) throw new Error(`skill packages: ${dir} is not a folder (give --skills the folder \`ganglion train --out\` wrote, or one of skill modules)`);
  const report = await loadSkillPackages(registry, dir);
  return { policy_skills: report.loaded.filter((l) => isDir(l.file)).flatMap((l) => l.skills), report };
}

/**
 * Resolves with the loop worker's own package report (it loads the same folder: skills run there). Without it a
 * skill started right after start() would be refused as "still loading"; a worker that never reports fails the start.
 */
export function workerPackagesLoaded(listen: (fn: (m: SkillChannelMessage) => void) => () => void, timeout_ms = 30_000): Promise<SkillPackagesMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`the loop worker did not report its skill packages within ${timeout_ms} ms`));
    }, timeout_ms);
    const stop = listen((m) => {
      if (m.type !== 'skill_packages') return;
      clearTimeout(timer);
      stop();
      resolve(m);
    });
  });
}
