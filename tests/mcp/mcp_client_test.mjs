// Drives the real coffer binary with the official MCP TypeScript SDK's Client, over stdio
// (`coffer mcp`, spawned with COFFER_ADDR/COFFER_TOKEN) and over Streamable HTTP (the server's
// /mcp endpoint), plus raw JSON-RPC where the SDK would hide what is being checked.
//
// Run by run_mcp_tests.sh, which starts `coffer serve` and sets:
//   COFFER_BIN         the coffer binary
//   COFFER_URL         http://127.0.0.1:PORT of the running server
//   COFFER_TOKEN       its owner token (every scope)
//   COFFER_SERVER_LOG  optional: a file holding the server's stdout and stderr
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { promisify } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ErrorCode, LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { generateSecret, generateSync } from 'otplib';

const BIN = process.env.COFFER_BIN;
const URL_BASE = process.env.COFFER_URL;
const OWNER_TOKEN = process.env.COFFER_TOKEN;
const SERVER_LOG = process.env.COFFER_SERVER_LOG;
if (!BIN || !URL_BASE || !OWNER_TOKEN) {
  throw new Error('set COFFER_BIN, COFFER_URL and COFFER_TOKEN (run_mcp_tests.sh does this)');
}
const MCP_URL = `${URL_BASE}/mcp`;

const TOOL_NAMES = ['vault_store', 'vault_get', 'vault_list', 'vault_delete', 'vault_totp'];
const DOTTED = Object.fromEntries(TOOL_NAMES.map((n) => [n, n.replace('_', '.')]));
// What each tool promises about itself: [readOnlyHint, destructiveHint, idempotentHint].
const HINTS = {
  vault_store: [false, true, false],
  vault_get: [true, false, true],
  vault_list: [true, false, true],
  vault_delete: [false, true, true],
  vault_totp: [true, false, true],
};

// Every secret value this run stores, so the server log can be checked for all of them.
const storedSecrets = new Set();
const unique = () => randomBytes(6).toString('hex');
const plant = (label) => {
  const value = `${label}-${randomBytes(12).toString('hex')}`;
  storedSecrets.add(value);
  return value;
};

// ---- Clients --------------------------------------------------------------------------------

