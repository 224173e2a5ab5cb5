// Run satori's QQ adapter (@satorijs/adapter-qq, unmodified) against a qqbot emulator.
//
// Usage: node satori_smoke.cjs API_BASE TOKEN_URL APP_ID SECRET EVENTS
//
// Only the base URLs change: the adapter's own `endpoint` setting for the OpenAPI, and its
// hard-coded token URL rewritten where its HTTP client calls `fetch`. Everything else (token
// fetch, /gateway/bot, Identify, heartbeats, READY, event parsing, passive replies) is satori's.
//
// Prints one JSON line per milestone (`connected`, `event`, `reply`, `done`) and exits 0 after
// EVENTS message events with a reply to the first of each kind, or 3 after a 60 s watchdog.
const { Context } = require('@satorijs/core');
const QQ = require('@satorijs/adapter-qq');
const HTTP = require('@cordisjs/plugin-http');

const [apiBase, tokenUrl, id, secret, wanted] = process.argv.slice(2);
const say = (fields) => process.stdout.write(JSON.stringify(fields) + '\n');
setTimeout(() => { say({ kind: 'timeout' }); process.exit(3); }, 60000).unref();

const realFetch = globalThis.fetch;
globalThis.fetch = (url, init) =>
  realFetch(String(url) === 'https://bots.qq.com/app/getAppAccessToken' ? tokenUrl : url, init);

const ctx = new Context();
ctx.plugin(HTTP.default || HTTP);
ctx.plugin(QQ.default || QQ, {
  id, secret, type: 'private',
  endpoint: apiBase.replace(/\/?$/, '/'),
  // GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, DIRECT_MESSAGE, GROUP_AND_C2C_EVENT, PUBLIC_GUILD_MESSAGES
  intents: (1 << 0) | (1 << 1) | (1 << 9) | (1 << 12) | (1 << 25) | (1 << 30),
});

let seen = 0;
const replied = new Set();
ctx.on('login-added', () => say({ kind: 'connected' }));
ctx.on('message-created', async (session) => {
  const key = `${session.platform}:${session.isDirect ? 'direct' : 'channel'}`;
  seen += 1;
  say({ kind: 'event', type: key, id: session.messageId || null });
  if (!replied.has(key)) {
    replied.add(key);
    try {
      const ids = await session.bot.sendMessage(session.channelId, 'pong', session.guildId, { session });
      say({ kind: 'reply', type: key, ok: ids.length > 0 });
    } catch (e) {
      say({ kind: 'reply', type: key, ok: false, error: String((e && e.message) || e) });
    }
  }
  if (seen >= Number(wanted)) {
    say({ kind: 'done' });
    process.exit(0);
  }
});
ctx.start().catch((e) => { say({ kind: 'failed', error: String(e) }); process.exit(4); });
