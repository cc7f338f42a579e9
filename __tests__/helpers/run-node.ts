import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The built package, which scripts run in their own process require. */
export const DIST = join(__dirname, '..', '..', 'dist', 'index.js');

/** Throws a clear error when the package has not been built (npm test builds it first). */
export function requireDist(): void {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` first (npm test does)`);
}

export interface NodeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** False when the process had to be killed at `limitMs`: something kept it alive. */
  exitedByItself: boolean;
  wallMs: number;
}

/**
 * Runs `script` in a fresh node with `--unhandled-rejections=strict` (an unhandled rejection
 * crashes it), and resolves when it exits, or kills it after `limitMs`.
 */
export function runNode(script: string, args: string[] = [], limitMs = 30_000): Promise<NodeRun> {
  return runCommand(process.execPath, ['--unhandled-rejections=strict', '-e', script, '--', ...args], { limitMs });
}

/** Runs `command` (in `cwd`), and resolves when it exits, or kills it after `limitMs`. */
export function runCommand(command: string, args: string[], options: { cwd?: string; limitMs?: number } = {}): Promise<NodeRun> {
  const { cwd, limitMs = 30_000 } = options;
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exitedByItself = true;
    const timer = setTimeout(() => {
      exitedByItself = false;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, exitedByItself, wallMs: Date.now() - started });
    });
  });
}
