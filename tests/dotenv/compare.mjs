// Differential test of Coffer's .env reader and writer against npm dotenv (see compare_with_npm.sh).
//   node compare.mjs PATH/TO/coffer_dotenv_dump NPM_DIR TESTS_DOTENV_DIR
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [dumpTool, npmDir, here] = process.argv.slice(2);
const dotenv = createRequire(path.join(npmDir, 'package.json'))('dotenv');
const corpusDir = path.join(here, 'corpus');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-dotenv-'));

let failures = 0;
const fail = (what, detail) => { failures++; console.log(`FAIL ${what}: ${detail}`); };

function runDump(mode, file) {
  try {
    return { ok: true, out: execFileSync(dumpTool, [mode, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    if (e.status === 1) return { ok: false, error: e.stderr.trim() };
    throw e;
  }
}

// dotenv returns a plain object; compare as maps (object key order is not part of the result).
function diff(expected, actual) {
  const problems = [];
  for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    if (!(key in actual)) problems.push(`${key} missing`);
    else if (!(key in expected)) problems.push(`${key} unexpected`);
    else if (expected[key] !== actual[key]) {
      problems.push(`${key}: expected ${JSON.stringify(expected[key])}, got ${JSON.stringify(actual[key])}`);
    }
  }
  return problems;
}

// Our writer's text for `values`, read back by dotenv and by us, must give `values` again.
function checkRoundTrip(what, writeMode, inputFile, values) {
  const written = runDump(writeMode, inputFile);
  if (!written.ok) return written;
  const problems = diff(values, dotenv.parse(Buffer.from(written.out, 'utf8')));
  if (problems.length) fail(`${what} round trip through dotenv`, problems.join('; '));
  const writtenFile = path.join(scratch, 'written.env');
  fs.writeFileSync(writtenFile, written.out);
  const reread = JSON.parse(runDump('parse', writtenFile).out);
  if (!reread.ok) fail(`${what} round trip through Coffer`, reread.error);
  else {
    const ours = diff(values, reread.values);
    if (ours.length) fail(`${what} round trip through Coffer`, ours.join('; '));
  }
  return written;
}

// deliberate_differences.txt: "<file> <reason>" per line; these must be errors for us.
const deliberate = new Map();
for (const line of fs.readFileSync(path.join(here, 'deliberate_differences.txt'), 'utf8').split('\n')) {
  const trimmed = line.trim();
  if (!trimmed || trimmed.startsWith('#')) continue;
  const [file, ...reason] = trimmed.split(/\s+/);
  if (!reason.length) fail('deliberate_differences.txt', `${file} has no reason`);
  deliberate.set(file, reason.join(' '));
}

const files = fs.readdirSync(corpusDir).filter((f) => f.endsWith('.env')).sort();
for (const file of deliberate.keys()) {
  if (!files.includes(file)) fail('deliberate_differences.txt', `${file} is not in the corpus`);
}
let same = 0, deliberateErrors = 0;
for (const file of files) {
  const full = path.join(corpusDir, file);
  const theirs = dotenv.parse(fs.readFileSync(full));
  const ours = JSON.parse(runDump('parse', full).out);
  if (deliberate.has(file)) {
    if (ours.ok) fail(file, `listed as a deliberate difference but parsed without error: ${JSON.stringify(ours.values)}`);
    else if (!/^line \d+: /.test(ours.error)) fail(file, `error does not name the line: ${ours.error}`);
    else { deliberateErrors++; console.log(`ok   ${file}: error as intended (${ours.error}); dotenv gives ${JSON.stringify(theirs)}`); }
    continue;
  }
  if (!ours.ok) { fail(file, `we refuse it (${ours.error}) but dotenv reads ${JSON.stringify(theirs)}`); continue; }
  const problems = diff(theirs, ours.values);
  if (problems.length) { fail(file, problems.join('; ')); continue; }
  const written = checkRoundTrip(file, 'write', full, ours.values);
  if (!written.ok) { fail(file, `our writer refuses its values: ${written.error}`); continue; }
  same++;
}

// Values chosen to stress the writer's choice of quoting; `false` marks those dotenv cannot hold.
const writerCases = [
  ['', true], ['plain', true], [' leading space', true], ['trailing space ', true], ['   ', true],
  ['a#b', true], ['#starts-with-hash', true], ['line1\nline2', true], ['\nleading newline', true],
  ['trailing newline\n', true], ['carriage\rreturn', true], ['crlf\r\nend', true],
  ["'single'", true], ['"double"', true], ['`backtick`', true], ["it's", true], ['say "hi"', true],
  ['both \' and "', true], ['both \' and "\nmultiline', true], [' all three \' " `', false], ['all three \' " ` but bare', true],
  ['back\\slash', true], ['ends with backslash\\', true], [' needs quotes, ends with backslash\\', false],
  ['literal \\n sequence', true], [' literal \\n and leading space', true], ["' \\n and single", true],
  ['C:\\new\\raw\\path', true], ['backslash before newline\\\nnext', true], ['\\r\\n literal', true],
  ['tab\tinside', true], ['\ttab first', true], ['\u00a0nbsp first', true], ['trailing nbsp\u00a0', true],
  ['\ufeffbom first', true], ['emoji \u{1F511} key', true], ['line\u2028separator', true],
  ['\u2028\'quoted after separator\'', true], ['=', true], ['a=b=c', true], ['${NOT_EXPANDED}', true],
  ['"', true], ["'", true], ['`', true], ['"\'`', false], ['\\', true], [' \\', false],
  ['x"', true], ["'x", true], ['"x\\"', true], ['\'mixed" ends\'', true], ['# not a comment', true],
  ['export FOO=bar', true], ['KEY=value\nOTHER=value', true],
  ['-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n', true],
];
let writerOk = 0;
const allWritable = {};
writerCases.forEach(([value, writable], i) => {
  const jsonFile = path.join(scratch, 'values.json');
  fs.writeFileSync(jsonFile, JSON.stringify({ VALUE: value }));
  const written = checkRoundTrip(`writer case ${i} ${JSON.stringify(value)}`, 'write-json', jsonFile, { VALUE: value });
  if (written.ok !== writable) {
    fail(`writer case ${i} ${JSON.stringify(value)}`, writable ? `refused: ${written.error}` : 'written, but should be refused');
  } else if (!written.ok && !written.error.includes('VALUE')) {
    fail(`writer case ${i}`, `error does not name the key: ${written.error}`);
  } else writerOk++;
  if (writable) allWritable[`V${i}`] = value;
});
// All together in one file, so each value is also read next to its neighbours.
const jsonFile = path.join(scratch, 'values.json');
fs.writeFileSync(jsonFile, JSON.stringify(allWritable));
const together = checkRoundTrip('all writer cases in one file', 'write-json', jsonFile, allWritable);
if (!together.ok) fail('all writer cases in one file', together.error);

fs.rmSync(scratch, { recursive: true, force: true });
const version = JSON.parse(fs.readFileSync(path.join(npmDir, 'node_modules/dotenv/package.json'))).version;
console.log(`\ndotenv ${version}: ` +
  `${same} corpus files identical and round-tripped, ${deliberateErrors} deliberate differences, ` +
  `${writerOk}/${writerCases.length} writer cases, ${failures} failures`);
process.exit(failures ? 1 : 0);
