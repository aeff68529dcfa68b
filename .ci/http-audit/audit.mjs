// Runs graphql-http's GraphQL-over-HTTP server audit against a gridgov
// server and fails on any error or warning.
//   node audit.mjs URL [BEARER_TOKEN]
// With a token every audit request carries it, as a signed-in client's would.
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url) {
  console.error('usage: node audit.mjs URL [BEARER_TOKEN]');
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
let bad = 0;
let passed = 0;
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed += 1;
    continue;
  }
  bad += 1;
  console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
  if (result.response) {
    const body = await result.response.text().catch(() => '');
    console.log(`  -> ${result.response.status} ${result.response.headers.get('content-type')} ${body.slice(0, 200)}`);
  }
}
console.log(`${passed} passed, ${bad} errors or warnings`);
process.exit(bad === 0 ? 0 : 1);
