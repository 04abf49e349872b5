/**
 * tsiscsiadm entry point. The open-iscsi compatible CLI drives tsiscsid over its
 * control socket (next milestones); today it answers --version/--help only.
 */
import { VERSION } from '../shared/version.js';

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('-V') || argv.includes('--version')) {
    process.stdout.write(`tsiscsiadm version ${VERSION}\n`);
    return;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('Usage: tsiscsiadm -m MODE [OPTION]...\n  -V, --version  print the version\n  -h, --help     this text\n');
    return;
  }
  process.stderr.write('tsiscsiadm: no daemon in this release: modes are not available yet (see README)\n');
  process.exitCode = 1;
}
