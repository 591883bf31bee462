// etcdctl's usage text for a command, from the help table, laid out as its
// template and tabwriter do.
import { COMMAND_HELP, GLOBAL_FLAG_HELP } from './table.js';
import { tabwrite } from './tabwriter.js';

export interface FlagHelp {
  name: string;
  /** The default as pflag prints it (strings quoted). */
  def: string;
  usage: string;
  short?: string;
  /** Takes its value optionally (booleans): printed as --name[=default]. */
  optional?: boolean;
}

export interface CommandHelp {
  /** Words after the program name; "" is etcdctl itself. */
  path: string;
  use: string;
  short: string;
  long?: string;
  flags?: FlagHelp[];
  /** Persistent flags of the parent command, listed with the global ones. */
  inherited?: FlagHelp[];
  /** Not listed among its parent's commands nor suggested (etcdctl 3.6's commands, kept out of 3.4's help). */
  hidden?: boolean;
  /** The use line without " [flags]" (cobra's DisableFlagsInUseLine). */
  plainUse?: boolean;
}

export const ETCDCTL_VERSION = '3.4.23';
export const ETCDCTL_API_VERSION = '3.4';

export function findCommand(path: string): CommandHelp | undefined {
  return COMMAND_HELP.find((c) => c.path === path);
}

export function childrenOf(path: string): CommandHelp[] {
  return COMMAND_HELP.filter((c) => c.path !== path && (path === '' ? true : c.path.startsWith(path + ' ')));
}

export const isGroup = (path: string) => childrenOf(path).length > 0;

/**
 * cobra's findNext with etcdctl's EnablePrefixMatching: a child named exactly, or
 * the only child whose name starts with the word ("compact" is compaction,
 * "role grant" is role grant-permission; "c" names no one).
 */
export function findChild(path: string, word: string): string | undefined {
  const children = COMMAND_HELP.map((c) => c.path).filter((p) => p !== '' && p.split(' ').length === (path === '' ? 1 : path.split(' ').length + 1) && (path === '' || p.startsWith(path + ' ')));
  const named = (p: string) => p.split(' ').pop()!;
  const exact = children.find((p) => named(p) === word);
  if (exact !== undefined) return exact;
  const matches = children.filter((p) => named(p).startsWith(word));
  return matches.length === 1 ? matches[0] : undefined;
}

/** The longest command path the leading words name (prefixes allowed, as cobra's Find). */
export function resolvePath(words: string[]): string {
  let path = '';
  for (const w of words) {
    const next = findChild(path, w);
    if (next === undefined) break;
    path = next;
  }
  return path;
}

const lastWord = (path: string) => path.split(' ').pop()!;

/** Whether `path` sits under a hidden command that `listing` is not itself under. */
export function hiddenUnder(path: string, listing: string): boolean {
  const words = path.split(' ');
  for (let i = 1; i <= words.length; i++) {
    const p = words.slice(0, i).join(' ');
    if (findCommand(p)?.hidden && !(listing === p || listing.startsWith(p + ' '))) return true;
  }
  return false;
}

/** The flags a command takes itself (its own and help), sorted as pflag lists them. */
export function localFlags(c: CommandHelp, withHelp = true): FlagHelp[] {
  const own = c.path === '' ? GLOBAL_FLAG_HELP : (c.flags ?? []);
  const help: FlagHelp = { name: 'help', short: 'h', def: 'false', optional: true, usage: `help for ${c.path === '' ? 'etcdctl' : lastWord(c.path)}` };
  return sortFlags(withHelp ? [...own, help] : [...own]);
}

const sortFlags = (flags: FlagHelp[]) => flags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

function flagLines(flags: FlagHelp[]): string {
  return flags
    .map((f) => {
      const head = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
      return `${head}${f.optional ? `[=${f.def}]` : `=${f.def}`}\t${f.usage}\n`;
    })
    .join('');
}

/** `withHelpFlag` false: as cobra prints it before the help flag exists (help for an unknown topic). */
export function usageText(path: string, withHelpFlag = true): string {
  const c = findCommand(path);
  if (!c) throw new Error(`no help for "${path}"`);
  const root = path === '';
  const parent = path.split(' ').slice(0, -1).join(' ');
  let useLine = root ? c.use : `etcdctl ${parent === '' ? '' : parent + ' '}${c.use}`;
  if (!c.plainUse && !useLine.includes('[flags]')) useLine += ' [flags]';
  const subs = childrenOf(path);
  let t = `NAME:\n\t${root ? 'etcdctl' : path} - ${c.short}\n\nUSAGE:\n\t${useLine}\n`;
  if (root) t += `\nVERSION:\n\t${ETCDCTL_VERSION}\n`;
  if (subs.length > 0) {
    t += `\nAPI VERSION:\n\t${ETCDCTL_API_VERSION}\n`;
    t += '\n\nCOMMANDS:\n';
    for (const s of subs) if (!isGroup(s.path) && !hiddenUnder(s.path, path)) t += `\t${root ? s.path : s.path.slice(path.length + 1)}\t${s.short}\n`;
  }
  if (c.long) t += `\nDESCRIPTION:\n${c.long.split('\n').map((l) => `\t${l}\n`).join('')}`;
  t += `\nOPTIONS:\n${flagLines(localFlags(c, withHelpFlag))}`;
  if (!root) t += `\nGLOBAL OPTIONS:\n${flagLines(sortFlags([...GLOBAL_FLAG_HELP, ...(c.inherited ?? [])]))}`;
  return tabwrite(t + '\n');
}
