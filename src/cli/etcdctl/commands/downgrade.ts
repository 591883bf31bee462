// downgrade validate|enable|cancel: etcdctl 3.6's commands for etcd's downgrade job.
import { DowngradeAction } from '../../../client/maintenance.js';
import { CliExit, ExitCode } from '../exit.js';
import { fail, type Ctx } from '../context.js';

export async function downgrade(c: Ctx): Promise<void> {
  const [sub, ...args] = c.args;
  const action = sub === 'validate' ? DowngradeAction.VALIDATE : sub === 'enable' ? DowngradeAction.ENABLE : sub === 'cancel' ? DowngradeAction.CANCEL : undefined;
  if (action === undefined) throw new CliExit(ExitCode.BadArgs, `unknown command "${sub ?? ''}" for "etcdctl downgrade"`);
  let version = '';
  if (action !== DowngradeAction.CANCEL) {
    if (args.length < 1) throw new CliExit(ExitCode.BadArgs, 'TARGET_VERSION not provided');
    if (args.length > 1) throw new CliExit(ExitCode.BadArgs, 'too many arguments');
    version = args[0]!;
    if (version.length === 0) throw new CliExit(ExitCode.BadArgs, 'target version not provided');
  }
  const cli = await c.client();
  const r = await cli.maintenance.downgrade(action, version, c.timeout()).catch((e) => fail(e));
  c.display.downgrade(sub as 'validate' | 'enable' | 'cancel', r);
}
