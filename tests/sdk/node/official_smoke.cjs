// Run the Node SDK qq-official-bot (unmodified) against a qqbot emulator.
//
// Usage: node official_smoke.cjs API_BASE TOKEN_URL APP_ID SECRET EVENTS
//
// Only the base URLs change: an axios interceptor on the SDK's own HTTP client points its
// OpenAPI base and its hard-coded token URL at the emulator. Everything else (token fetch,
// /gateway/bot, Identify, heartbeats, READY, event parsing, passive replies) is the SDK's code.
//
// Prints one JSON line per milestone (`connected`, `event`, `reply`, `done`) and exits 0 after
// EVENTS message events with a reply to the first of each kind, or 3 after a 60 s watchdog.
const { Bot, ReceiverMode } = require('qq-official-bot');

const [apiBase, tokenUrl, appid, secret, wanted] = process.argv.slice(2);
const say = (fields) => process.stdout.write(JSON.stringify(fields) + '\n');
setTimeout(() => { say({ kind: 'timeout' }); process.exit(3); }, 60000).unref();

const bot = new Bot({
  appid, secret, sandbox: false, removeAt: true, logLevel: 'off', maxRetry: 3,
  intents: ['GUILDS', 'GUILD_MEMBERS', 'GUILD_MESSAGES', 'PUBLIC_GUILD_MESSAGES', 'DIRECT_MESSAGE', 'GROUP_AND_C2C_EVENT'],
  mode: ReceiverMode.WEBSOCKET,
});
bot.request.interceptors.request.use((config) => {
  if (config.url === 'https://bots.qq.com/app/getAppAccessToken') config.url = tokenUrl;
  config.baseURL = apiBase;
  return config;
});

let seen = 0;
const replied = new Set();
for (const kind of ['message.guild', 'message.group', 'message.private']) {
  bot.on(kind, async (event) => {
    const key = `${kind}.${event.sub_type || ''}`;
    seen += 1;
    say({ kind: 'event', type: key, id: event.message_id || event.id || null });
    if (!replied.has(key)) {
      replied.add(key);
      try {
        await event.reply('pong');
        say({ kind: 'reply', type: key, ok: true });
      } catch (e) {
        say({ kind: 'reply', type: key, ok: false, error: String((e && e.message) || e) });
      }
    }
    if (seen >= Number(wanted)) {
      say({ kind: 'done' });
      process.exit(0);
    }
  });
}
bot.start().then(() => say({ kind: 'connected' }), (e) => { say({ kind: 'failed', error: String(e) }); process.exit(4); });