// Passes every message through and keeps a copy: the transcript a model-facing client saw.
class RecordingTransport {
  constructor(inner, transcript) {
    this.inner = inner;
    this.transcript = transcript;
  }
  async start() {
    this.inner.onmessage = (message, extra) => {
      this.transcript.push(`<- ${JSON.stringify(message)}`);
      this.onmessage?.(message, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    return this.inner.start();
  }
  async send(message, options) {
    this.transcript.push(`-> ${JSON.stringify(message)}`);
    return this.inner.send(message, options);
  }
  async close() {
    return this.inner.close();
  }
  get sessionId() {
    return this.inner.sessionId;
  }
  setProtocolVersion(version) {
    this.inner.setProtocolVersion?.(version);
  }
}

// Connects an SDK Client (which validates structuredContent against each tool's outputSchema
// once listTools has run) over `kind`: 'stdio' or 'http'.
async function connect(kind, { token = OWNER_TOKEN, toolNames = 'underscore' } = {}) {
  const transcript = [];
  let inner;
  if (kind === 'stdio') {
    const args = ['mcp'];
    if (toolNames !== 'underscore') args.push('--tool-names', toolNames);
    inner = new StdioClientTransport({
      command: BIN,
      args,
      env: { COFFER_ADDR: URL_BASE, COFFER_TOKEN: token },
      stderr: 'pipe',
    });
    inner.stderr.on('data', (chunk) => transcript.push(`stderr ${chunk}`));
  } else {
    const url = new URL(MCP_URL);
    if (toolNames !== 'underscore') url.searchParams.set('toolNames', toolNames);
    inner = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
  }
  const transport = new RecordingTransport(inner, transcript);
  const client = new Client(
    { name: 'coffer-mcp-test', version: '1.0.0' },
    { jsonSchemaValidator: new AjvJsonSchemaValidator() },
  );
  await client.connect(transport);
  return { client, transport, inner, transcript };
}

async function disconnect(connection) {
  if (!connection) return;
  if (connection.inner.terminateSession) await connection.inner.terminateSession().catch(() => {});
  await connection.client.close();
}

function textOf(result) {
  return (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function callOk(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name} failed: ${textOf(result)}`);
  assert.ok(result.structuredContent, `${name} returned no structuredContent`);
  assert.deepEqual(JSON.parse(textOf(result)), result.structuredContent, 'text content is the JSON of structuredContent');
  return result.structuredContent;
}

async function callError(client, name, args, ...fragments) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, true, `${name} should have failed: ${JSON.stringify(result)}`);
  const text = textOf(result);
  for (const fragment of fragments) {
    assert.match(text, fragment instanceof RegExp ? fragment : new RegExp(escapeRegExp(fragment)), `message was: ${text}`);
  }
  return text;
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- Tokens with narrower rights (arrive with the identities API) ---------------------------

// Creates an agent identity with the given scopes and issues it a token (reveal: false masks
// values). The identities API is required: a missing route fails the test rather than skipping it.
async function createToken({ scopes, reveal = true }) {
  const post = async (path, body) => {
    const response = await fetch(`${URL_BASE}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${OWNER_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const identity = await post('/v0/identities', { name: `mcp-test-${unique()}`, scopes });
  assert.equal(identity.status, 201, `POST /v0/identities: ${JSON.stringify(identity.body)}`);
  const token = await post(`/v0/identities/${identity.body.id}/tokens`, { name: 'mcp-test', reveal });
  assert.equal(token.status, 201, `POST /v0/identities/:id/tokens: ${JSON.stringify(token.body)}`);
  assert.equal(typeof token.body.token, 'string');
  return token.body.token;
}

// ---- Raw stdio ------------------------------------------------------------------------------

// A `coffer mcp` child driven by hand: every stdout line is kept and must be a JSON-RPC message.
class RawStdio {
  constructor(args = []) {
    this.child = spawn(BIN, ['mcp', ...args], {
      env: { ...process.env, COFFER_ADDR: URL_BASE, COFFER_TOKEN: OWNER_TOKEN },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.lines = [];
    this.stderr = '';
    this.waiters = [];
    let buffer = '';
    this.child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => !w(line));
      }
    });
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }
  write(text) {
    this.child.stdin.write(`${text}\n`);
  }
  // Sends a request and resolves with the reply carrying the same id.
  request(message, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(message)}; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push((line) => {
        let parsed;
        try {
          parsed = JSON.parse(line);
        } catch {
          return false;
        }
        if (parsed.id !== message.id) return false;
        clearTimeout(timer);
        resolve(parsed);
        return true;
      });
      this.write(JSON.stringify(message));
    });
  }
  // The next line, whatever it is (for replies with id null).
  nextLine(timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no line')), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line));
        return true;
      });
    });
  }
  async closeAndWait(timeoutMs = 10000) {
    this.child.stdin.end();
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('coffer mcp did not exit on EOF')), timeoutMs));
    return Promise.race([this.exited, timeout]);
  }
  kill() {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const initializeMessage = (id, protocolVersion) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

// ---- Raw HTTP -------------------------------------------------------------------------------

async function post(body, { token = OWNER_TOKEN, session, version, origin, query = '' } = {}) {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (session) headers['Mcp-Session-Id'] = session;
  if (version) headers['MCP-Protocol-Version'] = version;
  if (origin) headers.Origin = origin;
  const response = await fetch(`${MCP_URL}${query}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : null };
}

async function rawHttpSession(protocolVersion = LATEST_PROTOCOL_VERSION) {
  const reply = await post(initializeMessage(1, protocolVersion));
  assert.equal(reply.status, 200, reply.text);
  const session = reply.headers.get('mcp-session-id');
  assert.ok(session, 'initialize must issue an Mcp-Session-Id');
  const ack = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { session, version: reply.json.result.protocolVersion });
  assert.equal(ack.status, 202);
  return { session, init: reply.json };
}

// ---- Credentials of every type --------------------------------------------------------------

// Real keys and a real certificate, because the type schemas parse PEM.
function pemMaterial() {
  const ssh = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  const pem = execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', '-', '-out', '-', '-subj', '/CN=coffer-mcp-test', '-days', '1',
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const block = (label) => pem.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n`))[0];
  const material = { ssh, certificate: block('CERTIFICATE'), certificateKey: block('PRIVATE KEY') };
  storedSecrets.add(material.ssh);
  storedSecrets.add(material.certificateKey);
  return material;
}

