// How etcdctl (cobra) answers before running a command: usage for --help, `help`,
// no command or a bare command group; usage plus error for a bad flag; the
// unknown-command error with its suggestions.
import { boolOf, parseDuration, parseFlags, UsageError, type FlagSpec, type Parsed } from '../flags.js';
import { COMMAND_HELP, GLOBAL_FLAG_HELP, ROOT_COMMAND_ORDER } from './table.js';
import { findChild, findCommand, isGroup, localFlags, resolvePath, usageText, type FlagHelp } from './render.js';

/** What etcdctl prints, in the order it prints it (a terminal shows both streams interleaved). */
export interface Answer {
  writes: Array<{ to: 'out' | 'err'; text: string }>;
  code: number;
}

const out = (text: string) => ({ to: 'out' as const, text });
const err = (text: string) => ({ to: 'err' as const, text });

/** A flag's kind, read from how its default prints (quoted string, [list], 5s, 0). */
function specOf(f: FlagHelp): FlagSpec {
  const kind = f.optional ? 'bool' : f.def.startsWith('"') ? 'string' : /^-?\d+$/.test(f.def) ? 'int' : f.def.startsWith('[') ? 'strings' : /^\d+(ns|us|ms|s|m|h)/.test(f.def) ? 'duration' : 'string';
  return { name: f.name, kind, short: f.short, default: '' };
}

/** Every flag `path` accepts: its own, help, its parent's persistent ones and the globals. */
export function flagSpecsFor(path: string): FlagSpec[] {
  const c = findCommand(path)!;
  const all = [...localFlags(c), ...(path === '' ? [] : GLOBAL_FLAG_HELP), ...(c.inherited ?? [])];
  return all.filter((f, i) => all.findIndex((g) => g.name === f.name) === i).map(specOf);
}

/** pflag's check of a typed flag's value. */
function checkValues(p: Parsed, specs: FlagSpec[]): void {
  for (const s of specs) {
    if (!p.changed.has(s.name)) continue;
    const v = p.values.get(s.name) ?? '';
    const bad = (why: string) => new UsageError(`invalid argument "${v}" for "--${s.name}" flag: ${why}`);
    if (s.kind === 'bool') {
      try {
        boolOf(p, s.name);
      } catch {
        throw bad(`strconv.ParseBool: parsing "${v}": invalid syntax`);
      }
    } else if (s.kind === 'int' && !/^[-+]?\d+$/.test(v)) throw bad(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    else if (s.kind === 'duration') {
      try {
        parseDuration(v);
      } catch {
        throw bad(`time: invalid duration "${v}"`);
      }
    }
  }
}

/**
 * Positional words (with their index) as etcdctl's cobra finds the command: flags
 * skipped, with the next word unless the flag is a known boolean (an unknown flag takes it too).
 */
function positionals(words: string[], specs: FlagSpec[]): Array<{ word: string; at: number }> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const found: Array<{ word: string; at: number }> = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    if (w.startsWith('--')) {
      const s = byName.get(w.slice(2));
      if (s?.kind !== 'bool' && !w.includes('=')) i++;
    } else if (w.startsWith('-') && w.length > 1) {
      const s = byShort.get(w[1]!);
      if (s?.kind !== 'bool' && w.length === 2) i++;
    } else found.push({ word: w, at: i });
  }
  return found;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/**
 * cobra's "Did you mean this?": top-level commands within distance 2 of the typed
 * word or starting with it, in the order etcdctl registers them (help is never suggested).
 */
function suggestions(typed: string): string[] {
  const t = typed.toLowerCase();
  return ROOT_COMMAND_ORDER.filter((n) => n !== 'help' && (levenshtein(t, n) <= 2 || n.startsWith(t)));
}

// cobra prints the error, the usage (etcdctl's usage function writes it to stdout
// itself, so cobra's own Println of it is an empty line), then etcdctl's exit error.
const usageError = (path: string, msg: string): Answer => ({ writes: [err(`Error: ${msg}\n`), out(usageText(path)), err(`\nError: ${msg}\n`)], code: 1 });

/** The command the words name, as cobra walks down: each level skips the flags it knows. */
function findPath(words: string[]): { path: string; pos: string[]; canonical: string[]; at: number[] } {
  let path = '';
  const canonical = [...words];
  const at: number[] = [];
  for (;;) {
    const pos = positionals(words, flagSpecsFor(path));
    const next = pos[at.length];
    const found = next === undefined ? undefined : findChild(path, next.word);
    if (found === undefined) return { path, pos: pos.map((p) => p.word), canonical, at };
    canonical[next!.at] = found.split(' ').pop()!;
    at.push(next!.at);
    path = found;
  }
}

/**
 * What etcdctl prints before any command runs (answer); or, for the command to
 * run, the command line with every command word spelled out in full (words) and
 * where the command words are in it (at: the top-level command first).
 */
export function preflight(words: string[]): { answer?: Answer; words: string[]; at: number[] } {
  const { path, pos, canonical, at } = findPath(words);
  const answer = preflightAnswer(path, pos, words);
  return { answer, words: canonical, at };
}

function preflightAnswer(path: string, pos: string[], words: string[]): Answer | undefined {
  if (path === '' && pos.length > 0) {
    const near = suggestions(pos[0]!);
    let msg = `unknown command "${pos[0]}" for "etcdctl"`;
    if (near.length > 0) msg += `\n\nDid you mean this?\n${near.map((n) => `\t${n}\n`).join('')}`;
    return { writes: [err(`Error: ${msg}\nRun 'etcdctl --help' for usage.\nError: ${msg}\n`)], code: 1 };
  }
  const specs = flagSpecsFor(path);
  let parsed: Parsed;
  try {
    parsed = parseFlags(words, specs);
    checkValues(parsed, specs);
  } catch (err) {
    if (err instanceof UsageError) return usageError(path, err.message);
    throw err;
  }
  if (path === 'help' && !boolOf(parsed, 'help')) {
    const topic = pos.slice(1);
    const target = resolvePath(topic);
    if (topic.length > 0 && target === '') return { writes: [err(`Unknown help topic [${topic.map((t) => '`' + t + '`').join(' ')}]\n`), out(usageText('', false))], code: 0 };
    return { writes: [out(usageText(target))], code: 0 };
  }
  if (path === '' || boolOf(parsed, 'help') || isGroup(path)) return { writes: [out(usageText(path))], code: 0 };
  return undefined;
}
