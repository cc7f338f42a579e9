import { execFile } from 'node:child_process';
import { join } from 'node:path';

/*
 * The background poll plugin (native/poller.c) under ThreadSanitizer and AddressSanitizer:
 * scripts/sanitize-poller.sh builds it and __tests__/native/poller-stress.c with each, creates and
 * destroys producers with delivery reports in flight, and exits non-zero on any report (a data
 * race, a memory error, a leak). With the stop flag a volatile int (main 87c9070), ThreadSanitizer
 * reports the race between on_destroy and the poll thread and the script exits 66.
 */
it('is clean under ThreadSanitizer and AddressSanitizer while producers come and go with reports in flight', async () => {
  const script = join(__dirname, '..', '..', 'scripts', 'sanitize-poller.sh');
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile('bash', [script], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? null), output: stdout + stderr }),
    );
  });
  // The script's own headings start with "== "; sanitizer reports with "WARNING:" or "==<pid>==".
  expect({ code, reports: output.split('\n').filter((line) => !line.startsWith('== ') && /Sanitizer|WARNING|ERROR/.test(line)) }).toEqual({ code: 0, reports: [] });
  expect(output).toMatch(/lifecycle: 200 producers created and destroyed, \d+ delivery reports served/);
  expect(output).toMatch(/lifecycle: 100 producers created and destroyed, \d+ delivery reports served/);
  expect(output).toContain('== clean: no report');
}, 300_000);