// One credential of each type, with the fields the type schemas (GET /v0/types) expect.
function sampleCredentials(prefix) {
  const pem = pemMaterial();
  return [
    { type: 'LOGIN', data: { username: 'agent-bot', password: plant('pw') }, metadata: { uri: 'https://github.com' } },
    { type: 'API_KEY', data: { apiKey: plant('sk_live') }, metadata: { service: 'stripe' } },
    { type: 'OAUTH', data: { access_token: plant('at'), refresh_token: plant('rt') }, metadata: { service: 'hubspot' } },
    { type: 'TOTP', data: { secret: generateSecret() }, metadata: { issuer: 'GitHub', account: 'agent-bot' } },
    { type: 'SSH_KEY', data: { privateKey: pem.ssh, host: 'git.example.com' } },
    { type: 'DATABASE', data: { url: `postgres://app:${plant('db')}@127.0.0.1:5432/app` } },
    { type: 'SMTP', data: { host: 'smtp.example.com', port: 587, username: 'agent@example.com', password: plant('smtp') } },
    { type: 'AWS', data: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: plant('aws') }, metadata: { region: 'eu-west-1' } },
    { type: 'CERTIFICATE', data: { certificate: pem.certificate, privateKey: pem.certificateKey } },
    { type: 'CUSTOM', data: { webhookSecret: plant('whsec'), pin: 4321, nested: { token: plant('nested') } } },
  ].map((c) => ({ ...c, name: `${prefix}-${c.type.toLowerCase().replace('_', '-')}` }));
}

// ---- The suite, once per transport ----------------------------------------------------------

