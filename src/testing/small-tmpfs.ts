import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A tiny tmpfs for the disk-full test (security.md FT-6): a real file system that really fills
 * up, so SQLite sees a real ENOSPC (SQLITE_FULL). Mounting needs root; `mount()` says why it
 * could not, and CI (GATEHOUSE_TEST_REQUIRE_POSTGRES=1) turns that into a failure.
 */
const run = promisify(execFile);
const FILLER = 'filler.bin';

export class SmallTmpfs {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of `sizeMiB`, or returns the reason it cannot be done here. */
  static async mount(sizeMiB: number): Promise<SmallTmpfs | string> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tmpfs-'));
    const reason =
      process.getuid?.() !== 0
        ? 'mounting a tmpfs needs root'
        : await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755`, 'tmpfs', dir]).then(
            () => null,
            (error: Error) => `mount -t tmpfs refused: ${error.message.split('\n')[0]}`,
          );
    if (reason === null) return new SmallTmpfs(dir);
    rmdirSync(dir);
    if (process.env.GATEHOUSE_TEST_REQUIRE_POSTGRES === '1') throw new Error(`tmpfs required: ${reason}`);
    return reason;
  }

  /** Fills every free byte with a filler file; returns how many bytes it took. */
  fill(): number {
    const fd = openSync(join(this.dir, FILLER), 'a');
    let written = 0;
    try {
      for (const size of [65_536, 4096, 512]) {
        const chunk = Buffer.alloc(size, 0xaa);
        for (;;) {
          try {
            written += writeSync(fd, chunk);
          } catch {
            break;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return written;
  }

  /** Removes the filler: the space is back. */
  free(): void {
    rmSync(join(this.dir, FILLER), { force: true });
  }

  async unmount(): Promise<void> {
    await run('umount', [this.dir]).catch(() => run('umount', ['-l', this.dir]));
    rmdirSync(this.dir);
  }
}
