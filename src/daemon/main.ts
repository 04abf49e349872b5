/**
 * tsiscsid entry point. The daemon itself (record DB, control socket, systemd) is the
 * subject of the next milestone; today the binary answers --version/--help and says
 * plainly that it cannot run yet.
 */
import { VERSION } from '../shared/version.js';

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('-v') || argv.includes('--version')) {
    process.stdout.write(`tsiscsid version ${VERSION}\n`);
    return;
  }
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('Usage: tsiscsid [OPTION]\n  -v, --version  print the version\n  -h, --help     this text\n');
    return;
  }
  process.stderr.write('tsiscsid: the daemon is not implemented in this release; the session library and demo are (see README)\n');
  process.exitCode = 1;
}