for (const kind of ['stdio', 'http']) {
  describe(`MCP over ${kind}`, () => {
    let connection;
    let tools;
    const prefix = `${kind}-${unique()}`;
    const credentials = sampleCredentials(prefix);

    before(async () => {
      connection = await connect(kind);
      tools = (await connection.client.listTools()).tools;
    });
    after(async () => disconnect(connection));

    it('initializes at the latest revision with the tools capability', () => {
      const { client } = connection;
      assert.equal(client.getServerVersion().name, 'coffer');
      assert.ok(client.getServerCapabilities().tools, 'tools capability');
      assert.match(client.getInstructions() ?? '', /vault/);
      const init = connection.transcript.find((line) => line.startsWith('<- ') && line.includes('"protocolVersion"'));
      assert.ok(init?.includes(`"protocolVersion":"${LATEST_PROTOCOL_VERSION}"`), init);
    });

    it('answers ping', async () => {
      assert.deepEqual(await connection.client.ping(), {});
    });

    it('lists the five tools with titles, descriptions, schemas and honest annotations', () => {
      assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
      const validator = new AjvJsonSchemaValidator();
      for (const tool of tools) {
        assert.ok(tool.title && tool.title.length > 3, `${tool.name} title`);
        assert.ok(tool.description.length > 80, `${tool.name} needs a description written for a model`);
        assert.equal(tool.inputSchema.type, 'object');
        assert.equal(tool.inputSchema.additionalProperties, false, `${tool.name} input refuses unknown arguments`);
        assert.equal(tool.outputSchema?.type, 'object', `${tool.name} outputSchema`);
        assert.ok(Array.isArray(tool.outputSchema.required) && tool.outputSchema.required.length > 0);
        // Both schemas compile with the SDK's own validator.
        validator.getValidator(tool.inputSchema);
        validator.getValidator(tool.outputSchema);
        const [readOnly, destructive, idempotent] = HINTS[tool.name];
        assert.equal(tool.annotations.readOnlyHint, readOnly, `${tool.name} readOnlyHint`);
        assert.equal(tool.annotations.destructiveHint, destructive, `${tool.name} destructiveHint`);
        assert.equal(tool.annotations.idempotentHint, idempotent, `${tool.name} idempotentHint`);
        assert.equal(tool.annotations.openWorldHint, false, `${tool.name} openWorldHint`);
      }
      const store = tools.find((t) => t.name === 'vault_store');
      assert.deepEqual(store.inputSchema.required.sort(), ['data', 'name', 'type']);
      assert.ok(store.inputSchema.properties.type.enum.includes('API_KEY'));
    });

    it('has the SDK validating structuredContent against every outputSchema', () => {
      for (const name of TOOL_NAMES) {
        const validate = connection.client.getToolOutputValidator(name);
        assert.ok(validate, `no output validator cached for ${name}`);
        assert.equal(validate({ unexpected: true }).valid, false, `${name}'s validator must reject a wrong shape`);
      }
    });

    it('stores a credential of each type and reads each back', async () => {
      for (const c of credentials) {
        const stored = await callOk(connection.client, 'vault_store', {
          name: c.name, type: c.type, data: c.data, ...(c.metadata ? { metadata: c.metadata } : {}),
        });
        assert.equal(stored.name, c.name);
        assert.equal(stored.type, c.type);
        assert.equal(stored.version, 1);
        assert.equal(stored.created, true);
        assert.match(stored.credentialId, /^cred_/);
        assert.equal(JSON.stringify(stored).includes(JSON.stringify(c.data)), false, 'store never echoes the secret');
      }
      for (const c of credentials) {
        const got = await callOk(connection.client, 'vault_get', { name: c.name });
        assert.deepEqual(got.data, c.data, `${c.type} data round-trips`);
        assert.deepEqual(got.metadata, c.metadata ?? {});
        assert.equal(got.masked, false);
        assert.equal(got.type, c.type);
      }
    });

    it('stores a new version and reads the old one by version', async () => {
      const name = `${prefix}-rotated`;
      const first = plant('v1');
      const second = plant('v2');
      await callOk(connection.client, 'vault_store', {
        name, type: 'API_KEY', data: { apiKey: first }, expiresAt: '2030-12-31T00:00:00Z',
      });
      const rotated = await callOk(connection.client, 'vault_store', { name, type: 'API_KEY', data: { apiKey: second } });
      assert.equal(rotated.version, 2);
      assert.equal(rotated.created, false);
      assert.equal((await callOk(connection.client, 'vault_get', { name })).data.apiKey, second);
      const old = await callOk(connection.client, 'vault_get', { name, version: 1 });
      assert.equal(old.data.apiKey, first);
      assert.equal(old.expiresAt, '2030-12-31T00:00:00Z');
    });

    it('lists by prefix and type, page by page, without secret values', async () => {
      const seen = [];
      let cursor;
      let pages = 0;
      do {
        const page = await callOk(connection.client, 'vault_list', { prefix, limit: 4, ...(cursor ? { cursor } : {}) });
        seen.push(...page.credentials.map((c) => c.name));
        for (const item of page.credentials) assert.equal('data' in item, false, 'lists never carry data');
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      assert.ok(pages >= 3, `11 credentials at 4 a page take 3 pages, got ${pages}`);
      assert.deepEqual(seen.sort(), [...credentials.map((c) => c.name), `${prefix}-rotated`].sort());

      const logins = await callOk(connection.client, 'vault_list', { prefix, type: 'LOGIN' });
      assert.deepEqual(logins.credentials.map((c) => c.name), [`${prefix}-login`]);
      assert.equal(logins.nextCursor, null);
      const transcript = connection.transcript.join('\n');
      // The list replies were recorded: none of them may hold a value (the get replies do).
      const listReplies = transcript.split('\n').filter((l) => l.includes('"credentials":['));
      for (const secret of storedSecrets) {
        assert.equal(listReplies.some((l) => l.includes(secret)), false, 'a list reply carried a secret');
      }
    });

    it('gets a TOTP code that an independent implementation (otplib) agrees with', async () => {
      const totp = credentials.find((c) => c.type === 'TOTP');
      const result = await connection.client.callTool({ name: 'vault_totp', arguments: { name: totp.name } });
      assert.notEqual(result.isError, true, textOf(result));
      const { code, remaining, name } = result.structuredContent;
      assert.equal(name, totp.name);
      assert.match(code, /^\d{6}$/);
      assert.ok(remaining >= 0 && remaining <= 30, `remaining ${remaining}`);
      // The step may turn between the server's clock read and ours: accept the neighbours.
      const now = Math.floor(Date.now() / 1000);
      const candidates = [-30, 0, 30].map((d) => generateSync({ secret: totp.data.secret, epoch: now + d }));
      assert.ok(candidates.includes(code), `code ${code} is none of otplib's ${candidates}`);
      await callError(connection.client, 'vault_totp', { name: `${prefix}-login` }, /TOTP|type/);
    });

    it('deletes, after which the name is gone', async () => {
      const name = `${prefix}-custom`;
      assert.deepEqual(await callOk(connection.client, 'vault_delete', { name }), { deleted: true, name });
      await callError(connection.client, 'vault_get', { name }, /no credential/, 'vault_list');
      await callError(connection.client, 'vault_delete', { name }, /no credential/);
    });

    it('returns bad arguments as tool errors a model can act on', async () => {
      const c = connection.client;
      await callError(c, 'vault_store', { name: `${prefix}-x`, type: 'API_KEY' }, 'data is required');
      await callError(c, 'vault_store', { name: `${prefix}-x`, type: 'PASSWORD', data: { a: 'b' } }, 'type must be one of', 'API_KEY');
      await callError(c, 'vault_store', { name: 'has spaces!', type: 'API_KEY', data: { a: 'b' } }, 'not allowed', 'A-Z');
      await callError(c, 'vault_store', { name: `${prefix}-x`, type: 'API_KEY', data: {} }, 'non-empty');
      await callError(c, 'vault_store', { name: `${prefix}-x`, type: 'API_KEY', data: { a: 'b' }, metdata: {} },
        "unknown argument (did you mean 'metadata'?)");
      await callError(c, 'vault_store', { name: `${prefix}-x`, type: 'API_KEY', data: { a: 'b' }, expiresAt: 'next week' },
        'ISO 8601');
      await callError(c, 'vault_get', {}, 'name is required');
      await callError(c, 'vault_get', { name: `${prefix}-login`, version: 0 }, 'version must be a whole number');
      await callError(c, 'vault_get', { name: `${prefix}-login`, version: 99 }, /version 99/);
      await callError(c, 'vault_list', { limit: 1000 }, 'limit must be a whole number from 1 to 500');
      await callError(c, 'vault_list', { cursor: 'not-a-cursor!' }, 'cursor');
      await callError(c, 'vault_get', { name: `${prefix}-never-stored` }, /no credential/, 'vault_list');
      // Nothing was stored by the failed calls.
      await callError(c, 'vault_get', { name: `${prefix}-x` }, /no credential/);
    });

    it('answers an unknown tool with a JSON-RPC error naming the real ones, never echoing the name', async () => {
      // A name in the wrong place may be a secret pasted there: only known words come back.
      await assert.rejects(
        connection.client.callTool({ name: 'Pw7xQ2mZ9kL4vB1n', arguments: {} }),
        (error) => error instanceof McpError && error.code === ErrorCode.InvalidParams &&
          /unknown tool/.test(error.message) && /vault_store/.test(error.message) &&
          !error.message.includes('Pw7xQ2mZ9kL4vB1n'),
      );
    });

    it('offers the dotted spelling with --tool-names dotted', async () => {
      const dotted = await connect(kind, { toolNames: 'dotted' });
      try {
        const names = (await dotted.client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(names, Object.values(DOTTED).sort());
        const page = await callOk(dotted.client, 'vault.list', { prefix, limit: 1 });
        assert.equal(page.credentials.length, 1);
      } finally {
        await disconnect(dotted);
      }
    });

    it('shows only the tools a token has scopes for, and refuses the rest with a tool error', async () => {
      const token = await createToken({ scopes: ['vault:read', 'vault:list'] });
      const narrow = await connect(kind, { token });
      try {
        const names = (await narrow.client.listTools()).tools.map((tool) => tool.name).sort();
        assert.deepEqual(names, ['vault_get', 'vault_list', 'vault_totp']);
        await callError(narrow.client, 'vault_store', { name: `${prefix}-denied`, type: 'API_KEY', data: { k: 'v' } },
          'vault:write');
        await callError(narrow.client, 'vault_delete', { name: `${prefix}-login` }, 'vault:delete');
      } finally {
        await disconnect(narrow);
      }
    });

    it('never hands a secret to a reveal: false token, through any tool', async () => {
      // One agent token that may write but not see: the values are planted over REST, outside
      // the MCP transcript, then everything the MCP client receives is searched for them.
      const token = await createToken({ scopes: ['vault:read', 'vault:write', 'vault:list', 'vault:use'], reveal: false });
      const planted = plant('planted');
      const seed = generateSecret();
      storedSecrets.add(seed);
      const names = { login: `${prefix}-masked-login`, totp: `${prefix}-masked-totp`, short: `${prefix}-masked-short` };
      const put = async (name, body) => {
        const response = await fetch(`${URL_BASE}/v0/vault/${name}`, {
          method: 'PUT',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.ok(response.ok, `planting ${name}: ${response.status} ${await response.text()}`);
      };
      await put(names.login, { type: 'LOGIN', data: { password: planted }, metadata: { username: 'agent' } });
      await put(names.totp, { type: 'TOTP', data: { secret: seed } });
      await put(names.short, { type: 'API_KEY', data: { apiKey: 'Zq7!xW' } });

      const masked = await connect(kind, { token });
      try {
        const listed = await callOk(masked.client, 'vault_list', { prefix: `${prefix}-masked` });
        assert.equal(listed.credentials.length, 3);
        const login = await callOk(masked.client, 'vault_get', { name: names.login });
        assert.equal(login.masked, true);
        assert.equal(login.data.password, `••••${planted.slice(-4)}`);
        assert.equal(login.metadata.username, 'agent', 'metadata is not secret');
        const short = await callOk(masked.client, 'vault_get', { name: names.short });
        assert.equal(short.data.apiKey, '••••••••', 'a value under 8 characters shows no tail');
        const totp = await callOk(masked.client, 'vault_get', { name: names.totp });
        assert.equal(totp.masked, true);
        const code = await masked.client.callTool({ name: 'vault_totp', arguments: { name: names.totp } });
        assert.notEqual(code.isError, true, textOf(code));
        const now = Math.floor(Date.now() / 1000);
        const expected = [-30, 0, 30].map((d) => generateSync({ secret: seed, epoch: now + d }));
        assert.ok(expected.includes(code.structuredContent.code), 'the masked agent still gets working codes');
        const transcript = masked.transcript.join('\n');
        assert.ok(transcript.includes(planted.slice(-4)), 'the transcript was recorded');
        assert.equal(transcript.includes(planted), false, 'the planted password reached the reveal: false client');
        assert.equal(transcript.includes(seed), false, 'the planted TOTP seed reached the reveal: false client');
        assert.equal(transcript.includes('Zq7!xW'), false, 'the short key reached the reveal: false client');
      } finally {
        await disconnect(masked);
      }
    });
  });
}

// ---- stdio specifics ------------------------------------------------------------------------

describe('stdio transport, raw', () => {
  it('answers a request before initialize with an error and keeps running', async () => {
    const raw = new RawStdio();
    try {
      const early = await raw.request({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
      assert.equal(early.error?.code, -32600);
      assert.match(early.error.message, /not initialized.*initialize/);
      assert.equal(raw.child.exitCode, null, 'the process is still alive');
      assert.deepEqual((await raw.request({ jsonrpc: '2.0', id: 2, method: 'ping' })).result, {}, 'ping works before initialize');
      const init = await raw.request(initializeMessage(3, LATEST_PROTOCOL_VERSION));
      assert.equal(init.result.protocolVersion, LATEST_PROTOCOL_VERSION);
      raw.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      const list = await raw.request({ jsonrpc: '2.0', id: 4, method: 'tools/list' });
      assert.equal(list.result.tools.length, 5);
      const again = await raw.request(initializeMessage(5, LATEST_PROTOCOL_VERSION));
      assert.match(again.error.message, /already initialized/);
      const { code } = await raw.closeAndWait();
      assert.equal(code, 0);
    } finally {
      raw.kill();
    }
  });

  it('negotiates down to 2024-11-05 and sends such a client only what its revision defines', async () => {
    const raw = new RawStdio();
    try {
      const init = await raw.request(initializeMessage(1, '2024-11-05'));
      assert.equal(init.result.protocolVersion, '2024-11-05');
      const list = await raw.request({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      for (const tool of list.result.tools) {
        assert.equal('outputSchema' in tool, false);
        assert.equal('annotations' in tool, false);
        assert.ok(tool.inputSchema);
      }
      const call = await raw.request({
        jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'vault_list', arguments: { limit: 1 } },
      });
      assert.equal('structuredContent' in call.result, false);
      assert.ok(Array.isArray(JSON.parse(call.result.content[0].text).credentials));
      // 2024-11-05 and 2025-03-26 allow JSON-RPC batches.
      raw.write(JSON.stringify([{ jsonrpc: '2.0', id: 4, method: 'ping' }, { jsonrpc: '2.0', id: 5, method: 'ping' }]));
      const batch = await raw.nextLine();
      assert.deepEqual(batch.map((r) => r.id).sort(), [4, 5]);
    } finally {
      raw.kill();
    }
  });

  for (const version of ['2025-06-18', '2025-03-26']) {
    it(`negotiates ${version}`, async () => {
      const raw = new RawStdio();
      try {
        const init = await raw.request(initializeMessage(1, version));
        assert.equal(init.result.protocolVersion, version);
        const list = await raw.request({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
        assert.equal('annotations' in list.result.tools[0], true);
        assert.equal('outputSchema' in list.result.tools[0], version >= '2025-06-18');
      } finally {
        raw.kill();
      }
    });
  }

  it('answers an unsupported version with its latest, and refuses batches on 2025-06-18+', async () => {
    const raw = new RawStdio();
    try {
      const init = await raw.request(initializeMessage(1, '1999-01-01'));
      assert.equal(init.result.protocolVersion, LATEST_PROTOCOL_VERSION);
      raw.write(JSON.stringify([{ jsonrpc: '2.0', id: 2, method: 'ping' }]));
      const refused = await raw.nextLine();
      assert.equal(refused.error.code, -32600);
      assert.match(refused.error.message, /batches/);
    } finally {
      raw.kill();
    }
  });

  it('answers malformed messages with JSON-RPC errors and unknown methods with -32601', async () => {
    const raw = new RawStdio();
    try {
      raw.write('{"jsonrpc": "2.0", "id": 1, "method": ');
      assert.equal((await raw.nextLine()).error.code, -32700);
      raw.write('42');
      assert.equal((await raw.nextLine()).error.code, -32600);
      assert.equal((await raw.request({ jsonrpc: '1.0', id: 2, method: 'ping' })).error.code, -32600);
      await raw.request(initializeMessage(3, LATEST_PROTOCOL_VERSION));
      const missing = await raw.request({ jsonrpc: '2.0', id: 4, method: 'resources/list' });
      assert.equal(missing.error.code, -32601);
      const noName = await raw.request({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { arguments: {} } });
      assert.equal(noName.error.code, -32602);
      const badArgs = await raw.request({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'vault_list', arguments: [1] } });
      assert.equal(badArgs.error.code, -32602);
      assert.equal(raw.child.exitCode, null);
    } finally {
      raw.kill();
    }
  });

  it('exits 0 on EOF and writes nothing but JSON-RPC messages to stdout', async () => {
    const raw = new RawStdio();
    await raw.request(initializeMessage(1, LATEST_PROTOCOL_VERSION));
    raw.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    await raw.request({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await raw.request({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'vault_get', arguments: { name: 'nope' } } });
    raw.write('not json');
    await raw.nextLine();
    const { code } = await raw.closeAndWait();
    assert.equal(code, 0);
    assert.ok(raw.lines.length >= 4);
    for (const line of raw.lines) {
      const message = JSON.parse(line);
      assert.equal(message.jsonrpc, '2.0', `not a JSON-RPC line: ${line}`);
      assert.ok('result' in message || 'error' in message, line);
    }
    assert.match(raw.stderr, /serving MCP on stdio/, 'logs go to stderr');
  });

  it('prints a working client config with --print-config', async () => {
    const { stdout } = await promisify(execFile)(BIN, ['mcp', '--print-config'], {
      env: { ...process.env, COFFER_ADDR: URL_BASE, COFFER_TOKEN: OWNER_TOKEN },
    });
    const config = JSON.parse(stdout);
    const server = config.mcpServers.coffer;
    assert.ok(isAbsolute(server.command) && existsSync(server.command), server.command);
    assert.deepEqual(server.args, ['mcp']);
    assert.equal(server.env.COFFER_ADDR, URL_BASE);
    assert.equal(server.env.COFFER_TOKEN, OWNER_TOKEN);
    // The printed entry, launched as a client would launch it, serves the tools.
    const client = new Client({ name: 'print-config-check', version: '1' });
    await client.connect(new StdioClientTransport({ command: server.command, args: server.args, env: server.env, stderr: 'pipe' }));
    try {
      assert.equal((await client.listTools()).tools.length, 5);
    } finally {
      await client.close();
    }
  });
});

// ---- Streamable HTTP specifics --------------------------------------------------------------

describe('Streamable HTTP transport, raw', () => {
  it('issues a session id on initialize and requires it afterwards', async () => {
    const { session } = await rawHttpSession();
    assert.match(session, /^[\x21-\x7e]{16,}$/);
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session, version: LATEST_PROTOCOL_VERSION });
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-type'), /application\/json/);
    assert.equal(list.json.result.tools.length, 5);
    const missing = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    assert.equal(missing.status, 400);
    assert.match(missing.json.error.message, /Mcp-Session-Id/);
    const unknown = await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' }, { session: 'no-such-session' });
    assert.equal(unknown.status, 404);
  });

  it('checks MCP-Protocol-Version after initialization', async () => {
    const { session } = await rawHttpSession('2025-06-18');
    const ok = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { session, version: '2025-06-18' });
    assert.equal(ok.status, 200);
    const absent = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { session });
    assert.equal(absent.status, 200, 'an absent header means the negotiated version');
    const unsupported = await post({ jsonrpc: '2.0', id: 4, method: 'ping' }, { session, version: '1999-01-01' });
    assert.equal(unsupported.status, 400);
    assert.match(unsupported.json.error.message, /MCP-Protocol-Version/);
    const other = await post({ jsonrpc: '2.0', id: 5, method: 'ping' }, { session, version: '2025-11-25' });
    assert.equal(other.status, 400);
  });

  it('negotiates old and unsupported versions over HTTP too', async () => {
    const old = await post(initializeMessage(1, '2024-11-05'));
    assert.equal(old.json.result.protocolVersion, '2024-11-05');
    const unsupported = await post(initializeMessage(1, '1999-01-01'));
    assert.equal(unsupported.json.result.protocolVersion, LATEST_PROTOCOL_VERSION);
  });

  it('rejects foreign Origins with 403 and allows loopback ones', async () => {
    const foreign = await post(initializeMessage(1, LATEST_PROTOCOL_VERSION), { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.id, null);
    assert.equal((await post(initializeMessage(1, LATEST_PROTOCOL_VERSION), { origin: 'null' })).status, 403);
    const local = await post(initializeMessage(1, LATEST_PROTOCOL_VERSION), { origin: 'http://localhost:3000' });
    assert.equal(local.status, 200);
  });

  it('requires the Bearer token on every request', async () => {
    const { session } = await rawHttpSession();
    const none = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { token: null, session });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    const wrong = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { token: `cof_${'x'.repeat(43)}`, session });
    assert.equal(wrong.status, 401);
  });

  it('binds a session to the token that created it', async () => {
    const token = await createToken({ scopes: ['vault:list'] });
    const { session } = await rawHttpSession();
    const stolen = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { token, session });
    assert.equal(stolen.status, 404);
  });

  it('answers notifications with 202, GET with 405 and ends sessions on DELETE', async () => {
    const { session } = await rawHttpSession();
    const note = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } }, { session });
    assert.equal(note.status, 202);
    assert.equal(note.text, '');
    const get = await fetch(MCP_URL, { headers: { Authorization: `Bearer ${OWNER_TOKEN}`, Accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    await get.text();
    const del = await fetch(MCP_URL, { method: 'DELETE', headers: { Authorization: `Bearer ${OWNER_TOKEN}`, 'Mcp-Session-Id': session } });
    assert.equal(del.status, 204);
    const after = await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { session });
    assert.equal(after.status, 404);
  });

  it('answers a body that is not JSON with 400 and a parse error', async () => {
    const reply = await post('{"jsonrpc":', {});
    assert.equal(reply.status, 400);
    assert.equal(reply.json.error.code, -32700);
  });
});

// ---- Last: what the server wrote ------------------------------------------------------------

describe('server log', () => {
  it('holds none of the secret values stored in this run', (t) => {
    if (!SERVER_LOG || !existsSync(SERVER_LOG)) return t.skip('COFFER_SERVER_LOG not given');
    const log = readFileSync(SERVER_LOG, 'utf8');
    assert.ok(storedSecrets.size > 10);
    for (const secret of storedSecrets) assert.equal(log.includes(secret), false, 'a secret reached the server log');
  });
});
