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
  /** The signal that ended the process (`SIGSEGV` for a crash, `SIGKILL` at `limitMs`), or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** False when the process had to be killed at `limitMs`: something kept it alive. */
  exitedByItself: boolean;
  wallMs: number;
}

/**
 * Runs `script` in a fresh node with `--unhandled-rejections=strict` (an unhandled rejection
 * crashes it), and resolves when it exits, or kills it after `limitMs`, or after `idleMs` without
 * a byte of output (for a script that reports its progress: a hang in one step).
 */
export function runNode(script: string, args: string[] = [], limitMs = 30_000, { idleMs }: { idleMs?: number } = {}): Promise<NodeRun> {
  return runCommand(process.execPath, ['--unhandled-rejections=strict', '-e', script, '--', ...args], { limitMs, idleMs });
}

/**
 * Runs `command` (in `cwd`, with `env`: this process's by default), and resolves when it exits (with all its output), or kills it after
 * `limitMs`, or after `idleMs` without output.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; limitMs?: number; idleMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<NodeRun> {
  const { cwd, limitMs = 30_000, idleMs = Infinity, env } = options;
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let exitedByItself = true;
    const kill = (): void => {
      exitedByItself = false;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(kill, limitMs);
    let idle = Number.isFinite(idleMs) ? setTimeout(kill, idleMs) : undefined;
    const active = (): void => {
      if (idle === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(kill, idleMs);
    };
    child.stdout.on('data', (d: Buffer) => (active(), (stdout += d.toString())));
    child.stderr.on('data', (d: Buffer) => (active(), (stderr += d.toString())));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(idle);
      resolve({ code, signal, stdout, stderr, exitedByItself, wallMs: Date.now() - started });
    });
  });
}

/** Whether process `pid` exists (a zombie not yet reaped counts as existing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
