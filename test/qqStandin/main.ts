import { parseArgs } from 'node:util';
import { startQqStandin } from './standin.js';

/** `npm run dev:qq`: the QQ stand-in on 127.0.0.1 for a local service (NETDISK_QQ_BASE_URL=http://127.0.0.1:8091). */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8091' },
    'app-id': { type: 'string', default: process.env.NETDISK_QQ_APP_ID ?? '101000001' },
    'app-key': { type: 'string', default: process.env.NETDISK_QQ_APP_KEY ?? 'local-standin-app-key' },
    'redirect-uri': { type: 'string', multiple: true, default: ['http://127.0.0.1:8080/api/v1/auth/oauth/qq/callback'] },
  },
});

const standin = await startQqStandin({
  appId: values['app-id'],
  appKey: values['app-key'],
  redirectUris: values['redirect-uri'],
  port: Number(values.port),
});
process.stdout.write(`QQ stand-in on ${standin.url} (app id ${values['app-id']}); callbacks: ${standin.redirectUris.join(', ')}\n`);
const stop = () => void standin.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
